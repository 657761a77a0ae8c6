//! The Strategy Playground web app (Leptos CSR): the page's components, and the Web
//! Worker that trains. The same wasm module runs on the page and in the worker;
//! [`start`] decides which it is.

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

/// The module's entry point: the training loop in a worker, the app on a page.
pub fn start() {
    console_error_panic_hook::set_once();
    if worker::scope::in_worker() {
        worker::scope::run();
    } else {
        leptos::mount::mount_to_body(app::App);
        // The first-render budget is read from this mark.
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("playground-mounted");
        }
    }
}
