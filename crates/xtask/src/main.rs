//! Repository tasks, run as `cargo xtask <task>`:
//!
//! - `serve`: build the web app with trunk and serve it on http://127.0.0.1:8080.
//! - `test`: every test: native (with wgpu on a real Vulkan adapter), the strategy
//!   crate's and the web app's wasm tests in headless Chromium, and the browser smoke
//!   test on the web app's release bundle.
//! - `bench`: every benchmark against its peer (PyTorch + MMEngine, TensorFlow.js, a
//!   file copy, a bare burn loop), written to `BENCHMARKS.md`.
//! - `gpu-kit`: pack the GPU rows' benchmark for a machine with a GPU and no network
//!   (`crates/bench/gpu/run.sh` runs it there).
//! - `setup`: only install what the other tasks need.
//! - `gen-data`: write the example tables in `public/data/csv/` (seeded).
//!
//! Every task first installs what is missing, idempotently and without downloading
//! anything from outside the package registries (crates.io, Debian, PyPI, npm).

mod bench;
mod context;
mod gen_data;
mod gpu_kit;
mod kept_rows;
mod serve;
mod test;
mod tools;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Strategy Playground's task runner.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the web app and serve it on http://127.0.0.1:8080 with a preset loaded.
    Serve {
        /// Port to serve on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Run every test: native, wgpu on Vulkan, wasm in headless Chromium, the web app.
    Test {
        /// Only these stages (native, wasm, web); all when omitted.
        #[arg(long, value_delimiter = ',')]
        only: Vec<test::Stage>,
    },
    /// Run every benchmark against its peer and write BENCHMARKS.md (ratios; nothing
    /// fails on a timing).
    Bench {
        /// Only these stages; all when omitted.
        #[arg(long, value_delimiter = ',')]
        only: Vec<bench::Stage>,
        /// Interleaved rounds per comparison (the browser stage uses at most 3).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Keep these rows (`gpu.jsonl`, written by `crates/bench/gpu/run.sh` on a GPU
        /// machine) as the GPU's, then render; no stage runs unless `--only` names one.
        #[arg(long, value_name = "FILE")]
        gpu_rows: Option<std::path::PathBuf>,
    },
    /// Pack two release builds of the bench and the peer's wheels into gpu-kit/, for
    /// `crates/bench/gpu/run.sh` on a machine with a GPU and no network.
    GpuKit,
    /// Install the toolchain pieces and system packages the other tasks use.
    Setup,
    /// Write the example CSV tables in public/data/csv (from a fixed seed).
    GenData,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = context::Context::new().and_then(|ctx| match cli.task {
        Task::Serve { port } => serve::run(&ctx, port),
        Task::Test { only } => test::run(&ctx, &only),
        Task::Bench {
            only,
            rounds,
            gpu_rows,
        } => bench::run(&ctx, &only, rounds, gpu_rows.as_deref()),
        Task::GpuKit => gpu_kit::run(&ctx),
        Task::Setup => tools::ensure_all(&ctx),
        Task::GenData => gen_data::run(&ctx.root),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
