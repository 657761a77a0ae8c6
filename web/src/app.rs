//! The page layout.

use leptos::prelude::*;

use crate::components::config_panel::ConfigPanel;
use crate::components::env_panel::EnvPanel;

/// The whole page: header, the experiment's config, the environment.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="top">
            <h1>"Strategy Playground"</h1>
            <p>"MMEngine's training Strategy, in your browser"</p>
        </header>
        <main>
            <ConfigPanel />
            <EnvPanel />
        </main>
    }
}
