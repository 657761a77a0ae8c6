//! Running the `playground-cli` binary cargo built for these tests.

use std::process::{Command, Output};

/// Runs `playground-cli` with `args` and returns its output.
pub fn run_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_playground-cli"))
        .args(args)
        .output()
        .expect("playground-cli starts")
}
