//! The browser benchmarks (`cargo xtask bench --only web` runs this on the release
//! bundle), in one headless Chromium session per round:
//!
//! - training speed of the same MLPs in the web app's Web Worker (our CPU backend in
//!   wasm; WebGPU when the browser offers it) against TensorFlow.js from npm (its cpu
//!   and wasm backends; its webgl backend against our WebGPU) on a page served beside
//!   it;
//! - tokens per second of the sorting preset's tiny GPT in the app's worker, against
//!   PyTorch + MMEngine training the same config natively on this machine's CPU (one
//!   thread, as the page has), the peer process of the native benchmarks: no browser
//!   runs PyTorch, so this row compares the browser with the native tool people use;
//! - the download, gzipped: the first screen's files and the trainer's (fetched on the
//!   first Train) against TensorFlow.js's scripts and `.wasm`;
//! - the time to first render of the app (no peer).
//!
//! With `--kernels`, the bundle is one built with burn's `fusion` and/or `autotune`
//! (`cargo xtask bench --only web-fusion` builds each): the training rows go to groups
//! of their own ("browser training, burn with fusion"), after the trainer's own
//! environment report has confirmed what it was built with.
//!
//! `web_bench --dist <trunk dist> --tfjs <node_modules> [--python <venv python>]
//! [--rows FILE] [--rounds N] [--workloads ...] [--sides ...] [--kernels LABEL]`.
//! Rows are printed and appended to `--rows` for `BENCHMARKS.md`. Not a test: nothing
//! asserts a timing.

mod pages;
mod torch;
mod workloads;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use playground_bench::rows::{self, Row};
use playground_bench::stats::median;
use playground_tests::browser::Browser;
use playground_tests::bundle::{Bundle, gzipped_mb};
use playground_tests::static_server::StaticServer;
use serde_json::{Value, json};

use pages::{
    app_speed, chromium_version, first_render, tfjs_package_version, tfjs_page, tfjs_speed,
    trainer_report,
};
use workloads::{Kind, WORKLOADS, Workload};

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
    /// Only these workloads (spiral, wide, gpt; `none` for only the download and the
    /// first render); all when omitted. The rows of the others keep their earlier
    /// tables in `BENCHMARKS.md`.
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// The bench venv's Python (torch, mmengine-lite): the peer of the sequence
    /// workload; without it that workload is skipped.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Only these sides (ours-cpu, tfjs-cpu, tfjs-wasm, ours-wgpu, tfjs-webgl,
    /// torch-cpu), e.g. to profile one; rows are written for the pairs measured.
    #[arg(long, value_delimiter = ',')]
    sides: Vec<String>,
    /// The wgpu kernel options the bundle's trainer was built with, as the strategy's
    /// environment report words them (`none`, `fusion`, `autotune`, `fusion +
    /// autotune`): the trainer must report them, and the training rows go to groups of
    /// their own (the fusion comparison's; `none` is its baseline, measured in the same
    /// run). The bundle's download and first-render rows are not written.
    #[arg(long)]
    kernels: Option<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The config text for the app, long enough that a sample never reaches its end, and
/// (an MLP's) the same model and optimizer for TensorFlow.js.
fn workload(w: &Workload) -> Result<(String, Option<Value>)> {
    let path = root().join(w.config);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let cfg: Value =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    if let Kind::Sequence { .. } = w.kind {
        return Ok((with_options(&text, &torch::OPTIONS, &path)?, None));
    }
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
    Ok((text, Some(spec)))
}

/// `text` with `section.key=integer` options applied (what `--cfg-options` does to the
/// peer's copy of the same file).
fn with_options(text: &str, options: &[&str], path: &Path) -> Result<String> {
    let mut table: toml::Table =
        toml::from_str(text).with_context(|| format!("parsing {}", path.display()))?;
    for option in options {
        let (key, value) = option.split_once('=').context("an option is key=value")?;
        let (section, key) = key.split_once('.').context("an option is section.key")?;
        let value: i64 = value.parse().context("an integer option")?;
        let section = table
            .get_mut(section)
            .and_then(toml::Value::as_table_mut)
            .with_context(|| format!("{}: no [{section}]", path.display()))?;
        section.insert(key.to_string(), toml::Value::Integer(value));
    }
    Ok(toml::to_string(&table)?)
}

/// One side of a training comparison: ours on a backend, TensorFlow.js on one, or
/// PyTorch natively.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Ours(&'static str),
    Tfjs(&'static str),
    Torch,
}

impl Side {
    fn name(self) -> String {
        match self {
            Side::Ours(b) => format!("ours-{b}"),
            Side::Tfjs(b) => format!("tfjs-{b}"),
            Side::Torch => "torch-cpu".into(),
        }
    }

    /// Whether this side measures `kind`: TensorFlow.js the MLPs, PyTorch the sequence
    /// model, ours both.
    fn runs(self, kind: Kind) -> bool {
        match self {
            Side::Ours(_) => true,
            Side::Tfjs(_) => kind == Kind::Mlp,
            Side::Torch => kind != Kind::Mlp,
        }
    }
}

const SIDES: [Side; 6] = [
    Side::Ours("cpu"),
    Side::Tfjs("cpu"),
    Side::Tfjs("wasm"),
    Side::Ours("wgpu"),
    // TensorFlow.js's webgpu backend fails on SwiftShader ("createBuffer failed, size
    // (64) is too large for the implementation when mappedAtCreation == true"); webgl
    // is its default GPU backend.
    Side::Tfjs("webgl"),
    Side::Torch,
];

/// The pairs of [`SIDES`] a row compares: ours on the CPU backend against TensorFlow.js's
/// cpu and wasm backends, ours on WebGPU against its webgl (MLPs); ours on both against
/// PyTorch (the sequence model).
const PAIRS: [(usize, usize); 5] = [(0, 1), (0, 2), (3, 4), (0, 5), (3, 5)];

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(unknown) = cli
        .workloads
        .iter()
        .find(|w| *w != "none" && !WORKLOADS.iter().any(|k| k.name == w.as_str()))
    {
        bail!("--workloads: no workload {unknown:?} (spiral, wide, gpt or none)");
    }
    let machine = format!(
        "{} headless on {}",
        chromium_version(),
        playground_bench::machine::describe()
    );
    let peer_dir = tempfile::tempdir()?;
    let tfjs_files = tfjs_page(&cli.tfjs, peer_dir.path())?;
    let app = StaticServer::start(&cli.dist)?;
    let kernels = cli.kernels.as_deref().unwrap_or("none");
    {
        // The trainer says what it was built with; a bundle that is not the one named
        // would put its numbers under the wrong heading.
        let browser = Browser::start().await?;
        let report = trainer_report(&browser, &app.url).await?;
        browser.close().await?;
        let reported = report["burn_kernels"]
            .as_str()
            .unwrap_or("unknown (an older build)");
        if reported != kernels {
            bail!(
                "{}: the trainer was built with wgpu kernel options {reported:?}, not {kernels:?}",
                cli.dist.display()
            );
        }
        eprintln!("web_bench: the trainer reports wgpu kernel options: {reported}");
    }
    let peer = StaticServer::start(peer_dir.path())?;
    let peer_url = format!("{}/tfjs.html", peer.url);
    let workloads: Vec<(String, Option<Value>)> =
        WORKLOADS.iter().map(workload).collect::<Result<_>>()?;
    let mut torch = match &cli.python {
        Some(python) => Some(torch::Torch::start(python)?),
        None => {
            eprintln!("web_bench: no --python: the sequence workload has no peer and is skipped");
            None
        }
    };

    // speeds[workload][side] over rounds; what the pages said about their devices.
    let mut speeds = vec![vec![Vec::new(); SIDES.len()]; WORKLOADS.len()];
    // Seconds from Train to our first progress report, [workload][side].
    let mut first_reports = vec![vec![Vec::new(); SIDES.len()]; WORKLOADS.len()];
    // With autotune: a second Train of ours on WebGPU in the same browser, whose tuning
    // results cubecl kept in the origin's private file system: (first report s, it/s).
    let tuned = kernels.contains("autotune") && !kernels.contains("uncached");
    let mut second_runs = vec![Vec::new(); WORKLOADS.len()];
    let mut devices = vec![String::new(); SIDES.len()];
    // (workload, side, round, error) whose measurement failed: not tried again (the
    // GPT on SwiftShader fails by running out of time, each round); its row, if an
    // earlier round measured it, says in how many rounds it was measured and why not.
    let mut failed: Vec<(usize, usize, usize, String)> = Vec::new();
    let (mut mounted, mut paint) = (Vec::new(), Vec::new());
    // The installed package's version; the pages report theirs as they load.
    let mut tfjs_version = tfjs_package_version(&cli.tfjs)?;
    let rounds = cli.rounds.max(1);
    for round in 0..rounds {
        eprintln!("web_bench: round {}/{rounds}", round + 1);
        let (m, p) = first_render(&app.url).await?;
        mounted.push(m);
        paint.push(p);
        let browser = Browser::start().await?;
        for (wi, (config, spec)) in workloads.iter().enumerate() {
            let kind = WORKLOADS[wi].kind;
            let chosen =
                cli.workloads.is_empty() || cli.workloads.iter().any(|w| w == WORKLOADS[wi].name);
            if !chosen || (kind != Kind::Mlp && torch.is_none()) {
                continue;
            }
            // Alternate the order every round, so no side always runs first.
            let mut order: Vec<usize> = (0..SIDES.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for si in order {
                let side = SIDES[si];
                if !side.runs(kind)
                    || (!cli.sides.is_empty() && !cli.sides.contains(&side.name()))
                    || failed.iter().any(|f| (f.0, f.1) == (wi, si))
                {
                    continue;
                }
                let (speed, device) = match (side, spec) {
                    (Side::Ours(backend), _) => {
                        // A side that fails (the GPT on SwiftShader) loses its row only.
                        let m = match app_speed(&browser, &app.url, config, backend).await {
                            Ok(m) => m,
                            Err(e) => {
                                let label = WORKLOADS[wi].label;
                                eprintln!("web_bench: no row for {label} {side:?}: {e:#}");
                                failed.push((wi, si, round + 1, format!("{e:#}")));
                                continue;
                            }
                        };
                        first_reports[wi][si].push(m.first_report_s);
                        if tuned && backend == "wgpu" {
                            let again = app_speed(&browser, &app.url, config, backend).await?;
                            eprintln!(
                                "web_bench: {} again in the same browser: first report after {:.1} s, {:.1} it/s",
                                WORKLOADS[wi].label, again.first_report_s, again.speed
                            );
                            second_runs[wi].push((again.first_report_s, again.speed));
                        }
                        (m.speed, m.device)
                    }
                    (Side::Tfjs(backend), Some(spec)) => {
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
                    (Side::Torch, _) => match torch.as_mut() {
                        Some(t) => (t.speed(&root().join(WORKLOADS[wi].config))?, "cpu".into()),
                        None => continue,
                    },
                    (Side::Tfjs(_), None) => continue,
                };
                eprintln!(
                    "web_bench: {} {:?}: {speed:.1} it/s ({device})",
                    WORKLOADS[wi].label, side
                );
                speeds[wi][si].push(speed);
                devices[si] = device;
            }
        }
        browser.close().await?;
    }

    let mut out = Vec::new();
    let note = format!(
        "median of {rounds} rounds (a fresh browser each), sides alternating; ours timed from a progress report after {WARM_UP} warm-up iterations to the first report at least {} s later, TensorFlow.js for {} s after as many; ours in the app's Web Worker (reporting to the page included), TensorFlow.js on its page's thread; 1 thread both (TensorFlow.js's threaded wasm needs cross-origin isolation, which the page does not have)",
        SAMPLE.as_secs(),
        SAMPLE.as_secs()
    );
    let torch_note = format!(
        "median of {rounds} rounds, sides alternating; ours: the preset with max_iters and val_interval at 10,000,000, in the app's Web Worker (1 thread; reporting to the page included), timed from a progress report after {WARM_UP} warm-up iterations to the first report at least {} s later; the peer: the same file with the same two options, PyTorch eager + MMEngine's OptimWrapper and schedulers natively on this machine's CPU, 1 thread, a block of about {} s after {WARM_UP} warm-up iterations, losses read at the config's logger interval; no browser runs PyTorch, so this compares the page with the native tool",
        SAMPLE.as_secs(),
        SAMPLE.as_secs()
    );
    let torch_name = torch.as_ref().map(torch::Torch::name).unwrap_or_default();
    // The groups: the default bundle's, or their own for a bundle with kernel options.
    let group = |base: &str| match cli.kernels.as_deref() {
        None => base.to_string(),
        Some("none") => format!("{base}, burn without fusion or autotune"),
        Some(k) => format!("{base}, burn with {k}"),
    };
    for (wi, w) in WORKLOADS.iter().enumerate() {
        let med = |si: usize| median(speeds[wi][si].clone());
        let first = |si: usize| {
            let mut text = format!(
                "; our first progress report came {:.1} s after Train (median; the trainer's start, the first chunk and the kernels it compiles)",
                median(first_reports[wi][si].clone())
            );
            if let Some((.., round, e)) = failed.iter().find(|f| (f.0, f.1) == (wi, si)) {
                let e = e.lines().next().unwrap_or_default();
                text.push_str(&format!(
                    "; measured in {} of {rounds} rounds: round {round} failed ({e}), and the later ones did not try again",
                    speeds[wi][si].len()
                ));
            }
            if SIDES[si] == Side::Ours("wgpu") && !second_runs[wi].is_empty() {
                let (firsts, speeds): (Vec<f64>, Vec<f64>) =
                    second_runs[wi].iter().copied().unzip();
                text.push_str(&format!(
                    "; a second Train in the same browser, autotune's choices read back from the origin's private file system: first report after {:.1} s, {:.3} it/s (medians)",
                    median(firsts),
                    median(speeds)
                ));
            }
            text
        };
        for (ours, peer) in PAIRS {
            let (Side::Ours(ob), peer_side) = (SIDES[ours], SIDES[peer]) else {
                continue;
            };
            if !peer_side.runs(w.kind) || speeds[wi][peer].is_empty() || speeds[wi][ours].is_empty()
            {
                continue;
            }
            let on = if ob == "cpu" {
                "the CPU backend in wasm"
            } else {
                "WebGPU"
            };
            let machine = if ob == "cpu" {
                machine.clone()
            } else {
                format!("{machine}; WebGPU and WebGL are SwiftShader (on the CPU) here")
            };
            let row = match (peer_side, w.kind) {
                (Side::Tfjs(pb), _) => Row {
                    group: group("browser training"),
                    workload: format!("{}: ours on {on}", w.label),
                    ours: med(ours),
                    peer: format!(
                        "TensorFlow.js {tfjs_version}, {pb} backend ({})",
                        devices[peer]
                    ),
                    peer_value: Some(med(peer)),
                    unit: "it/s".into(),
                    higher_is_better: true,
                    machine,
                    note: format!("{note}{}", first(ours)),
                },
                (_, Kind::Sequence { tokens }) => Row {
                    group: group("browser sequence training"),
                    workload: format!("{}: ours on {on}", w.label),
                    ours: med(ours) * tokens as f64,
                    peer: torch_name.clone(),
                    peer_value: Some(med(peer) * tokens as f64),
                    unit: "tokens/s".into(),
                    higher_is_better: true,
                    machine,
                    note: format!("{torch_note}{}", first(ours)),
                },
                _ => continue,
            };
            out.push(row);
        }
    }
    if cli.kernels.is_some() {
        return rows::append(cli.rows.as_deref(), &out);
    }
    let bundle = Bundle::read(&cli.dist)?;
    let tfjs_mb = gzipped_mb(&tfjs_files)?;
    let tfjs_peer = format!(
        "TensorFlow.js {tfjs_version}: tf.min.js (cpu + webgl backends) and the wasm backend (.js + SIMD .wasm)"
    );
    out.push(Row {
        group: "web bundle".into(),
        workload: "download, gzipped (level 9): the first screen (index.html, CSS, favicon, the page's .js + .wasm) against the library alone".into(),
        ours: gzipped_mb(&bundle.page)?,
        peer: tfjs_peer.clone(),
        peer_value: Some(tfjs_mb),
        unit: "MB".into(),
        higher_is_better: false,
        machine: "any".into(),
        note: "the page's module (trunk release build, `wasm-release`: opt-level \"s\", thin LTO, then `wasm-opt -Oz`, binaryen 132) holds the app and the strategy crate's configs, schedulers and plan; no backend is reachable from it, so the linker leaves burn's backends out (budget: 3 MB, checked by `cargo xtask test`)".into(),
    });
    out.push(Row {
        group: "web bundle".into(),
        workload: "download, gzipped (level 9): the trainer, fetched on the first Train (the worker's .js + .wasm) against the library alone".into(),
        ours: gzipped_mb(&bundle.trainer)?,
        peer: tfjs_peer,
        peer_value: Some(tfjs_mb),
        unit: "MB".into(),
        higher_is_better: false,
        machine: "any".into(),
        note: "the worker's module (the same build, no wasm-opt) holds the strategy, burn's CPU backend and its WebGPU backend with the kernel compiler".into(),
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
