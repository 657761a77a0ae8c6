//! Reading and driving the web app's page in tests: attributes as numbers, clicks by
//! `data-testid`, waits for a value, the config editor's text.

use std::time::Duration;

use std::path::PathBuf;

use fantoccini::{Client, Locator};

use crate::browser::Browser;
use crate::static_server::StaticServer;

/// Where screenshots go (`PLAYGROUND_TEST_OUTPUT`, else the temp folder).
pub fn output_dir() -> PathBuf {
    std::env::var_os("PLAYGROUND_TEST_OUTPUT")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// The built app (trunk's output folder, `PLAYGROUND_WEB_DIST`) served on 127.0.0.1 and
/// opened in headless Chromium; keep both while the test runs.
pub async fn open_app() -> (StaticServer, Browser) {
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
    browser.client.goto(&server.url).await.expect("page loads");
    (server, browser)
}

/// The config editor's text once the app has mounted.
pub async fn editor_text(c: &Client) -> String {
    c.wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=config-editor]"))
        .await
        .expect("config editor")
        .prop("value")
        .await
        .expect("editor value")
        .unwrap_or_default()
}

/// Waits up to `secs` seconds until the attribute `name` of the element at `css` holds
/// `want` (within 1e-12).
pub async fn wait_for_number_within(c: &Client, css: &str, name: &str, want: f64, secs: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let got = match c.find(Locator::Css(css)).await {
            Ok(el) => el.attr(name).await.ok().flatten(),
            Err(_) => None,
        };
        if got
            .as_deref()
            .and_then(|g| g.parse::<f64>().ok())
            .is_some_and(|g| (g - want).abs() < 1e-12)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} {name} is {got:?}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The attribute `name` of `el` ("" when absent).
pub async fn attr(el: &fantoccini::elements::Element, name: &str) -> String {
    el.attr(name)
        .await
        .expect("attribute read")
        .unwrap_or_default()
}

/// Clicks the element with `data-testid` `testid`.
pub async fn click(c: &Client, testid: &str) {
    c.find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {testid}: {e}"));
}

/// The attribute `name` of the element at `css`, as a number (NaN when absent).
pub async fn number(c: &Client, css: &str, name: &str) -> f64 {
    match c.find(Locator::Css(css)).await {
        Ok(el) => attr(&el, name).await.parse().unwrap_or(f64::NAN),
        Err(_) => f64::NAN,
    }
}

/// What the training panel says (status and error), for failure messages.
pub async fn train_panel_text(c: &Client) -> String {
    let mut out = String::new();
    for id in ["train-status", "train-error"] {
        if let Ok(el) = c.find(Locator::Css(&format!("[data-testid={id}]"))).await {
            out += &format!("{id}: {}\n", el.text().await.unwrap_or_default());
        }
    }
    out
}

/// Waits (up to 5 minutes) until the attribute `name` of `css` is at least `least`.
pub async fn wait_for_at_least(c: &Client, css: &str, name: &str, least: f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let got = number(c, css, name).await;
        if got >= least {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "{css} {name} is {got}, expected at least {least}\n{}",
                train_panel_text(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Replaces the editor's text the way typing does (an `input` event).
pub async fn set_editor(c: &Client, text: &str) {
    c.execute(
        "const t = document.querySelector('[data-testid=config-editor]');\
         t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![serde_json::json!(text)],
    )
    .await
    .expect("the editor takes the text");
}

/// Waits (up to 30 s) until the attribute `name` of the element at `css` holds `want`
/// (within 1e-12).
pub async fn wait_for_number(c: &Client, css: &str, name: &str, want: f64) {
    wait_for_number_within(c, css, name, want, 30).await;
}

/// Sets an input's value as typing does, then fires `change`.
pub async fn set_input(c: &Client, testid: &str, value: &str) {
    c.execute(
        "const i = document.querySelector(`[data-testid=${arguments[0]}]`);\
         i.value = arguments[1]; i.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![serde_json::json!(testid), serde_json::json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("{testid}: {e}"));
}

/// The text of the element at `css` ("" when absent).
pub async fn text_of(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(el) => el.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits up to `secs` until the status says the run finished.
pub async fn wait_finished(c: &Client, secs: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if text_of(c, "[data-testid=train-status]")
            .await
            .contains("finished")
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run did not finish in {secs} s\n{}",
            train_panel_text(c).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits up to 60 s until `css` `name` is exactly `want`.
pub async fn wait_attr(c: &Client, css: &str, name: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let got = match c.find(Locator::Css(css)).await {
            Ok(el) => attr(&el, name).await,
            Err(_) => String::new(),
        };
        if got == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} {name} is {got:?}, expected {want:?}\n{}",
            train_panel_text(c).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
