//! `cargo xtask bench`: benchmarks that need builds the tests do not make. Benchmarks
//! are never tests: they print measurements and ratios, and nothing fails on a timing.

use anyhow::Result;
use clap::ValueEnum;

use crate::context::{Context, exec};

/// A group of benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// The web app's budgets on the release bundle: gzipped `.wasm` size, time to first
    /// render in headless Chromium, browser vs native training speed.
    Web,
}

/// Runs the chosen benchmark groups (all when `only` is empty).
pub fn run(ctx: &Context, only: &[Stage]) -> Result<()> {
    let wanted = |s: Stage| only.is_empty() || only.contains(&s);
    if wanted(Stage::Web) {
        web(ctx)?;
    }
    Ok(())
}

fn web(ctx: &Context) -> Result<()> {
    let dist = crate::serve::build_web_release(ctx)?;
    eprintln!("xtask: [bench web] first render and training speed in headless Chromium");
    // The default members' selection, as in the tests: no second native burn build.
    exec(
        ctx.command("cargo")
            .args(["run", "--locked", "--example", "web_budgets", "--"])
            .arg(&dist)
            .args(["--runs", "3"]),
    )
}
