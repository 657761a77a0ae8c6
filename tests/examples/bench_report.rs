//! Renders `BENCHMARKS.md` from benchmark rows, as `playground-bench report` does, in
//! the tests' (dev) build: `cargo xtask bench --only web` uses it, so the browser
//! benchmarks need no release build of the native benchmarks.
//!
//! `bench_report --rows ROWS.jsonl --out BENCHMARKS.md [--command TEXT]`.

use anyhow::Result;
use clap::Parser;
use playground_bench::report::ReportArgs;

/// Writes the report from the rows.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    args: ReportArgs,
}

fn main() -> Result<()> {
    let ReportArgs { rows, out, command } = Cli::parse().args;
    playground_bench::report::write(&rows, &out, &command)
}
