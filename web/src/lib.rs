//! The Strategy Playground web app (Leptos CSR): the page's components, and the Web
//! Worker that trains.
//!
//! They are two wasm modules built from this library (two binaries, one trunk build):
//! `playground-web`, the page (editor, preview, charts: no backend is reachable from
//! it, so the linker leaves burn's backends and kernel compiler out), and
//! `playground-trainer`, the worker with the strategy crate's backends, which the page
//! fetches only when it first needs it (the first **Train**, or the Environment
//! panel's backend probe). See [`worker::client`].

pub mod app;
pub mod components;
pub mod config_edit;
pub mod data_files;
pub mod download;
pub mod file_input;
pub mod persist;
pub mod presets;
pub mod run_state;
pub mod worker;

/// The page's entry point (`playground-web`): mounts the app.
pub fn start_page() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    // The first-render budget is read from this mark.
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("playground-mounted");
    }
}

/// The training worker's entry point (`playground-trainer`): the training loop.
pub fn start_trainer() {
    console_error_panic_hook::set_once();
    worker::scope::run();
}
