//! Headless Chromium driven through Debian's ChromeDriver (WebDriver over plain HTTP
//! on 127.0.0.1). Nothing is downloaded: both binaries come from Debian's packages.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};

/// A running ChromeDriver with one browser session; both end when dropped
/// (call [`Browser::close`] first to end the session cleanly).
pub struct Browser {
    driver: Child,
    /// The WebDriver client.
    pub client: Client,
    _profile: tempfile::TempDir,
    downloads: tempfile::TempDir,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Chromium flags for a headless run as root on a machine without a GPU or a network:
/// WebGPU through SwiftShader, and nothing that calls out; then any flags in
/// `$PLAYGROUND_CHROMIUM_ARGS` (whitespace-separated).
pub fn chromium_args(profile: &std::path::Path) -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--enable-unsafe-webgpu",
        "--disable-gpu-sandbox",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    // Extra flags for investigations, e.g. `--js-flags=--perf-basic-prof` so that
    // `perf` can name the JIT-compiled wasm functions.
    .chain(
        std::env::var("PLAYGROUND_CHROMIUM_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>(),
    )
    .collect()
}

impl Browser {
    /// Starts ChromeDriver (`$CHROMEDRIVER` or `/usr/bin/chromedriver`) and a headless
    /// Chromium session with a fresh profile.
    pub async fn start() -> Result<Self> {
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port()?;
        // Its own process group, so that dropping the browser ends Chromium too, even
        // when a failed test never closed the session.
        let driver = Command::new(&driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {driver_bin} (apt-get install chromium-driver)"))?;
        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": chromium_args(profile.path()),
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        // The console (page and workers) is kept for [`Browser::console`].
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "browser": "ALL" }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    bail!("ChromeDriver on {url} did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Self {
            driver,
            client,
            _profile: profile,
            downloads,
        })
    }

    /// The folder the browser saves downloads to.
    pub fn downloads(&self) -> &std::path::Path {
        self.downloads.path()
    }

    /// Ends the browser session.
    pub async fn close(self) -> Result<()> {
        let closed = self.client.clone().close().await;
        drop(self);
        closed.context("closing the browser session")
    }

    /// The browser's console since the last call (the page's and its workers'
    /// messages, and failed loads): `(level, message)`, from ChromeDriver's log.
    pub async fn console(&self) -> Result<Vec<(String, String)>> {
        let v = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .context("reading the browser's console log")?;
        let entries = v.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|e| {
                let s = |k: &str| {
                    e.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                (s("level"), s("message"))
            })
            .collect())
    }

    /// Writes a PNG screenshot of the page to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

/// ChromeDriver's `POST /session/{id}/se/log` for the `browser` log.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
