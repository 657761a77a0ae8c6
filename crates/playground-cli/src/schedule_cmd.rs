//! `playground-cli schedule`: the lr/momentum a config applies at every iteration.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::plan::{Curves, Series, simulate_world};

use crate::plot;

/// Arguments of `schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The config file (.toml or .json, MMEngine keys).
    pub config: PathBuf,
    /// Iterations per epoch (default: from train_dataloader's batch_size and its
    /// dataset's size, when the config says them).
    #[arg(long)]
    pub iters_per_epoch: Option<i64>,
    /// Overrides, `key.path=value` (values are TOML literals), as MMEngine's --cfg-options.
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    pub cfg_options: Vec<String>,
    /// The number of data-parallel ranks the run will have (`train --devices` with
    /// that many devices): each rank's epoch is its share of the data, and
    /// `auto_scale_lr` sees the global batch.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub world_size: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScheduleFormat::Table)]
    pub format: ScheduleFormat,
    /// Write here instead of standard output (required for png).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail (exit code 2) on any error in the config, also in parts the schedule does
    /// not use (the web editor's check before Train). Without it those are warnings.
    #[arg(long)]
    pub strict: bool,
}

/// Output formats of `schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleFormat {
    /// A readable summary.
    Table,
    /// `{"iterations": N, "lr": [...], "momentum": [...]}` (stable interface).
    Json,
    /// The curves as an SVG chart.
    Svg,
    /// The curves as a PNG chart.
    Png,
}

/// Runs `schedule`. Config mistakes come back as `ConfigError` (exit code 2).
pub fn run(args: &ScheduleArgs) -> Result<()> {
    let registries = Registries::default();
    let cfg = if args.strict {
        ExperimentConfig::load(&args.config, &args.cfg_options, &registries)?
    } else {
        ExperimentConfig::load_checked(&args.config, &args.cfg_options, &registries)?
    };
    // The schedule's own sections must be right; what it does not use is a warning.
    if args.world_size > 1 {
        playground_strategy::config::resolve_strategy(cfg.strategy, args.world_size as usize)?;
    }
    let curves = simulate_world(&cfg, args.iters_per_epoch, args.world_size)?;
    for problem in &cfg.problems {
        eprintln!("warning: {problem} (not used by the schedule; training would refuse it)");
    }
    let title = args
        .config
        .file_name()
        .map_or_else(|| "schedule".into(), |n| n.to_string_lossy().into_owned());
    match args.format {
        ScheduleFormat::Json => {
            let text =
                serde_json::to_string(&curves.to_json()).context("serialising the curves")?;
            emit(args.out.as_deref(), format!("{text}\n").as_bytes())
        }
        ScheduleFormat::Table => emit(args.out.as_deref(), table(&curves).as_bytes()),
        ScheduleFormat::Svg => emit(args.out.as_deref(), plot::svg(&curves, &title)?.as_bytes()),
        ScheduleFormat::Png => {
            let Some(out) = &args.out else {
                bail!("--format png writes a file: pass --out FILE.png");
            };
            let png = plot::png(&curves, &title)?;
            write_atomic(out, &png)
        }
    }
}

fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .context("writing to standard output")?;
            stdout.flush().context("writing to standard output")
        }
    }
}

/// Temp file in the same folder, fsync, rename: a crash never leaves half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// The summary: each scheduler's window, the value at the iterations where a phase
/// starts or ends or the value jumps (plus the deciles), and each curve's range.
pub fn table(curves: &Curves) -> String {
    let mut out = String::new();
    let epochs = curves.iters_per_epoch.filter(|_| curves.by_epoch);
    out.push_str(&format!(
        "{} iterations{}\n",
        curves.iterations,
        epochs.map_or_else(String::new, |l| format!(
            " ({} epochs of {l})",
            curves.iterations as i64 / l
        ))
    ));
    for s in &curves.series {
        let name = s
            .optimizer
            .as_deref()
            .map_or_else(String::new, |n| format!("[{n}] "));
        for p in &s.phases {
            if p.steps {
                out.push_str(&format!(
                    "{name}{:<16} {:<13} iterations {}..{}\n",
                    p.scheduler, p.param_name, p.start, p.end
                ));
            } else {
                out.push_str(&format!(
                    "{name}{:<16} {:<13} applied once: epoch-based, never steps in an iteration-based loop\n",
                    p.scheduler, p.param_name
                ));
            }
        }
        out.push_str(&format!(
            "\n{name}{:>10}  {:>7}  {:>14}  {:>10}\n",
            "iteration", "epoch", "lr", "momentum"
        ));
        for i in key_iterations(s) {
            let epoch = epochs.map_or_else(|| "-".to_string(), |l| (i as i64 / l).to_string());
            let momentum = s
                .momentum
                .as_ref()
                .map_or_else(|| "-".to_string(), |m| format!("{:.6}", m[i]));
            out.push_str(&format!(
                "{name}{i:>10}  {epoch:>7}  {:>14.8e}  {momentum:>10}\n",
                s.lr[i]
            ));
        }
        let (min_i, max_i) = extremes(&s.lr);
        out.push_str(&format!(
            "{name}lr min {:.8e} at iteration {min_i}, max {:.8e} at iteration {max_i}\n",
            s.lr[min_i], s.lr[max_i]
        ));
        if let Some(m) = &s.momentum {
            let (lo, hi) = extremes(m);
            out.push_str(&format!(
                "{name}momentum min {:.6} at iteration {lo}, max {:.6} at iteration {hi}\n",
                m[lo], m[hi]
            ));
        }
        out.push('\n');
    }
    out
}

fn extremes(v: &[f64]) -> (usize, usize) {
    let mut lo = 0;
    let mut hi = 0;
    for (i, x) in v.iter().enumerate() {
        if *x < v[lo] {
            lo = i;
        }
        if *x > v[hi] {
            hi = i;
        }
    }
    (lo, hi)
}

/// Iterations worth a row: phase starts and ends, jumps of more than 20% in one
/// iteration (steps, milestones, restarts), the deciles, and the last iteration.
/// At most 40 rows: the deciles go first when thinning.
fn key_iterations(s: &Series) -> Vec<usize> {
    let n = s.lr.len();
    if n == 0 {
        return Vec::new();
    }
    let mut must: std::collections::BTreeSet<usize> = [0, n - 1].into();
    for p in s.phases.iter().filter(|p| p.steps) {
        for i in [p.start, p.end.saturating_sub(1), p.end] {
            if i < n {
                must.insert(i);
            }
        }
    }
    let jump = |v: &[f64], i: usize| (v[i] - v[i - 1]).abs() > 0.2 * v[i].abs().max(v[i - 1].abs());
    let jumps: Vec<usize> = (1..n)
        .filter(|&i| jump(&s.lr, i) || s.momentum.as_deref().is_some_and(|m| jump(m, i)))
        .collect();
    let deciles: Vec<usize> = (1..10).map(|k| k * (n - 1) / 10).collect();
    let mut rows = must.clone();
    for i in jumps.into_iter().chain(deciles) {
        if rows.len() >= 40 {
            break;
        }
        rows.insert(i);
    }
    rows.into_iter().collect()
}
