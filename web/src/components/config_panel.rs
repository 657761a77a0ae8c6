//! The experiment's config: a preset picker and the config text, editable.

use leptos::prelude::*;
use playground_strategy::config::ConfigError;
use playground_strategy::config::locate::error_line;
use playground_strategy::plan::Curves;
use wasm_bindgen::JsCast;

use crate::file_input::take_chosen_file;
use crate::presets::PRESETS;

/// The UTF-16 offsets (what a textarea's selection counts) of line `line` (1-based).
fn line_range(text: &str, line: usize) -> (u32, u32) {
    let mut start = 0u32;
    for (i, l) in text.split('\n').enumerate() {
        let len = l.encode_utf16().count() as u32;
        if i + 1 == line {
            return (start, start + len);
        }
        start += len + 1;
    }
    (start, start)
}

/// Picks a preset and edits its config (TOML or JSON, MMEngine keys).
#[component]
pub fn ConfigPanel(
    /// The config text, shared with the schedule preview.
    text: RwSignal<String>,
    /// The text parsed and simulated: its error is marked in the editor.
    result: Memo<Result<Curves, ConfigError>>,
    /// The page's data files (a share link carries the small ones).
    files: RwSignal<crate::data_files::Files>,
) -> impl IntoView {
    let error = Memo::new(move |_| result.with(|r| r.as_ref().err().cloned()));
    let line = Memo::new(move |_| error.get().and_then(|e| text.with(|t| error_line(t, &e))));
    let lines = Memo::new(move |_| text.with(|t| t.split('\n').count()));
    let gutter = NodeRef::<leptos::html::Pre>::new();
    let editor = NodeRef::<leptos::html::Textarea>::new();
    // Puts the caret on the line the error names and selects it.
    let go_to = move |n: usize| {
        if let Some(area) = editor.get_untracked() {
            let (start, end) = text.with_untracked(|t| line_range(t, n));
            let _ = area.focus();
            let _ = area.set_selection_range(start, end);
            let per_line = area.scroll_height() / (lines.get_untracked().max(1) as i32);
            area.set_scroll_top((per_line * (n as i32 - 3)).max(0));
        }
    };
    let (selected, set_selected) = signal(
        crate::persist::initial_preset()
            .filter(|i| *i < PRESETS.len())
            .unwrap_or(0),
    );
    let shared = RwSignal::new(String::new());
    view! {
        <section class="panel" aria-labelledby="config-title">
            <h2 id="config-title">"Experiment"</h2>
            <p>
                <label for="preset">"Preset"</label>
                <select
                    id="preset"
                    data-testid="preset-select"
                    on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>()
                            && let Some(p) = PRESETS.get(i)
                        {
                            set_selected.set(i);
                            crate::persist::save_preset(i);
                            text.set(p.text.to_string());
                        }
                    }
                >
                    {PRESETS
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            view! {
                                <option value=i.to_string() selected=move || selected.get() == i>
                                    {p.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <span class="muted">{move || PRESETS.get(selected.get()).map_or("", |p| p.file)}</span>
                <label class="open" title="Load a config file (TOML or JSON) from this computer">
                    "Open…"
                    <input data-testid="config-open" type="file" accept=".toml,.json"
                        on:change=move |ev: leptos::ev::Event| {
                            let Some(file) = take_chosen_file(&ev) else {
                                return;
                            };
                            leptos::task::spawn_local(async move {
                                if let Ok(t) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                                    && let Some(t) = t.as_string()
                                {
                                    text.set(t);
                                }
                            });
                        } />
                </label>
                <button
                    class="share"
                    data-testid="share-button"
                    title="Put the config into the page's address to share it"
                    on:click=move |_| shared.set(crate::persist::share(&text.get_untracked(), &files.get_untracked()).unwrap_or_default())
                >
                    "Share link"
                </button>
            </p>
            {move || {
                let link = shared.get();
                (!link.is_empty())
                    .then(|| {
                        view! {
                            <p class="muted share-link">
                                "Link to this config (also in the address bar): "
                                <input data-testid="share-link" readonly prop:value=link.clone() />
                            </p>
                        }
                    })
            }}
            <div class="editor">
                <pre class="gutter" aria-hidden="true" node_ref=gutter>
                    {move || {
                        let bad = line.get();
                        (1..=lines.get())
                            .map(|n| {
                                let class = if bad == Some(n) { "ln bad" } else { "ln" };
                                view! { <span class=class>{n}</span> }
                            })
                            .collect_view()
                    }}
                </pre>
                <textarea
                    data-testid="config-editor"
                    node_ref=editor
                    aria-label="Config (TOML or JSON, MMEngine keys)"
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="editor-error"
                    spellcheck="false"
                    wrap="off"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:scroll=move |ev| {
                        let top = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .map_or(0, |e| e.scroll_top());
                        if let Some(g) = gutter.get_untracked() {
                            g.set_scroll_top(top);
                        }
                    }
                ></textarea>
            </div>
            <div id="editor-error" aria-live="polite">
                {move || {
                    error
                        .get()
                        .map(|e| {
                            let n = line.get();
                            view! {
                                <p class="error inline" data-testid="editor-error"
                                    data-path=e.path.clone() data-line=n.map_or(String::new(), |n| n.to_string())>
                                    {n.map(|n| view! {
                                        <button class="goto" title="Select this line in the editor" on:click=move |_| go_to(n)>
                                            {format!("line {n}")}
                                        </button>
                                        " "
                                    })}
                                    <strong>{e.path.clone()}</strong>
                                    ": "
                                    {e.message.clone()}
                                </p>
                            }
                        })
                }}
            </div>
        </section>
    }
}
