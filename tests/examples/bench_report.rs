//! Renders `BENCHMARKS.md` from benchmark rows, as `playground-bench report` does, in
//! the tests' (dev) build: `cargo xtask bench --only web` uses it, so the browser
//! benchmarks need no release build of the native benchmarks.
//!
//! `bench_report --rows ROWS.jsonl --out BENCHMARKS.md [--command TEXT]`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;

/// Writes the report from the rows.
#[derive(Debug, Parser)]
struct Cli {
    /// Every stage's rows (JSON lines).
    #[arg(long)]
    rows: PathBuf,
    /// The report; its hand-written part (after the marker line) is kept.
    #[arg(long)]
    out: PathBuf,
    /// The command named in the report's header.
    #[arg(long, default_value = "cargo xtask bench")]
    command: String,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    playground_bench::report::write(&cli.rows, &cli.out, &cli.command)
}
