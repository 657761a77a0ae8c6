//! `cargo xtask serve`: the web app, built by trunk, on http://127.0.0.1:8080.

use std::path::PathBuf;

use anyhow::Result;

use crate::context::{Context, exec};
use crate::tools;

/// Where trunk writes the built app.
fn dist_dir(ctx: &Context) -> PathBuf {
    ctx.target_dir.join("web-dist")
}

/// Builds the shipped bundle (`wasm-release`: optimised for size) and returns its
/// folder: what the web smoke test uses and the web benchmark measures.
pub fn build_web_release(ctx: &Context) -> Result<PathBuf> {
    tools::ensure_web_tools(ctx)?;
    let dist = ctx.target_dir.join("web-dist-release");
    exec(
        ctx.command("trunk")
            .args([
                "build",
                "--release",
                "--cargo-profile",
                "wasm-release",
                "--dist",
            ])
            .arg(&dist),
    )?;
    Ok(dist)
}

/// Builds, serves and rebuilds on change until interrupted.
pub fn run(ctx: &Context, port: u16) -> Result<()> {
    tools::ensure_web_tools(ctx)?;
    eprintln!("xtask: serving on http://127.0.0.1:{port} (the first build takes several minutes)");
    exec(
        ctx.command("trunk")
            .arg("serve")
            .arg("--dist")
            .arg(dist_dir(ctx))
            .args(["--port", &port.to_string()]),
    )
}
