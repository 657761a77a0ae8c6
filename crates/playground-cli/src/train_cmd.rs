//! `playground-cli train`: a config's full run, natively, on the CPU backend or a GPU.
//!
//! On a terminal a progress bar shows the iteration, ETA, loss and lr, with the log
//! lines printed above it; otherwise (a pipe, CI) the log lines are printed plainly.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use playground_strategy::config::{ExperimentConfig, Registries, Resume};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::error::RunError;
use playground_strategy::runner::log::{Level, LogSink, Progress, format_eta};
use playground_strategy::runner::{Runner, RunnerOptions};

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The config file (.toml or .json, MMEngine keys).
    pub config: PathBuf,
    /// Where checkpoints and logs go (default: the config's `work_dir`, else `work_dirs`).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Overrides, `key.path=value` (values are TOML literals), as MMEngine's --cfg-options.
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    pub cfg_options: Vec<String>,
    /// The backend: `auto` prefers a hardware GPU adapter, else the CPU backend.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto, conflicts_with = "devices")]
    pub device: DeviceArg,
    /// Several devices, one data-parallel rank each (DDPStrategy): a comma-separated
    /// list of `cpu`, `wgpu`, `wgpu:K` (the K-th discrete GPU), e.g. `cpu,cpu`.
    #[arg(long, value_name = "LIST", value_parser = parse_devices)]
    pub devices: Option<Devices>,
    /// Never draw a progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Resume: from PATH, or (no value) from the work dir's `last_checkpoint`.
    #[arg(long, num_args = 0..=1, value_name = "PATH", default_missing_value = "")]
    pub resume: Option<String>,
    /// Start from these weights (not the optimizer or schedule).
    #[arg(long, value_name = "PATH")]
    pub load_from: Option<PathBuf>,
}

/// `--device`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// A hardware GPU through wgpu when one is found, else the CPU backend.
    Auto,
    /// burn's CPU backend (burn-flex).
    Cpu,
    /// burn's wgpu backend (Vulkan, Metal or DX12).
    Wgpu,
}

impl From<DeviceArg> for DeviceChoice {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Auto => Self::Auto,
            DeviceArg::Cpu => Self::Cpu,
            DeviceArg::Wgpu => Self::Wgpu,
        }
    }
}

/// `--devices`: the parsed list.
#[derive(Debug, Clone)]
pub struct Devices(pub Vec<DeviceChoice>);

fn parse_devices(s: &str) -> Result<Devices, String> {
    playground_strategy::device::parse_device_list(s)
        .map(Devices)
        .map_err(|e| e.to_string())
}

/// Prints log lines, above a progress bar on a terminal.
struct Terminal {
    bar: Option<ProgressBar>,
}

impl LogSink for Terminal {
    fn line(&mut self, level: Level, text: &str) {
        let line = if level >= Level::Warning {
            format!("{level}: {text}")
        } else {
            text.to_string()
        };
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    fn progress(&mut self, p: &Progress) {
        let Some(bar) = &self.bar else { return };
        if bar.length() != Some(p.max_iters as u64) {
            bar.set_length(p.max_iters as u64);
        }
        bar.set_position(p.iter as u64);
        let mut msg = Vec::new();
        if let Some(loss) = p.loss {
            msg.push(format!("loss {loss:.4}"));
        }
        for (k, v) in &p.lr {
            msg.push(format!("{k} {v:.3e}"));
        }
        if let Some(eta) = p.eta_s {
            msg.push(format!("eta {}", format_eta(eta)));
        }
        bar.set_message(msg.join("  "));
    }
}

/// Turns a run error into the CLI's error, keeping config errors recognisable (exit 2)
/// and naming the config file.
pub fn cli_error(e: RunError, config: &std::path::Path) -> anyhow::Error {
    match e {
        RunError::Config(c) => anyhow::Error::new(c.in_file(config)),
        other => anyhow::Error::new(other),
    }
}

/// Runs `train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    let device = DeviceChoice::from(args.device);
    let mut cfg = ExperimentConfig::load(&args.config, &args.cfg_options, &Registries::default())?;
    match args.resume.as_deref() {
        None => {}
        Some("") => cfg.resume = Resume::Latest,
        Some(p) => cfg.resume = Resume::Path(p.to_string()),
    }
    if let Some(p) = &args.load_from {
        cfg.load_from = Some(p.to_string_lossy().into_owned());
    }
    // Ctrl-C: finish the current iteration, save a checkpoint, exit cleanly.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed (tests call `run` once per process).
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let bar = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let terminal = Arc::new(Mutex::new(Terminal { bar: bar.clone() }));
    let name = args
        .config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    let outcome = pollster::block_on(async {
        let mut runner = Runner::from_config(
            cfg,
            RunnerOptions {
                device,
                devices: args.devices.clone().map(|d| d.0).unwrap_or_default(),
                work_dir: args.work_dir.clone(),
                experiment_name: name,
                sinks: vec![Box::new(terminal.clone())],
                ..RunnerOptions::default()
            },
        )
        .await?;
        runner.load_or_resume()?;
        while runner.train_iter().await? {
            if stop.load(Ordering::SeqCst) {
                let path = runner
                    .strategy
                    .work_dir
                    .join(format!("iter_{}.safetensors", runner.hub.iter));
                runner.save_checkpoint(&path).await?;
                runner.strategy.logger.warning(format!(
                    "interrupted: saved {} (resume with --resume)",
                    path.display()
                ));
                return Ok::<_, RunError>((
                    runner.strategy.log_dir.clone(),
                    runner.last_val.clone(),
                    true,
                    None,
                ));
            }
        }
        Ok::<_, RunError>((
            runner.strategy.log_dir.clone(),
            runner.last_val.clone(),
            false,
            runner
                .stopped_early
                .clone()
                .map(|why| (runner.hub.iter, runner.hub.max_iters, why)),
        ))
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (log_dir, metrics, interrupted, early) = outcome.map_err(|e| cli_error(e, &args.config))?;
    if interrupted {
        std::process::exit(130);
    }
    if let Some((iter, max_iters, why)) = early {
        println!(
            "stopped early at iteration {iter} of {max_iters} by EarlyStoppingHook: {}",
            why.trim_end()
        );
    }
    let summary: Vec<String> = metrics
        .iter()
        .map(|(k, v)| format!("{k}: {v:.4}"))
        .collect();
    if !summary.is_empty() {
        println!("final validation: {}", summary.join("  "));
    }
    println!(
        "logs: {}",
        std::fs::canonicalize(&log_dir)
            .with_context(|| format!("the log directory {}", log_dir.display()))?
            .display()
    );
    Ok(())
}
