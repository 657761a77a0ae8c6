//! The scheduler list in the form: add, remove, reorder, change a scheduler's type and
//! edit each of its fields. Like the other knobs it edits the config text in place
//! (through `toml_edit`), so the editor and the schedule chart follow at once.
//!
//! `param_scheduler` may be written as `[[param_scheduler]]` tables, an inline array or
//! a single table; the first edit through the form writes it as `[[param_scheduler]]`.

use leptos::prelude::*;
use playground_strategy::config::Registries;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

const KEY: &str = "param_scheduler";

/// The keys every scheduler takes; kept when the type changes.
const COMMON: &[&str] = &["begin", "end", "by_epoch", "convert_to_iter_based"];

/// Starting fields for a new scheduler of type `kind`, from the strategy crate
/// (`param_name` for a `*ParamScheduler`, the family's keys, `by_epoch`, `begin`).
fn defaults(kind: &str) -> Vec<(&'static str, Value)> {
    playground_strategy::scheduler::family::defaults(kind)
        .into_iter()
        .map(|(key, value)| (key, value.to_toml()))
        .collect()
}

/// The schedulers as tables (inline ones converted), or `None` when there are none.
fn tables(doc: &DocumentMut) -> Vec<Table> {
    match doc.get(KEY) {
        Some(Item::ArrayOfTables(a)) => a.iter().cloned().collect(),
        Some(Item::Table(t)) => vec![t.clone()],
        Some(Item::Value(Value::Array(a))) => a
            .iter()
            .filter_map(|v| v.as_inline_table().map(|t| t.clone().into_table()))
            .collect(),
        Some(Item::Value(Value::InlineTable(t))) => vec![t.clone().into_table()],
        _ => Vec::new(),
    }
}

/// Applies `edit` to the list and writes it back as `[[param_scheduler]]`.
fn edit(text: &str, edit: impl FnOnce(&mut Vec<Table>)) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let mut list = tables(&doc);
    // toml_edit prints tables in the order of their place in the source, not of the
    // array: hand the places out again in the new order (new tables follow the last).
    let mut places: Vec<isize> = list.iter().filter_map(Table::position).collect();
    places.sort_unstable();
    edit(&mut list);
    if list.is_empty() {
        doc.remove(KEY);
    } else {
        let mut array = ArrayOfTables::new();
        for (k, mut t) in list.into_iter().enumerate() {
            t.set_implicit(false);
            if let Some(place) = places.get(k) {
                t.set_position(*place);
            }
            array.push(t);
        }
        doc.insert(KEY, Item::ArrayOfTables(array));
    }
    Some(doc.to_string())
}

/// A field's text as typed into TOML: a number, bool, array or quoted string parses as
/// that; anything else is taken as a plain string.
fn parse_value(raw: &str) -> Value {
    raw.trim()
        .parse::<Value>()
        .unwrap_or_else(|_| Value::from(raw.trim()))
}

fn shown(v: &Item) -> String {
    match v.as_value() {
        Some(Value::String(s)) => s.value().clone(),
        Some(v) => v.to_string().trim().to_string(),
        None => String::new(),
    }
}

/// The scheduler list editor.
#[component]
pub fn SchedulerList(
    /// The config text, shared with the editor.
    text: RwSignal<String>,
) -> impl IntoView {
    let types: Vec<String> = Registries::default()
        .schedulers
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let types = StoredValue::new(types);
    let list = Memo::new(move |_| {
        text.with(|t| {
            t.parse::<DocumentMut>().ok().map(|d| {
                tables(&d)
                    .iter()
                    .map(|t| {
                        t.iter()
                            .map(|(k, v)| (k.to_string(), shown(v)))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let apply = move |f: Box<dyn FnOnce(&mut Vec<Table>)>| {
        if let Some(new) = edit(&text.get_untracked(), f) {
            text.set(new);
        }
    };
    let new_type = RwSignal::new("LinearLR".to_string());
    let add = move |_| {
        let kind = new_type.get_untracked();
        apply(Box::new(move |l| {
            let mut t = Table::new();
            t.insert("type", toml_edit::value(kind.as_str()));
            for (k, v) in defaults(&kind) {
                t.insert(k, Item::Value(v));
            }
            l.push(t);
        }));
    };
    view! {
        <div class="schedulers" data-testid="scheduler-list">
            <h3>"Parameter schedulers (in order)"</h3>
            {move || match list.get() {
                None => view! { <p class="muted">"Fix the config (TOML) to edit its schedulers here."</p> }.into_any(),
                Some(items) => {
                    let n = items.len();
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, fields)| {
                            let kind = fields
                                .iter()
                                .find(|(k, _)| k == "type")
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default();
                            let on_type = move |ev: leptos::ev::Event| {
                                let kind = event_target_value(&ev);
                                apply(Box::new(move |l| {
                                    if let Some(t) = l.get_mut(i) {
                                        let mut fresh = Table::new();
                                        fresh.insert("type", toml_edit::value(kind.as_str()));
                                        for (k, v) in defaults(&kind) {
                                            fresh.insert(k, Item::Value(v));
                                        }
                                        for key in COMMON {
                                            if let Some(v) = t.get(key) {
                                                fresh.insert(key, v.clone());
                                            }
                                        }
                                        *t = fresh;
                                    }
                                }));
                            };
                            let rows = fields
                                .into_iter()
                                .filter(|(k, _)| k != "type")
                                .map(|(key, shown)| {
                                    let k2 = key.clone();
                                    let on_field = move |ev: leptos::ev::Event| {
                                        let raw = event_target_value(&ev);
                                        let key = k2.clone();
                                        apply(Box::new(move |l| {
                                            if let Some(t) = l.get_mut(i) {
                                                if raw.trim().is_empty() {
                                                    t.remove(&key);
                                                } else {
                                                    t.insert(&key, Item::Value(parse_value(&raw)));
                                                }
                                            }
                                        }));
                                    };
                                    view! {
                                        <label class="knob">
                                            {key.clone()}
                                            <input data-testid=format!("scheduler-{i}-{key}")
                                                title="A TOML value; empty removes the key"
                                                prop:value=shown on:change=on_field />
                                        </label>
                                    }
                                })
                                .collect_view();
                            let (first, last) = (i == 0, i + 1 == n);
                            view! {
                                <fieldset class="scheduler" data-testid=format!("scheduler-{i}")>
                                    <legend>
                                        {format!("{}. ", i + 1)}
                                        <select aria-label=format!("type of scheduler {}", i + 1)
                                            data-testid=format!("scheduler-{i}-type") on:change=on_type>
                                            {types.get_value().into_iter().map(|t| {
                                                let selected = t == kind;
                                                view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                                            }).collect_view()}
                                        </select>
                                        <button type="button" title="Move up" aria-label=format!("move scheduler {} up", i + 1)
                                            data-testid=format!("scheduler-{i}-up") disabled=first
                                            on:click=move |_| apply(Box::new(move |l| l.swap(i - 1, i)))>"↑"</button>
                                        <button type="button" title="Move down" aria-label=format!("move scheduler {} down", i + 1)
                                            data-testid=format!("scheduler-{i}-down") disabled=last
                                            on:click=move |_| apply(Box::new(move |l| l.swap(i, i + 1)))>"↓"</button>
                                        <button type="button" title="Remove" aria-label=format!("remove scheduler {}", i + 1)
                                            data-testid=format!("scheduler-{i}-remove")
                                            on:click=move |_| apply(Box::new(move |l| { l.remove(i); }))>"✕"</button>
                                    </legend>
                                    <div class="knob-grid">{rows}</div>
                                </fieldset>
                            }
                        })
                        .collect_view()
                        .into_any()
                }
            }}
            <p class="add-scheduler">
                <select aria-label="type of the scheduler to add" data-testid="scheduler-add-type"
                    on:change=move |ev| new_type.set(event_target_value(&ev))>
                    {types.get_value().into_iter().map(|t| {
                        let selected = t == "LinearLR";
                        view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                    }).collect_view()}
                </select>
                <button type="button" data-testid="scheduler-add" on:click=add>"＋ Add scheduler"</button>
            </p>
        </div>
    }
}
