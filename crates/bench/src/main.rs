//! `playground-bench`: the native benchmarks against the tools people would use
//! instead, each pair interleaved in this one process, medians of several rounds
//! (`run`), and the renderer of `BENCHMARKS.md` (`report`). `cargo xtask bench` builds
//! it in release, installs the peers, runs everything and writes the report.
//! Benchmarks are not tests: nothing here fails on a timing.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use playground_bench::rows;
use playground_bench::{
    checkpoint, csv_ingest, machine, overhead, peer, precision, report, scaling, schedules, train,
};
use playground_strategy::device::DeviceChoice;

/// mimalloc serves every allocation: the CPU backend allocates a fresh buffer for most
/// tensor operations, and glibc's malloc maps, faults in and unmaps each one over its
/// mmap threshold (27 % of the tiny GPT's training time went to the kernel's page
/// handling; BENCHMARKS.md, "TinyGPT on the CPU").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A group of benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Group {
    /// Training throughput on our CPU backend against PyTorch eager on the CPU.
    Cpu,
    /// The same workloads on our wgpu backend (against PyTorch CUDA where there is one).
    Wgpu,
    /// Saving and loading a ~100 MB checkpoint against torch.save/load and a file copy.
    Checkpoint,
    /// Reading a CSV table into samples against pandas.read_csv.
    Csv,
    /// Schedule simulation against MMEngine's schedulers.
    Schedules,
    /// A training iteration through the strategy against a bare burn loop.
    Overhead,
    /// DDPStrategy on two CPU devices against one device (samples per second), and
    /// over two loopback remote workers.
    Scaling,
    /// AmpOptimWrapper in float16 against the same config in f32 (CPU backend; wgpu
    /// where the adapter offers SHADER_F16).
    Precision,
}

/// Benchmarks against PyTorch, MMEngine, a file copy and a bare burn loop, and the
/// report that puts them side by side.
#[derive(Debug, Parser)]
#[command(name = "playground-bench", about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the native benchmarks and append their rows.
    Run(RunArgs),
    /// Render rows (JSON lines, from every run) into a Markdown report.
    Report(report::ReportArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Only these groups; all when omitted.
    #[arg(long, value_delimiter = ',')]
    only: Vec<Group>,
    /// A Python with torch and mmengine(-lite) (`cargo xtask bench` makes one); the
    /// groups against PyTorch need it.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Append the rows (JSON lines) to this file.
    #[arg(long)]
    rows: Option<PathBuf>,
    /// Interleaved rounds per pair (after one warm-up round).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Threads on the peer's side; ours uses one (burn's CPU backend is built without
    /// rayon). With more cores, a second CPU group gives PyTorch all of them.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Scales the training blocks' lengths (0.1 for a quick look).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Only these training workloads (spiral, wide, digits, gpt) in the cpu, wgpu and
    /// precision groups; all when omitted.
    #[arg(long, value_delimiter = ',', value_parser = workload_name)]
    workloads: Vec<String>,
    /// The wgpu rows are a second run on a cubecl environment an earlier run of this
    /// build filled (`CUBECL_ENVIRONMENT` names it): with `autotune`, its kernel choices
    /// are read back instead of timed again. Their group says so.
    #[arg(long)]
    second_run: bool,
}

/// A training workload's short name, checked against [`train::WORKLOADS`].
fn workload_name(name: &str) -> Result<String, String> {
    let names: Vec<&str> = train::WORKLOADS.iter().map(|w| w.name).collect();
    if names.contains(&name) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "no workload `{name}`: expected one of {}",
            names.join(", ")
        ))
    }
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Run(args) => run(args),
        Task::Report(a) => report::write(&a.rows, &a.out, &a.command),
    }
}

fn run(cli: RunArgs) -> Result<()> {
    let wanted = |g: Group| cli.only.is_empty() || cli.only.contains(&g);
    let machine = machine::describe();
    let rows_file = cli.rows.as_deref();
    let rounds = cli.rounds.max(1);
    if wanted(Group::Scaling) {
        let cpu2 = [DeviceChoice::Cpu, DeviceChoice::Cpu];
        let rows = scaling::run(&cpu2, rounds, cli.scale, &machine)?;
        rows::append(rows_file, &rows)?;
        let rows = scaling::run_remote(rounds, cli.scale, &machine)?;
        rows::append(rows_file, &rows)?;
    }
    if wanted(Group::Precision) {
        let settings = playground_bench::Settings {
            rounds,
            threads: cli.threads,
            scale: cli.scale,
            machine: machine.clone(),
            workloads: cli.workloads.clone(),
        };
        let rows = precision::run(&settings)?;
        rows::append(rows_file, &rows)?;
    }
    let with_peer = [
        Group::Cpu,
        Group::Wgpu,
        Group::Checkpoint,
        Group::Csv,
        Group::Schedules,
    ];
    if !with_peer.into_iter().any(wanted) {
        if wanted(Group::Overhead) {
            let rows = overhead::run(rounds, &machine)?;
            rows::append(rows_file, &rows)?;
        }
        return Ok(());
    }
    let python = cli
        .python
        .as_deref()
        .context("--python: the groups against PyTorch need a Python with torch and mmengine")?;
    let mut peer = peer::Peer::start(python)?;
    let versions = peer.versions()?;
    eprintln!(
        "bench: peer: Python {}, PyTorch {}, MMEngine {}{}",
        versions.python,
        versions.torch,
        versions.mmengine,
        versions
            .cuda
            .as_deref()
            .map(|d| format!(", CUDA device {d}"))
            .unwrap_or_default()
    );
    let settings = playground_bench::Settings {
        rounds,
        threads: cli.threads,
        scale: cli.scale,
        machine: machine.clone(),
        workloads: cli.workloads.clone(),
    };
    if wanted(Group::Cpu) {
        // Our CPU backend uses one thread (burn is built without its `rayon` feature);
        // PyTorch uses every core unless told otherwise. Said, not hidden: a second
        // group gives it every core.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut runs = vec![("CPU training", settings.clone())];
        if cores > settings.threads {
            let every_core = playground_bench::Settings {
                threads: cores,
                ..settings.clone()
            };
            runs.push(("CPU training, PyTorch on every core", every_core));
        }
        for (group, s) in runs {
            train::run(
                &mut peer,
                &versions,
                (DeviceChoice::Cpu, "cpu"),
                group,
                &s,
                rows_file,
            )?;
        }
    }
    if wanted(Group::Wgpu) {
        let peer_device = if versions.cuda.is_some() {
            "cuda"
        } else {
            "cpu"
        };
        // Against PyTorch on CUDA (the GPU kit's machine) the rows are a group of their
        // own, apart from the software adapter's. A build with burn's fusion or autotune
        // gets its own group too (they are compile-time features: `cargo xtask bench
        // --only fusion` builds each).
        let base = if peer_device == "cuda" {
            report::GPU_GROUP
        } else {
            "native wgpu training"
        };
        let mut group = match playground_strategy::env::burn_kernels() {
            "none" => base.to_string(),
            kernels => format!("{base}, burn with {kernels}"),
        };
        if cli.second_run {
            group.push_str(", second run");
        }
        train::run(
            &mut peer,
            &versions,
            (DeviceChoice::Wgpu, peer_device),
            &group,
            &settings,
            rows_file,
        )
        .context("the wgpu group (a Vulkan, Metal or DX12 adapter is needed; lavapipe counts)")?;
    }
    if wanted(Group::Checkpoint) {
        let rows = checkpoint::run(&mut peer, &versions, rounds, &machine)?;
        rows::append(rows_file, &rows)?;
    }
    if wanted(Group::Csv) {
        let rows = csv_ingest::run(&mut peer, rounds, &machine)?;
        rows::append(rows_file, &rows)?;
    }
    if wanted(Group::Schedules) {
        let rows = schedules::run(&mut peer, &versions, rounds, &machine)?;
        rows::append(rows_file, &rows)?;
    }
    if wanted(Group::Overhead) {
        let rows = overhead::run(rounds, &machine)?;
        rows::append(rows_file, &rows)?;
    }
    Ok(())
}
