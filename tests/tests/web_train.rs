//! Training the built web app in headless Chromium: three epochs of the spiral preset
//! on WebGPU in the worker with a pause, the page's thread never blocked for long, the
//! loss, lr and regions; a garbage upload refused, a download read natively, a native
//! checkpoint resumed and evaluated; localStorage and the share link; the phone
//! layout. Run by `cargo xtask test` (`PLAYGROUND_WEB_DIST`).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use playground_tests::page::{
    attr, click, editor_text, number, open_app, output_dir, set_editor, wait_for_at_least,
    wait_for_number, wait_for_number_within,
};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
async fn training_checkpoints_sharing_and_the_phone_layout() {
    let (_server, browser) = open_app().await;
    let c = &browser.client;
    let text = editor_text(c).await;
    assert!(
        text.contains("max_epochs = 100\n"),
        "the spiral preset: {text}"
    );
    // Training in the page (WebGPU through SwiftShader here): three epochs of the
    // spiral preset, 75 iterations, with the live loss chart and the decision boundary.
    let short = text.replacen("max_epochs = 100\n", "max_epochs = 3\n", 1);
    assert_ne!(short, text);
    set_editor(c, &short).await;
    click(c, "train-button").await;
    // Long tasks on the page's thread while it trains: the worker keeps them short.
    // Watched from the first iteration on: SwiftShader compiles WebGPU's shaders in
    // the GPU process, and while it does (seconds, once) the page's thread waits on it
    // too; on a hardware adapter that takes milliseconds.
    wait_for_at_least(c, "[data-testid=loss-chart]", "data-iter", 1.0).await;
    c.execute(
        "window.__long = []; new PerformanceObserver(l => l.getEntries()\
         .forEach(e => window.__long.push(e.duration))).observe({ type: 'longtask' });",
        vec![],
    )
    .await
    .expect("observer installed");
    // Pause stops the worker after the iteration in flight; Train goes on from there.
    wait_for_at_least(c, "[data-testid=loss-chart]", "data-iter", 10.0).await;
    click(c, "pause-button").await;
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=pause-button][disabled]"))
        .await
        .expect("training pauses");
    let paused = number(c, "[data-testid=loss-chart]", "data-iter").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        number(c, "[data-testid=loss-chart]", "data-iter").await,
        paused,
        "nothing trains while paused"
    );
    assert!(paused < 75.0, "paused at {paused}");
    click(c, "train-button").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    let (iter, loss) = loop {
        let chart = c
            .find(Locator::Css("[data-testid=loss-chart]"))
            .await
            .expect("loss chart");
        let iter = attr(&chart, "data-iter").await;
        let loss = attr(&chart, "data-last").await;
        if iter == "75" {
            break (iter, loss);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "training stuck at iteration {iter}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let loss: f64 = loss.parse().expect("a loss value");
    assert!(
        loss.is_finite() && loss > 0.0 && loss < 0.8,
        "last loss {loss} at {iter}"
    );
    let cells = c
        .find_all(Locator::Css("[data-testid=decision-boundary] rect.cell"))
        .await
        .expect("boundary cells");
    assert_eq!(cells.len(), 32 * 32);
    let status = c
        .find(Locator::Css("[data-testid=train-status]"))
        .await
        .expect("status")
        .text()
        .await
        .expect("text");
    assert!(
        status.contains("iter 75/75") && status.contains("finished"),
        "{status}"
    );
    assert!(status.contains("in a Web Worker"), "{status}");
    let lr = c
        .find(Locator::Css("[data-testid=lr-chart]"))
        .await
        .expect("lr chart");
    let lr: f64 = attr(&lr, "data-last")
        .await
        .parse()
        .expect("the lr applied");
    assert!(lr > 0.0 && lr < 0.01, "lr {lr}");
    // SwiftShader can reject some of burn's kernel variants while autotune tries them,
    // and WebGPU training may then log errors (not on hardware adapters): counted here,
    // not failed.
    let severe = browser
        .console()
        .await
        .expect("console log")
        .into_iter()
        .filter(|(l, _)| l == "SEVERE")
        .count();
    eprintln!("web_smoke: {severe} console errors while training on SwiftShader's WebGPU");
    let long: Vec<f64> = serde_json::from_value(
        c.execute("return window.__long;", vec![])
            .await
            .expect("long tasks read"),
    )
    .expect("durations");
    let longest = long.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "web_smoke: {} long tasks on the page's thread while training, longest {longest:.0} ms",
        long.len()
    );
    assert!(
        longest < 1000.0,
        "the page froze for {longest:.0} ms while training"
    );
    browser
        .screenshot(&output_dir().join("web_smoke_trained.png"))
        .await
        .expect("screenshot");

    // Uploading garbage shows an error and leaves the trained session as it was.
    let garbage = std::env::temp_dir().join("playground_not_a_checkpoint.safetensors");
    std::fs::write(&garbage, b"this is not a checkpoint").expect("write");
    c.find(Locator::Css("[data-testid=checkpoint-upload]"))
        .await
        .expect("upload input")
        .send_keys(&garbage.to_string_lossy())
        .await
        .expect("file chosen");
    let err = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=train-error]"))
        .await
        .expect("the error appears");
    let msg = err.text().await.expect("text");
    assert!(msg.contains("not a readable checkpoint"), "{msg}");
    let chart = c
        .find(Locator::Css("[data-testid=loss-chart]"))
        .await
        .expect("loss chart");
    assert_eq!(attr(&chart, "data-iter").await, "75", "the session is kept");
    browser
        .screenshot(&output_dir().join("web_smoke_bad_upload.png"))
        .await
        .expect("screenshot");

    // Download the page's checkpoint and read it natively (what `playground-cli
    // inspect` reads).
    c.find(Locator::Css("[data-testid=checkpoint-download]"))
        .await
        .expect("download button")
        .click()
        .await
        .expect("click");
    let file = browser.downloads().join("playground_iter_75.safetensors");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !file.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "no download in {}",
            browser.downloads().display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ck = playground_strategy::checkpoint::files::read_checkpoint(&file)
        .expect("the browser's checkpoint reads natively");
    assert_eq!(ck.iter(), 75);
    assert!(ck.optimizer.is_some() && ck.param_schedulers.is_some());
    assert_eq!(ck.state_dict[0].name, "layers.0.weight");
    assert_eq!(ck.state_dict[0].shape, vec![64, 2]);

    // Upload a checkpoint made natively after 50 iterations: the page resumes there
    // and trains on to the end.
    let native = native_checkpoint(&short, 50);
    c.find(Locator::Css("[data-testid=checkpoint-upload]"))
        .await
        .expect("upload input")
        .send_keys(&native.to_string_lossy())
        .await
        .expect("file chosen");
    wait_for_number(c, "[data-testid=loss-chart]", "data-iter", 50.0).await;
    // Evaluating the uploaded weights reports the test metrics and changes nothing.
    click(c, "evaluate-button").await;
    let eval = c
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=eval-result]"))
        .await
        .expect("the evaluation appears");
    let shown = eval.text().await.expect("text");
    assert!(
        shown.contains("iteration 50") && shown.contains("accuracy/top1"),
        "{shown}"
    );
    assert_eq!(
        number(c, "[data-testid=loss-chart]", "data-iter").await,
        50.0
    );
    c.find(Locator::Css("[data-testid=train-button]"))
        .await
        .expect("train button")
        .click()
        .await
        .expect("click");
    wait_for_number_within(c, "[data-testid=loss-chart]", "data-iter", 75.0, 600).await;

    // The edited config survives a reload (localStorage)...
    c.refresh().await.expect("reloads");
    assert_eq!(editor_text(c).await, short, "the edit was kept");
    // ...and travels in a share link (the URL fragment), with nothing stored.
    c.find(Locator::Css("[data-testid=share-button]"))
        .await
        .expect("share button")
        .click()
        .await
        .expect("click");
    let link = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=share-link]"))
        .await
        .expect("the link appears")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(link.contains("#cfg="), "{link}");
    c.execute("localStorage.clear();", vec![])
        .await
        .expect("cleared");
    c.goto("about:blank").await.expect("leaves");
    c.goto(&link).await.expect("opens the link");
    assert_eq!(editor_text(c).await, short, "the link carries the config");
    // On a phone-sized screen the panels stack in one column.
    c.set_window_size(390, 844).await.expect("resized");
    let widths: Vec<f64> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('.columns > .panel')]\
             .map(e => e.getBoundingClientRect().left);",
            vec![],
        )
        .await
        .expect("layout read"),
    )
    .expect("numbers");
    assert!(
        widths.len() == 3 && widths.iter().all(|w| (w - widths[0]).abs() < 1.0),
        "data, network and output in one column: {widths:?}"
    );
    let overflow: f64 = serde_json::from_value(
        c.execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("layout read"),
    )
    .expect("a number");
    if overflow > 0.0 {
        let wide = c
            .execute(
                "const w = document.documentElement.clientWidth;\
                 return [...document.querySelectorAll('body *')]\
                 .filter(e => e.getBoundingClientRect().right > w + 1)\
                 .slice(-8).map(e => e.tagName + '.' + e.className + ' ' +\
                 (e.getAttribute('data-testid') || '') + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await
            .expect("layout read");
        panic!("the page is {overflow} px wider than the phone: {wide}");
    }
    browser
        .screenshot(&output_dir().join("web_smoke_phone.png"))
        .await
        .expect("screenshot");
    browser.close().await.expect("browser closes");
}

/// Trains `config` natively on the CPU backend for `iters` iterations and writes a
/// checkpoint; returns its path.
fn native_checkpoint(config: &str, iters: i64) -> PathBuf {
    use playground_strategy::config::{ExperimentConfig, Registries};
    use playground_strategy::device::DeviceChoice;
    use playground_strategy::runner::{Runner, RunnerOptions};

    let cfg = ExperimentConfig::from_text(config, &Registries::default()).expect("parses");
    let dir = std::env::temp_dir().join(format!("playground_native_ck_{}", std::process::id()));
    let path = dir.join(format!("native_iter_{iters}.safetensors"));
    std::thread::scope(|s| {
        s.spawn(|| {
            pollster::block_on(async {
                let mut r = Runner::from_config(
                    cfg,
                    RunnerOptions {
                        device: DeviceChoice::Cpu,
                        work_dir: Some(dir.clone()),
                        ..RunnerOptions::default()
                    },
                )
                .await
                .expect("native runner");
                while r.hub.iter < iters {
                    r.train_iter().await.expect("trains");
                }
                r.save_checkpoint(&path).await.expect("saves");
            })
        });
    });
    path
}
