//! The web app's budgets, measured (`cargo xtask bench --only web` runs this on the
//! release bundle): the gzipped `.wasm` size, the time to first render in headless
//! Chromium, and the spiral preset's training speed in the browser's Web Worker on the
//! CPU backend against the native CPU backend, interleaved in this one run.
//!
//! `web_budgets <dist> [--runs N]`; prints a Markdown table. Not a test: nothing
//! asserts a timing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::Locator;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_tests::browser::Browser;
use playground_tests::static_server::StaticServer;

/// Iterations trained before timing (kernel set-up, allocator warm-up).
const WARM_UP: i64 = 50;
/// How long each browser measurement samples.
const SAMPLE: Duration = Duration::from_secs(8);
/// Iterations timed natively per run.
const NATIVE_ITERS: i64 = 500;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn spiral() -> Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/configs/spiral_mlp.toml");
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The bundle's `.wasm`: raw and gzipped (level 9) bytes.
fn wasm_size(dist: &Path) -> Result<(PathBuf, u64, u64)> {
    let wasm = std::fs::read_dir(dist)
        .with_context(|| format!("reading {}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        .with_context(|| format!("no .wasm in {}", dist.display()))?;
    let bytes = std::fs::read(&wasm)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gz = gz.finish()?;
    Ok((wasm, bytes.len() as u64, gz.len() as u64))
}

/// A fresh browser (fresh profile, cold cache) with the app loaded and mounted.
async fn open_app(url: &str) -> Result<Browser> {
    let browser = Browser::start().await?;
    browser.client.goto(url).await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-testid=config-editor]"))
        .await?;
    Ok(browser)
}

/// A fresh browser (cold cache) loads the page: milliseconds from navigation to the
/// app's `playground-mounted` mark and to the first contentful paint.
async fn first_render(url: &str) -> Result<(f64, f64)> {
    let browser = open_app(url).await?;
    let v = browser
        .client
        .execute(
            "const m = performance.getEntriesByName('playground-mounted')[0];\
             const p = performance.getEntriesByName('first-contentful-paint')[0];\
             return [m ? m.startTime : -1, p ? p.startTime : -1];",
            vec![],
        )
        .await?;
    browser.close().await?;
    let v: Vec<f64> = serde_json::from_value(v)?;
    Ok((v[0], v[1]))
}

/// Iterations per second of the spiral preset trained in the page's worker on the
/// CPU backend, sampled over [`SAMPLE`] after [`WARM_UP`] iterations.
async fn browser_speed(url: &str, config: &str) -> Result<f64> {
    let browser = open_app(url).await?;
    let c = &browser.client;
    c.execute(
        "const t = document.querySelector('[data-testid=config-editor]');\
         t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true }));\
         const b = document.querySelector('[data-testid=backend-select]');\
         b.value = 'cpu'; b.dispatchEvent(new Event('change', { bubbles: true }));\
         document.querySelector('[data-testid=train-button]').click();",
        vec![serde_json::json!(config)],
    )
    .await?;
    let iter = || async {
        let el = c.find(Locator::Css("[data-testid=loss-chart]")).await?;
        let v = el.attr("data-iter").await?.unwrap_or_default();
        let device = el.attr("data-device").await?.unwrap_or_default();
        Ok::<_, anyhow::Error>((v.parse::<i64>().unwrap_or(0), device))
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let (start, device) = loop {
        let (at, device) = iter().await?;
        if at >= WARM_UP {
            break (at, device);
        }
        if Instant::now() > deadline {
            bail!("the browser did not reach {WARM_UP} iterations");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if !device.contains("cpu") {
        bail!("the page trains on {device}, not the CPU backend");
    }
    let t0 = Instant::now();
    tokio::time::sleep(SAMPLE).await;
    let (end, _) = iter().await?;
    let secs = t0.elapsed().as_secs_f64();
    browser.close().await?;
    Ok((end - start) as f64 / secs)
}

/// The same preset natively on the CPU backend, through the same `Runner`.
async fn native_speed(config: &str) -> Result<f64> {
    let cfg = ExperimentConfig::from_text(config, &Registries::default())
        .map_err(|e| anyhow::anyhow!("{}: {}", e.path, e.message))?;
    let mut r = Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            write_files: false,
            ..RunnerOptions::default()
        },
    )
    .await?;
    while r.hub.iter < WARM_UP {
        r.train_iter().await?;
    }
    r.flush().await?;
    let t0 = Instant::now();
    while r.hub.iter < WARM_UP + NATIVE_ITERS {
        r.train_iter().await?;
    }
    r.flush().await?;
    Ok(NATIVE_ITERS as f64 / t0.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dist = PathBuf::from(
        args.next()
            .context("usage: web_budgets <dist> [--runs N]")?,
    );
    let runs: usize = match (args.next().as_deref(), args.next()) {
        (Some("--runs"), Some(n)) => n.parse().context("--runs takes a number")?,
        _ => 3,
    };
    let (wasm, raw, gz) = wasm_size(&dist)?;
    let server = StaticServer::start(&dist)?;
    // Long enough that the sample never reaches the end of the run.
    let config = spiral()?.replacen("max_epochs = 100\n", "max_epochs = 1000\n", 1);
    let (mut mounted, mut paint, mut web, mut native) = (vec![], vec![], vec![], vec![]);
    for run in 0..runs {
        eprintln!("web_budgets: run {}/{runs}", run + 1);
        let (m, p) = first_render(&server.url).await?;
        mounted.push(m);
        paint.push(p);
        // Interleaved, so both sides see the same machine load.
        let config2 = config.clone();
        native.push(
            tokio::task::spawn_blocking(move || pollster::block_on(native_speed(&config2)))
                .await??,
        );
        web.push(browser_speed(&server.url, &config).await?);
        eprintln!(
            "web_budgets: mounted {m:.0} ms, paint {p:.0} ms, native {:.0} it/s, browser {:.0} it/s",
            native[run], web[run]
        );
    }
    let (web, native) = (median(web), median(native));
    println!("| budget | measured | target |");
    println!("|---|---|---|");
    println!(
        "| `.wasm` size ({}) | {:.1} MB raw, **{:.2} MB gzipped** | < 3 MB gzipped |",
        wasm.file_name().unwrap_or_default().to_string_lossy(),
        raw as f64 / 1e6,
        gz as f64 / 1e6
    );
    println!(
        "| first render, cold cache (median of {runs}) | app mounted at **{:.0} ms**, first paint {:.0} ms | |",
        median(mounted),
        median(paint)
    );
    println!(
        "| spiral preset, CPU backend, it/s (median of {runs}) | browser worker {web:.0}, native {native:.0}: **{:.2}×** native | |",
        web / native
    );
    Ok(())
}
