//! The built web app in headless Chromium: the page loads, shows the preset and the
//! Environment panel with the strategy crate's report. Run by `cargo xtask test`,
//! which builds the app with trunk first and says where (`PLAYGROUND_WEB_DIST`).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use playground_strategy::env::EnvReport;
use playground_tests::browser::Browser;
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
    assert_eq!(options.len(), 3, "spiral, digits and GAN presets");

    browser
        .screenshot(&output_dir().join("web_smoke_environment.png"))
        .await
        .expect("screenshot");
    browser.close().await.expect("browser closes");
}
