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
    /// The strategy crate's and the web app's browser tests (worker session,
    /// components) in headless Chromium, CPU and WebGPU, through wasm-bindgen's test
    /// runner: one `cargo test` for both crates, so burn is built for wasm32 once.
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

/// The browser tests of both crates run from one `cargo test` with wasm-bindgen's test
/// runner (what `wasm-pack test` drives underneath, with the same environment:
/// `CHROMEDRIVER`, browser only, headless, each crate's `webdriver.json` read from its
/// directory). `wasm-pack test` takes one crate per run, and each crate alone resolves
/// `web-sys` with other features, which made two wasm32 builds of burn (about 20 of the
/// cold stage's minutes); one package selection makes one.
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
    eprintln!(
        "xtask: [wasm] the strategy crate's and the web app's browser tests in headless Chromium (CPU and WebGPU)"
    );
    exec(
        ctx.command("cargo")
            .args(["test", "--locked", "--no-fail-fast"])
            .args(["--target", "wasm32-unknown-unknown"])
            .args(["-p", "playground-strategy", "-p", "playground-web"])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("WASM_BINDGEN_TEST_ONLY_WEB", "1"),
    )?;
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
                "web_bundle",
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
