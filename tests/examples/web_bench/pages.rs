//! The pages of the browser benchmark: the app (first render, training speed in its
//! worker) and TensorFlow.js's page, driven over WebDriver.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::Locator;
use playground_tests::browser::Browser;
use serde_json::{Value, json};

use super::{SAMPLE, WARM_UP, root};

/// Console messages printed when the app's training fails.
const CONSOLE_SHOWN: usize = 12;

/// TensorFlow.js's files, copied beside the peer page into `dir`.
pub fn tfjs_page(node_modules: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let tf = node_modules.join("@tensorflow");
    let files = [
        tf.join("tfjs/dist/tf.min.js"),
        tf.join("tfjs-backend-wasm/dist/tf-backend-wasm.min.js"),
        tf.join("tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
        tf.join("tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
        tf.join("tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm"),
    ];
    let page = root().join("crates/bench/browser");
    for f in files
        .iter()
        .chain(&[page.join("tfjs.html"), page.join("tfjs_bench.js")])
    {
        let name = f.file_name().context("a file name")?;
        std::fs::copy(f, dir.join(name)).with_context(|| {
            format!(
                "copying {} (run `cargo xtask bench`, which installs TensorFlow.js)",
                f.display()
            )
        })?;
    }
    // What a page using the cpu, webgl and wasm (SIMD) backends downloads.
    Ok(vec![files[0].clone(), files[1].clone(), files[3].clone()])
}

/// Loads the app and waits until it is mounted.
pub async fn open_app(browser: &Browser, url: &str) -> Result<()> {
    browser.client.goto(url).await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=config-editor]"))
        .await?;
    Ok(())
}

/// Milliseconds from navigation to the app's `playground-mounted` mark and to the
/// first contentful paint, in a fresh browser (cold cache).
pub async fn first_render(url: &str) -> Result<(f64, f64)> {
    let browser = Browser::start().await?;
    open_app(&browser, url).await?;
    // The paint entry can come a frame after the mount mark.
    let deadline = Instant::now() + Duration::from_secs(10);
    let v = loop {
        let v = browser
            .client
            .execute(
                "const m = performance.getEntriesByName('playground-mounted')[0];\
                 const p = performance.getEntriesByName('first-contentful-paint')[0];\
                 return [m ? m.startTime : -1, p ? p.startTime : -1];",
                vec![],
            )
            .await?;
        let v: Vec<f64> = serde_json::from_value(v)?;
        if v.iter().all(|t| *t >= 0.0) {
            break v;
        }
        if Instant::now() > deadline {
            browser.close().await?;
            bail!("no `playground-mounted` mark or first paint within 10 s of loading: {v:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.close().await?;
    Ok((v[0], v[1]))
}

/// The trainer's full environment report (the Environment panel's "Probe the backends"),
/// as the panel's JSON: what the bundle's trainer was built with.
pub async fn trainer_report(browser: &Browser, url: &str) -> Result<Value> {
    open_app(browser, url).await?;
    let c = &browser.client;
    c.find(Locator::Css("[data-testid=env-probe]"))
        .await?
        .click()
        .await?;
    let report = c
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=env-report]"))
        .await?;
    let json = report
        .attr("data-report")
        .await?
        .context("the Environment panel's report has no data-report")?;
    serde_json::from_str(&json).context("parsing the panel's data-report")
}

/// What [`app_speed`] measured.
pub struct AppSpeed {
    /// Iterations per second.
    pub speed: f64,
    /// The device the page reports.
    pub device: String,
    /// Seconds from the Train click to the first progress report (the trainer's
    /// start, the first chunk of iterations and the kernels they compile).
    pub first_report_s: f64,
}

/// Iterations per second of `config` trained in the app's worker on `backend`
/// (`cpu` or `wgpu`), from one progress report after [`WARM_UP`] iterations to the
/// first one at least [`SAMPLE`] later.
pub async fn app_speed(
    browser: &Browser,
    url: &str,
    config: &str,
    backend: &str,
) -> Result<AppSpeed> {
    open_app(browser, url).await?;
    let c = &browser.client;
    let clicked = Instant::now();
    c.execute(
        "const t = document.querySelector('[data-testid=config-editor]');\
         t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true }));\
         const b = document.querySelector('[data-testid=backend-select]');\
         b.value = arguments[1]; b.dispatchEvent(new Event('change', { bubbles: true }));\
         document.querySelector('[data-testid=train-button]').click();",
        vec![json!(config), json!(backend)],
    )
    .await?;
    let iter = || async {
        let el = c.find(Locator::Css("[data-testid=loss-chart]")).await?;
        let v = el.attr("data-iter").await?.unwrap_or_default();
        let device = el.attr("data-device").await?.unwrap_or_default();
        Ok::<_, anyhow::Error>((v.parse::<i64>().unwrap_or(0), device))
    };
    // What the page says (the trainer's error, or the run's status); the browser's
    // console (the worker's messages: a trap's stack) goes to stderr.
    let status = || async {
        // The first messages, a few lines each: a panicking worker repeats itself.
        let console = browser.console().await.unwrap_or_default();
        for (level, message) in console.iter().take(CONSOLE_SHOWN) {
            let head: Vec<&str> = message.lines().take(4).collect();
            eprintln!("web_bench: console {level}: {}", head.join(" | "));
        }
        if console.len() > CONSOLE_SHOWN {
            eprintln!(
                "web_bench: console: {} more messages",
                console.len() - CONSOLE_SHOWN
            );
        }
        c.execute(
            "const e = document.querySelector('[data-testid=train-error]') || document.querySelector('[data-testid=run-status]'); return e ? e.textContent : '';",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut first_report_s = None;
    let mut reached = 0;
    let (start, device) = loop {
        let (at, device) = iter().await?;
        reached = reached.max(at);
        if at > 0 && first_report_s.is_none() {
            first_report_s = Some(clicked.elapsed().as_secs_f64());
        }
        if at >= WARM_UP {
            break (at, device);
        }
        if Instant::now() > deadline {
            let status = status().await;
            bail!(
                "the app did not reach {WARM_UP} iterations on {backend} in 300 s (it reached {reached}; first report after {:?} s; the page says {status:?})",
                first_report_s
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let expected = if backend == "cpu" { "cpu" } else { "webgpu" };
    if !device.contains(expected) {
        bail!("asked for {backend}, the page trains on {device:?}");
    }
    // The worker reports after each chunk of iterations: time from one report to the
    // first report at least SAMPLE later, so a slow side (a chunk longer than the
    // sample) is measured over whole chunks instead of reading zero.
    let next_report = |after: i64| async move {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (at, _) = iter().await?;
            if at > after {
                return Ok::<_, anyhow::Error>((at, Instant::now()));
            }
            if Instant::now() > deadline {
                let status = status().await;
                bail!(
                    "no progress report from the app on {backend} in 300 s after iteration {after} (the page says {status:?})"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (first, t0) = next_report(start).await?;
    tokio::time::sleep(SAMPLE).await;
    let (now, _) = iter().await?;
    let (last, t1) = next_report(now.max(first)).await?;
    Ok(AppSpeed {
        speed: (last - first) as f64 / (t1 - t0).as_secs_f64(),
        device,
        first_report_s: first_report_s.unwrap_or_default(),
    })
}

/// TensorFlow.js's iterations per second on `backend`, on the peer page.
pub async fn tfjs_speed(
    browser: &Browser,
    url: &str,
    spec: &Value,
    backend: &str,
) -> Result<(f64, Value)> {
    let c = &browser.client;
    c.goto(url).await?;
    let mut spec = spec.clone();
    spec["backend"] = json!(backend);
    spec["warmup"] = json!(WARM_UP);
    spec["seconds"] = json!(SAMPLE.as_secs_f64());
    c.execute("window.startBench(arguments[0]);", vec![spec])
        .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let r = c.execute("return window.benchResult;", vec![]).await?;
        if let Some(e) = r.get("error") {
            bail!("TensorFlow.js on {backend}: {e}");
        }
        if let Some(speed) = r.get("itPerSec").and_then(Value::as_f64) {
            return Ok((speed, r));
        }
        if Instant::now() > deadline {
            bail!("TensorFlow.js on {backend} did not finish in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn chromium_version() -> String {
    std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .ok()
        // "Chromium 156.0.8078.108 built on Debian …": the name and version.
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "Chromium".into())
}

/// `@tensorflow/tfjs`'s version in `node_modules`.
pub fn tfjs_package_version(node_modules: &Path) -> Result<String> {
    let path = node_modules.join("@tensorflow/tfjs/package.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    json["version"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{}: no \"version\"", path.display()))
}
