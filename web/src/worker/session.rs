//! The training session the worker holds: a `Runner` built from the page's config,
//! trained in chunks, saved and resumed. It knows nothing of messages or threads, so
//! the wasm tests drive it directly on both backends.

use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;

use super::protocol::Progress;

/// Decision-boundary grid resolution (cells per side).
pub const GRID: usize = 32;
/// A chunk ends after this much time (or [`CHUNK_MAX`] iterations), so the worker
/// reads its messages (pause, checkpoint) and the page's charts move a few times a second.
const CHUNK_MILLIS: f64 = 150.0;
/// The most iterations in one chunk.
const CHUNK_MAX: usize = 50;

/// A training session: at most one runner, and what the page has been sent of it.
pub struct Session {
    runner: Option<Runner>,
    device: DeviceChoice,
    sent_losses: usize,
    sent_accuracy: usize,
    sent_lrs: usize,
    speed: f64,
}

impl Session {
    /// An empty session; runners it builds train on `device`.
    pub fn new(device: DeviceChoice) -> Self {
        Self {
            runner: None,
            device,
            sent_losses: 0,
            sent_accuracy: 0,
            sent_lrs: 0,
            speed: 0.0,
        }
    }

    /// Where the next runner is built (a runner keeps its device until [`Self::reset`]).
    pub fn set_device(&mut self, device: DeviceChoice) {
        self.device = device;
    }

    /// Whether a runner exists.
    pub fn is_built(&self) -> bool {
        self.runner.is_some()
    }

    /// Whether the run has reached its last iteration.
    pub fn is_finished(&self) -> bool {
        self.runner.as_ref().is_some_and(Runner::is_finished)
    }

    /// Builds the runner from `config` unless one exists. A config error names its key
    /// path.
    pub async fn ensure(&mut self, config: &str) -> Result<(), String> {
        if self.runner.is_some() {
            return Ok(());
        }
        let cfg = ExperimentConfig::from_text(config, &Registries::default())
            .map_err(|e| format!("{}: {}", e.path, e.message))?;
        let runner = Runner::from_config(
            cfg,
            RunnerOptions {
                device: self.device.clone(),
                write_files: false,
                ..RunnerOptions::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        self.runner = Some(runner);
        self.sent_losses = 0;
        self.sent_accuracy = 0;
        self.sent_lrs = 0;
        Ok(())
    }

    /// Drops the runner.
    pub fn reset(&mut self) {
        self.runner = None;
        self.speed = 0.0;
    }

    /// Trains up to `limit` iterations, stopping early at the end of the run or when the
    /// chunk's time is up. Returns the iterations done.
    pub async fn chunk(&mut self, limit: usize) -> Result<usize, String> {
        let Some(r) = self.runner.as_mut() else {
            return Err("nothing to train: no runner".into());
        };
        let started = web_time::Instant::now();
        let mut done = 0;
        let limit = limit.min(CHUNK_MAX);
        let mut result = Ok(());
        while done < limit && !r.is_finished() {
            match r.train_iter().await {
                Ok(more) => {
                    done += 1;
                    if !more {
                        break;
                    }
                }
                Err(e) => {
                    result = Err(e.to_string());
                    break;
                }
            }
            if started.elapsed().as_secs_f64() * 1000.0 >= CHUNK_MILLIS {
                break;
            }
        }
        // The losses of a WebGPU run are read back here, once a chunk.
        let flushed = r.flush().await.map_err(|e| e.to_string());
        let secs = started.elapsed().as_secs_f64();
        if done > 0 && secs > 0.0 {
            self.speed = done as f64 / secs;
        }
        result.and(flushed).map(|()| done)
    }

    /// Where training stands: the history since the last call (all of it when `full`)
    /// and the decision boundary.
    pub async fn progress(&mut self, full: bool, running: bool) -> Progress {
        let Some(r) = self.runner.as_ref() else {
            return Progress {
                full: true,
                ..Progress::default()
            };
        };
        if full {
            self.sent_losses = 0;
            self.sent_accuracy = 0;
            self.sent_lrs = 0;
        }
        let losses = r.hub.history("train/loss");
        let accuracy = r.hub.history("val/accuracy/top1");
        let series = r.lr_series();
        let lr_len = series.first().map_or(0, |(_, h)| h.len());
        let lrs = series
            .into_iter()
            .map(|(k, h)| {
                let from = self.sent_lrs.min(h.len());
                (k, h[from..].to_vec())
            })
            .collect();
        let progress = Progress {
            full,
            iter: r.hub.iter,
            max_iters: r.hub.max_iters,
            epoch: r.hub.epoch,
            losses: losses[self.sent_losses.min(losses.len())..].to_vec(),
            accuracy: accuracy[self.sent_accuracy.min(accuracy.len())..].to_vec(),
            lrs,
            finished: r.is_finished(),
            running: running && !r.is_finished(),
            device: r.strategy.device.description.clone(),
            speed: self.speed,
            boundary: r.decision_boundary(GRID).await,
        };
        self.sent_losses = losses.len();
        self.sent_accuracy = accuracy.len();
        self.sent_lrs = lr_len;
        progress
    }

    /// The current state as checkpoint bytes (the CLI's format) and a file name.
    pub async fn checkpoint(&mut self) -> Result<(String, Vec<u8>), String> {
        let Some(r) = self.runner.as_mut() else {
            return Err("nothing to save yet: train first".into());
        };
        let ck = r.checkpoint(true, true).await.map_err(|e| e.to_string())?;
        let name = format!("playground_iter_{}.safetensors", ck.iter());
        let bytes = ck.to_bytes().map_err(|e| e.to_string())?;
        Ok((name, bytes))
    }

    /// Evaluates the current weights (MMEngine's test loop: the test set, else the
    /// validation set); returns the iteration and the metrics.
    pub async fn evaluate(&mut self) -> Result<(i64, Vec<(String, f64)>), String> {
        let Some(r) = self.runner.as_mut() else {
            return Err("nothing to evaluate: no runner".into());
        };
        let metrics = r.test().await.map_err(|e| e.to_string())?;
        Ok((r.hub.iter, metrics.into_iter().collect()))
    }

    /// Resumes from checkpoint `bytes` (building the runner from `config` first if
    /// there is none). A file that is not a checkpoint, or one of another model, is
    /// refused with every misfit named and the session keeps its state.
    pub async fn resume(&mut self, config: &str, name: &str, bytes: &[u8]) -> Result<(), String> {
        let ck = Checkpoint::from_bytes(bytes).map_err(|e| format!("{name}: {e}"))?;
        self.ensure(config).await?;
        let Some(r) = self.runner.as_mut() else {
            return Err("no runner".into());
        };
        r.strategy
            .load_model_state_dict(r.prepared.model.as_mut(), &ck.state_dict, true)
            .and_then(|_| r.resume(ck, true, true))
            .map_err(|e| format!("{name}: {e}"))
    }
}
