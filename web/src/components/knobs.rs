//! Form controls for the common knobs, kept in sync with the text editor: each control
//! reads its value from the config text and writes it back into the text (comments and
//! layout preserved, through `toml_edit`), so the editor stays the one source of truth.

use leptos::prelude::*;
use playground_strategy::data::{dataset_keys, dataset_spec_registry};
use playground_strategy::model::spec::Activation;
use playground_strategy::optim::config::optimizer_registry;
use toml_edit::{DocumentMut, Item, value};

/// Where each knob lives in an MMEngine config.
const LR: &[&str] = &["optim_wrapper", "optimizer", "lr"];
const OPTIMIZER: &[&str] = &["optim_wrapper", "optimizer", "type"];
const BATCH: &[&str] = &["train_dataloader", "batch_size"];
const EPOCHS: &[&str] = &["train_cfg", "max_epochs"];
const ACTIVATION: &[&str] = &["model", "activation"];
const HIDDEN: &[&str] = &["model", "hidden_sizes"];
const DATASET: &[&str] = &["train_dataloader", "dataset", "type"];
const NOISE: &[&str] = &["train_dataloader", "dataset", "noise"];

fn get<'a>(doc: &'a DocumentMut, path: &[&str]) -> Option<&'a Item> {
    let mut item = doc.as_item();
    for key in path {
        item = item.get(key)?;
    }
    Some(item)
}

fn show(item: Option<&Item>) -> String {
    match item.and_then(Item::as_value) {
        Some(v) if v.is_str() => v.as_str().unwrap_or_default().to_string(),
        Some(v) if v.is_array() => v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.to_string().trim().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        Some(v) => v.to_string().trim().to_string(),
        None => String::new(),
    }
}

/// Sets `path` (only where the tables already exist) and returns the new text.
fn set(text: &str, path: &[&str], new: Item) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let (last, parents) = path.split_last()?;
    let mut table = doc.as_table_mut() as &mut dyn toml_edit::TableLike;
    for key in parents {
        table = table.get_mut(key)?.as_table_like_mut()?;
    }
    table.insert(last, new);
    Some(doc.to_string())
}

/// Makes the train and val dataset tables fit `new_type`: drops keys it does not take
/// and adds the sample count it needs.
fn fit_dataset_keys(text: &str, new_type: &str) -> String {
    let Some((keys, samples)) = dataset_keys(new_type) else {
        return text.to_string();
    };
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return text.to_string();
    };
    for loader in ["train_dataloader", "val_dataloader"] {
        let Some(table) = doc
            .get_mut(loader)
            .and_then(|l| l.get_mut("dataset"))
            .and_then(Item::as_table_like_mut)
        else {
            continue;
        };
        let drop: Vec<String> = table
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !keys.contains(&k.as_str()))
            .collect();
        for k in drop {
            table.remove(&k);
        }
        if let Some(n) = samples
            && table.get("num_samples").is_none()
        {
            table.insert("num_samples", value(n as i64));
        }
    }
    doc.to_string()
}

/// Parses a knob's input into a TOML value of the right kind.
fn parse(kind: &str, raw: &str) -> Option<Item> {
    let raw = raw.trim();
    match kind {
        "float" => raw.parse::<f64>().ok().filter(|v| v.is_finite()).map(value),
        "int" => raw.parse::<i64>().ok().map(value),
        "list" => {
            let mut a = toml_edit::Array::new();
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                a.push(part.parse::<i64>().ok()?);
            }
            Some(value(a))
        }
        _ => Some(value(raw)),
    }
}

/// The knobs panel.
#[component]
pub fn Knobs(
    /// The config text, shared with the editor.
    text: RwSignal<String>,
) -> impl IntoView {
    // Re-parsed where read: a TOML document is cheap to parse and has no equality.
    let doc = move || text.get().parse::<DocumentMut>().ok();
    let field = move |label: &'static str,
                      path: &'static [&'static str],
                      kind: &'static str,
                      testid: &'static str| {
        let on_change = move |ev: leptos::ev::Event| {
            let raw = event_target_value(&ev);
            let current = text.get_untracked();
            if let Some(new) = parse(kind, &raw).and_then(|item| set(&current, path, item)) {
                text.set(new);
            }
        };
        view! {
            <label class="knob">
                {label}
                <input data-testid=testid prop:value=move || doc().map(|d| show(get(&d, path))).unwrap_or_default()
                    on:change=on_change />
            </label>
        }
    };
    let choice = move |label: &'static str,
                       path: &'static [&'static str],
                       options: Vec<String>,
                       testid: &'static str| {
        let on_change = move |ev: leptos::ev::Event| {
            let raw = event_target_value(&ev);
            let current = text.get_untracked();
            // Switching optimizers keeps only the keys every optimizer takes.
            let base = if path == OPTIMIZER {
                current
                    .parse::<DocumentMut>()
                    .ok()
                    .and_then(|mut d| {
                        let opt = d
                            .get_mut("optim_wrapper")?
                            .get_mut("optimizer")?
                            .as_table_like_mut()?;
                        let keep = ["type", "lr", "weight_decay"];
                        let drop: Vec<String> = opt
                            .iter()
                            .map(|(k, _)| k.to_string())
                            .filter(|k| !keep.contains(&k.as_str()))
                            .collect();
                        for k in drop {
                            opt.remove(&k);
                        }
                        Some(d.to_string())
                    })
                    .unwrap_or(current)
            } else {
                current
            };
            let mut new = set(&base, path, value(raw.as_str()));
            // The validation set follows the training set's type; both keep only the
            // keys the new type takes (the strategy crate's list) and gain its sample
            // count when it needs one.
            if path == DATASET {
                new = new.and_then(|t| {
                    set(
                        &t,
                        &["val_dataloader", "dataset", "type"],
                        value(raw.as_str()),
                    )
                    .or(Some(t))
                });
                new = new.map(|t| fit_dataset_keys(&t, &raw));
            }
            if let Some(new) = new {
                text.set(new);
            }
        };
        view! {
            <label class="knob">
                {label}
                <select data-testid=testid on:change=on_change>
                    {move || {
                        // A value the list does not offer (a CSVDataset from the Data
                        // panel) is shown as it is, not as the first choice.
                        let mut all = options.clone();
                        if let Some(current) = doc().map(|d| show(get(&d, path)))
                            && !current.is_empty()
                            && !all.contains(&current)
                        {
                            all.insert(0, current);
                        }
                        all.into_iter().map(|o| {
                            let shown = o.clone();
                            view! { <option value=o.clone() selected=move || doc().map(|d| show(get(&d, path))) == Some(o.clone())>{shown}</option> }
                        }).collect_view()
                    }}
                </select>
            </label>
        }
    };
    // The choices come from the strategy crate's registries (the form never lists a
    // type the config would refuse). FakeData is for benchmarks, and a table comes in
    // through the Data panel's upload (it needs a file), not this form.
    let datasets: Vec<String> = dataset_spec_registry()
        .names()
        .into_iter()
        .filter(|n| *n != "FakeData" && *n != "CSVDataset")
        .map(str::to_string)
        .collect();
    let activations: Vec<String> = Activation::ALL
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    let optimizers: Vec<String> = optimizer_registry()
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    view! {
        <section class="panel knobs" aria-labelledby="knobs-title">
            <h2 id="knobs-title">"Common knobs"</h2>
            {move || doc().is_none().then(|| view! {
                <p class="muted">"The form edits TOML configs; this one is JSON or does not parse yet."</p>
            })}
            <div class="knob-grid">
                {choice("dataset", DATASET, datasets, "knob-dataset")}
                {field("noise", NOISE, "float", "knob-noise")}
                {field("hidden sizes", HIDDEN, "list", "knob-hidden")}
                {choice("activation", ACTIVATION, activations, "knob-activation")}
                {choice("optimizer", OPTIMIZER, optimizers, "knob-optimizer")}
                {field("lr", LR, "float", "knob-lr")}
                {field("batch size", BATCH, "int", "knob-batch")}
                {field("epochs", EPOCHS, "int", "knob-epochs")}
            </div>
        </section>
    }
}
