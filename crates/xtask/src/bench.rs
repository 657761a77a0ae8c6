//! `cargo xtask bench`: every benchmark, each against the tool people would use
//! instead, then `BENCHMARKS.md`. Benchmarks are never tests: they print measurements
//! and ratios, and nothing fails on a timing.
//!
//! Each stage writes its rows (JSON lines) to `<target>/bench/<stage>.jsonl` while it
//! runs; once it has finished, they replace the stage's rows kept in the repository
//! (`crates/bench/rows/<stage>.jsonl`, committed with the report they render), so the
//! measurements outlive the machine and the report can be rendered again from them. The
//! report is rendered from every stage's kept rows; a group without rows keeps its
//! earlier table in `BENCHMARKS.md` (the renderer's own rule), so `--only web` refreshes
//! the browser's tables and keeps the others.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::ValueEnum;

use crate::context::{Context, exec};
use crate::{kept_rows, tools};

/// A group of benchmarks that needs its own build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// `playground-bench` (release): CPU and wgpu training against PyTorch + MMEngine,
    /// checkpoint I/O against torch.save/load and a file copy, schedules against
    /// MMEngine, the strategy against a bare burn loop.
    Native,
    /// The release web bundle in headless Chromium: training against TensorFlow.js,
    /// the download against TensorFlow.js's, the time to first render.
    Web,
    /// `playground-bench` (release): DDPStrategy on two CPU devices against one.
    Scaling,
    /// `playground-bench` (release): AmpOptimWrapper in float16 against f32.
    Precision,
    /// `playground-bench` (release) built with burn's `fusion`, `autotune` and both:
    /// the wgpu training rows of each build (the default build's are `native`'s).
    Fusion,
    /// The release web bundle built with neither of burn's `fusion` and `autotune`,
    /// each, and both: the trainer's WebGPU rows of each build in headless Chromium, in
    /// one run (the CPU backend is the same in every build).
    WebFusion,
}

impl Stage {
    /// The stage's name: its kept rows' file name and its `--only` value.
    fn name(self) -> &'static str {
        match self {
            Stage::Native => "native",
            Stage::Web => "web",
            Stage::Scaling => "scaling",
            Stage::Precision => "precision",
            Stage::Fusion => "fusion",
            Stage::WebFusion => "web-fusion",
        }
    }
}

/// Keeps `gpu_rows` (the GPU kit's) if given, runs the chosen stages (all when `only` is
/// empty and no GPU rows are given), then writes `BENCHMARKS.md`.
pub fn run(ctx: &Context, only: &[Stage], rounds: usize, gpu_rows: Option<&Path>) -> Result<()> {
    let wanted = |s: Stage| only.contains(&s) || (only.is_empty() && gpu_rows.is_none());
    let dir = ctx.target_dir.join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let rows = |s: Stage| dir.join(format!("{}.jsonl", s.name()));
    let native = [
        Stage::Native,
        Stage::Scaling,
        Stage::Precision,
        Stage::Fusion,
    ];
    let release_bench = native.iter().any(|s| wanted(*s));
    let bench = ctx.target_dir.join("release").join("playground-bench");
    // The report's renderer: the release bench's where it is built.
    let built = release_bench.then_some(bench.as_path());
    if release_bench {
        eprintln!(
            "xtask: [bench] building playground-bench (release; the first build of burn in release takes about 30 minutes)"
        );
        build_bench(ctx, None)?;
    }
    if let Some(measured) = gpu_rows {
        keep_gpu_rows(ctx, measured, &dir, built)?;
    }
    if wanted(Stage::Native) {
        let python = tools::ensure_bench_python(ctx)?;
        let out = fresh(rows(Stage::Native))?;
        eprintln!(
            "xtask: [bench native] ours against PyTorch + MMEngine, a file copy, a bare burn loop"
        );
        run_groups(
            ctx.command(&bench),
            Some(&python),
            &out,
            rounds,
            "cpu,wgpu,checkpoint,csv,schedules,overhead",
            &[],
        )?;
        keep(ctx, Stage::Native, &out)?;
    }
    if wanted(Stage::Scaling) {
        let out = fresh(rows(Stage::Scaling))?;
        eprintln!("xtask: [bench scaling] DDPStrategy on two CPU devices against one");
        run_groups(ctx.command(&bench), None, &out, rounds, "scaling", &[])?;
        keep(ctx, Stage::Scaling, &out)?;
    }
    if wanted(Stage::Precision) {
        let out = fresh(rows(Stage::Precision))?;
        eprintln!("xtask: [bench precision] AmpOptimWrapper (float16) against f32");
        run_groups(ctx.command(&bench), None, &out, rounds, "precision", &[])?;
        keep(ctx, Stage::Precision, &out)?;
    }
    if wanted(Stage::Fusion) {
        let python = tools::ensure_bench_python(ctx)?;
        let out = fresh(rows(Stage::Fusion))?;
        // Each combination is its own burn build (compile-time features); the binary is
        // kept under a name of its own, since the next build replaces the default one.
        for features in ["fusion", "autotune", "fusion,autotune"] {
            eprintln!("xtask: [bench fusion] building playground-bench with burn's {features}");
            build_bench(ctx, Some(features))?;
            let kept = dir.join(format!("playground-bench-{}", features.replace(',', "-")));
            std::fs::copy(&bench, &kept)
                .with_context(|| format!("copying {} to {}", bench.display(), kept.display()))?;
            eprintln!("xtask: [bench fusion] wgpu training with burn's {features}");
            if !features.contains("autotune") {
                run_groups(ctx.command(&kept), Some(&python), &out, rounds, "wgpu", &[])?;
                continue;
            }
            // autotune keeps its choices in a cubecl environment (burn's `persistence`):
            // a fresh one for this build, run twice, so the first run tunes from nothing
            // and the second reads the choices back.
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let env = format!("bench-{}-{stamp}", features.replace(',', "-"));
            for args in [&[][..], &["--second-run"][..]] {
                if !args.is_empty() {
                    eprintln!(
                        "xtask: [bench fusion] again, on the environment {env} the first run filled"
                    );
                }
                let mut cmd = ctx.command(&kept);
                cmd.env("CUBECL_ENVIRONMENT", &env);
                run_groups(cmd, Some(&python), &out, rounds, "wgpu", args)?;
            }
        }
        keep(ctx, Stage::Fusion, &out)?;
    }
    if wanted(Stage::Web) {
        let dist = crate::serve::build_web_release(ctx)?;
        let out = fresh(rows(Stage::Web))?;
        eprintln!("xtask: [bench web] the app against TensorFlow.js in headless Chromium");
        web_bench(ctx, &dist, &out, rounds, &[])?;
        keep(ctx, Stage::Web, &out)?;
    }
    if wanted(Stage::WebFusion) {
        let out = fresh(rows(Stage::WebFusion))?;
        // Each combination is its own release bundle (compile-time features of the
        // trainer's burn), in a folder of its own; only the WebGPU sides and their peers.
        // The shipped bundle first: the baseline, measured in the same run.
        for (features, label) in [
            (None, "none"),
            (Some("fusion"), "fusion"),
            (Some("autotune"), "autotune"),
            // autotune without its cache in the origin's private file system: tells a
            // failure of autotune's from one of its cache's (BENCHMARKS.md).
            (Some("autotune-uncached"), "autotune (uncached)"),
            (Some("fusion,autotune"), "fusion + autotune"),
        ] {
            let features_named = features.unwrap_or("neither fusion nor autotune");
            eprintln!(
                "xtask: [bench web-fusion] building the web bundle with burn's {features_named}"
            );
            let dist = crate::serve::build_web_bundle(ctx, features)?;
            eprintln!("xtask: [bench web-fusion] WebGPU training with burn's {features_named}");
            // A build whose trainer fails (autotune's did, 2026-12-06) loses its rows, not
            // the other builds'.
            let measured = web_bench(
                ctx,
                &dist,
                &out,
                rounds,
                // The MLPs: the tiny GPT on SwiftShader's WebGPU does not reach its 30
                // warm-up iterations in web_bench's 300 s (BENCHMARKS.md).
                &[
                    "--kernels",
                    label,
                    "--workloads",
                    "spiral,wide",
                    "--sides",
                    "ours-wgpu,tfjs-webgl",
                ],
            );
            if let Err(e) = measured {
                eprintln!("xtask: [bench web-fusion] no rows with burn's {features_named}: {e:#}");
            }
        }
        keep(ctx, Stage::WebFusion, &out)?;
    }
    // Every stage's kept rows, in the report's order.
    let rows_dir = ctx.root.join(kept_rows::DIR);
    let (text, missing) = kept_rows::gather(&rows_dir, &REPORT_ORDER);
    let all = dir.join("all.jsonl");
    std::fs::write(&all, text).with_context(|| format!("writing {}", all.display()))?;
    if missing.contains(&GPU) {
        eprintln!(
            "xtask: [bench] no GPU rows kept yet: measure them on a machine with a GPU \
             (`cargo xtask gpu-kit` here, `bash crates/bench/gpu/run.sh gpu-kit` there), then \
             `cargo xtask bench --gpu-rows gpu-out/gpu.jsonl`"
        );
    }
    let missing: Vec<&str> = missing.into_iter().filter(|s| *s != GPU).collect();
    if !missing.is_empty() {
        eprintln!(
            "xtask: [bench] no kept rows yet for the stage(s) {} ({}): their groups keep the \
             tables BENCHMARKS.md has (`cargo xtask bench --only {}` measures them)",
            missing.join(", "),
            kept_rows::DIR,
            missing.join(","),
        );
    }
    let out = ctx.root.join("BENCHMARKS.md");
    exec(
        renderer(ctx, built)
            .arg("--rows")
            .arg(&all)
            .arg("--out")
            .arg(&out),
    )
}

/// The report's renderer, `--rows` and `--out` still to give: `built`, the release
/// bench, where this run built it; otherwise the tests' dev build of the same renderer
/// (the `bench_report` example), which the browser stage has built already.
fn renderer(ctx: &Context, built: Option<&Path>) -> std::process::Command {
    if let Some(bench) = built {
        let mut cmd = ctx.command(bench);
        cmd.arg("report");
        cmd
    } else {
        let mut cmd = ctx.command("cargo");
        cmd.args(["run", "--locked", "--example", "bench_report", "--"]);
        cmd
    }
}

/// Keeps `measured` (the GPU kit's `gpu.jsonl`) as the GPU's rows. The renderer reads
/// them first, into a scratch report: a file that is not benchmark rows is refused with
/// its line named, and an empty one too, before the kept rows change.
fn keep_gpu_rows(ctx: &Context, measured: &Path, dir: &Path, built: Option<&Path>) -> Result<()> {
    let scratch = dir.join("gpu-rows-check.md");
    // A scratch report left by an earlier check would lend its tables to this one.
    let _ = std::fs::remove_file(&scratch);
    exec(
        renderer(ctx, built)
            .arg("--rows")
            .arg(measured)
            .arg("--out")
            .arg(&scratch),
    )
    .with_context(|| format!("{} is not benchmark rows", measured.display()))?;
    let kept = ctx.root.join(kept_rows::DIR).join(format!("{GPU}.jsonl"));
    if !kept_rows::keep(measured, &kept)? {
        bail!(
            "{}: no rows (the GPU run measured nothing; its run.log says why)",
            measured.display()
        );
    }
    eprintln!(
        "xtask: [bench] GPU rows from {} kept in {}",
        measured.display(),
        kept.display()
    );
    Ok(())
}

/// The kept rows measured on a GPU machine by the GPU kit (not a stage: no GPU here).
const GPU: &str = "gpu";

/// The kept rows' names (the stages' and [`GPU`]) in the order their sections appear in
/// `BENCHMARKS.md`.
const REPORT_ORDER: [&str; 7] = [
    "native",
    GPU,
    "fusion",
    "scaling",
    "precision",
    "web",
    "web-fusion",
];

/// Keeps `measured`, a finished stage's rows, as that stage's rows in the repository.
fn keep(ctx: &Context, stage: Stage, measured: &Path) -> Result<()> {
    let kept = ctx
        .root
        .join(kept_rows::DIR)
        .join(format!("{}.jsonl", stage.name()));
    if kept_rows::keep(measured, &kept)? {
        eprintln!(
            "xtask: [bench {}] rows kept in {}",
            stage.name(),
            kept.display()
        );
    } else {
        eprintln!(
            "xtask: [bench {}] no rows measured; the kept ones stay",
            stage.name()
        );
    }
    Ok(())
}

/// `bench run --only <groups> <extra>` (`bench`: the bench binary's command, with any
/// extra environment), its rows appended to `out`; the PyTorch peer runs on `python`
/// where the groups need it. Mesa's shader cache is off, so a wgpu run's first iteration
/// compiles its kernels as a machine's first run does, whichever run came before.
fn run_groups(
    mut bench: std::process::Command,
    python: Option<&Path>,
    out: &Path,
    rounds: usize,
    groups: &str,
    extra: &[&str],
) -> Result<()> {
    bench
        .env("MESA_SHADER_CACHE_DISABLE", "true")
        .arg("run")
        .args(extra);
    if let Some(python) = python {
        bench.arg("--python").arg(python);
    }
    exec(
        bench
            .arg("--rows")
            .arg(out)
            .args(["--rounds", &rounds.to_string()])
            .args(["--only", groups]),
    )
}

/// The release build of `playground-bench`, with burn's kernel `features` if any. One
/// package selection for every release build of the bench: no other burn build.
pub fn build_bench(ctx: &Context, features: Option<&str>) -> Result<()> {
    let mut cmd = ctx.command("cargo");
    cmd.args(["build", "--locked", "--release", "-p", "playground-bench"]);
    if let Some(features) = features {
        cmd.args(["--features", features]);
    }
    exec(&mut cmd)
}

/// `web_bench` on the bundle in `dist` (TensorFlow.js and the PyTorch peer installed
/// first), its rows appended to `out`, with `extra` arguments.
fn web_bench(ctx: &Context, dist: &Path, out: &Path, rounds: usize, extra: &[&str]) -> Result<()> {
    let node_modules = tools::ensure_tfjs(ctx)?;
    let python = tools::ensure_bench_python(ctx)?;
    // The default members' selection, as in the tests: no second native burn build.
    exec(
        ctx.command("cargo")
            .args(["run", "--locked", "--example", "web_bench", "--"])
            .arg("--dist")
            .arg(dist)
            .arg("--tfjs")
            .arg(&node_modules)
            .arg("--python")
            .arg(&python)
            .arg("--rows")
            .arg(out)
            .args(["--rounds", &rounds.min(3).to_string()])
            .args(extra),
    )
}

/// `path`, emptied.
fn fresh(path: PathBuf) -> Result<PathBuf> {
    std::fs::write(&path, "").with_context(|| format!("emptying {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    use super::{GPU, REPORT_ORDER, Stage};

    #[test]
    fn every_stage_and_the_gpu_rows_have_a_place_in_the_report() {
        for stage in Stage::value_variants() {
            assert!(
                REPORT_ORDER.contains(&stage.name()),
                "{} has no place in REPORT_ORDER",
                stage.name()
            );
        }
        assert!(REPORT_ORDER.contains(&GPU));
        assert_eq!(REPORT_ORDER.len(), Stage::value_variants().len() + 1);
    }
}
