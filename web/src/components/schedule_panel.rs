//! The schedule preview: lr and momentum over the whole run, recomputed by the
//! strategy crate on every edit; config errors shown at their key path.

use leptos::prelude::*;
use playground_strategy::config::{ConfigError, ExperimentConfig, Registries};
use playground_strategy::plan::{Curves, simulate};

use super::plot::{Frame, axes, pointer_x, right_axis};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
/// Parses and simulates `text` (the web app's one call into the schedulers).
pub fn curves_of(text: &str, files: &crate::data_files::Files) -> Result<Curves, ConfigError> {
    let mut cfg = ExperimentConfig::from_text_checked(text, &Registries::default())?;
    // The tables the config reads (a CSV's rows give the epoch length), as training
    // reads them.
    crate::data_files::read_into(&mut cfg, files);
    simulate(&cfg.strict()?, None)
}

/// The preview panel.
#[component]
pub fn SchedulePanel(
    /// The config text, parsed and simulated (shared with the editor's error marks).
    result: Memo<Result<Curves, ConfigError>>,
) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Schedule"</h2>
            {move || match result.get() {
                Ok(curves) => view! { <Chart curves=curves /> }.into_any(),
                Err(e) => {
                    view! {
                        <div class="error" role="alert" data-testid="error-panel" data-path=e.path.clone()>
                            <strong>{e.path.clone()}</strong>
                            ": "
                            {e.message.clone()}
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Chart(curves: Curves) -> impl IntoView {
    let lr_top = curves
        .series
        .iter()
        .flat_map(|s| s.lr.iter().copied())
        .fold(0.0f64, f64::max)
        * 1.05;
    let m_top = curves
        .series
        .iter()
        .filter_map(|s| s.momentum.as_ref())
        .flat_map(|m| m.iter().copied())
        .fold(0.0f64, f64::max)
        * 1.05;
    let n = curves.iterations.max(1);
    let lr_top = if lr_top > 0.0 { lr_top } else { 1.0 };
    let mut f = Frame::new(WIDTH, HEIGHT, (0.0, (n.max(2) - 1) as f64), (0.0, lr_top));
    f.left = 58.0;
    if m_top > 0.0 {
        f.right = 44.0;
    }
    // Momentum is drawn on its own scale (the right axis), mapped onto the lr range.
    let on_lr_scale = move |v: f64| if m_top > 0.0 { v / m_top * lr_top } else { v };
    let line = move |values: &[f64], scale: bool| {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, if scale { on_lr_scale(*v) } else { *v }))
            .collect();
        f.polyline(&points)
    };
    let first_lr = curves
        .series
        .first()
        .and_then(|s| s.lr.first())
        .copied()
        .unwrap_or(0.0);
    let last_lr = curves
        .series
        .first()
        .and_then(|s| s.lr.last())
        .copied()
        .unwrap_or(0.0);
    let colors = ["#1d6fd8", "#d95f02", "#1b9e77", "#7570b3"];
    let lines = curves
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let color = colors[k % colors.len()];
            let momentum = s
                .momentum
                .as_ref()
                .map(|m| view! { <polyline class="momentum" points=line(m, true) stroke=color /> });
            view! {
                <polyline class="lr" points=line(&s.lr, false) stroke=color />
                {momentum}
            }
        })
        .collect_view();
    let legend = curves
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let name = s.optimizer.clone().map_or_else(String::new, |n| format!("{n} "));
            view! { <span style=format!("color: {}", colors[k % colors.len()])>{format!("— {name}lr  ┄ {name}momentum")}</span> }
        })
        .collect_view();
    // Phase boundaries: where each scheduler's window starts and ends (warm-up, main).
    let x_of = move |i: usize| f.px(i as f64);
    let (y_top, y_bottom) = (f.py(f.y.1), f.py(f.y.0));
    let phases = curves
        .series
        .first()
        .map(|s| s.phases.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.param_name == "lr")
        .enumerate()
        .map(|(k, p)| {
            let (x0, x1) = (x_of(p.start.min(n - 1)), x_of(p.end.min(n).saturating_sub(1)));
            view! {
                <g class="phase">
                    <title>{format!("{} ({}): iterations {}–{}", p.scheduler, p.param_name, p.start, p.end)}</title>
                    <line x1=format!("{x0:.1}") x2=format!("{x0:.1}") y1=format!("{y_top:.1}") y2=format!("{y_bottom:.1}") />
                    <line x1=format!("{x1:.1}") x2=format!("{x1:.1}") y1=format!("{y_top:.1}") y2=format!("{y_bottom:.1}") />
                    <text x=format!("{:.1}", x0 + 3.0) y=(14 + 13 * k).to_string()>{p.scheduler.clone()}</text>
                    // Milestones (MultiStep) and decays (Step): where the value jumps.
                    {p.marks.iter().map(|m| {
                        let x = x_of((*m).min(n - 1));
                        view! {
                            <line class="mark" x1=format!("{x:.1}") x2=format!("{x:.1}")
                                y1=format!("{:.1}", y_bottom - 16.0) y2=format!("{y_bottom:.1}")>
                                <title>{format!("{} milestone: iteration {m}", p.scheduler)}</title>
                            </line>
                        }
                    }).collect_view()}
                </g>
            }
        })
        .collect_view();
    // Hover: the iteration under the pointer and every curve's value there.
    let hover = RwSignal::new(None::<usize>);
    let series = curves.series.clone();
    let readout = move || {
        hover.get().map(|i| {
            let parts: Vec<String> = series
                .iter()
                .map(|s| {
                    let name = s
                        .optimizer
                        .clone()
                        .map_or_else(String::new, |n| format!("{n} "));
                    let m = s
                        .momentum
                        .as_ref()
                        .and_then(|m| m.get(i))
                        .map_or(String::new(), |v| format!(", {name}momentum {v:.4}"));
                    format!(
                        "{name}lr {:.4e}{m}",
                        s.lr.get(i).copied().unwrap_or(f64::NAN)
                    )
                })
                .collect();
            format!("iteration {i}: {}", parts.join(" · "))
        })
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if let Some(vx) = pointer_x(&ev, WIDTH) {
            let i = f.x_at(vx).round().clamp(0.0, (n.max(1) - 1) as f64);
            hover.set(Some(i as usize));
        }
    };
    view! {
        <svg
            on:pointermove=on_move
            on:pointerleave=move |_| hover.set(None)
            class="chart"
            data-testid="schedule-chart"
            data-iterations=curves.iterations.to_string()
            data-first-lr=first_lr.to_string()
            data-last-lr=last_lr.to_string()
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label="Learning rate and momentum over the run"
        >
            {axes(f, "iteration", "learning rate")}
            {(m_top > 0.0).then(|| right_axis(f, m_top, "momentum (dashed)"))}
            {phases}
            {lines}
            {move || hover.get().map(|i| {
                let x = x_of(i);
                view! { <line class="cursor" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{y_top:.1}") y2=format!("{y_bottom:.1}") /> }
            })}
        </svg>
        <p class="muted hover" data-testid="schedule-hover">{readout}</p>
        <p class="muted legend">
            {legend}
            <br />
            {format!(
                "{} iterations · lr from {:.3e} to {:.3e}, peak {:.3e}",
                curves.iterations,
                first_lr,
                last_lr,
                lr_top / 1.05,
            )}
        </p>
    }
}
