//! The PyTorch side of the sequence workload: the native benchmarks' peer process
//! (`crates/bench/python/peer.py`: PyTorch eager with MMEngine's `OptimWrapper` and
//! schedulers), training the same config file on this machine's CPU with one thread,
//! as the page has one.

use std::path::Path;

use anyhow::Result;
use playground_bench::peer::{Peer, Versions};
use serde_json::json;

use super::{SAMPLE, WARM_UP};

/// What both sides change in the preset: no end and no validation within the
/// benchmark (the native benchmarks' options for an iteration-based config).
pub const OPTIONS: [&str; 2] = playground_bench::train::ITER_OPTIONS;

/// A running peer.
pub struct Torch {
    peer: Peer,
    versions: Versions,
}

impl Torch {
    /// Starts `python peer.py`.
    pub fn start(python: &Path) -> Result<Self> {
        let mut peer = Peer::start(python)?;
        let versions = peer.versions()?;
        Ok(Self { peer, versions })
    }

    /// The peer as a row names it.
    pub fn name(&self) -> String {
        format!(
            "PyTorch {} eager, natively on the CPU, 1 thread + MMEngine {} OptimWrapper and schedulers",
            self.versions.torch, self.versions.mmengine
        )
    }

    /// Iterations per second of `config`: a fresh model, [`WARM_UP`] iterations, then
    /// a block sized to last about [`SAMPLE`].
    pub fn speed(&mut self, config: &Path) -> Result<f64> {
        self.peer.call(json!({
            "cmd": "train_setup",
            "config": config,
            "cfg_options": OPTIONS,
            "device": "cpu",
            "threads": 1,
            "seed": 0,
        }))?;
        let warm = self
            .peer
            .seconds(json!({"cmd": "train", "iters": WARM_UP}))?;
        let block =
            ((SAMPLE.as_secs_f64() * WARM_UP as f64 / warm).round() as usize).clamp(5, 1_000_000);
        let seconds = self.peer.seconds(json!({"cmd": "train", "iters": block}))?;
        Ok(block as f64 / seconds)
    }
}
