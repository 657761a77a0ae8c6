//! `playground-cli`: Strategy Playground's configs, run natively.
//!
//! Subcommands grow with the strategy crate:
//! - `env`: the environment report (MMEngine's `collect_env`), optionally proving each
//!   backend computes;
//! - `schedule`: the lr and momentum a config applies at every iteration;
//! - `train`: a config's full run, with MMEngine's logs and checkpoints in the work dir
//!   (`--resume`, `--load-from`);
//! - `test`: a checkpoint's weights on the test (or validation) set;
//! - `inspect`: what a checkpoint holds; `convert`: a checkpoint's weights as plain
//!   safetensors for PyTorch;
//! - `compare`: runs side by side from their work dirs (config differences, final
//!   loss and metrics, `--out curves.svg`);
//! - `curves`: chosen logged scalars (training and validation) against the
//!   iteration, as an SVG;
//! - `worker`: serves this machine's device to trainers elsewhere
//!   (`train --devices ws://HOST:PORT,...`).
//!
//! Exit codes: 0 success, 2 a bad config or bad arguments, 1 anything else.

mod checkpoint_cmd;
mod compare_cmd;
mod curves_cmd;
mod generate_cmd;
mod plot;
mod schedule_cmd;
mod train_cmd;
mod worker_cmd;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use playground_strategy::config::ConfigError;
use playground_strategy::device::{DeviceChoice, init_device, smoke_test};
use playground_strategy::env::{BackendName, collect_env};

/// mimalloc serves every allocation: the CPU backend allocates a fresh buffer for most
/// tensor operations, and glibc's malloc maps, faults in and unmaps each one over its
/// mmap threshold (27 % of the tiny GPT's training time went to the kernel's page
/// handling; BENCHMARKS.md, "TinyGPT on the CPU").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Strategy Playground on the command line.
#[derive(Debug, Parser)]
#[command(name = "playground-cli", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report the environment: platform, backends compiled in, wgpu adapters, and the
    /// backend `--device auto` picks.
    Env {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also run a small matmul and backward pass on every compiled-in backend
        /// that has a device here, and report whether each gave the right numbers.
        #[arg(long)]
        check: bool,
    },
    /// Simulate a config's parameter schedulers over the whole run and print the lr
    /// and momentum of every iteration (table, JSON, SVG or PNG).
    Schedule(schedule_cmd::ScheduleArgs),
    /// Train a config (MMEngine keys, TOML or JSON) to the end, validating as
    /// `train_cfg` says; logs go to `<work_dir>/<timestamp>/`.
    Train(train_cmd::TrainArgs),
    /// Evaluate a checkpoint's weights on the config's test set (or validation set).
    Test(checkpoint_cmd::TestArgs),
    /// Continue a prompt with a sequence model's checkpoint (temperature, top-k, seed).
    Generate(generate_cmd::GenerateArgs),
    /// Compare runs from their work dirs: each config's difference from the first,
    /// final loss and metrics, iterations, backend, wall time; `--out` overlays curves.
    Compare(compare_cmd::CompareArgs),
    /// Draw chosen logged scalars of runs (`--key acc --key token_accuracy/top1`)
    /// against the iteration, as an SVG.
    Curves(curves_cmd::CurvesArgs),
    /// Show a checkpoint: meta, tensor names/shapes/dtypes, optimizer and schedulers.
    Inspect(checkpoint_cmd::InspectArgs),
    /// Write a checkpoint's weights as plain safetensors (PyTorch names and layout).
    Convert(checkpoint_cmd::ConvertArgs),
    /// Serve this machine's device to trainers on other machines (`train --devices
    /// ws://HOST:PORT,...`) until Ctrl-C.
    Worker(worker_cmd::WorkerArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The answer a correct backend gives to `smoke_test`.
const SMOKE_EXPECTED: [f32; 7] = [19.0, 22.0, 43.0, 50.0, 2.0, 4.0, 6.0];

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A config the user can fix is exit code 2, like a usage error.
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Env { format, check } => env(format, check),
        Command::Schedule(args) => schedule_cmd::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Train(args) => train_cmd::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Test(args) => checkpoint_cmd::test(&args).map(|()| ExitCode::SUCCESS),
        Command::Generate(args) => generate_cmd::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Compare(args) => compare_cmd::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Curves(args) => curves_cmd::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Inspect(args) => checkpoint_cmd::inspect(&args).map(|()| ExitCode::SUCCESS),
        Command::Convert(args) => checkpoint_cmd::convert(&args).map(|()| ExitCode::SUCCESS),
        Command::Worker(args) => worker_cmd::run(&args).map(|()| ExitCode::SUCCESS),
    }
}

fn env(format: Format, check: bool) -> Result<ExitCode> {
    let report = pollster::block_on(collect_env());
    let checks = if check {
        run_checks(
            &report.backends_compiled,
            !report.wgpu.adapters().is_empty(),
        )
    } else {
        Vec::new()
    };
    match format {
        Format::Text => {
            println!("{report}");
            for c in &checks {
                println!("  check {:<14} {}", c.backend.to_string(), c.outcome);
            }
        }
        Format::Json => {
            let mut value = serde_json::to_value(&report).context("serialising the report")?;
            if check {
                value["checks"] = serde_json::Value::Array(
                    checks
                        .iter()
                        .map(|c| serde_json::json!({"backend": c.backend, "ok": c.ok, "outcome": c.outcome}))
                        .collect(),
                );
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&value).context("serialising the report")?
            );
        }
    }
    Ok(if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

struct Check {
    backend: BackendName,
    ok: bool,
    outcome: String,
}

fn run_checks(compiled: &[BackendName], has_adapter: bool) -> Vec<Check> {
    compiled
        .iter()
        .filter(|b| **b != BackendName::Wgpu || has_adapter)
        .filter_map(|&backend| {
            let choice = match backend {
                BackendName::Cpu => DeviceChoice::Cpu,
                BackendName::Wgpu => DeviceChoice::Wgpu,
                // A remote device is checked by connecting to it (`train --devices`).
                BackendName::Remote => return None,
            };
            let result = pollster::block_on(async {
                let ready = init_device(choice).await?;
                let out = smoke_test(&ready).await?;
                Ok::<_, playground_strategy::Error>((ready.description, out))
            });
            Some(match result {
                Ok((device, out)) if out == SMOKE_EXPECTED => Check {
                    backend,
                    ok: true,
                    outcome: format!("ok on {device}"),
                },
                Ok((device, out)) => Check {
                    backend,
                    ok: false,
                    outcome: format!("WRONG on {device}: got {out:?}, expected {SMOKE_EXPECTED:?}"),
                },
                Err(e) => Check {
                    backend,
                    ok: false,
                    outcome: format!("failed: {e}"),
                },
            })
        })
        .collect()
}
