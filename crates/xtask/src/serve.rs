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
    build_web_bundle(ctx, None)
}

/// The release bundle built with the web crate's `features` (burn's `fusion`,
/// `autotune`: the benchmarks' builds), in a folder of its own; the shipped one without.
pub fn build_web_bundle(ctx: &Context, features: Option<&str>) -> Result<PathBuf> {
    tools::ensure_web_tools(ctx)?;
    let binaryen = tools::ensure_binaryen(ctx)?;
    let dist = match features {
        None => ctx.target_dir.join("web-dist-release"),
        Some(f) => ctx
            .target_dir
            .join(format!("web-dist-release-{}", f.replace(',', "-"))),
    };
    let mut trunk = ctx.command("trunk");
    // binaryen's `wasm-opt` right after `~/.cargo/bin`, for trunk only: the
    // `wasm-release` profile is built by trunk alone, so no other build sees this PATH.
    trunk
        .env("PATH", ctx.path_with_cargo_bin_then(binaryen))
        .args(["build", "--release", "--cargo-profile", "wasm-release"]);
    if let Some(features) = features {
        trunk.args(["--features", features]);
    }
    exec(trunk.arg("--dist").arg(&dist))?;
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
