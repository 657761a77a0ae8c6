//! `cargo xtask serve`: the web app, built by trunk, on http://127.0.0.1:8080.

use std::path::PathBuf;

use anyhow::Result;

use crate::context::{Context, exec};
use crate::tools;

/// Where trunk writes the built app.
fn dist_dir(ctx: &Context) -> PathBuf {
    ctx.target_dir.join("web-dist")
}

/// Builds the shipped bundle (`wasm-release`: optimised for size; the page's module
/// through `wasm-opt -Oz`) and returns its folder: what the web tests use and the web
/// benchmark measures.
pub fn build_web_release(ctx: &Context) -> Result<PathBuf> {
    tools::ensure_web_tools(ctx)?;
    let binaryen = tools::ensure_binaryen(ctx)?;
    let dist = ctx.target_dir.join("web-dist-release");
    // binaryen's `wasm-opt` right after `~/.cargo/bin`, for trunk only: the
    // `wasm-release` profile is built by trunk alone, so no other build sees this PATH.
    let mut path = vec![crate::context::cargo_bin(), binaryen];
    path.extend(std::env::split_paths(&ctx.path_with_cargo_bin()).skip(1));
    exec(
        ctx.command("trunk")
            .env("PATH", std::env::join_paths(path)?)
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
