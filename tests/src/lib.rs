//! Harness for Strategy Playground's end-to-end tests (the tests are in `tests/`):
//! a static file server for the built web app, a headless Chromium session driven
//! through Debian's ChromeDriver, helpers that read and drive the app's page, and the
//! app's download as built.

pub mod browser;
pub mod bundle;
pub mod page;
pub mod static_server;
