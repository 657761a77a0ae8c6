//! The training session the worker holds: a `Runner` built from the page's config,
//! trained in chunks, saved and resumed. It knows nothing of messages or threads, so
//! the wasm tests drive it directly on both backends.

use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::read_back::ReadBack;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;

use super::protocol::{
    Boundary, ConfusionMatrix, NeuronViews, Progress, RegressionScatter, SequenceSamples,
};

/// Decision-boundary grid resolution (cells per side).
pub const GRID: usize = 32;
/// Neuron-map resolution (cells per side): small, so the views cost little while
/// training (see BENCHMARKS.md).
pub const NEURON_GRID: usize = 12;
/// The views (regions, unit maps) are recomputed at most this often while training
/// runs (and always when a run is built, paused or finished): five times a second is
/// what a person sees, and it keeps their cost under 10 % of training (the "live
/// views" row in BENCHMARKS.md measures this policy).
pub const VIEWS_EVERY_MS: f64 = 200.0;
/// A chunk ends after this much time (or [`CHUNK_MAX`] iterations), so the worker
/// reads its messages (pause, checkpoint) and the page's charts move a few times a second.
const CHUNK_MILLIS: f64 = 150.0;
/// The most iterations in one chunk.
const CHUNK_MAX: usize = 50;
/// A sequence model's samples shown after each validation: a task's prompts answered
/// greedily, or text completions of this many characters.
pub const SAMPLES: usize = 6;
/// Characters a text completion adds.
pub const COMPLETION: usize = 60;

/// A training session: at most one runner, and what the page has been sent of it.
pub struct Session {
    runner: Option<Runner>,
    device: DeviceChoice,
    files: Vec<(String, String)>,
    sent_losses: usize,
    sent_metric: usize,
    sent_lrs: usize,
    speed: f64,
    train_seconds: f64,
    /// When the views were last computed.
    views_at: Option<web_time::Instant>,
    /// The views started at one report of a running session and sent with a later one.
    views_in_flight: Option<ViewsInFlight>,
    /// What the last validation seen gave the views (and how many validations that
    /// was).
    evaluated: Evaluated,
    /// The attention view's `(sample, layer, head)`.
    attention: (usize, usize, usize),
}

/// The views' read-backs, started but not yet collected: while training runs they are
/// collected at a later report, so the worker does not wait for the device to finish
/// the chunk before it (see [`ReadBack`]).
struct ViewsInFlight {
    boundary: Option<ReadBack<Option<Boundary>>>,
    neurons: Option<ReadBack<Option<NeuronViews>>>,
}

impl ViewsInFlight {
    /// The views if both have arrived; never waits.
    fn take(&mut self) -> Option<(Option<Boundary>, Option<NeuronViews>)> {
        fn ready<T>(r: &mut Option<ReadBack<T>>) -> bool {
            r.as_mut().is_none_or(ReadBack::is_ready)
        }
        if !ready(&mut self.boundary) || !ready(&mut self.neurons) {
            return None;
        }
        let boundary = self.boundary.as_mut().and_then(ReadBack::take);
        let neurons = self.neurons.as_mut().and_then(ReadBack::take);
        Some((
            boundary.and_then(Result::ok).flatten(),
            neurons.and_then(Result::ok).flatten(),
        ))
    }

    /// Waits for both reads (a read is never dropped on its way: see [`ReadBack`]).
    async fn settle(self) {
        if let Some(b) = self.boundary {
            let _ = b.finish().await;
        }
        if let Some(n) = self.neurons {
            let _ = n.finish().await;
        }
    }
}

/// The views that follow the validations (not every chunk).
#[derive(Default)]
struct Evaluated {
    /// How many validations there had been.
    count: usize,
    /// A classifier's confusion matrix.
    confusion: Option<ConfusionMatrix>,
    /// A regression's predictions against the truth.
    scatter: Option<RegressionScatter>,
    /// A sequence model's answers.
    samples: Option<SequenceSamples>,
}

/// The validation metric the charts follow, in order of preference.
fn main_metric(r: &Runner) -> Option<String> {
    let keys: Vec<&str> = r.hub.keys().collect();
    [
        "val/accuracy/top1",
        "val/token_accuracy/top1",
        "val/regression/r2",
        "val/chamfer",
    ]
    .into_iter()
    .find(|k| keys.contains(k))
    .or_else(|| {
        keys.into_iter()
            .find(|k| k.starts_with("val/") && *k != "val/time" && *k != "val/data_time")
    })
    .map(str::to_string)
}

impl Session {
    /// An empty session; runners it builds train on `device`.
    pub fn new(device: DeviceChoice) -> Self {
        Self {
            runner: None,
            device,
            files: Vec::new(),
            sent_losses: 0,
            sent_metric: 0,
            sent_lrs: 0,
            speed: 0.0,
            train_seconds: 0.0,
            views_at: None,
            views_in_flight: None,
            evaluated: Evaluated::default(),
            attention: (0, 0, 0),
        }
    }

    /// Chooses what the attention view shows: head `head` of layer `layer` on
    /// validation sample `sample` (clamped to what the model and data have).
    pub fn set_attention(&mut self, sample: usize, layer: usize, head: usize) {
        self.attention = (sample, layer, head);
    }

    /// The data files the next runner reads (a runner keeps its data until
    /// [`Self::reset`]).
    pub fn set_files(&mut self, files: Vec<(String, String)>) {
        self.files = files;
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
        let mut cfg = ExperimentConfig::from_text_checked(config, &Registries::default())
            .map_err(|e| format!("{}: {}", e.path, e.message))?;
        crate::data_files::read_into(&mut cfg, &self.files);
        let cfg = cfg
            .strict()
            .map_err(|e| format!("{}: {}", e.path, e.message))?;
        let runner = Runner::from_config(
            cfg,
            RunnerOptions {
                device: self.device.clone(),
                write_files: false,
                // The losses are read back once a chunk (see `chunk`), not at every
                // logger interval: under WebGPU each read-back drains the queue
                // (about 60 ms on SwiftShader, BENCHMARKS.md).
                defer_log_reads: true,
                ..RunnerOptions::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        self.runner = Some(runner);
        self.sent_losses = 0;
        self.sent_metric = 0;
        self.sent_lrs = 0;
        self.train_seconds = 0.0;
        self.evaluated = Evaluated::default();
        Ok(())
    }

    /// Drops the runner, once the reads it started have arrived.
    pub async fn reset(&mut self) {
        let _ = self.settle().await;
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
        let mut result = Ok(());
        while done < limit.min(CHUNK_MAX) && !r.is_finished() {
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
        // The losses of a WebGPU run are read back once a chunk: started here and
        // collected at the end of the next chunk, so the device is not left idle while
        // the worker waits for the read and starts the next chunk, and the worker stays
        // at most a chunk ahead of it (BENCHMARKS.md); all of them when this is the
        // last chunk asked for.
        let last = done >= limit || r.is_finished() || result.is_err();
        let flushed = if last {
            r.flush().await
        } else {
            r.collect_reads().await.map(|()| r.read_ahead())
        }
        .map_err(|e| e.to_string());
        let secs = started.elapsed().as_secs_f64();
        self.train_seconds += secs;
        if done > 0 && secs > 0.0 {
            self.speed = done as f64 / secs;
        }
        result.and(flushed).map(|()| done)
    }

    /// Reads back every loss still on its way (a paused session's report shows them
    /// all) and waits for the views' reads.
    pub async fn settle(&mut self) -> Result<(), String> {
        if let Some(views) = self.views_in_flight.take() {
            views.settle().await;
        }
        match self.runner.as_mut() {
            Some(r) => r.flush().await.map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// Where training stands: the history since the last call (all of it when `full`)
    /// and the views inside and around the network.
    ///
    /// The views (`boundary`, `neurons`) are `None` when not due (see
    /// [`VIEWS_EVERY_MS`]): the page keeps the last ones.
    pub async fn progress(&mut self, full: bool, running: bool) -> Progress {
        let Some(r) = self.runner.as_ref() else {
            return Progress {
                full: true,
                ..Progress::default()
            };
        };
        if full {
            self.sent_losses = 0;
            self.sent_metric = 0;
            self.sent_lrs = 0;
        }
        let views_due = full
            || !running
            || r.is_finished()
            || self
                .views_at
                .is_none_or(|t| t.elapsed().as_secs_f64() * 1000.0 >= VIEWS_EVERY_MS);
        // While training runs the views are started at one report and sent with a
        // later one; otherwise they are computed and sent at once.
        let live = running && !full && !r.is_finished();
        let views;
        if live {
            views = self.views_in_flight.as_mut().and_then(ViewsInFlight::take);
            if views.is_some() {
                self.views_in_flight = None;
            }
            if views_due && self.views_in_flight.is_none() {
                self.views_at = Some(web_time::Instant::now());
                self.views_in_flight = Some(ViewsInFlight {
                    boundary: r.start_decision_boundary(GRID),
                    neurons: r.start_neuron_views(NEURON_GRID),
                });
            }
        } else {
            if let Some(stale) = self.views_in_flight.take() {
                stale.settle().await;
            }
            self.views_at = Some(web_time::Instant::now());
            views = Some((
                r.decision_boundary(GRID).await,
                r.neuron_views(NEURON_GRID).await,
            ));
        }
        let (boundary, neurons) = views.unzip();
        let losses = r.hub.history("train/loss");
        let metric_key = main_metric(r);
        let metric = metric_key.as_deref().map_or(&[][..], |k| r.hub.history(k));
        // The matrix, the scatter and the samples follow the validations.
        if metric.len() != self.evaluated.count
            || (full && metric.is_empty() && self.evaluated.count > 0)
        {
            self.evaluated = Evaluated {
                count: metric.len(),
                confusion: r.confusion_matrix("val").await.ok().flatten(),
                scatter: r.regression_scatter().await,
                samples: r.sequence_samples(SAMPLES, COMPLETION).await.ok().flatten(),
            };
        }
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
            metric: metric[self.sent_metric.min(metric.len())..].to_vec(),
            metric_name: metric_key
                .as_deref()
                .map_or(String::new(), |k| k.trim_start_matches("val/").to_string()),
            lrs,
            finished: r.is_finished(),
            stopped_early: r.stopped_early.clone(),
            running: running && !r.is_finished(),
            device: r.strategy.device.description.clone(),
            speed: self.speed,
            boundary: boundary.flatten(),
            neurons: neurons.flatten(),
            confusion: self.evaluated.confusion.clone(),
            scatter: self.evaluated.scatter.clone(),
            train_seconds: self.train_seconds,
            samples: self.evaluated.samples.clone(),
            attention: if views_due {
                let (sample, layer, head) = self.attention;
                r.attention_map(sample, layer, head).await.ok().flatten()
            } else {
                None
            },
        };
        self.sent_losses = losses.len();
        self.sent_metric = metric.len();
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
        // Nothing read back before the resume may land after it.
        self.settle().await?;
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
