//! Runs side by side: every training run of this browser (kept in localStorage, the
//! newest [`MAX_RUNS`]), a table of each one's config difference from the first
//! selected run, final loss and metric, iterations, backend and wall time, their
//! loss and metric curves overlaid, and each run's config, `scalars.json` and
//! checkpoint to download.

use leptos::prelude::*;
use playground_strategy::runs::config_diff;

use super::plot::{Frame, PALETTE, axes, legend, nearest, pointer_x};
use crate::run_state::{MAX_RUNS, SavedRun, save_runs};

const W: f64 = 480.0;
const H: f64 = 200.0;

/// The run's scalars and config as a TensorBoard event file
/// (`events.out.tfevents.<time>.browser`), as `TensorboardVisBackend` writes them.
fn download_events(scalars: &str, config: &str, id: u64) {
    let wall = js_sys::Date::now() / 1000.0;
    let bytes = playground_strategy::vis::tensorboard::event_file(scalars, Some(config), wall);
    let name =
        playground_strategy::vis::tensorboard::file_name(wall as u64, &format!("browser.run{id}"));
    if let Err(e) = crate::download::bytes(&bytes, &name) {
        leptos::logging::warn!("download of {name} failed: {e}");
    }
}

fn download_text(text: &str, name: &str) {
    if let Err(e) = crate::download::bytes(text.as_bytes(), name) {
        leptos::logging::warn!("download of {name} failed: {e}");
    }
}

/// The runs panel.
#[component]
pub fn RunsPanel(
    /// Every kept run, oldest first.
    runs: RwSignal<Vec<SavedRun>>,
) -> impl IntoView {
    // Selected for the overlay and the difference (the first selected is the reference).
    let selected = RwSignal::new(Vec::<u64>::new());
    Effect::new(move |_| runs.with(|r| save_runs(r)));
    let reference = move || {
        let sel = selected.get();
        runs.with(|r| {
            sel.first()
                .and_then(|id| r.iter().find(|x| x.id == *id))
                .or_else(|| r.first())
                .cloned()
        })
    };
    let rows = move || {
        let reference = reference();
        let sel = selected.get();
        runs.get()
            .into_iter()
            .enumerate()
            .map(|(k, run)| {
                let id = run.id;
                let diff = match &reference {
                    Some(r) if r.id == id => "(reference)".to_string(),
                    Some(r) => {
                        let d = config_diff(&r.record.config, &run.record.config);
                        if d.is_empty() {
                            "same config".into()
                        } else {
                            d.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                        }
                    }
                    None => String::new(),
                };
                let metric = run
                    .record
                    .final_metrics()
                    .get(&run.metric_name)
                    .map_or("-".into(), |v| format!("{} {v:.3}", run.metric_name));
                let is_selected = sel.contains(&id);
                let color = PALETTE[k % PALETTE.len()];
                let (config, scalars, ck) = (run.config_text.clone(), run.scalars_json(), run.checkpoint.clone());
                view! {
                    <tr data-testid="run-row" data-run=id.to_string()>
                        <td><input type="checkbox" data-testid="run-select" prop:checked=is_selected
                            aria-label=format!("select run {id}")
                            on:change=move |_| selected.update(|s| if let Some(i) = s.iter().position(|x| *x == id) { s.remove(i); } else { s.push(id); }) /></td>
                        <td><span class="swatch" style=format!("background: {color}")></span>{run.record.name.clone()}</td>
                        <td class="diff" data-testid="run-diff">{diff}</td>
                        <td>{run.record.final_loss().map_or("-".into(), |l| format!("{l:.4}"))}</td>
                        <td>{metric}</td>
                        <td>{run.record.iterations().to_string()}</td>
                        <td>{run.record.backend.clone()}</td>
                        <td>{run.record.wall_s.map_or("-".into(), |s| format!("{s:.1} s"))}</td>
                        <td class="actions">
                            <button title="the config" on:click={
                                let config = config.clone();
                                move |_| download_text(&config, &format!("run_{id}.toml"))
                            }>"config"</button>
                            <button title="scalars.json" on:click={
                                let scalars = scalars.clone();
                                move |_| download_text(&scalars, &format!("run_{id}_scalars.json"))
                            }>"scalars"</button>
                            <button data-testid="run-tensorboard" title="a TensorBoard event file of the run's scalars and config (tensorboard --logdir <its folder>)" on:click=move |_| download_events(&scalars, &config, id)>"tensorboard"</button>
                            <button title="the final checkpoint" disabled=ck.is_none() on:click=move |_| {
                                if let Some(bytes) = ck.as_deref().and_then(crate::download::from_base64) {
                                    let _ = crate::download::bytes(&bytes, &format!("run_{id}.safetensors"));
                                }
                            }>"checkpoint"</button>
                            <button data-testid="run-delete" title="delete this run" on:click=move |_| {
                                runs.update(|r| r.retain(|x| x.id != id));
                                selected.update(|s| s.retain(|x| *x != id));
                            }>"✕"</button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let overlay = move || {
        let sel = selected.get();
        let all = runs.get();
        let shown: Vec<(usize, SavedRun)> = all
            .into_iter()
            .enumerate()
            .filter(|(_, r)| sel.is_empty() || sel.contains(&r.id))
            .collect();
        (!shown.is_empty()).then(|| overlay_chart(shown))
    };
    view! {
        <section class="panel runs" aria-labelledby="runs-title">
            <h2 id="runs-title">"Runs"</h2>
            <p class="muted">{format!("Every run trained here is kept (the newest {MAX_RUNS}). Select runs to overlay them; the first selected is the one the others' configs are compared with.")}</p>
            <div class="table-wrap">
                <table class="runs" data-testid="runs-table" data-runs=move || runs.with(Vec::len).to_string()>
                    <thead><tr>
                        <th></th><th>"run"</th><th>"config vs reference"</th><th>"final loss"</th>
                        <th>"final metric"</th><th>"iterations"</th><th>"backend"</th><th>"train time"</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {overlay}
        </section>
    }
}

fn overlay_chart(shown: Vec<(usize, SavedRun)>) -> impl IntoView {
    let max_iter = shown
        .iter()
        .map(|(_, r)| r.record.iterations())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let losses: Vec<Vec<(f64, f64)>> = shown
        .iter()
        .map(|(_, r)| r.record.loss.iter().map(|(i, v)| (*i as f64, *v)).collect())
        .collect();
    let top = losses
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 1.05;
    let f = Frame::new(W, H, (0.0, max_iter), (0.0, top));
    let hover = RwSignal::new(None::<f64>);
    let names: Vec<String> = shown.iter().map(|(_, r)| r.record.name.clone()).collect();
    let series = losses.clone();
    let readout = move || {
        hover.get().map(|x| {
            let parts: Vec<String> = names
                .iter()
                .zip(&series)
                .filter_map(|(n, s)| nearest(s, x).map(|(i, v)| format!("{n}: {v:.4} (iter {i})")))
                .collect();
            parts.join(" · ")
        })
    };
    let items = shown
        .iter()
        .map(|(k, r)| (r.record.name.clone(), PALETTE[k % PALETTE.len()]))
        .collect();
    let metrics: Vec<(String, Vec<(f64, f64)>)> = shown
        .iter()
        .map(|(_, r)| {
            let points = r
                .record
                .val
                .iter()
                .filter_map(|(step, m)| m.get(&r.metric_name).map(|v| (*step as f64, *v)))
                .collect();
            (r.metric_name.clone(), points)
        })
        .collect();
    let metric_chart = metrics.iter().any(|(_, p)| !p.is_empty()).then(|| {
        let lo = metrics.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(f64::MAX, f64::min);
        let hi = metrics.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(f64::MIN, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-3);
        let g = Frame::new(W, H, (0.0, max_iter), (lo - pad, hi + pad));
        let names: Vec<String> = metrics.iter().map(|(n, _)| n.clone()).collect();
        let mut names_sorted = names.clone();
        names_sorted.sort();
        names_sorted.dedup();
        view! {
            <h3>{format!("Validation {}, overlaid", names_sorted.join(" / "))}</h3>
            <svg class="chart" data-testid="runs-metric-overlay" viewBox=format!("0 0 {W} {H}") role="img" aria-label="the selected runs' validation metric">
                {axes(g, "iteration", &names_sorted.join(" / "))}
                {shown.iter().zip(&metrics).map(|((k, _), (_, pts))| view! {
                    <polyline class="series" stroke=PALETTE[k % PALETTE.len()] points=g.polyline(pts) />
                    {pts.iter().map(|(x, y)| view! {
                        <circle class="pt" cx=format!("{:.1}", g.px(*x)) cy=format!("{:.1}", g.py(*y)) r="2.5" fill=PALETTE[k % PALETTE.len()]>
                            <title>{format!("iteration {x}: {y:.4}")}</title>
                        </circle>
                    }).collect_view()}
                }).collect_view()}
            </svg>
        }
    });
    view! {
        <h3>"Training loss, overlaid"</h3>
        <svg class="chart" data-testid="runs-overlay" viewBox=format!("0 0 {W} {H}") role="img" aria-label="the selected runs' training losses"
            on:pointermove=move |ev| hover.set(pointer_x(&ev, W).map(|vx| f.x_at(vx)))
            on:pointerleave=move |_| hover.set(None)>
            {axes(f, "iteration", "loss")}
            {shown.iter().zip(&losses).map(|((k, _), pts)| view! {
                <polyline class="series" stroke=PALETTE[k % PALETTE.len()] points=f.polyline(pts) />
            }).collect_view()}
        </svg>
        {legend(items)}
        <p class="muted hover">{readout}</p>
        {metric_chart}
    }
}
