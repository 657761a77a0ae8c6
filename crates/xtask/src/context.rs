//! Where things live: the repository root, the shared target directory, and the
//! environment every child process gets.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// Paths and environment shared by every task.
pub struct Context {
    /// The repository root (where the workspace `Cargo.toml` is).
    pub root: PathBuf,
    /// One cargo target directory for every build, outside the clone, so repeated
    /// runs (and CI after a session on the same machine) are incremental.
    pub target_dir: PathBuf,
    /// Where tests write what a person may want to look at (screenshots).
    pub output_dir: PathBuf,
    /// A private XDG_RUNTIME_DIR (Mesa and Chromium complain without one).
    pub runtime_dir: PathBuf,
}

impl Context {
    /// Finds the root and prepares the directories.
    pub fn new() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .context("xtask lives two levels below the repository root")?
            .to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME").context("HOME is not set")?;
                PathBuf::from(home).join(".cache/strategy-playground/target")
            }
        };
        let output_dir = target_dir.join("test-output");
        let runtime_dir = target_dir.join("xdg-runtime");
        for dir in [&target_dir, &output_dir, &runtime_dir] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("chmod 700 {}", runtime_dir.display()))?;
        }
        Ok(Self {
            root,
            target_dir,
            output_dir,
            runtime_dir,
        })
    }

    /// A command run from the repository root with the shared environment.
    ///
    /// The variables `cargo run` gave the xtask itself (`CARGO_MANIFEST_DIR`,
    /// `CARGO_PKG_*`, …) are removed: `ring`'s build script reruns when
    /// `CARGO_MANIFEST_DIR` changes, so builds started here and builds started by hand
    /// in the same target directory used to rebuild about 20 crates, `ring` to `burn`,
    /// for each other.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(from_cargo_run) {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            // wasm-bindgen's runner applies it to a whole test binary, not to one test:
            // the strategy crate's nine browser tests take about 10 minutes here.
            .env("WASM_BINDGEN_TEST_TIMEOUT", "1500")
            .env("PATH", self.path_with_cargo_bin());
        cmd
    }

    /// PATH with `~/.cargo/bin` first, where the pinned tools are installed.
    ///
    /// A PATH that already starts with it is kept as it is: `ring`'s build script reruns
    /// when PATH changes, so a build started here and one started by hand (with the
    /// README's `export PATH=$HOME/.cargo/bin:$PATH`) must see the same PATH.
    pub fn path_with_cargo_bin(&self) -> std::ffi::OsString {
        with_first(cargo_bin(), std::env::var_os("PATH"))
    }

    /// [`Self::path_with_cargo_bin`] with `then` right after `~/.cargo/bin`: a tool
    /// that one build needs ahead of the system's copy (binaryen's `wasm-opt`).
    pub fn path_with_cargo_bin_then(&self, then: PathBuf) -> std::ffi::OsString {
        let rest = self.path_with_cargo_bin();
        let mut paths = vec![cargo_bin(), then];
        paths.extend(std::env::split_paths(&rest).skip(1));
        std::env::join_paths(paths).unwrap_or_default()
    }
}

/// `first` followed by the entries of `path`, with `first` not repeated when `path`
/// already starts with it.
fn with_first(first: PathBuf, path: Option<std::ffi::OsString>) -> std::ffi::OsString {
    let mut paths = vec![first];
    if let Some(path) = path {
        let mut rest = std::env::split_paths(&path).peekable();
        if rest.peek() == paths.first() {
            rest.next();
        }
        paths.extend(rest);
    }
    std::env::join_paths(paths).unwrap_or_default()
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    cargo_home.join("bin")
}

/// Runs a command, echoing it, and fails with its exit status.
pub fn exec(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// A command as a person would type it.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `key` is one of the variables `cargo run` sets for the program it runs
/// (not the user's own `CARGO_HOME`, `CARGO_TARGET_DIR` and such).
fn from_cargo_run(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || matches!(
            key,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

#[cfg(test)]
mod tests {
    use super::{from_cargo_run, with_first};

    #[test]
    fn cargo_bin_is_put_first_once() {
        let bin = std::path::PathBuf::from("/h/.cargo/bin");
        let got = |p: &str| with_first(bin.clone(), Some(p.into()));
        assert_eq!(got("/usr/bin:/bin"), "/h/.cargo/bin:/usr/bin:/bin");
        assert_eq!(got("/h/.cargo/bin:/usr/bin"), "/h/.cargo/bin:/usr/bin");
        assert_eq!(
            got("/usr/bin:/h/.cargo/bin"),
            "/h/.cargo/bin:/usr/bin:/h/.cargo/bin"
        );
        assert_eq!(with_first(bin.clone(), None), "/h/.cargo/bin");
    }

    #[test]
    fn only_what_cargo_run_sets_is_removed() {
        for k in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION",
            "CARGO_BIN_NAME",
        ] {
            assert!(from_cargo_run(k), "{k}");
        }
        for k in [
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO",
            "PATH",
            "RUSTUP_HOME",
        ] {
            assert!(!from_cargo_run(k), "{k}");
        }
    }
}
