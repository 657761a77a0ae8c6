//! Training in the browser: play, pause, step, reset; live charts of the loss, the
//! validation accuracy and the lr applied; the decision boundary of a 2-D classifier
//! over its training and validation points; checkpoint download and upload.
//!
//! The strategy crate's `Runner` trains in a Web Worker (see [`crate::worker`]), so
//! the page never freezes; this component sends it requests and shows what it reports.

use leptos::prelude::*;
use playground_strategy::runs::RunRecord;

use crate::data_files::Files;
use crate::download::{bytes as download, to_base64};
use crate::file_input::take_chosen_file;
use crate::run_state::{MAX_RUNS, RunView, SavedRun, Snapshot};
use crate::worker::protocol::{Request, Response};
use crate::worker::shared::SharedTrainer;

/// Checkpoints kept with a run when at most this big (localStorage is small).
const KEEP_CHECKPOINT: usize = 384 << 10;

/// The run `snap` trained with `config`, as the runs table keeps it.
fn saved_run(id: u64, config: &str, snap: &Snapshot) -> SavedRun {
    let tree = playground_strategy::config::source::parse_text(
        config,
        playground_strategy::config::source::Format::sniff(config),
    )
    .unwrap_or(serde_json::Value::Null);
    let val = snap
        .metric
        .iter()
        .map(|(i, v)| (*i, [(snap.metric_name.clone(), *v)].into_iter().collect()))
        .collect();
    SavedRun {
        id,
        record: RunRecord {
            name: format!("run {id}"),
            config: tree,
            loss: snap.losses.clone(),
            val,
            backend: snap.device.clone(),
            wall_s: Some(snap.train_seconds),
        },
        config_text: config.to_string(),
        metric_name: snap.metric_name.clone(),
        checkpoint: None,
    }
}

/// The training panel.
#[component]
pub fn TrainPanel(
    /// The config text being edited.
    text: RwSignal<String>,
    /// The page's data files (handed to the worker before a run is built).
    files: RwSignal<Files>,
    /// The run's views, shared with the network and output panels.
    view: RunView,
    /// The runs kept for the runs table.
    runs: RwSignal<Vec<SavedRun>>,
    /// The page's training worker.
    trainer: SharedTrainer,
) -> impl IntoView {
    let snap = view.snap;
    let running = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let last_checkpoint = RwSignal::new(String::new());
    let evaluation = RwSignal::new(None::<(i64, Vec<(String, f64)>)>);
    // `auto`: WebGPU when the browser offers an adapter, else the CPU backend.
    let backend = RwSignal::new("auto".to_string());
    // The config the worker's run was built from, and whether it is in the runs table.
    let run_config = StoredValue::new(None::<String>);
    let recorded = StoredValue::new(false);
    // A checkpoint asked for to keep with the finished run (not to download).
    let keep_next_checkpoint = StoredValue::new(false);
    let files_sent = StoredValue::new(None::<Files>);

    // The page's worker (shared with the Environment panel), started by the first
    // request that needs it: the page loads without the trainer's module.
    let send = move |request: Request, bytes: Option<&[u8]>| {
        if let Err(e) = trainer.send(&request, bytes) {
            running.set(false);
            message.set(Some(e));
        }
    };
    // Keeps the finished (or reset) run for the runs table, once.
    let record = move || {
        if recorded.get_value() {
            return;
        }
        let Some(config) = run_config.get_value() else {
            return;
        };
        let s = snap.get_untracked();
        if s.iter == 0 {
            return;
        }
        recorded.set_value(true);
        runs.update(|r| {
            let id = r.iter().map(|x| x.id).max().unwrap_or(0) + 1;
            r.push(saved_run(id, &config, &s));
            let excess = r.len().saturating_sub(MAX_RUNS);
            r.drain(..excess);
        });
    };
    let on_response = move |response: Response, bytes: Option<Vec<u8>>| match response {
        // The environment report goes to the Environment panel.
        Response::Ready | Response::Env(_) => {}
        Response::Progress(p) => {
            running.set(p.running);
            let just_finished = p.finished && !snap.with_untracked(|s| s.finished);
            view.absorb(p);
            if just_finished {
                record();
                keep_next_checkpoint.set_value(true);
                send(Request::Checkpoint, None);
            }
        }
        Response::Checkpoint { name } => {
            if keep_next_checkpoint.get_value() {
                keep_next_checkpoint.set_value(false);
                if let Some(b) = bytes.filter(|b| b.len() <= KEEP_CHECKPOINT) {
                    let encoded = to_base64(&b);
                    runs.update(|r| {
                        if let Some(last) = r.last_mut() {
                            last.checkpoint = encoded;
                        }
                    });
                }
                return;
            }
            match bytes.as_deref().map(|b| download(b, &name)) {
                Some(Ok(())) => last_checkpoint.set(name),
                Some(Err(e)) => message.set(Some(e)),
                None => message.set(Some("the checkpoint's bytes did not arrive".into())),
            }
        }
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
    trainer.set_handler(on_response);
    // The attention view's choice goes to the worker, which answers with the map.
    Effect::new(move |_| {
        let (sample, layer, head) = view.attention_choice.get();
        send(
            Request::View {
                sample,
                layer,
                head,
            },
            None,
        );
    });
    // Before a request that may build a run: the data files (when they changed) and
    // the config the run is built from.
    let prepare = move || {
        let current = files.get_untracked();
        if files_sent.with_value(|f| f.as_ref() != Some(&current)) {
            send(
                Request::Files {
                    files: current.clone(),
                },
                None,
            );
            files_sent.set_value(Some(current));
        }
        // Not built yet (or reset, or a build that failed): this text builds the run.
        if run_config.with_value(Option::is_none) || snap.with_untracked(|s| s.max_iters == 0) {
            run_config.set_value(Some(text.get_untracked()));
            recorded.set_value(false);
        }
    };

    let on_train = move |_| {
        message.set(None);
        running.set(true);
        prepare();
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
        prepare();
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
        record();
        run_config.set_value(None);
        send(Request::Reset, None);
    };
    let on_evaluate = move |_| {
        message.set(None);
        prepare();
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
                    prepare();
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
        <section class="panel train" aria-labelledby="train-title">
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
                        "Press Train: the config is built and trained here.".to_string()
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
                            match (&s.stopped_early, s.finished) {
                                (Some(why), _) => format!(
                                    " · stopped early by EarlyStoppingHook: {}",
                                    why.trim_end()
                                ),
                                (None, true) => " · finished".to_string(),
                                (None, false) => String::new(),
                            }
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
        </section>
    }
}
