//! `compare`: runs side by side from their work dirs: a table of each run's config
//! difference from the first, final loss and metrics, the last iteration logged
//! (LoggerHook's `ignore_last` may skip an epoch's last one), backend and wall time, and (`--out curves.svg`) their loss and metric curves overlaid.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use playground_strategy::runs::{RunRecord, config_diff};
use plotters::prelude::*;

use crate::plot::{COLORS, register_font};

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Work dirs (their latest run) or run log dirs (`<work_dir>/<timestamp>`); the
    /// first is the reference the others' configs are compared with.
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// Also write the runs' loss and metric curves, overlaid, as an SVG.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The run log dir of `path`: itself when it holds `vis_data/scalars.json`, else its
/// latest timestamped subfolder that does.
pub(crate) fn run_dir(path: &Path) -> Result<PathBuf> {
    if path.join("vis_data/scalars.json").is_file() {
        return Ok(path.to_path_buf());
    }
    let mut runs: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("vis_data/scalars.json").is_file())
        .collect();
    runs.sort();
    runs.pop().ok_or_else(|| {
        anyhow!(
            "{}: no run here (expected <timestamp>/vis_data/scalars.json, which `playground-cli train` writes)",
            path.display()
        )
    })
}

/// Seconds between the first and the last timestamped line of a text log
/// (`2026/12/01 06:12:10 - …`), and the devices its banner names.
fn from_log(log: &str) -> (Option<f64>, String) {
    let stamp =
        |l: &str| chrono::NaiveDateTime::parse_from_str(l.get(..19)?, "%Y/%m/%d %H:%M:%S").ok();
    let first = log.lines().find_map(stamp);
    let last = log.lines().rev().find_map(stamp);
    let wall = first
        .zip(last)
        .map(|(a, b)| (b - a).num_milliseconds() as f64 / 1000.0);
    let backend = log
        .lines()
        .find_map(|l| l.split_once("Strategy Playground "))
        .and_then(|(_, rest)| rest.split(" · ").nth(2).map(str::to_string))
        .unwrap_or_else(|| "?".into());
    (wall, backend)
}

fn read_run(path: &Path) -> Result<RunRecord> {
    let dir = run_dir(path)?;
    let scalars_path = dir.join("vis_data/scalars.json");
    let scalars = std::fs::read_to_string(&scalars_path)
        .with_context(|| format!("cannot read {}", scalars_path.display()))?;
    let config_path = dir.join("vis_data/config.json");
    let config = match std::fs::read_to_string(&config_path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{}: not JSON", config_path.display()))?,
        Err(_) => serde_json::Value::Null,
    };
    let name = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let (wall_s, backend) = from_log(&log);
    let mut run = RunRecord {
        name: path.display().to_string(),
        config,
        wall_s,
        backend,
        ..RunRecord::default()
    };
    let skipped = run.read_scalars(&scalars);
    if skipped > 0 {
        eprintln!(
            "{}: {skipped} line(s) that are not JSON records skipped",
            scalars_path.display()
        );
    }
    if run.loss.is_empty() {
        bail!(
            "{}: no training records (is the run still starting?)",
            scalars_path.display()
        );
    }
    Ok(run)
}

/// Runs `compare`.
pub fn run(args: &CompareArgs) -> Result<()> {
    let runs = args
        .runs
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<Vec<_>>>()?;
    let metrics: Vec<String> = {
        let mut keys: Vec<String> = runs
            .iter()
            .flat_map(|r| r.final_metrics().into_keys())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let mut header = vec![
        "#".to_string(),
        "run".into(),
        "last logged iter".into(),
        "final loss".into(),
    ];
    header.extend(metrics.iter().map(|m| format!("val {m}")));
    header.extend(["wall".into(), "backend".into(), "config vs run 1".into()]);
    let mut rows = vec![header];
    for (i, r) in runs.iter().enumerate() {
        let finals = r.final_metrics();
        let mut row = vec![
            (i + 1).to_string(),
            r.name.clone(),
            r.iterations().to_string(),
            r.final_loss().map_or("-".into(), |l| format!("{l:.4}")),
        ];
        row.extend(
            metrics
                .iter()
                .map(|m| finals.get(m).map_or("-".into(), |v| format!("{v:.4}"))),
        );
        row.push(r.wall_s.map_or("-".into(), |s| format!("{s:.0} s")));
        row.push(r.backend.clone());
        row.push(if i == 0 {
            "(reference)".into()
        } else if r.config.is_null() || runs[0].config.is_null() {
            "(no vis_data/config.json)".into()
        } else {
            let d = config_diff(&runs[0].config, &r.config);
            if d.is_empty() {
                "same config".into()
            } else {
                d.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        });
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if c + 1 == row.len() {
                    v.clone()
                } else {
                    format!("{v:<w$}")
                }
            })
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    if let Some(out) = &args.out {
        let svg = curves_svg(&runs, metrics.first().map(String::as_str))?;
        playground_strategy::checkpoint::files::write_atomic(out, svg.as_bytes())?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// Loss by iteration (left) and the first metric by validation step (right), one
/// colour per run.
fn curves_svg(runs: &[RunRecord], metric: Option<&str>) -> Result<String> {
    register_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (1200, 480)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<std::io::Error>| anyhow!("drawing the chart: {e}");
        root.fill(&WHITE).map_err(err)?;
        let (left, right) = root.split_horizontally(600);
        let max_iter = runs
            .iter()
            .map(RunRecord::iterations)
            .max()
            .unwrap_or(1)
            .max(1);
        let max_loss = runs
            .iter()
            .flat_map(|r| r.loss.iter().map(|p| p.1))
            .fold(0.0f64, f64::max)
            .max(1e-9);
        let mut chart = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0i64..max_iter, 0f64..max_loss * 1.05)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("iteration")
            .y_desc("loss")
            .draw()
            .map_err(err)?;
        for (k, r) in runs.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    r.loss.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(format!("{} {}", k + 1, r.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(err)?;
        if let Some(m) = metric {
            let points: Vec<Vec<(i64, f64)>> = runs
                .iter()
                .map(|r| {
                    r.val
                        .iter()
                        .filter_map(|(s, v)| v.get(m).map(|x| (*s, *x)))
                        .collect()
                })
                .collect();
            let all = points.iter().flatten();
            let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            let max_step = points
                .iter()
                .flatten()
                .map(|p| p.0)
                .max()
                .unwrap_or(1)
                .max(1);
            let pad = ((hi - lo) * 0.05).max(1e-6);
            let mut chart = ChartBuilder::on(&right)
                .caption(format!("validation {m}"), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0i64..max_step, (lo - pad)..(hi + pad))
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("step (epoch or iteration)")
                .y_desc(m)
                .draw()
                .map_err(err)?;
            for (k, p) in points.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(p.iter().copied(), color.stroke_width(2)))
                    .map_err(err)?
                    .label(format!("{}", k + 1))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .border_style(BLACK.mix(0.3))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(text)
}
