//! Harness for Strategy Playground's end-to-end tests (the tests are in `tests/`):
//! a static file server for the built web app, a headless Chromium session driven
//! through Debian's ChromeDriver, and helpers that read and drive the app's page.

pub mod browser;
pub mod page;
pub mod static_server;
