//! The Strategy Playground web app (Leptos CSR). `main` only mounts the app.

mod app;
mod components;
mod persist;
mod presets;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
