//! The browser benchmarks (`cargo xtask bench --only web` runs this on the release
//! bundle), in one headless Chromium session per round:
//!
//! - training speed of the same MLPs in the web app's Web Worker (our CPU backend in
//!   wasm; WebGPU when the browser offers it) against TensorFlow.js from npm (its cpu
//!   and wasm backends; its webgl backend against our WebGPU) on a page served beside
//!   it;
//! - the download, gzipped: the app's `.wasm` and JS against TensorFlow.js's scripts
//!   and `.wasm`;
//! - the time to first render of the app (no peer).
//!
//! `web_bench --dist <trunk dist> --tfjs <node_modules> [--rows FILE] [--rounds N]`.
//! Rows are printed and appended to `--rows` for `BENCHMARKS.md`. Not a test: nothing
//! asserts a timing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use fantoccini::Locator;
use playground_bench::rows::{self, Row};
use playground_bench::stats::median;
use playground_tests::browser::Browser;
use playground_tests::static_server::StaticServer;
use serde_json::{Value, json};

/// Iterations trained before timing (kernel set-up, allocator warm-up).
const WARM_UP: i64 = 30;
/// How long each training measurement samples, ours and the peer's.
const SAMPLE: Duration = Duration::from_secs(6);

/// Browser benchmarks against TensorFlow.js.
#[derive(Debug, Parser)]
struct Cli {
    /// The trunk release build of the web app.
    #[arg(long)]
    dist: PathBuf,
    /// A `node_modules` with `@tensorflow/tfjs` and `@tensorflow/tfjs-backend-wasm`.
    #[arg(long)]
    tfjs: PathBuf,
    /// Append the rows (JSON lines) to this file.
    #[arg(long)]
    rows: Option<PathBuf>,
    /// Rounds (each a fresh browser), medians over them.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Only these sides (ours-cpu, tfjs-cpu, tfjs-wasm, ours-wgpu, tfjs-webgl), e.g. to
    /// profile one; no rows are written then.
    #[arg(long, value_delimiter = ',')]
    sides: Vec<String>,
}

/// A workload: its label and config file (relative to the workspace root).
struct Workload {
    label: &'static str,
    config: &'static str,
}

const WORKLOADS: [Workload; 2] = [
    Workload {
        label: "spiral MLP 2-32-32-2 (tanh), batch 16, Adam",
        config: "crates/bench/workloads/spiral_mlp.toml",
    },
    Workload {
        label: "wide MLP 784-256-10 (ReLU), batch 64, SGD momentum",
        config: "crates/bench/workloads/wide_mlp.toml",
    },
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The config text for the app, long enough that a sample never reaches its end, and
/// the same model and optimizer for TensorFlow.js.
fn workload(w: &Workload) -> Result<(String, Value)> {
    let path = root().join(w.config);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let cfg: Value =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let epochs = cfg["train_cfg"]["max_epochs"]
        .as_i64()
        .with_context(|| format!("{}: train_cfg.max_epochs", path.display()))?;
    let text = text.replacen(
        &format!("max_epochs = {epochs}\n"),
        "max_epochs = 100000\n",
        1,
    );
    let model = &cfg["model"];
    let dataset = &cfg["train_dataloader"]["dataset"];
    let total = dataset["num_samples"]
        .as_f64()
        .context("dataset.num_samples")?;
    let val_ratio = dataset["val_ratio"].as_f64().unwrap_or(0.2);
    let spec = json!({
        "inFeatures": model["in_features"],
        "hidden": model["hidden_sizes"],
        "classes": model["num_classes"],
        "activation": model["activation"],
        "batch": cfg["train_dataloader"]["batch_size"],
        "samples": total - (total * val_ratio).floor(),
        "optimizer": cfg["optim_wrapper"]["optimizer"],
    });
    Ok((text, spec))
}

fn gzipped(paths: &[PathBuf]) -> Result<f64> {
    let mut total = 0;
    for p in paths {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        total += gz.finish()?.len();
    }
    Ok(total as f64 / 1e6)
}

/// The app's download: its `.wasm` and `.js` files.
fn our_files(dist: &Path) -> Result<Vec<PathBuf>> {
    let files: Vec<PathBuf> = std::fs::read_dir(dist)
        .with_context(|| format!("reading {}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm" || e == "js"))
        .collect();
    if !files
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "wasm"))
    {
        bail!("no .wasm in {}", dist.display());
    }
    Ok(files)
}

/// TensorFlow.js's files, copied beside the peer page into `dir`.
fn tfjs_page(node_modules: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
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
async fn open_app(browser: &Browser, url: &str) -> Result<()> {
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
async fn first_render(url: &str) -> Result<(f64, f64)> {
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

/// Iterations per second of `config` trained in the app's worker on `backend`
/// (`cpu` or `wgpu`), sampled over [`SAMPLE`] after [`WARM_UP`] iterations. Returns the
/// speed and the device the page reports.
async fn app_speed(
    browser: &Browser,
    url: &str,
    config: &str,
    backend: &str,
) -> Result<(f64, String)> {
    open_app(browser, url).await?;
    let c = &browser.client;
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
    let deadline = Instant::now() + Duration::from_secs(300);
    let (start, device) = loop {
        let (at, device) = iter().await?;
        if at >= WARM_UP {
            break (at, device);
        }
        if Instant::now() > deadline {
            bail!("the app did not reach {WARM_UP} iterations on {backend} in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let expected = if backend == "cpu" { "cpu" } else { "webgpu" };
    if !device.contains(expected) {
        bail!("asked for {backend}, the page trains on {device:?}");
    }
    let t0 = Instant::now();
    tokio::time::sleep(SAMPLE).await;
    let (end, _) = iter().await?;
    let secs = t0.elapsed().as_secs_f64();
    Ok(((end - start) as f64 / secs, device))
}

/// TensorFlow.js's iterations per second on `backend`, on the peer page.
async fn tfjs_speed(
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

fn chromium_version() -> String {
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

/// One side of a training comparison: ours on a backend, or TensorFlow.js on one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Ours(&'static str),
    Tfjs(&'static str),
}

impl Side {
    fn name(self) -> String {
        match self {
            Side::Ours(b) => format!("ours-{b}"),
            Side::Tfjs(b) => format!("tfjs-{b}"),
        }
    }
}

const SIDES: [Side; 5] = [
    Side::Ours("cpu"),
    Side::Tfjs("cpu"),
    Side::Tfjs("wasm"),
    Side::Ours("wgpu"),
    // TensorFlow.js's webgpu backend fails on SwiftShader ("createBuffer failed, size
    // (64) is too large for the implementation when mappedAtCreation == true"); webgl
    // is its default GPU backend.
    Side::Tfjs("webgl"),
];

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let machine = format!(
        "{} headless on {}",
        chromium_version(),
        playground_bench::machine::describe()
    );
    let peer_dir = tempfile::tempdir()?;
    let tfjs_files = tfjs_page(&cli.tfjs, peer_dir.path())?;
    let app = StaticServer::start(&cli.dist)?;
    let peer = StaticServer::start(peer_dir.path())?;
    let peer_url = format!("{}/tfjs.html", peer.url);
    let workloads: Vec<(String, Value)> = WORKLOADS.iter().map(workload).collect::<Result<_>>()?;

    // speeds[workload][side] over rounds; what the pages said about their devices.
    let mut speeds = vec![vec![Vec::new(); SIDES.len()]; WORKLOADS.len()];
    let mut devices = vec![String::new(); SIDES.len()];
    let (mut mounted, mut paint) = (Vec::new(), Vec::new());
    let mut tfjs_version = String::from("?");
    let rounds = cli.rounds.max(1);
    for round in 0..rounds {
        eprintln!("web_bench: round {}/{rounds}", round + 1);
        let (m, p) = first_render(&app.url).await?;
        mounted.push(m);
        paint.push(p);
        let browser = Browser::start().await?;
        for (wi, (config, spec)) in workloads.iter().enumerate() {
            // Alternate the order every round, so no side always runs first.
            let mut order: Vec<usize> = (0..SIDES.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for si in order {
                if !cli.sides.is_empty() && !cli.sides.contains(&SIDES[si].name()) {
                    continue;
                }
                let (speed, device) = match SIDES[si] {
                    Side::Ours(backend) => app_speed(&browser, &app.url, config, backend).await?,
                    Side::Tfjs(backend) => {
                        let (speed, info) = tfjs_speed(&browser, &peer_url, spec, backend).await?;
                        tfjs_version = info["version"].as_str().unwrap_or("?").to_string();
                        let device = match backend {
                            "wasm" => format!(
                                "wasm, SIMD {}, threads {}",
                                info["wasmSimd"], info["wasmThreads"]
                            ),
                            other => other.to_string(),
                        };
                        (speed, device)
                    }
                };
                eprintln!(
                    "web_bench: {} {:?}: {speed:.1} it/s ({device})",
                    WORKLOADS[wi].label, SIDES[si]
                );
                speeds[wi][si].push(speed);
                devices[si] = device;
            }
        }
        browser.close().await?;
    }

    if !cli.sides.is_empty() {
        return Ok(());
    }
    let mut out = Vec::new();
    let note = format!(
        "median of {rounds} rounds (a fresh browser each), sides alternating; each sample {} s after {WARM_UP} warm-up iterations; ours in the app's Web Worker (reporting to the page included), TensorFlow.js on its page's thread; 1 thread both (TensorFlow.js's threaded wasm needs cross-origin isolation, which the page does not have)",
        SAMPLE.as_secs()
    );
    for (wi, w) in WORKLOADS.iter().enumerate() {
        let med = |si: usize| median(speeds[wi][si].clone());
        for (ours, peer) in [(0, 1), (0, 2), (3, 4)] {
            let (Side::Ours(ob), Side::Tfjs(pb)) = (SIDES[ours], SIDES[peer]) else {
                continue;
            };
            out.push(Row {
                group: "browser training".into(),
                workload: format!(
                    "{}: ours on {}",
                    w.label,
                    if ob == "cpu" {
                        "the CPU backend in wasm"
                    } else {
                        "WebGPU"
                    },
                ),
                ours: med(ours),
                peer: format!(
                    "TensorFlow.js {tfjs_version}, {pb} backend ({})",
                    devices[peer]
                ),
                peer_value: Some(med(peer)),
                unit: "it/s".into(),
                higher_is_better: true,
                machine: if ob == "cpu" {
                    machine.clone()
                } else {
                    format!("{machine}; WebGPU and WebGL are SwiftShader (on the CPU) here")
                },
                note: note.clone(),
            });
        }
    }
    let ours_files = our_files(&cli.dist)?;
    out.push(Row {
        group: "web bundle".into(),
        workload: "download, gzipped (level 9): the whole app (.wasm + .js) against the library alone".into(),
        ours: gzipped(&ours_files)?,
        peer: format!("TensorFlow.js {tfjs_version}: tf.min.js (cpu + webgl backends) and the wasm backend (.js + SIMD .wasm)"),
        peer_value: Some(gzipped(&tfjs_files)?),
        unit: "MB".into(),
        higher_is_better: false,
        machine: "any".into(),
        note: "our bundle is the trunk release build (`wasm-release`: opt-level \"s\", thin LTO, no wasm-opt) and holds the app, the strategy, burn's CPU backend and its WebGPU backend with the kernel compiler".into(),
    });
    out.push(Row {
        group: "web bundle".into(),
        workload: "time to first render, cold cache: navigation → app mounted".into(),
        ours: median(mounted),
        peer: format!("none (first contentful paint at {:.0} ms)", median(paint)),
        peer_value: None,
        unit: "ms".into(),
        higher_is_better: false,
        machine: machine.clone(),
        note: format!("median of {rounds} fresh browsers, served from 127.0.0.1"),
    });
    rows::append(cli.rows.as_deref(), &out)
}
