//! Harness for Strategy Playground's end-to-end tests (the tests are in `tests/`):
//! a static file server for the built web app, a headless Chromium session driven
//! through Debian's ChromeDriver.

pub mod browser;
pub mod static_server;
