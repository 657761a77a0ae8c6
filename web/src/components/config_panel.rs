//! The experiment's config: a preset picker and the config text.

use leptos::prelude::*;

use crate::presets::PRESETS;

/// Picks a preset and shows its config.
#[component]
pub fn ConfigPanel() -> impl IntoView {
    let (selected, set_selected) = signal(0usize);
    let text = move || PRESETS.get(selected.get()).map_or("", |p| p.text);
    view! {
        <section class="panel" aria-labelledby="config-title">
            <h2 id="config-title">"Experiment"</h2>
            <p>
                <label for="preset">"Preset"</label>
                <select
                    id="preset"
                    data-testid="preset-select"
                    on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                            set_selected.set(i);
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
                aria-label="Config (TOML, MMEngine keys)"
                spellcheck="false"
                prop:value=text
            ></textarea>
        </section>
    }
}
