//! The built web app in headless Chromium: the page loads, shows the preset and the
//! Environment panel with the strategy crate's report, the schedule chart, config
//! errors and the knobs, every control reached with Tab. Training, checkpoints,
//! sharing and the phone layout are in `web_train.rs`. Run by `cargo xtask test`,
//! which builds the app with trunk first and says where (`PLAYGROUND_WEB_DIST`).

use std::time::Duration;

use fantoccini::Locator;
use playground_strategy::env::EnvReport;
use playground_tests::page::{
    attr, click, editor_text, open_app, output_dir, set_editor, wait_for_at_least, wait_for_number,
};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
async fn page_shows_the_preset_and_the_environment_panel() {
    let (server, browser) = open_app().await;
    let c = &browser.client;

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
    // Before anything asks for the trainer, the page knows the browser's facts and so
    // the device `auto` trains on, and has not fetched the trainer's module.
    let page_facts = c
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=env-browser]"))
        .await
        .expect("the browser's facts appear");
    assert_eq!(attr(&page_facts, "data-backend").await, "wgpu");
    let fetched = server.requested();
    assert!(
        fetched.iter().any(|r| r.contains("playground-web")),
        "the page's module is fetched: {fetched:?}"
    );
    assert!(
        !fetched.iter().any(|r| r.contains("playground-trainer")),
        "the first screen must not fetch the trainer's module: {fetched:?}"
    );
    // The backends' own report comes from the trainer, fetched on request.
    click(c, "env-probe").await;
    let report_el = c
        .wait()
        .at_most(Duration::from_secs(300))
        .for_element(Locator::Css("[data-testid=env-report]"))
        .await
        .expect("the environment report appears");
    let fetched = server.requested();
    assert!(
        fetched
            .iter()
            .any(|r| r.contains("/playground-trainer_bg.wasm?v=")),
        "the probe fetched the trainer's module, its URL tagged with the build: {fetched:?}"
    );
    // A step after the probe trains in the same worker: the module is not fetched again.
    click(c, "step-button").await;
    wait_for_at_least(c, "[data-testid=loss-chart]", "data-iter", 1.0).await;
    let trainer_fetches = server
        .requested()
        .iter()
        .filter(|r| r.contains("/playground-trainer_bg.wasm"))
        .count();
    assert_eq!(
        trainer_fetches, 1,
        "the probe and the first step share one worker"
    );
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
    // WebGPU's optional `shader-f16`, as the adapter reports it, and the CPU backend's
    // half precisions, as the page shows them.
    let webgpu = if browser_facts.shader_f16 {
        "WebGPU: f16 (shader-f16)"
    } else {
        "WebGPU: f32 only (no shader-f16)"
    };
    let cpu = report.cpu.as_ref().expect("the CPU backend is compiled in");
    let cpu_text = match (cpu.f16, cpu.bf16) {
        (true, true) => "CPU: f16 and bf16",
        (true, false) => "CPU: f16",
        _ => "CPU: f32 only",
    };
    assert!(
        shown.contains(webgpu) && shown.contains(cpu_text),
        "the low precisions are shown ({webgpu}; {cpu_text}): {shown}"
    );
    // The shipped bundle's trainer: burn without fusion and autotune, and the page says so.
    assert_eq!(report.burn_kernels, "none", "{shown}");
    assert!(
        shown.contains("burn's compile-time options: none"),
        "the WebGPU kernel options are shown: {shown}"
    );
    eprintln!(
        "web smoke: WebGPU shader-f16 {}, CPU backend f16 {} bf16 {}",
        browser_facts.shader_f16, cpu.f16, cpu.bf16
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
        10,
        "spiral, fruit.csv, housing.csv, features, digits, GAN, sorting, grokking and two text presets"
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

    browser.close().await.expect("browser closes");
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
