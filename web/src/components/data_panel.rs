//! The data, first: the training points on their plane (or the head of a table)
//! before anything trains, a CSV upload with a preview (first rows, column kinds,
//! class counts) and a choice of label column, and a canvas to draw points of
//! your own. Both edit the config (the editor shows the change) and hand the table
//! to the training worker.

use leptos::prelude::*;
use playground_strategy::base::{KeyPath, Registry};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::data::{CsvOptions, DatasetSpec, Samples, Task, preview_csv, read_csv};
use playground_strategy::runner::sequence::join_tokens;

use super::plot::{Frame, PALETTE, axes, legend, pointer_xy};
use crate::config_edit::{TableChoice, points_csv, use_table};
use crate::data_files::{Files, upsert};
use crate::file_input::take_chosen_file;

const W: f64 = 300.0;
const H: f64 = 300.0;
/// The drawing plane: TensorFlow Playground's `[-6, 6]²`.
const PLANE: (f64, f64) = (-6.0, 6.0);
/// Drawn points needed before they can be trained on (a fifth is held out).
const MIN_DRAWN: usize = 10;

/// The training split the config describes, built on the page (no tensors).
pub fn train_samples(text: &str, files: &Files) -> Result<(Samples, String), String> {
    let mut cfg = ExperimentConfig::from_text_checked(text, &Registries::default())
        .map_err(|e| e.to_string())?;
    crate::data_files::read_into(&mut cfg, files);
    if let Some(e) = cfg.problems_under(&["train_dataloader"]).next() {
        return Err(e.to_string());
    }
    let spec = cfg
        .train_dataloader
        .and_then(|d| d.dataset)
        .ok_or("the config has no train_dataloader.dataset")?;
    let what = match &spec {
        DatasetSpec::Csv(c, _) => format!("CSVDataset {}", c.path),
        s => s.type_name().to_string(),
    };
    let path = KeyPath::root().key("train_dataloader").key("dataset");
    let samples = spec
        .build(&Registry::new("dataset"), &path)
        .map_err(|e| e.to_string())?;
    Ok((samples, what))
}

fn summary(s: &Samples, what: &str) -> String {
    let shape = s
        .sample_shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("×");
    match s.task() {
        Task::Classification => {
            let mut counts = vec![0usize; s.num_classes];
            for &l in &s.labels {
                if let Some(c) = counts.get_mut(l as usize) {
                    *c += 1;
                }
            }
            let names = s.class_names();
            let per: Vec<String> = names
                .iter()
                .zip(&counts)
                .map(|(n, c)| format!("{n}: {c}"))
                .collect();
            format!(
                "{what}: {} training samples of {shape}, {} classes ({})",
                s.len(),
                s.num_classes,
                per.join(", ")
            )
        }
        Task::Sequence => {
            let layout = s
                .schema
                .as_ref()
                .and_then(|sc| sc.sequence.clone())
                .unwrap_or_default();
            format!(
                "{what}: {} training sequences of {} tokens ({} scored each), vocabulary of {}",
                s.len(),
                layout.block_size,
                layout.answer_len(),
                s.num_classes
            )
        }
        Task::Regression => format!(
            "{what}: {} training samples of {shape}, predicting {}",
            s.len(),
            s.schema
                .as_ref()
                .and_then(|sc| sc.target_name.clone())
                .unwrap_or_else(|| "a value".into())
        ),
    }
}

/// The points of a 2-D dataset, on axes, coloured by class.
fn plane_view(s: &Samples) -> impl IntoView + use<> {
    let xs: Vec<f64> = s
        .features
        .iter()
        .step_by(2)
        .map(|&v| f64::from(v))
        .collect();
    let ys: Vec<f64> = s
        .features
        .iter()
        .skip(1)
        .step_by(2)
        .map(|&v| f64::from(v))
        .collect();
    let range = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::MAX, f64::min);
        let hi = v.iter().copied().fold(f64::MIN, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-3);
        (lo - pad, hi + pad)
    };
    let f = Frame::new(W, H, range(&xs), range(&ys));
    let names = s
        .schema
        .as_ref()
        .filter(|sc| sc.feature_names.len() == 2)
        .map_or(["x1".to_string(), "x2".to_string()], |sc| {
            [sc.feature_names[0].clone(), sc.feature_names[1].clone()]
        });
    let step = (s.len() / 400).max(1);
    let classes = s.class_names();
    let points = (0..s.len())
        .step_by(step)
        .map(|i| {
            let color = match s.task() {
                Task::Classification | Task::Sequence => {
                    PALETTE[s.labels[i] as usize % PALETTE.len()]
                }
                Task::Regression => "#475569",
            };
            view! { <circle class="pt" cx=format!("{:.1}", f.px(xs[i])) cy=format!("{:.1}", f.py(ys[i])) r="2.6" fill=color /> }
        })
        .collect_view();
    view! {
        <svg class="chart plane" data-testid="data-preview" data-points=s.len().to_string()
            viewBox=format!("0 0 {W} {H}") role="img" aria-label="the training points">
            {axes(f, &names[0], &names[1])}
            {points}
        </svg>
        {legend(classes.into_iter().enumerate().map(|(i, n)| (n, PALETTE[i % PALETTE.len()])).collect())}
    }
}

/// The first sequences: the prompt, then the answer the model must write (text:
/// the window as it is).
fn sequence_view(s: &Samples) -> impl IntoView + use<> {
    let layout = s
        .schema
        .as_ref()
        .and_then(|sc| sc.sequence.clone())
        .unwrap_or_default();
    let vocab = s.vocab().to_vec();
    let k = s.sample_size();
    let rows = (0..s.len().min(6))
        .map(|i| {
            let ids: Vec<usize> = s.features[i * k..(i + 1) * k].iter().map(|&v| v as usize).collect();
            let last = s.token_targets[(i + 1) * k - 1].max(0) as usize;
            let cut = (layout.prompt_len + 1).min(ids.len());
            let mut whole = ids.clone();
            whole.push(last);
            let prompt = join_tokens(&vocab, &whole[..cut], &layout);
            let answer = join_tokens(&vocab, &whole[cut..], &layout);
            view! { <li><span class="prompt">{prompt}</span>" "<span class="answer">{answer}</span></li> }
        })
        .collect_view();
    view! { <ul class="completions samples" data-testid="sequence-preview">{rows}</ul> }
}

/// The first rows of a table dataset.
fn table_view(s: &Samples) -> impl IntoView + use<> {
    let schema = s.schema.clone();
    let names = schema
        .as_ref()
        .map(|sc| sc.feature_names.clone())
        .unwrap_or_default();
    let target = schema
        .as_ref()
        .and_then(|sc| sc.target_name.clone())
        .unwrap_or_else(|| "label".into());
    let classes = s.class_names();
    let k = s.sample_size();
    let rows = (0..s.len().min(8))
        .map(|i| {
            let label = match s.task() {
                Task::Classification | Task::Sequence => {
                    classes.get(s.labels[i] as usize).cloned().unwrap_or_default()
                }
                Task::Regression => format!("{}", s.values[i]),
            };
            view! {
                <tr>
                    {s.features[i * k..(i + 1) * k].iter().map(|v| view! { <td>{format!("{v}")}</td> }).collect_view()}
                    <td class="label">{label}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data" data-testid="data-table">
                <thead><tr>
                    {names.into_iter().map(|n| view! { <th>{n}</th> }).collect_view()}
                    <th class="label">{target}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The data panel.
#[component]
pub fn DataPanel(
    /// The config text.
    text: RwSignal<String>,
    /// The page's data files.
    files: RwSignal<Files>,
) -> impl IntoView {
    let current = Memo::new(move |_| {
        let t = text.get();
        files.with(|f| train_samples(&t, f))
    });
    let shown = move || match current.get() {
        Err(e) => view! { <p class="muted" data-testid="data-error">{e}</p> }.into_any(),
        Ok((s, what)) => {
            let text = summary(&s, &what);
            let body = if s.task() == Task::Sequence {
                sequence_view(&s).into_any()
            } else if s.sample_shape == [2] {
                plane_view(&s).into_any()
            } else if s.schema.is_some() {
                table_view(&s).into_any()
            } else {
                ().into_any()
            };
            view! { <p class="muted" data-testid="data-summary">{text}</p> {body} }.into_any()
        }
    };
    view! {
        <section class="panel data" aria-labelledby="data-title">
            <h2 id="data-title">"Data"</h2>
            {shown}
            <Upload text=text files=files />
            <Draw text=text files=files />
        </section>
    }
}

/// An uploaded table waiting for its label column.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    name: String,
    text: String,
}

#[component]
fn Upload(text: RwSignal<String>, files: RwSignal<Files>) -> impl IntoView {
    let pending = RwSignal::new(None::<Pending>);
    let label = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = take_chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let name = file.name();
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => {
                    let t = t.as_string().unwrap_or_default();
                    match preview_csv(t.as_bytes(), b',', 6) {
                        Ok(p) => {
                            error.set(None);
                            label.set(p.header.last().cloned().unwrap_or_default());
                            pending.set(Some(Pending { name, text: t }));
                        }
                        Err(e) => error.set(Some(format!("{name}: {}", e.message))),
                    }
                }
                Err(e) => error.set(Some(format!("{name}: could not read the file: {e:?}"))),
            }
        });
    };
    // The whole table read with the chosen label: class counts, or why it cannot train.
    let parsed = Memo::new(move |_| {
        pending.get().map(|p| {
            let opts = CsvOptions {
                label_column: Some(label.get()),
                ..CsvOptions::default()
            };
            read_csv(p.text.as_bytes(), &p.name, &opts).map_err(|e| e.to_string())
        })
    });
    let on_use = move |_| {
        let (Some(p), Some(Ok(data))) = (pending.get_untracked(), parsed.get_untracked()) else {
            return;
        };
        let choice = TableChoice {
            path: p.name.clone(),
            label_column: label.get_untracked(),
            task: data.task,
        };
        match use_table(&text.get_untracked(), &choice) {
            Ok(t) => {
                files.update(|f| upsert(f, p.name.clone(), p.text.clone()));
                text.set(t);
                pending.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <details class="upload" open=move || pending.get().is_some()>
            <summary>"⬆ Upload a CSV"</summary>
            <label class="upload">
                "Choose a .csv file (a header row, numeric features, one label column)"
                <input data-testid="dataset-upload" type="file" accept=".csv,text/csv" on:change=on_file />
            </label>
            {move || error.get().map(|e| view! { <div class="error" role="alert" data-testid="upload-error">{e}</div> })}
            {move || pending.get().map(|p| {
                let preview = preview_csv(p.text.as_bytes(), b',', 6).unwrap_or_default();
                let header = preview.header.clone();
                view! {
                    <div data-testid="upload-preview">
                        <p class="muted">{format!("{}: {} rows × {} columns", p.name, preview.row_count, header.len())}</p>
                        <div class="table-wrap"><table class="data">
                            <thead><tr>{header.iter().zip(&preview.numeric).map(|(h, n)| view! {
                                <th>{h.clone()}<br/><small>{if *n { "number" } else { "text" }}</small></th>
                            }).collect_view()}</tr></thead>
                            <tbody>{preview.rows.iter().map(|r| view! {
                                <tr>{r.iter().map(|v| view! { <td>{v.clone()}</td> }).collect_view()}</tr>
                            }).collect_view()}</tbody>
                        </table></div>
                        <label class="knob">"label column"
                            <select data-testid="label-select" on:change=move |ev| label.set(event_target_value(&ev))>
                                {header.iter().map(|h| {
                                    let (value, shown, is) = (h.clone(), h.clone(), h.clone());
                                    view! { <option value=value selected=move || label.get() == is>{shown}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        {move || match parsed.get() {
                            Some(Ok(d)) => {
                                let what = match d.task {
                                    Task::Classification => {
                                        let counts = d.class_counts();
                                        format!("classification: {}", d.class_names.iter().zip(counts).map(|(n, c)| format!("{n} {c}")).collect::<Vec<_>>().join(", "))
                                    }
                                    Task::Regression | Task::Sequence => format!("regression of {}", d.target_name),
                                };
                                view! { <p class="muted" data-testid="upload-classes">{what}</p> }.into_any()
                            }
                            Some(Err(e)) => view! { <div class="error" role="alert" data-testid="upload-error">{e}</div> }.into_any(),
                            None => ().into_any(),
                        }}
                        <button data-testid="use-upload" disabled=move || !matches!(parsed.get(), Some(Ok(_))) on:click=on_use>
                            "Train on this table"
                        </button>
                    </div>
                }
            })}
        </details>
    }
}

#[component]
fn Draw(text: RwSignal<String>, files: RwSignal<Files>) -> impl IntoView {
    let points = RwSignal::new(Vec::<(f64, f64, usize)>::new());
    let class = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);
    let f = Frame::new(W, H, PLANE, PLANE);
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some((vx, vy)) = pointer_xy(&ev, W, H) else {
            return;
        };
        let x = f.x_at(vx);
        let y = f.y_at(vy);
        if !(PLANE.0..=PLANE.1).contains(&x) || !(PLANE.0..=PLANE.1).contains(&y) {
            return;
        }
        if ev.shift_key() {
            points.update(|p| {
                if let Some(i) = p
                    .iter()
                    .enumerate()
                    .map(|(i, q)| (i, (q.0 - x).hypot(q.1 - y)))
                    .filter(|(_, d)| *d < 0.6)
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(i, _)| i)
                {
                    p.remove(i);
                }
            });
        } else {
            points.update(|p| p.push((x, y, class.get_untracked())));
        }
    };
    let usable = move || {
        points.with(|p| {
            let mut classes: Vec<usize> = p.iter().map(|q| q.2).collect();
            classes.sort_unstable();
            classes.dedup();
            p.len() >= MIN_DRAWN && classes.len() >= 2
        })
    };
    let on_use = move |_| {
        let p = points.get_untracked();
        let choice = TableChoice {
            path: "drawn.csv".into(),
            label_column: "label".into(),
            task: Task::Classification,
        };
        match use_table(&text.get_untracked(), &choice) {
            Ok(t) => {
                files.update(|fs| upsert(fs, "drawn.csv".into(), points_csv(&p)));
                text.set(t);
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <details class="draw">
            <summary>"✎ Draw your own points"</summary>
            <p class="muted">"Click to add a point of the chosen class; shift-click removes the nearest one."</p>
            <p class="controls">
                {(0..3).map(|c| view! {
                    <button data-testid=format!("draw-class-{c}") class:chosen=move || class.get() == c
                        style=format!("border-color: {}", PALETTE[c]) on:click=move |_| class.set(c)>
                        {format!("class {c}")}
                    </button>
                }).collect_view()}
                <button data-testid="draw-clear" on:click=move |_| points.set(Vec::new())>"Clear"</button>
            </p>
            <svg class="chart plane draw" data-testid="draw-canvas"
                data-points=move || points.with(Vec::len).to_string()
                viewBox=format!("0 0 {W} {H}") role="img" aria-label="drawing plane: click to add points"
                on:click=on_click>
                {axes(f, "x1", "x2")}
                {move || points.get().into_iter().map(|(x, y, c)| view! {
                    <circle class="pt" cx=format!("{:.1}", f.px(x)) cy=format!("{:.1}", f.py(y)) r="3.5" fill=PALETTE[c] />
                }).collect_view()}
            </svg>
            {move || error.get().map(|e| view! { <div class="error" role="alert">{e}</div> })}
            <button data-testid="use-drawn" disabled=move || !usable() on:click=on_use>
                {move || format!("Train on these {} points", points.with(Vec::len))}
            </button>
        </details>
    }
}
