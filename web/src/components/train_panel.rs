//! Training in the browser: play, pause, step, reset; live charts of the loss, the
//! validation accuracy and the lr applied; the decision boundary of a 2-D classifier
//! over its training and validation points; checkpoint download and upload.
//!
//! The strategy crate's `Runner` trains in a Web Worker (see [`crate::worker`]), so
//! the page never freezes; this component sends it requests and shows what it reports.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::file_input::take_chosen_file;
use crate::worker::client::TrainerClient;
use crate::worker::protocol::{Boundary, Progress, Request, Response};

const W: f64 = 480.0;
const H: f64 = 180.0;

/// What the charts show: the worker's progress reports, accumulated.
#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    iter: i64,
    max_iters: i64,
    epoch: i64,
    losses: Vec<(i64, f64)>,
    accuracy: Vec<(i64, f64)>,
    lrs: Vec<(String, Vec<(i64, f64)>)>,
    finished: bool,
    device: String,
    speed: f64,
}

impl Snapshot {
    /// Takes in one report: replaces the histories when it is full, extends them otherwise.
    fn absorb(&mut self, p: Progress) {
        if p.full {
            self.losses.clear();
            self.accuracy.clear();
            self.lrs.clear();
        }
        self.iter = p.iter;
        self.max_iters = p.max_iters;
        self.epoch = p.epoch;
        self.losses.extend(p.losses);
        self.accuracy.extend(p.accuracy);
        for (name, points) in p.lrs {
            match self.lrs.iter_mut().find(|(n, _)| *n == name) {
                Some((_, have)) => have.extend(points),
                None => self.lrs.push((name, points)),
            }
        }
        self.finished = p.finished;
        self.device = p.device;
        self.speed = p.speed;
    }
}

fn polyline(values: &[(i64, f64)], max_x: i64, bottom: f64, top: f64) -> String {
    if values.is_empty() || top <= bottom {
        return String::new();
    }
    let step = values.len().div_ceil(480).max(1);
    values
        .iter()
        .step_by(step)
        .map(|(i, v)| {
            let x = 4.0 + (W - 8.0) * (*i as f64) / (max_x.max(1) as f64);
            let y = H - 4.0 - (H - 8.0) * ((v - bottom) / (top - bottom)).clamp(0.0, 1.0);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Offers `bytes` as a file download.
fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not an anchor")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The training panel.
#[component]
pub fn TrainPanel(
    /// The config text being edited.
    text: RwSignal<String>,
) -> impl IntoView {
    let running = RwSignal::new(false);
    let snap = RwSignal::new(Snapshot::default());
    let bound = RwSignal::new(None::<Boundary>);
    let message = RwSignal::new(None::<String>);
    let last_checkpoint = RwSignal::new(String::new());
    let evaluation = RwSignal::new(None::<(i64, Vec<(String, f64)>)>);
    // `auto`: WebGPU when the browser offers an adapter, else the CPU backend.
    let backend = RwSignal::new("auto".to_string());

    let on_response = move |response: Response, bytes: Option<Vec<u8>>| match response {
        Response::Ready => {}
        Response::Progress(mut p) => {
            running.set(p.running);
            bound.set(p.boundary.take());
            snap.update(|s| s.absorb(p));
        }
        Response::Checkpoint { name } => match bytes.as_deref().map(|b| download(b, &name)) {
            Some(Ok(())) => last_checkpoint.set(name),
            Some(Err(e)) => message.set(Some(e)),
            None => message.set(Some("the checkpoint's bytes did not arrive".into())),
        },
        Response::Evaluated { iter, metrics } => evaluation.set(Some((iter, metrics))),
        Response::Resumed { name } => {
            message.set(None);
            last_checkpoint.set(format!("resumed from {name}"));
        }
        Response::Error { message: m } => {
            running.set(false);
            message.set(Some(m));
        }
    };
    // The worker starts with the page and lives as long as this panel.
    let client = match TrainerClient::spawn(on_response) {
        Ok(c) => Some(c),
        Err(e) => {
            message.set(Some(e));
            None
        }
    };
    let client = StoredValue::new_local(client);
    let send = move |request: Request, bytes: Option<&[u8]>| {
        client.with_value(|c| match c {
            Some(c) => {
                if let Err(e) = c.send(&request, bytes) {
                    message.set(Some(e));
                }
            }
            None => message.set(Some("the training worker is not running".into())),
        });
    };

    let on_train = move |_| {
        message.set(None);
        running.set(true);
        send(
            Request::Train {
                config: text.get_untracked(),
                backend: backend.get_untracked(),
            },
            None,
        );
    };
    let on_step = move |_| {
        message.set(None);
        send(
            Request::Step {
                config: text.get_untracked(),
                backend: backend.get_untracked(),
                iters: 1,
            },
            None,
        );
    };
    let on_pause = move |_| send(Request::Pause, None);
    let on_reset = move |_| {
        message.set(None);
        last_checkpoint.set(String::new());
        send(Request::Reset, None);
    };
    let on_evaluate = move |_| {
        message.set(None);
        send(
            Request::Evaluate {
                config: text.get_untracked(),
                backend: backend.get_untracked(),
            },
            None,
        );
    };
    let on_download = move |_| {
        if snap.with_untracked(|s| s.max_iters == 0) {
            message.set(Some("nothing to save yet: train first".into()));
            return;
        }
        send(Request::Checkpoint, None);
    };
    let on_upload = move |ev: leptos::ev::Event| {
        let Some(file) = take_chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let name = file.name();
            match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => {
                    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                    send(
                        Request::Resume {
                            config: text.get_untracked(),
                            backend: backend.get_untracked(),
                            name,
                        },
                        Some(&bytes),
                    );
                }
                Err(e) => message.set(Some(format!("{name}: could not read the file: {e:?}"))),
            }
        });
    };

    view! {
        <section class="panel" aria-labelledby="train-title">
            <h2 id="train-title">"Training"</h2>
            <div class="controls">
                <button data-testid="train-button" disabled=move || running.get() on:click=on_train>
                    "▶ Train"
                </button>
                <button data-testid="pause-button" disabled=move || !running.get() on:click=on_pause>
                    "⏸ Pause"
                </button>
                <button data-testid="step-button" disabled=move || running.get() on:click=on_step>
                    "Step"
                </button>
                <button data-testid="reset-button" on:click=on_reset>"Reset"</button>
                <button data-testid="evaluate-button" title="Test the current weights (the test set, else the validation set)"
                    on:click=on_evaluate>"Evaluate"</button>
                <button data-testid="checkpoint-download" on:click=on_download>"⬇ Checkpoint"</button>
                <label class="backend">
                    "Backend"
                    <select data-testid="backend-select" title="Used when the run is built (Train after Reset)"
                        on:change=move |ev| backend.set(event_target_value(&ev))>
                        <option value="auto" selected=true>"auto"</option>
                        <option value="wgpu">"WebGPU"</option>
                        <option value="cpu">"CPU"</option>
                    </select>
                </label>
                <label class="upload">
                    "⬆ Resume from…"
                    <input data-testid="checkpoint-upload" type="file" accept=".safetensors" on:change=on_upload />
                </label>
            </div>
            <p class="muted" data-testid="train-status">
                {move || {
                    let s = snap.get();
                    if s.max_iters == 0 {
                        "Press Train: the config on the left is built and trained here.".to_string()
                    } else {
                        let lr = s
                            .lrs
                            .first()
                            .and_then(|(_, h)| h.last())
                            .map_or("-".into(), |(_, v)| format!("{v:.2e}"));
                        format!(
                            "iter {}/{} · epoch {} · {:.1} it/s · lr {} · {} (in a Web Worker){}",
                            s.iter,
                            s.max_iters,
                            s.epoch,
                            s.speed,
                            lr,
                            s.device,
                            if s.finished { " · finished" } else { "" }
                        )
                    }
                }}
            </p>
            {move || message.get().map(|m| view! {
                <div class="error" role="alert" data-testid="train-error">{m}</div>
            })}
            <p class="muted">{move || last_checkpoint.get()}</p>
            {move || evaluation.get().map(|(iter, metrics)| {
                let json = serde_json::to_string(&metrics).unwrap_or_default();
                let shown = metrics
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.2}"))
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <p class="eval" data-testid="eval-result" data-metrics=json>
                        {format!("Evaluated at iteration {iter}: {shown}")}
                    </p>
                }
            })}
            <h3>"Loss"</h3>
            {move || {
                let s = snap.get();
                // Scaled to the losses seen, so a slow fall is visible.
                let top = s.losses.iter().map(|(_, v)| *v).fold(f64::MIN, f64::max);
                let bottom = s.losses.iter().map(|(_, v)| *v).fold(f64::MAX, f64::min).min(top - 1e-6);
                let last = s.losses.last().map(|(_, v)| *v);
                view! {
                    <svg class="chart" data-testid="loss-chart" viewBox=format!("0 0 {W} {H}")
                        data-iter=s.iter.to_string()
                        data-speed=format!("{:.3}", s.speed)
                        data-device=s.device.clone()
                        data-last-loss=last.map_or(String::new(), |v| v.to_string())
                        role="img" aria-label="training loss">
                        <rect class="frame" x="0" y="0" width=W height=H />
                        <polyline class="loss" stroke="#c2410c" points=polyline(&s.losses, s.max_iters, bottom, top) />
                    </svg>
                }
            }}
            <h3>"Validation accuracy"</h3>
            {move || {
                let s = snap.get();
                let last = s.accuracy.last().map(|(_, v)| *v);
                view! {
                    <svg class="chart" data-testid="accuracy-chart" viewBox=format!("0 0 {W} {H}")
                        data-last-acc=last.map_or(String::new(), |v| v.to_string())
                        role="img" aria-label="validation accuracy">
                        <rect class="frame" x="0" y="0" width=W height=H />
                        <polyline class="acc" stroke="#15803d" points=polyline(&s.accuracy, s.max_iters, 0.0, 100.0) />
                    </svg>
                }
            }}
            <h3>"Learning rate applied"</h3>
            {move || {
                let s = snap.get();
                let top = s
                    .lrs
                    .iter()
                    .flat_map(|(_, h)| h.iter().map(|(_, v)| *v))
                    .fold(0.0f64, f64::max)
                    * 1.05;
                let last = s.lrs.first().and_then(|(_, h)| h.last()).map(|(_, v)| *v);
                let colors = ["#1d6fd8", "#d95f02", "#1b9e77", "#7570b3"];
                view! {
                    <svg class="chart" data-testid="lr-chart" viewBox=format!("0 0 {W} {H}")
                        data-last-lr=last.map_or(String::new(), |v| v.to_string())
                        role="img" aria-label="learning rate applied">
                        <rect class="frame" x="0" y="0" width=W height=H />
                        {s.lrs.iter().enumerate().map(|(k, (name, h))| view! {
                            <polyline class="lr" stroke=colors[k % colors.len()]
                                points=polyline(h, s.max_iters, 0.0, top)>
                                <title>{name.clone()}</title>
                            </polyline>
                        }).collect_view()}
                    </svg>
                    <p class="muted legend">
                        {s.lrs.iter().enumerate().map(|(k, (name, _))| view! {
                            <span style=format!("color: {}", colors[k % colors.len()])>{format!("— {name}")}</span>
                        }).collect_view()}
                    </p>
                }
            }}
            {move || bound.get().map(|b| {
                let size = 240.0;
                let grid = b.grid.max(1);
                let cell = size / grid as f64;
                let [x0, x1, y0, y1] = b.range;
                let px = move |x: f32| f64::from((x - x0) / (x1 - x0)) * size;
                let py = move |y: f32| f64::from((y1 - y) / (y1 - y0)) * size;
                view! {
                    <h3>"Decision boundary · filled: training points, rings: validation points"</h3>
                    <svg class="boundary" data-testid="decision-boundary" viewBox=format!("0 0 {size} {size}")
                        role="img" aria-label="decision boundary with the training (filled) and validation (ringed) points">
                        {b.probs.iter().enumerate().map(|(i, p)| {
                            let (row, col) = (i / grid, i % grid);
                            let color = if *p >= 0.5 { "#1d6fd8" } else { "#f59e0b" };
                            let alpha = (f64::from(*p) - 0.5).abs() * 1.6;
                            view! {
                                <rect x=(col as f64 * cell).to_string() y=(row as f64 * cell).to_string()
                                    width=(cell + 0.2).to_string() height=(cell + 0.2).to_string()
                                    fill=color fill-opacity=format!("{alpha:.2}") />
                            }
                        }).collect_view()}
                        {b.points.iter().map(|(x, y, c)| view! {
                            <circle cx=format!("{:.1}", px(*x)) cy=format!("{:.1}", py(*y)) r="2.2"
                                class=if *c == 1 { "pt pos" } else { "pt neg" } />
                        }).collect_view()}
                        {b.val_points.iter().map(|(x, y, c)| view! {
                            <circle cx=format!("{:.1}", px(*x)) cy=format!("{:.1}", py(*y)) r="2.6"
                                class=if *c == 1 { "pt val pos" } else { "pt val neg" } />
                        }).collect_view()}
                    </svg>
                }
            })}
        </section>
    }
}
