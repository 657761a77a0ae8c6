//! The experiment's config: a preset picker and the config text, editable.

use leptos::prelude::*;

use crate::presets::PRESETS;

/// Picks a preset and edits its config (TOML or JSON, MMEngine keys).
#[component]
pub fn ConfigPanel(
    /// The config text, shared with the schedule preview.
    text: RwSignal<String>,
) -> impl IntoView {
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
                <button
                    class="share"
                    data-testid="share-button"
                    title="Put the config into the page's address to share it"
                    on:click=move |_| shared.set(crate::persist::share(&text.get_untracked()).unwrap_or_default())
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
            <textarea
                data-testid="config-editor"
                aria-label="Config (TOML or JSON, MMEngine keys)"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
        </section>
    }
}
