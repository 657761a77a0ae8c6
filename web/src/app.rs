//! The page layout and the state its panels share.
//!
//! Data first, as TensorFlow Playground lays it out: the training controls and the
//! common knobs on top; then the data | the network | the output (regions, curves,
//! confusion matrix); then the schedulers and the schedule, the runs, and the
//! environment. The full config editor is a panel one
//! click away (open at first; beside the playground on wide screens, below it on
//! narrow ones), always in sync with the form.

use leptos::prelude::*;

use crate::components::config_panel::ConfigPanel;
use crate::components::curves::LrChart;
use crate::components::data_panel::DataPanel;
use crate::components::env_panel::EnvPanel;
use crate::components::knobs::Knobs;
use crate::components::network_panel::NetworkPanel;
use crate::components::output_panel::OutputPanel;
use crate::components::runs_panel::RunsPanel;
use crate::components::schedule_panel::{SchedulePanel, curves_of};
use crate::components::schedulers::SchedulerList;
use crate::components::train_panel::TrainPanel;
use crate::presets::PRESETS;
use crate::run_state::{RunView, load_runs};

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    // The config text is the one piece of state the panels share: the editor writes
    // it, the schedule preview and the trainer read it. It starts from a shared link,
    // else from the last visit, else from the first preset, and every edit is kept.
    let text = RwSignal::new(
        crate::persist::initial_text().unwrap_or_else(|| PRESETS[0].text.to_string()),
    );
    Effect::new(move |_| crate::persist::save_text(&text.get()));
    // The tables configs read: the presets', uploads and drawn points.
    let files = RwSignal::new(crate::data_files::initial(crate::persist::shared_files()));
    Effect::new(move |_| files.with(|f| crate::data_files::save(f)));
    // A preset's big file (the shipped text) is fetched when the config names it.
    let fetching = StoredValue::new(Vec::<&'static str>::new());
    Effect::new(move |_| {
        let t = text.get();
        for (name, url) in files.with(|f| crate::data_files::missing_fetched(&t, f)) {
            if fetching.with_value(|v| v.contains(&name)) {
                continue;
            }
            fetching.update_value(|v| v.push(name));
            leptos::task::spawn_local(async move {
                match crate::data_files::fetch_text(url).await {
                    Ok(body) => files.update(|f| crate::data_files::upsert(f, name.into(), body)),
                    Err(e) => leptos::logging::warn!("{e}"),
                }
                fetching.update_value(|v| v.retain(|n| *n != name));
            });
        }
    });
    // Parsed and simulated once per edit: the chart draws it, the editor marks its error.
    let result = Memo::new(move |_| {
        let t = text.get();
        files.with(|f| curves_of(&t, f))
    });
    let run = RunView::new();
    let runs = RwSignal::new(load_runs());
    // One training worker for the page, started by the first request that needs it.
    let trainer = crate::worker::shared::SharedTrainer::new();
    view! {
        <header class="top">
            <h1>"Strategy Playground"</h1>
            <p>"MMEngine's training Strategy, in your browser"</p>
        </header>
        <div class="page">
            <main class="playground">
                <TrainPanel text=text files=files view=run runs=runs trainer=trainer />
                <Knobs text=text />
                <div class="columns">
                    <DataPanel text=text files=files />
                    <NetworkPanel view=run />
                    <OutputPanel view=run />
                </div>
                <div class="bottom-row">
                    <section class="panel schedule" aria-labelledby="schedulers-title">
                        <h2 id="schedulers-title">"Parameter schedulers"</h2>
                        <SchedulerList text=text />
                        <h3>"Learning rate applied while training"</h3>
                        <LrChart view=run />
                    </section>
                    <SchedulePanel result=result />
                </div>
                <RunsPanel runs=runs />
                <EnvPanel trainer=trainer />
            </main>
            <details class="editor-side" open=true>
                <summary data-testid="editor-toggle">"Config editor"</summary>
                <ConfigPanel text=text result=result files=files />
            </details>
        </div>
    }
}
