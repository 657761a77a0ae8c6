//! The schedule preview: lr and momentum over the whole run, recomputed by the
//! strategy crate on every edit; config errors shown at their key path.

use leptos::prelude::*;
use playground_strategy::config::{ConfigError, ExperimentConfig, Registries};
use playground_strategy::plan::{Curves, simulate};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const PAD: f64 = 8.0;
/// Points drawn per curve: enough for a 640-pixel-wide chart.
const MAX_POINTS: usize = 640;

/// Parses and simulates `text` (the web app's one call into the schedulers).
pub fn curves_of(text: &str) -> Result<Curves, ConfigError> {
    let cfg = ExperimentConfig::from_text(text, &Registries::default())?;
    simulate(&cfg, None)
}

/// An SVG `points` list for `values` scaled to `[0, top]`.
fn polyline(values: &[f64], top: f64) -> String {
    let n = values.len();
    if n == 0 || top <= 0.0 {
        return String::new();
    }
    let step = n.div_ceil(MAX_POINTS).max(1);
    let x = |i: usize| PAD + (WIDTH - 2.0 * PAD) * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: f64| HEIGHT - PAD - (HEIGHT - 2.0 * PAD) * (v / top);
    let mut points: Vec<String> = (0..n)
        .step_by(step)
        .map(|i| format!("{:.1},{:.1}", x(i), y(values[i])))
        .collect();
    if (n - 1) % step != 0 {
        points.push(format!("{:.1},{:.1}", x(n - 1), y(values[n - 1])));
    }
    points.join(" ")
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
            let momentum = s.momentum.as_ref().map(
                |m| view! { <polyline class="momentum" points=polyline(m, m_top) stroke=color /> },
            );
            view! {
                <polyline class="lr" points=polyline(&s.lr, lr_top) stroke=color />
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
    let n = curves.iterations.max(1);
    let x_of = move |i: usize| PAD + (WIDTH - 2.0 * PAD) * i as f64 / (n.max(2) - 1) as f64;
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
                    <line x1=format!("{x0:.1}") x2=format!("{x0:.1}") y1="0" y2=HEIGHT.to_string() />
                    <line x1=format!("{x1:.1}") x2=format!("{x1:.1}") y1="0" y2=HEIGHT.to_string() />
                    <text x=format!("{:.1}", x0 + 3.0) y=(14 + 13 * k).to_string()>{p.scheduler.clone()}</text>
                    // Milestones (MultiStep) and decays (Step): where the value jumps.
                    {p.marks.iter().map(|m| {
                        let x = x_of((*m).min(n - 1));
                        view! {
                            <line class="mark" x1=format!("{x:.1}") x2=format!("{x:.1}")
                                y1=(HEIGHT - 16.0).to_string() y2=HEIGHT.to_string()>
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
        use wasm_bindgen::JsCast;
        let width = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map_or(0, |e| e.client_width());
        if width > 0 {
            let frac =
                ((f64::from(ev.offset_x()) / f64::from(width)) * WIDTH - PAD) / (WIDTH - 2.0 * PAD);
            hover.set(Some(
                ((frac.clamp(0.0, 1.0)) * (n - 1) as f64).round() as usize
            ));
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
            <rect x="0" y="0" width=WIDTH.to_string() height=HEIGHT.to_string() class="frame" />
            {phases}
            {lines}
            {move || hover.get().map(|i| {
                let x = x_of(i);
                view! { <line class="cursor" x1=format!("{x:.1}") x2=format!("{x:.1}") y1="0" y2=HEIGHT.to_string() /> }
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
