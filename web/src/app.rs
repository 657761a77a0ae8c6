//! The page layout and the state its panels share.

use leptos::prelude::*;

use crate::components::config_panel::ConfigPanel;
use crate::components::env_panel::EnvPanel;
use crate::components::knobs::Knobs;
use crate::components::schedule_panel::{SchedulePanel, curves_of};
use crate::components::train_panel::TrainPanel;
use crate::presets::PRESETS;

/// The whole page: the experiment's config, its schedule, the environment.
#[component]
pub fn App() -> impl IntoView {
    // The config text is the one piece of state the panels share: the editor writes
    // it, the schedule preview and the trainer read it. It starts from a shared link,
    // else from the last visit, else from the first preset, and every edit is kept.
    let text = RwSignal::new(
        crate::persist::initial_text().unwrap_or_else(|| PRESETS[0].text.to_string()),
    );
    Effect::new(move |_| crate::persist::save_text(&text.get()));
    // Parsed and simulated once per edit: the chart draws it, the editor marks its error.
    let result = Memo::new(move |_| text.with(|t| curves_of(t)));
    view! {
        <header class="top">
            <h1>"Strategy Playground"</h1>
            <p>"MMEngine's training Strategy, in your browser"</p>
        </header>
        <main>
            <div class="side">
                <ConfigPanel text=text result=result />
                <Knobs text=text />
            </div>
            <div class="side">
                <SchedulePanel result=result />
                <TrainPanel text=text />
                <EnvPanel />
            </div>
        </main>
    }
}
