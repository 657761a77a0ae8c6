//! The experiment's config: a preset picker and the config text, editable.

use leptos::prelude::*;

use crate::presets::PRESETS;

/// Picks a preset and edits its config (TOML or JSON, MMEngine keys).
#[component]
pub fn ConfigPanel(
    /// The config text, shared with the schedule preview.
    text: RwSignal<String>,
) -> impl IntoView {
    let (selected, set_selected) = signal(0usize);
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
                            text.set(p.text.to_string());
                        }
                    }
                >
                    {PRESETS
                        .iter()
                        .enumerate()
                        .map(|(i, p)| view! { <option value=i.to_string()>{p.label}</option> })
                        .collect_view()}
                </select>
                <span class="muted">{move || PRESETS.get(selected.get()).map_or("", |p| p.file)}</span>
            </p>
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
