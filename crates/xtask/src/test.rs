//! `cargo xtask test`: every test, in the order that fails fastest.

use anyhow::Result;
use clap::ValueEnum;

use crate::context::{Context, exec};
use crate::tools;

/// A group of tests that needs its own build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// `cargo fmt --check` and `cargo test`: unit and integration tests, including the
    /// wgpu tests on a real Vulkan adapter (lavapipe without a GPU).
    Native,
    /// `wasm-pack test`: the strategy crate and the web app's worker session and
    /// components in headless Chromium, CPU and WebGPU.
    Wasm,
    /// trunk builds the web app's release bundle; a WebDriver test uses it in headless
    /// Chromium.
    Web,
}

/// Runs the chosen stages (all when `only` is empty).
pub fn run(ctx: &Context, only: &[Stage]) -> Result<()> {
    let wanted = |s: Stage| only.is_empty() || only.contains(&s);
    tools::ensure_test_tools(ctx)?;
    eprintln!("xtask: cargo target directory {}", ctx.target_dir.display());
    if wanted(Stage::Native) {
        native(ctx)?;
    }
    if wanted(Stage::Wasm) {
        wasm(ctx)?;
    }
    if wanted(Stage::Web) {
        web(ctx)?;
    }
    eprintln!("xtask: all tests passed");
    Ok(())
}

fn native(ctx: &Context) -> Result<()> {
    eprintln!("xtask: [native] formatting, then unit, integration and wgpu tests");
    exec(ctx.command("cargo").args(["fmt", "--all", "--", "--check"]))?;
    exec(
        ctx.command("cargo")
            .args(["test", "--locked", "--no-fail-fast"]),
    )?;
    eprintln!(
        "xtask: [native] Python reads our files: safetensors + numpy (checkpoints), tensorboard (event files)"
    );
    let python = tools::ensure_python(ctx)?;
    exec(
        ctx.command("cargo")
            .args(["test", "--locked", "--test", "cli_pytorch"])
            .args(["--", "--ignored"])
            .env("PLAYGROUND_PYTHON", python),
    )
}

fn wasm(ctx: &Context) -> Result<()> {
    eprintln!(
        "xtask: [wasm] the strategy crate without tensor backends builds for wasm32 (the schedule preview's build)"
    );
    exec(ctx.command("cargo").args([
        "build",
        "--locked",
        "-p",
        "playground-strategy",
        "--lib",
        "--no-default-features",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    for (what, dir) in [
        ("the strategy crate's tests", "crates/strategy"),
        ("the web app's worker session and components", "web"),
    ] {
        eprintln!("xtask: [wasm] {what} in headless Chromium (CPU and WebGPU)");
        exec(ctx.command("wasm-pack").args([
            "test",
            "--headless",
            "--chrome",
            "--mode",
            "no-install",
            dir,
        ]))?;
    }
    Ok(())
}

/// The smoke test runs with the same package selection as the native stage (the
/// default members, no `-p`): another selection unifies features differently and
/// rebuilds burn natively.
fn web(ctx: &Context) -> Result<()> {
    eprintln!(
        "xtask: [web] building the shipped web bundle with trunk (release), then using it in headless Chromium"
    );
    let dist = crate::serve::build_web_release(ctx)?;
    exec(
        ctx.command("cargo")
            .args([
                "test",
                "--locked",
                "--test",
                "web_smoke",
                "--test",
                "web_train",
                "--test",
                "web_data",
                "--test",
                "web_sequence",
            ])
            .args(["--", "--ignored", "--nocapture"])
            .env("PLAYGROUND_WEB_DIST", &dist)
            .env("PLAYGROUND_TEST_OUTPUT", &ctx.output_dir),
    )?;
    eprintln!("xtask: [web] screenshots in {}", ctx.output_dir.display());
    Ok(())
}
