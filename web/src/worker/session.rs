//! The training session the worker holds: a `Runner` built from the page's config,
//! trained in chunks, saved and resumed. It knows nothing of messages or threads, so
//! the wasm tests drive it directly on both backends.

use burn::tensor::{Tensor, TensorData};
use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::data::Samples;
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;

use super::protocol::{Boundary, Progress};

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
                device: self.device,
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
        let lr_keys: Vec<String> = r
            .hub
            .keys()
            .filter(|k| k.starts_with("train/") && k.ends_with("lr"))
            .map(str::to_string)
            .collect();
        let lr_len = lr_keys.first().map_or(0, |k| r.hub.history(k).len());
        let lrs = lr_keys
            .iter()
            .map(|k| {
                let h = r.hub.history(k);
                let from = self.sent_lrs.min(h.len());
                (
                    k.trim_start_matches("train/").to_string(),
                    h[from..].to_vec(),
                )
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
            boundary: boundary(r).await,
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
            .load_model_state_dict(&ck.state_dict, true)
            .and_then(|_| r.resume(ck, true, true))
            .map_err(|e| format!("{name}: {e}"))
    }
}

/// Up to `max` points of `samples`, evenly spread: x, y, class.
fn points(samples: &Samples, max: usize) -> Vec<(f32, f32, i64)> {
    let step = (samples.len() / max).max(1);
    (0..samples.len())
        .step_by(step)
        .map(|i| {
            (
                samples.features[2 * i],
                samples.features[2 * i + 1],
                samples.labels[i],
            )
        })
        .collect()
}

/// The class-1 probability of a 2-D two-class classifier on a grid over its
/// training points; `None` for other datasets and models.
async fn boundary(r: &Runner) -> Option<Boundary> {
    let samples = &r.train_loader.samples;
    if samples.sample_shape != [2] || samples.num_classes != 2 || samples.is_empty() {
        return None;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for p in samples.features.chunks_exact(2) {
        x0 = x0.min(p[0]);
        x1 = x1.max(p[0]);
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    let (mx, my) = ((x1 - x0) * 0.05, (y1 - y0) * 0.05);
    let range = [x0 - mx, x1 + mx, y0 - my, y1 + my];
    let mut grid = Vec::with_capacity(GRID * GRID * 2);
    for row in 0..GRID {
        let y = range[3] - (range[3] - range[2]) * (row as f32 + 0.5) / GRID as f32;
        for col in 0..GRID {
            grid.push(range[0] + (range[1] - range[0]) * (col as f32 + 0.5) / GRID as f32);
            grid.push(y);
        }
    }
    let device = r.strategy.device.device.clone();
    let inputs: Tensor<2> = Tensor::from_data(TensorData::new(grid, [GRID * GRID, 2]), &device);
    let scores = r.strategy.model.as_ref()?.predict(inputs)?;
    let probs = burn::tensor::activation::softmax(scores, 1).narrow(1, 1, 1);
    let probs: Vec<f32> = probs.into_data_async().await.ok()?.try_into_vec_as().ok()?;
    Some(Boundary {
        range,
        grid: GRID,
        probs,
        points: points(samples, 300),
        val_points: r
            .val_samples()
            .filter(|v| v.sample_shape == [2])
            .map(|v| points(v, 150))
            .unwrap_or_default(),
    })
}
