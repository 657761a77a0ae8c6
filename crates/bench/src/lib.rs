//! Benchmarks against the tools people would use instead of the playground: PyTorch
//! eager with MMEngine's `OptimWrapper` and schedulers, `torch.save`/`torch.load`, a
//! plain file copy, a bare burn loop (natively, in this crate's `playground-bench`
//! binary) and TensorFlow.js (in the browser, `tests/examples/web_bench/`).
//!
//! Every pair runs interleaved in one run; the medians of several rounds give the
//! ratio. Each run appends [`rows::Row`]s to a JSON-lines file; [`report`] renders them
//! into `BENCHMARKS.md`. `cargo xtask bench` does all of it. Nothing here is a test and
//! nothing fails on a timing.

pub mod checkpoint;
pub mod csv_ingest;
pub mod machine;
pub mod overhead;
pub mod peer;
pub mod precision;
pub mod report;
pub mod rows;
pub mod scaling;
pub mod schedules;
pub mod stats;
pub mod train;

/// How every native comparison runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Interleaved rounds per pair, after one warm-up round.
    pub rounds: usize,
    /// Threads on the peer's side (ours: burn's CPU backend as built).
    pub threads: usize,
    /// Scales the training blocks' lengths (1.0: about a second each).
    pub scale: f64,
    /// The machine, for the table ([`machine::describe`]).
    pub machine: String,
    /// The training workloads to measure, by [`train::Workload::name`]; all when empty.
    pub workloads: Vec<String>,
}

impl Settings {
    /// Whether the training workload named `name` is measured.
    pub fn measures(&self, name: &str) -> bool {
        self.workloads.is_empty() || self.workloads.iter().any(|w| w == name)
    }
}
