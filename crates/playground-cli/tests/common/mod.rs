//! Running the `playground-cli` binary cargo built for these tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The path of a preset in `public/configs` (the files both faces read).
#[allow(dead_code)] // Not every test file uses it.
pub fn preset(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/configs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `playground-cli` with `args` and returns its output.
pub fn run_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_playground-cli"))
        .args(args)
        .output()
        .expect("playground-cli starts")
}
