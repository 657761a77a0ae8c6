//! `curves`: chosen logged scalars of one or more runs (training and validation
//! keys alike, e.g. `acc` and `token_accuracy/top1`) against the iteration, as an SVG;
//! `--log-x` for runs whose story spans decades (grokking).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use playground_strategy::base::ConfigError;
use playground_strategy::runs::{scalar_keys, scalar_series};
use plotters::prelude::*;

use crate::compare_cmd::run_dir;
use crate::plot::{COLORS, register_font};

/// Arguments of `curves`.
#[derive(Debug, Args)]
pub struct CurvesArgs {
    /// Work dirs (their latest run) or run log dirs (`<work_dir>/<timestamp>`).
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// A scalar to draw, as `scalars.json` names it (`loss`, `acc`,
    /// `token_accuracy/top1`, `lr`, …); repeat for several.
    #[arg(long = "key", required = true)]
    pub keys: Vec<String>,
    /// The SVG to write.
    #[arg(long)]
    pub out: PathBuf,
    /// A logarithmic iteration axis.
    #[arg(long)]
    pub log_x: bool,
    /// The chart's title.
    #[arg(long, default_value = "")]
    pub title: String,
    /// A legend name for each `--key`, in order (default: the key).
    #[arg(long = "label")]
    pub labels: Vec<String>,
}

/// One line of the chart.
struct Line {
    label: String,
    points: Vec<(i64, f64)>,
}

/// Reads every run's series and writes the chart. A key no run logged is a
/// `ConfigError` (exit 2) that lists the keys there are.
pub fn run(args: &CurvesArgs) -> Result<()> {
    if args.labels.len() > args.keys.len() {
        return Err(ConfigError {
            file: None,
            path: "--label".into(),
            message: format!(
                "{} labels for {} keys: give one per --key, in order",
                args.labels.len(),
                args.keys.len()
            ),
        }
        .into());
    }
    let mut lines = Vec::new();
    for (i, path) in args.runs.iter().enumerate() {
        let dir = run_dir(path)?;
        let file = dir.join("vis_data/scalars.json");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for (k, key) in args.keys.iter().enumerate() {
            let name = args.labels.get(k).unwrap_or(key);
            let points = scalar_series(&text, key);
            if points.is_empty() {
                let known = scalar_keys(&text);
                return Err(ConfigError {
                    file: Some(file),
                    path: format!("--key {key}"),
                    message: format!("this run logs no `{key}`; it logs: {}", known.join(", ")),
                }
                .into());
            }
            let label = if args.runs.len() > 1 {
                format!("{} {name}", i + 1)
            } else {
                name.clone()
            };
            lines.push(Line { label, points });
        }
    }
    let svg = draw(&lines, args)?;
    playground_strategy::checkpoint::files::write_atomic(&args.out, svg.as_bytes())?;
    println!("wrote {}", args.out.display());
    Ok(())
}

fn draw(lines: &[Line], args: &CurvesArgs) -> Result<String> {
    register_font()?;
    let first = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .min()
        .unwrap_or(0);
    let last = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .max()
        .unwrap_or(1);
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let y = (lo - pad)..(hi + pad);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (960, 540)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<std::io::Error>| anyhow!("drawing the chart: {e}");
        root.fill(&WHITE).map_err(err)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&args.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(60);
        let series = |l: &Line| {
            l.points
                .iter()
                .map(|&(x, v)| (x.max(1) as f64, v))
                .collect::<Vec<_>>()
        };
        macro_rules! plot {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc("iteration")
                    .x_labels(10)
                    .max_light_lines(2)
                    .x_label_formatter(&|x| format!("{x:.0}"))
                    .y_label_formatter(&|v| {
                        if (hi - lo).abs() >= 10.0 {
                            format!("{v:.0}")
                        } else {
                            format!("{v:.3}")
                        }
                    })
                    .draw()
                    .map_err(err)?;
                for (k, l) in lines.iter().enumerate() {
                    let color = COLORS[k % COLORS.len()];
                    chart
                        .draw_series(LineSeries::new(series(l), color.stroke_width(2)))
                        .map_err(err)?
                        .label(l.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .draw()
                    .map_err(err)?;
            }};
        }
        let (x0, x1) = (first.max(1) as f64, last.max(2) as f64);
        if args.log_x {
            plot!(
                builder
                    .build_cartesian_2d((x0..x1).log_scale(), y)
                    .map_err(err)?
            );
        } else {
            plot!(builder.build_cartesian_2d(x0..x1, y).map_err(err)?);
        }
        root.present().map_err(err)?;
    }
    Ok(text)
}
