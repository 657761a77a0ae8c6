//! The built web app in headless Chromium: the page loads, shows the preset and the
//! Environment panel with the strategy crate's report. Run by `cargo xtask test`,
//! which builds the app with trunk first and says where (`PLAYGROUND_WEB_DIST`).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use playground_strategy::env::EnvReport;
use playground_tests::browser::Browser;
use playground_tests::page::{
    attr, click, editor_text, number, set_editor, wait_for_at_least, wait_for_number,
    wait_for_number_within,
};
use playground_tests::static_server::StaticServer;

fn output_dir() -> PathBuf {
    std::env::var_os("PLAYGROUND_TEST_OUTPUT")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
async fn page_shows_the_preset_and_the_environment_panel() {
    let dist = std::env::var_os("PLAYGROUND_WEB_DIST")
        .map(PathBuf::from)
        .expect("PLAYGROUND_WEB_DIST names trunk's output folder (cargo xtask test sets it)");
    assert!(
        dist.join("index.html").exists(),
        "no index.html in {}",
        dist.display()
    );
    let server = StaticServer::start(&dist).expect("static server");
    let browser = Browser::start()
        .await
        .expect("headless Chromium through ChromeDriver");
    let c = &browser.client;
    c.goto(&server.url).await.expect("page loads");

    // The panel is in the DOM as soon as the app mounts; the report once the probe ends.
    let panel = c
        .wait()
        .at_most(Duration::from_secs(300))
        .for_element(Locator::Css("[data-testid=env-panel]"))
        .await
        .expect("the Environment panel appears");
    assert!(
        panel
            .text()
            .await
            .expect("panel text")
            .contains("Environment")
    );
    let report_el = c
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=env-report]"))
        .await
        .expect("the environment report appears");
    let json = report_el
        .attr("data-report")
        .await
        .expect("attribute read")
        .expect("the report is carried as JSON");
    let report: EnvReport = serde_json::from_str(&json).expect("the attribute holds an EnvReport");
    let browser_facts = report
        .browser
        .as_ref()
        .expect("the page reports its browser");
    assert!(browser_facts.user_agent.contains("Chrome"), "{report}");
    // Chromium runs with --enable-unsafe-webgpu: SwiftShader's adapter must be seen.
    assert!(browser_facts.webgpu_adapter, "{report}");
    let backend = report_el
        .attr("data-backend")
        .await
        .expect("attribute read");
    assert_eq!(backend.as_deref(), Some("wgpu"), "{report}");
    let shown = report_el.text().await.expect("report text");
    assert!(
        shown.contains("Training on") && shown.contains("User agent"),
        "{shown}"
    );
    assert!(
        shown.contains("SingleDeviceStrategy, world size 1"),
        "the strategy and world size are shown: {shown}"
    );

    // The default preset is loaded into the editor.
    let editor = c
        .find(Locator::Css("[data-testid=config-editor]"))
        .await
        .expect("config editor");
    let text = editor
        .prop("value")
        .await
        .expect("editor value")
        .unwrap_or_default();
    assert!(text.contains("type = \"MLP\""), "editor holds: {text}");
    let options = c
        .find_all(Locator::Css("[data-testid=preset-select] option"))
        .await
        .expect("preset options");
    assert_eq!(
        options.len(),
        6,
        "spiral, fruit.csv, housing.csv, features, digits and GAN presets"
    );

    browser
        .screenshot(&output_dir().join("web_smoke_environment.png"))
        .await
        .expect("screenshot");

    // Every control is reachable with the keyboard (Tab from the top of the page).
    let reached = tab_through(c, 150).await;
    for id in [
        "preset-select",
        "config-open",
        "share-button",
        "config-editor",
        "knob-dataset",
        "knob-lr",
        "scheduler-0-type",
        "scheduler-0-remove",
        "scheduler-add",
        "train-button",
        "step-button",
        "reset-button",
        "checkpoint-download",
        "backend-select",
        "checkpoint-upload",
    ] {
        assert!(
            reached.iter().any(|r| r == id),
            "Tab never reaches {id}: {reached:?}"
        );
    }

    // The schedule preview: the spiral preset's 2,500 iterations, warm-up from 0.001.
    let chart = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=schedule-chart]"))
        .await
        .expect("the schedule chart appears");
    assert_eq!(attr(&chart, "data-iterations").await, "2500");
    let first: f64 = attr(&chart, "data-first-lr")
        .await
        .parse()
        .expect("a number");
    assert!(
        (first - 0.001).abs() < 1e-12,
        "warm-up starts at 0.1 × 0.01, got {first}"
    );
    let points = c
        .find(Locator::Css("[data-testid=schedule-chart] polyline.lr"))
        .await
        .expect("an lr curve")
        .attr("points")
        .await
        .expect("attribute read")
        .unwrap_or_default();
    assert!(points.split(' ').count() > 100, "{points}");
    // The warm-up and the cosine phase are marked; hovering reads the values out.
    let phases = c
        .find_all(Locator::Css("[data-testid=schedule-chart] g.phase"))
        .await
        .expect("phase marks");
    assert_eq!(phases.len(), 2, "LinearLR and CosineAnnealingLR");
    {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction};
        let chart = c
            .find(Locator::Css("[data-testid=schedule-chart]"))
            .await
            .expect("chart");
        let moves = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: chart,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        c.perform_actions(moves).await.expect("the pointer moves");
        let hover = c
            .find(Locator::Css("[data-testid=schedule-hover]"))
            .await
            .expect("readout")
            .text()
            .await
            .expect("text");
        assert!(
            hover.starts_with("iteration 12") && hover.contains("lr "),
            "{hover}"
        );
    }

    // Editing the lr redraws the curve.
    let doubled = text.replacen("lr = 0.01\n", "lr = 0.02\n", 1);
    assert_ne!(doubled, text, "the preset sets lr = 0.01");
    set_editor(c, &doubled).await;
    wait_for_number(c, "[data-testid=schedule-chart]", "data-first-lr", 0.002).await;

    // A bad config shows the error at its key path; fixing it brings the chart back.
    set_editor(
        c,
        "[optim_wrapper.optimizer]\ntype = \"SGD\"\nlr = 0.1\n[train_cfg]\nmax_epochs = 0\n",
    )
    .await;
    let error = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=error-panel]"))
        .await
        .expect("the error panel appears");
    assert_eq!(attr(&error, "data-path").await, "train_cfg.max_epochs");
    // The editor marks the line the key path points to.
    let inline = c
        .find(Locator::Css("[data-testid=editor-error]"))
        .await
        .expect("the error under the editor");
    assert_eq!(attr(&inline, "data-line").await, "5");
    let marked = c
        .find(Locator::Css(".gutter .ln.bad"))
        .await
        .expect("a marked line")
        .text()
        .await
        .expect("text");
    assert_eq!(marked, "5");
    assert!(
        error
            .text()
            .await
            .expect("text")
            .contains("positive number of epochs")
    );
    browser
        .screenshot(&output_dir().join("web_smoke_config_error.png"))
        .await
        .expect("screenshot");
    set_editor(c, &text).await;
    wait_for_number(c, "[data-testid=schedule-chart]", "data-first-lr", 0.001).await;

    // The form's lr knob writes into the text (comments kept) and the chart follows.
    c.execute(
        "const i = document.querySelector('[data-testid=knob-lr]');\
         i.value = '0.03'; i.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await
    .expect("the knob takes the value");
    wait_for_number(c, "[data-testid=schedule-chart]", "data-first-lr", 0.003).await;
    let edited = editor_text(c).await;
    assert!(edited.contains("lr = 0.03"), "{edited}");
    assert!(
        edited.contains("# Linear warm-up over the first 50 iterations"),
        "comments kept"
    );
    set_editor(c, &text).await;
    wait_for_number(c, "[data-testid=schedule-chart]", "data-first-lr", 0.001).await;

    // No console errors so far: loading, the environment probe, edits, a config error.
    let console = browser.console().await.expect("console log");
    for (level, message) in &console {
        eprintln!("web_smoke: console {level}: {message}");
    }
    let severe: Vec<_> = console.iter().filter(|(l, _)| l == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");

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

/// Presses Tab up to `presses` times from the top of the page; the `data-testid` (or
/// tag) of each element that takes the focus.
async fn tab_through(c: &fantoccini::Client, presses: usize) -> Vec<String> {
    c.execute(
        "document.activeElement && document.activeElement.blur();",
        vec![],
    )
    .await
    .expect("blur");
    let mut reached = Vec::new();
    for _ in 0..presses {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: '\u{e004}' })
            .then(KeyAction::Up { value: '\u{e004}' });
        c.perform_actions(tab).await.expect("Tab");
        let id = c
            .execute(
                "const e = document.activeElement;\
                 return e ? (e.getAttribute('data-testid') || e.tagName.toLowerCase()) : '';",
                vec![],
            )
            .await
            .expect("focus read");
        reached.push(id.as_str().unwrap_or_default().to_string());
    }
    reached
}
