//! Installing what the tasks need, idempotently: each piece is checked first and
//! installed only when missing or at the wrong version. Only package registries are
//! used (crates.io through `cargo install`, Debian through `apt-get`); nothing
//! downloads a browser, driver or prebuilt binary.

use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

use crate::context::{Context, exec};

/// A tool installed with `cargo install` at a pinned version.
struct CargoTool {
    /// Binary name on PATH.
    bin: &'static str,
    /// crates.io package.
    package: &'static str,
    /// Exact version.
    version: &'static str,
    /// Whether `--locked` works: wasm-bindgen-cli's lock file names a crate version the
    /// registry no longer serves, so it must resolve afresh (see the toolchain notes).
    locked: bool,
}

/// wasm-bindgen-cli must match the `wasm-bindgen = "=0.2.130"` pin in Cargo.toml.
const WASM_BINDGEN: CargoTool = CargoTool {
    bin: "wasm-bindgen",
    package: "wasm-bindgen-cli",
    version: "0.2.130",
    locked: false,
};
/// trunk 0.22 needs rustc >= 1.96.1; the toolchain is 1.95.
const TRUNK: CargoTool = CargoTool {
    bin: "trunk",
    package: "trunk",
    version: "0.21.14",
    locked: true,
};

/// The Python packages the interop tests read our files with (exact versions).
const PYTHON_PACKAGES: &[(&str, &str)] = &[
    ("safetensors", "0.8.0"),
    ("numpy", "2.4.6"),
    ("tensorboard", "2.21.0"),
];

/// The benchmarks' Python peer: PyTorch eager with MMEngine's optimizer wrapper and
/// schedulers (`mmengine-lite` is MMEngine without OpenCV; it forgets `packaging`).
const BENCH_PYTHON_PACKAGES: &[(&str, &str)] = &[
    ("torch", "2.15.0"),
    ("mmengine-lite", "0.10.7"),
    ("packaging", "26.4"),
    ("numpy", "2.4.6"),
    // The CSV ingestion row's peer.
    ("pandas", "3.1.1"),
];

/// TensorFlow.js for the browser benchmarks (npm).
const TFJS_PACKAGES: &[(&str, &str)] = &[
    ("@tensorflow/tfjs", "4.22.0"),
    ("@tensorflow/tfjs-backend-wasm", "4.22.0"),
];

/// A Python virtual environment in the cache directory with `safetensors` and `numpy`
/// (from PyPI), made once; returns its interpreter.
pub fn ensure_python(ctx: &Context) -> Result<std::path::PathBuf> {
    ensure_venv(ctx, "python-venv", PYTHON_PACKAGES)
}

/// A Python virtual environment with PyTorch and MMEngine for the benchmarks (PyPI's
/// PyTorch wheel brings CUDA's libraries, several GB, and runs on the CPU without a
/// GPU), made once; returns its interpreter.
pub fn ensure_bench_python(ctx: &Context) -> Result<std::path::PathBuf> {
    ensure_venv(ctx, "bench-venv", BENCH_PYTHON_PACKAGES)
}

/// A virtual environment `<target>/<dir>` with exactly `packages` (checked through
/// their installed metadata), made or completed once; returns its interpreter.
fn ensure_venv(ctx: &Context, dir: &str, packages: &[(&str, &str)]) -> Result<std::path::PathBuf> {
    let venv = ctx.target_dir.join(dir);
    let python = venv.join("bin").join("python");
    let names: Vec<&str> = packages.iter().map(|(p, _)| *p).collect();
    let want = packages
        .iter()
        .map(|(_, v)| *v)
        .collect::<Vec<_>>()
        .join(" ");
    let probe = |python: &std::path::Path| {
        Command::new(python)
            .args([
                "-c",
                "import importlib.metadata as m, sys; print(' '.join(m.version(p) for p in sys.argv[1:]))",
            ])
            .args(&names)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let list = names.join(", ");
    if probe(&python).as_deref() == Some(want.as_str()) {
        eprintln!("xtask: Python venv {dir} ({list}: {want}): present");
        return Ok(python);
    }
    eprintln!(
        "xtask: making a Python venv with {list} in {}",
        venv.display()
    );
    if !python.exists() {
        exec(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("python3 -m venv (on Debian: apt-get install python3-venv)")?;
    }
    let pins: Vec<String> = packages.iter().map(|(p, v)| format!("{p}=={v}")).collect();
    exec(
        Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(&pins),
    )?;
    match probe(&python) {
        Some(v) if v == want => Ok(python),
        other => bail!("the venv's {list} are {other:?}, not {want}"),
    }
}

/// TensorFlow.js from npm in `<target>/bench-npm`, installed once; returns its
/// `node_modules`.
pub fn ensure_tfjs(ctx: &Context) -> Result<std::path::PathBuf> {
    ensure_npm(ctx, "bench-npm", "TensorFlow.js", TFJS_PACKAGES)
}

/// binaryen (`wasm-opt`) from npm: Debian's 108 corrupts wasm-bindgen 0.2.130's
/// output, and trunk would otherwise download one from GitHub. Trunk accepts it when
/// its `--version` matches `Trunk.toml`'s `wasm_opt = "version_132"`.
const BINARYEN_PACKAGES: &[(&str, &str)] = &[("binaryen", "132.0.0")];

/// binaryen from npm in `<target>/binaryen`, installed once; returns the folder with
/// its `wasm-opt`, which trunk's release builds need first on PATH.
pub fn ensure_binaryen(ctx: &Context) -> Result<std::path::PathBuf> {
    Ok(ensure_npm(ctx, "binaryen", "binaryen", BINARYEN_PACKAGES)?.join(".bin"))
}

/// npm `packages` at exact versions in `<target>/<dir>`, installed once (checked
/// through each package's `package.json`); returns its `node_modules`.
fn ensure_npm(
    ctx: &Context,
    dir: &str,
    what: &str,
    packages: &[(&str, &str)],
) -> Result<std::path::PathBuf> {
    let prefix = ctx.target_dir.join(dir);
    let modules = prefix.join("node_modules");
    let installed = |name: &str| -> Option<String> {
        let text = std::fs::read_to_string(modules.join(name).join("package.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["version"].as_str().map(str::to_string)
    };
    if packages
        .iter()
        .all(|(p, v)| installed(p).as_deref() == Some(*v))
    {
        eprintln!("xtask: {what} in {}: present", modules.display());
        return Ok(modules);
    }
    ensure_command("npm", "npm")?;
    eprintln!(
        "xtask: installing {what} from npm into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    let pins: Vec<String> = packages.iter().map(|(p, v)| format!("{p}@{v}")).collect();
    exec(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .args(&pins),
    )
    .context("npm install (on Debian: apt-get install npm)")?;
    Ok(modules)
}

/// Debian packages for the browser tests and the native wgpu tests.
const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver", "mesa-vulkan-drivers"];

/// Everything every task needs (`cargo xtask setup`), binaryen for the release bundle
/// included.
pub fn ensure_all(ctx: &Context) -> Result<()> {
    ensure_system_packages()?;
    ensure_web_tools(ctx)?;
    ensure_binaryen(ctx).map(drop)
}

/// The wasm32 target, wasm-bindgen and trunk: what building the web app needs.
pub fn ensure_web_tools(ctx: &Context) -> Result<()> {
    ensure_wasm_target(ctx)?;
    ensure_cargo_tool(ctx, &WASM_BINDGEN)?;
    ensure_cargo_tool(ctx, &TRUNK)
}

/// What the browser tests need on top of the web tools: Chromium and ChromeDriver
/// (wasm-bindgen-cli brings the browser tests' runner, `wasm-bindgen-test-runner`).
pub fn ensure_test_tools(ctx: &Context) -> Result<()> {
    ensure_system_packages()?;
    ensure_web_tools(ctx)
}

fn ensure_wasm_target(ctx: &Context) -> Result<()> {
    let out = ctx
        .command("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (the toolchain is managed by rustup; see rust-toolchain.toml)")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        eprintln!("xtask: wasm32-unknown-unknown target: present");
        return Ok(());
    }
    eprintln!("xtask: installing the wasm32-unknown-unknown target");
    exec(
        ctx.command("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

fn installed_version(ctx: &Context, bin: &str) -> Option<String> {
    let out = ctx
        .command(bin)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn ensure_cargo_tool(ctx: &Context, tool: &CargoTool) -> Result<()> {
    if let Some(found) = installed_version(ctx, tool.bin)
        && found
            .split_whitespace()
            .any(|w| w.trim_start_matches('v') == tool.version)
    {
        eprintln!("xtask: {} {}: present", tool.bin, tool.version);
        return Ok(());
    }
    eprintln!(
        "xtask: installing {} {} with cargo install (a few minutes, once per machine)",
        tool.package, tool.version
    );
    let mut cmd = ctx.command("cargo");
    // cargo install builds in its own temporary directory, not the project's.
    cmd.env_remove("CARGO_TARGET_DIR").args([
        "install",
        tool.package,
        "--version",
        tool.version,
        "--force",
    ]);
    if tool.locked {
        cmd.arg("--locked");
    }
    exec(&mut cmd)?;
    match installed_version(ctx, tool.bin) {
        Some(v) if v.contains(tool.version) => Ok(()),
        other => bail!(
            "{} was installed but `{} --version` says {:?}, not {}",
            tool.package,
            tool.bin,
            other,
            tool.version
        ),
    }
}

fn dpkg_installed(package: &str) -> Option<bool> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Chromium, ChromeDriver and Mesa's Vulkan drivers (lavapipe) from Debian.
fn ensure_system_packages() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| dpkg_installed(p) == Some(false))
        .collect();
    if dpkg_installed("chromium").is_none() {
        // Not Debian: the binaries must be there some other way.
        for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            if !std::path::Path::new(bin).exists() {
                bail!(
                    "{bin} is missing and this is not a Debian system: install Chromium and ChromeDriver of the same version"
                );
            }
        }
        eprintln!("xtask: not Debian; using the Chromium and ChromeDriver found on this system");
        return Ok(());
    }
    if missing.is_empty() {
        eprintln!(
            "xtask: Debian packages {}: present",
            APT_PACKAGES.join(", ")
        );
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing Debian packages: {m}; install them with `sudo apt-get install {m}`",
            m = missing.join(" ")
        );
    }
    eprintln!("xtask: installing Debian packages {}", missing.join(", "));
    exec(Command::new("apt-get").args(["update", "-qq"]))?;
    exec(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq"])
            .args(&missing),
    )
}

/// `bin` on PATH, or Debian's `package` installed (as root) to provide it.
fn ensure_command(bin: &str, package: &str) -> Result<()> {
    let works = || {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return Ok(());
    }
    if dpkg_installed(package).is_none() || !is_root() {
        bail!("`{bin}` is missing: install it (Debian: `sudo apt-get install {package}`)");
    }
    eprintln!("xtask: installing Debian package {package} for `{bin}`");
    exec(Command::new("apt-get").args(["update", "-qq"]))?;
    exec(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", package]),
    )
}
