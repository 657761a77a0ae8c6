//! `cargo xtask gpu-kit`: what a machine with a GPU and no network needs to measure our
//! wgpu training rows against PyTorch CUDA there (`crates/bench/gpu/run.sh` runs it):
//!
//! - two release builds of `playground-bench`: burn as the playground ships it (neither
//!   fusion nor autotune) and burn with `fusion` and `autotune` (burn's own defaults;
//!   autotune with its cache, so the script can measure a first and a second run),
//!   stripped and xz-compressed (Python's `lzma` unpacks them there);
//! - the peer's wheels: MMEngine (`mmengine-lite`) and the pure-Python packages it
//!   needs, plus PyYAML for the usual CPython versions. PyTorch and NumPy are the
//!   machine's own (a CUDA build of PyTorch is what the rows compare with).
//!
//! The kit goes to `gpu-kit/` in the checkout (ignored by git), where a remote runner
//! that copies the working tree can carry it; it must stay under 64 MiB.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use crate::context::{Context, exec};
use crate::tools;

/// The most a kit may weigh (what the device runner carries beside the working tree).
const LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// The PyYAML release and the CPython versions its wheels are fetched for.
const PYYAML: &str = "pyyaml==6.0.4";
const PYTHONS: [&str; 4] = ["3.10", "3.11", "3.12", "3.13"];

/// Builds the kit into `<root>/gpu-kit`.
pub fn run(ctx: &Context) -> Result<()> {
    let kit = ctx.root.join("gpu-kit");
    if kit.exists() {
        std::fs::remove_dir_all(&kit).with_context(|| format!("emptying {}", kit.display()))?;
    }
    let wheels = kit.join("wheels");
    std::fs::create_dir_all(&wheels).with_context(|| format!("creating {}", wheels.display()))?;
    let built = ctx.target_dir.join("release").join("playground-bench");
    for (features, name) in [(None, "none"), (Some("fusion,autotune"), "fusion-autotune")] {
        eprintln!(
            "xtask: [gpu-kit] building playground-bench (release) with burn's {}",
            features.unwrap_or("defaults of this project (neither fusion nor autotune)")
        );
        crate::bench::build_bench(ctx, features)?;
        let dest = kit.join(format!("playground-bench-{name}"));
        std::fs::copy(&built, &dest)
            .with_context(|| format!("copying {} to {}", built.display(), dest.display()))?;
        exec(ctx.command("strip").arg(&dest))?;
        exec(ctx.command("xz").args(["-9", "-T2"]).arg(&dest))?;
    }
    let python = tools::ensure_bench_python(ctx)?;
    eprintln!(
        "xtask: [gpu-kit] the peer's wheels (MMEngine and what it needs; not NumPy or PyTorch)"
    );
    pip_download(ctx, &python, &wheels, &["mmengine-lite==0.10.7"])?;
    for python_version in PYTHONS {
        pip_download(
            ctx,
            &python,
            &wheels,
            &[
                "--no-deps",
                "--platform",
                "manylinux2014_x86_64",
                "--python-version",
                python_version,
                PYYAML,
            ],
        )?;
    }
    // The machine's own NumPy is the one its PyTorch was built against.
    for entry in std::fs::read_dir(&wheels)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("numpy-") {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    let bytes = size(&kit)?;
    eprintln!(
        "xtask: [gpu-kit] {} holds {:.1} MiB; on the GPU machine, from the checkout's root: \
         bash crates/bench/gpu/run.sh gpu-kit (rows and the report go to $OUT)",
        kit.display(),
        bytes as f64 / 1024.0 / 1024.0
    );
    if bytes > LIMIT_BYTES {
        bail!("the kit holds {bytes} bytes, over the {LIMIT_BYTES} a device run carries");
    }
    Ok(())
}

/// `python -m pip download` of binary wheels into `wheels`, with `args` (the
/// requirement last).
fn pip_download(ctx: &Context, python: &Path, wheels: &Path, args: &[&str]) -> Result<()> {
    exec(
        ctx.command(python)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary",
                ":all:",
                "-d",
            ])
            .arg(wheels)
            .args(args),
    )
}

/// Bytes under `dir`.
fn size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
