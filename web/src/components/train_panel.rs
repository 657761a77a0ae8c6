//! Training in the browser: play, pause, step, reset; live loss and validation-accuracy
//! charts; the decision boundary of a 2-D classifier over its training points; checkpoint
//! download and upload. Everything is computed by the strategy crate's `Runner`; this
//! component only drives it and shows what it reports.
//!
//! The loop runs on the page's thread in chunks of a few iterations, yielding to the
//! browser between chunks (a timer tick) so the page stays responsive; while a chunk
//! runs the runner is taken out of its cell, so no handler can touch it mid-step.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::{Tensor, TensorData};
use leptos::prelude::*;
use leptos::task::spawn_local;
use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;
use wasm_bindgen::JsCast;

/// Iterations per chunk between yields to the browser.
const CHUNK: usize = 10;
/// Decision-boundary grid resolution (cells per side).
const GRID: usize = 32;
const W: f64 = 480.0;
const H: f64 = 180.0;

type Cell = Rc<RefCell<Option<Runner>>>;

/// Lets the browser run (paint, handle input) before the next chunk.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// What the charts show, copied out of the runner after each chunk.
#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    iter: i64,
    max_iters: i64,
    epoch: i64,
    losses: Vec<(i64, f64)>,
    accuracy: Vec<(i64, f64)>,
    lr: Option<f64>,
    finished: bool,
    device: String,
}

fn snapshot(r: &Runner) -> Snapshot {
    Snapshot {
        iter: r.hub.iter,
        max_iters: r.hub.max_iters,
        epoch: r.hub.epoch,
        losses: r.hub.history("train/loss").to_vec(),
        accuracy: r.hub.history("val/accuracy/top1").to_vec(),
        lr: r.hub.latest("train/lr"),
        finished: r.is_finished(),
        device: r.strategy.device.description.clone(),
    }
}

/// The decision boundary: class-1 probability on a grid over the training points.
#[derive(Clone, Debug, Default, PartialEq)]
struct Boundary {
    /// `[x_min, x_max, y_min, y_max]`.
    range: [f32; 4],
    /// `GRID × GRID` probabilities, row by row from the top.
    probs: Vec<f32>,
    /// Up to 300 training points: x, y, class.
    points: Vec<(f32, f32, i64)>,
}

async fn boundary(r: &Runner) -> Option<Boundary> {
    let samples = &r.train_loader.samples;
    if samples.sample_shape != [2] || samples.num_classes != 2 {
        return None;
    }
    let xs = samples.features.iter().step_by(2).copied();
    let ys = samples.features.iter().skip(1).step_by(2).copied();
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for (x, y) in xs.zip(ys) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (mx, my) = ((x1 - x0) * 0.05, (y1 - y0) * 0.05);
    let range = [x0 - mx, x1 + mx, y0 - my, y1 + my];
    let mut grid = Vec::with_capacity(GRID * GRID * 2);
    for row in 0..GRID {
        let y = range[3] - (range[3] - range[2]) * (row as f32 + 0.5) / GRID as f32;
        for col in 0..GRID {
            grid.push(range[0] + (range[1] - range[0]) * (col as f32 + 0.5) / GRID as f32);
            grid.push(y);
        }
    }
    let device = r.strategy.device.device.clone();
    let inputs: Tensor<2> = Tensor::from_data(TensorData::new(grid, [GRID * GRID, 2]), &device);
    let scores = r.strategy.model.as_ref()?.predict(inputs)?;
    let probs = burn::tensor::activation::softmax(scores, 1).narrow(1, 1, 1);
    let data = probs.into_data_async().await.ok()?;
    let probs: Vec<f32> = data.try_into_vec_as().ok()?;
    let step = (samples.len() / 300).max(1);
    let points = (0..samples.len())
        .step_by(step)
        .map(|i| {
            (
                samples.features[2 * i],
                samples.features[2 * i + 1],
                samples.labels[i],
            )
        })
        .collect();
    Some(Boundary {
        range,
        probs,
        points,
    })
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
    let cell: Cell = Rc::new(RefCell::new(None));
    let running = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let snap = RwSignal::new(Snapshot::default());
    let bound = RwSignal::new(None::<Boundary>);
    let message = RwSignal::new(None::<String>);
    let speed = RwSignal::new(0.0f64);
    let last_checkpoint = RwSignal::new(String::new());

    // Builds the runner from the current text when there is none.
    let ensure = {
        let cell = cell.clone();
        move || {
            let cell = cell.clone();
            async move {
                if cell.borrow().is_some() {
                    return Ok(());
                }
                let cfg =
                    ExperimentConfig::from_text(&text.get_untracked(), &Registries::default())
                        .map_err(|e| format!("{}: {}", e.path, e.message))?;
                let r = Runner::from_config(
                    cfg,
                    RunnerOptions {
                        device: DeviceChoice::Auto,
                        write_files: false,
                        ..RunnerOptions::default()
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
                snap.set(snapshot(&r));
                bound.set(boundary(&r).await);
                *cell.borrow_mut() = Some(r);
                Ok::<(), String>(())
            }
        }
    };

    // Runs `n` iterations (or until paused / finished), updating the view after each chunk.
    let run = {
        let cell = cell.clone();
        let ensure = ensure.clone();
        move |n: Option<usize>| {
            let cell = cell.clone();
            let ensure = ensure.clone();
            spawn_local(async move {
                if busy.get_untracked() {
                    return;
                }
                busy.set(true);
                if let Err(e) = ensure().await {
                    message.set(Some(e));
                    running.set(false);
                    busy.set(false);
                    return;
                }
                let mut left = n.unwrap_or(usize::MAX);
                loop {
                    let Some(mut r) = cell.borrow_mut().take() else {
                        break;
                    };
                    let started = web_time::Instant::now();
                    let mut done = 0usize;
                    let mut failed = None;
                    while done < CHUNK.min(left) {
                        match r.train_iter().await {
                            Ok(more) => {
                                done += 1;
                                if !more {
                                    break;
                                }
                            }
                            Err(e) => {
                                failed = Some(e.to_string());
                                break;
                            }
                        }
                    }
                    let _ = r.flush().await;
                    let secs = started.elapsed().as_secs_f64();
                    if done > 0 && secs > 0.0 {
                        speed.set(done as f64 / secs);
                    }
                    left = left.saturating_sub(done);
                    snap.set(snapshot(&r));
                    bound.set(boundary(&r).await);
                    let finished = r.is_finished();
                    *cell.borrow_mut() = Some(r);
                    if let Some(e) = failed {
                        message.set(Some(e));
                        break;
                    }
                    if finished || left == 0 || (n.is_none() && !running.get_untracked()) {
                        break;
                    }
                    yield_to_browser().await;
                }
                running.set(false);
                busy.set(false);
            });
        }
    };

    let on_train = {
        let run = run.clone();
        move |_| {
            message.set(None);
            running.set(true);
            run(None);
        }
    };
    let on_step = {
        let run = run.clone();
        move |_| {
            message.set(None);
            run(Some(1));
        }
    };
    let on_reset = {
        let cell = cell.clone();
        move |_| {
            running.set(false);
            if !busy.get_untracked() {
                *cell.borrow_mut() = None;
                snap.set(Snapshot::default());
                bound.set(None);
                message.set(None);
            }
        }
    };
    let on_download = {
        let cell = cell.clone();
        move |_| {
            let cell = cell.clone();
            spawn_local(async move {
                if busy.get_untracked() {
                    message.set(Some(
                        "pause training before downloading a checkpoint".into(),
                    ));
                    return;
                }
                let Some(mut r) = cell.borrow_mut().take() else {
                    message.set(Some("nothing to save yet: train first".into()));
                    return;
                };
                let result = r
                    .checkpoint(true, true)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|ck| {
                        let name = format!("playground_iter_{}.safetensors", ck.iter());
                        let bytes = ck.to_bytes().map_err(|e| e.to_string())?;
                        download(&bytes, &name)?;
                        Ok(name)
                    });
                *cell.borrow_mut() = Some(r);
                match result {
                    Ok(name) => last_checkpoint.set(name),
                    Err(e) => message.set(Some(e)),
                }
            });
        }
    };
    let on_upload = {
        let cell = cell.clone();
        let ensure = ensure.clone();
        move |ev: leptos::ev::Event| {
            let cell = cell.clone();
            let ensure = ensure.clone();
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            spawn_local(async move {
                if busy.get_untracked() {
                    message.set(Some("pause training before loading a checkpoint".into()));
                    return;
                }
                let name = file.name();
                let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                    Err(e) => {
                        message.set(Some(format!("{name}: could not read the file: {e:?}")));
                        return;
                    }
                };
                let ck = match Checkpoint::from_bytes(&bytes) {
                    Ok(ck) => ck,
                    Err(e) => {
                        // The current session is kept as it was.
                        message.set(Some(format!("{name}: {e}")));
                        return;
                    }
                };
                if let Err(e) = ensure().await {
                    message.set(Some(e));
                    return;
                }
                let Some(mut r) = cell.borrow_mut().take() else {
                    return;
                };
                // Strict loading first: a checkpoint of another model is refused with
                // every misfit named, and nothing changes.
                let result = r
                    .strategy
                    .load_model_state_dict(&ck.state_dict, true)
                    .and_then(|_| r.resume(ck, true, true))
                    .map_err(|e| e.to_string());
                snap.set(snapshot(&r));
                bound.set(boundary(&r).await);
                *cell.borrow_mut() = Some(r);
                match result {
                    Ok(()) => {
                        message.set(None);
                        last_checkpoint.set(format!("resumed from {name}"));
                    }
                    Err(e) => message.set(Some(format!("{name}: {e}"))),
                }
            });
        }
    };

    view! {
        <section class="panel" aria-labelledby="train-title">
            <h2 id="train-title">"Training"</h2>
            <div class="controls">
                <button data-testid="train-button" disabled=move || running.get() on:click=on_train>
                    "▶ Train"
                </button>
                <button data-testid="pause-button" disabled=move || !running.get() on:click=move |_| running.set(false)>
                    "⏸ Pause"
                </button>
                <button data-testid="step-button" disabled=move || busy.get() on:click=on_step>
                    "Step"
                </button>
                <button data-testid="reset-button" on:click=on_reset>"Reset"</button>
                <button data-testid="checkpoint-download" on:click=on_download>"⬇ Checkpoint"</button>
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
                        format!(
                            "iter {}/{} · epoch {} · {:.0} it/s · lr {} · {}{}",
                            s.iter,
                            s.max_iters,
                            s.epoch,
                            speed.get(),
                            s.lr.map_or("-".into(), |v| format!("{v:.2e}")),
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
            {move || bound.get().map(|b| {
                let size = 240.0;
                let cell = size / GRID as f64;
                let [x0, x1, y0, y1] = b.range;
                let px = move |x: f32| f64::from((x - x0) / (x1 - x0)) * size;
                let py = move |y: f32| f64::from((y1 - y) / (y1 - y0)) * size;
                view! {
                    <h3>"Decision boundary"</h3>
                    <svg class="boundary" data-testid="decision-boundary" viewBox=format!("0 0 {size} {size}")
                        role="img" aria-label="decision boundary with the training points">
                        {b.probs.iter().enumerate().map(|(i, p)| {
                            let (row, col) = (i / GRID, i % GRID);
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
                    </svg>
                }
            })}
        </section>
    }
}
