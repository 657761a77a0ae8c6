//! What the panels share about the run in the worker: the progress reports
//! accumulated ([`Snapshot`]), the views inside and around the network ([`RunView`]),
//! and every finished run kept for the runs table ([`SavedRun`], in localStorage).

use leptos::prelude::*;
use playground_strategy::runs::RunRecord;
use serde::{Deserialize, Serialize};

use crate::worker::protocol::{
    AttentionMap, Boundary, ConfusionMatrix, NeuronViews, Progress, RegressionScatter,
    SequenceSamples,
};

/// The worker's progress reports, accumulated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Iterations done.
    pub iter: i64,
    /// Iterations in the run.
    pub max_iters: i64,
    /// Epochs done.
    pub epoch: i64,
    /// Training loss by iteration.
    pub losses: Vec<(i64, f64)>,
    /// The main validation metric by iteration.
    pub metric: Vec<(i64, f64)>,
    /// Its name.
    pub metric_name: String,
    /// The lr applied, per optimizer.
    pub lrs: Vec<(String, Vec<(i64, f64)>)>,
    /// Whether the run has ended.
    pub finished: bool,
    /// Why a hook ended it early (`EarlyStoppingHook`'s message).
    pub stopped_early: Option<String>,
    /// The device.
    pub device: String,
    /// Iterations per second.
    pub speed: f64,
    /// Seconds spent training.
    pub train_seconds: f64,
}

impl Snapshot {
    /// Takes in one report: replaces the histories when it is full, extends them otherwise.
    pub fn absorb(&mut self, p: &Progress) {
        if p.full {
            self.losses.clear();
            self.metric.clear();
            self.lrs.clear();
        }
        self.iter = p.iter;
        self.max_iters = p.max_iters;
        self.epoch = p.epoch;
        self.losses.extend(p.losses.iter().copied());
        self.metric.extend(p.metric.iter().copied());
        if !p.metric_name.is_empty() {
            self.metric_name = p.metric_name.clone();
        }
        for (name, points) in &p.lrs {
            match self.lrs.iter_mut().find(|(n, _)| n == name) {
                Some((_, have)) => have.extend(points.iter().copied()),
                None => self.lrs.push((name.clone(), points.clone())),
            }
        }
        self.finished = p.finished;
        self.stopped_early = p.stopped_early.clone();
        self.device = p.device.clone();
        self.speed = p.speed;
        self.train_seconds = p.train_seconds;
    }
}

/// The signals the run's panels read.
#[derive(Clone, Copy)]
pub struct RunView {
    /// Histories and status.
    pub snap: RwSignal<Snapshot>,
    /// Decision regions.
    pub bound: RwSignal<Option<Boundary>>,
    /// Every unit over the plane.
    pub neurons: RwSignal<Option<NeuronViews>>,
    /// The confusion matrix of the last validation.
    pub confusion: RwSignal<Option<ConfusionMatrix>>,
    /// A regression's predicted against true values.
    pub scatter: RwSignal<Option<RegressionScatter>>,
    /// A sequence model's answers after the last validation.
    pub samples: RwSignal<Option<SequenceSamples>>,
    /// The chosen attention head's weights.
    pub attention: RwSignal<Option<AttentionMap>>,
    /// The attention view's choice: `(sample, layer, head)`.
    pub attention_choice: RwSignal<(usize, usize, usize)>,
}

impl RunView {
    /// Empty views.
    pub fn new() -> Self {
        Self {
            snap: RwSignal::new(Snapshot::default()),
            bound: RwSignal::new(None),
            neurons: RwSignal::new(None),
            confusion: RwSignal::new(None),
            scatter: RwSignal::new(None),
            samples: RwSignal::new(None),
            attention: RwSignal::new(None),
            attention_choice: RwSignal::new((0, 0, 0)),
        }
    }

    /// Takes in one progress report.
    pub fn absorb(&self, mut p: Progress) {
        // Views come at most five times a second while training: keep the last ones
        // (a full report, after a build or reset, replaces them even when empty).
        if p.full || p.boundary.is_some() {
            self.bound.set(p.boundary.take());
        }
        if p.full || p.neurons.is_some() {
            self.neurons.set(p.neurons.take());
        }
        if p.full || p.attention.is_some() {
            self.attention.set(p.attention.take());
        }
        self.confusion.set(p.confusion.take());
        self.scatter.set(p.scatter.take());
        self.samples.set(p.samples.take());
        self.snap.update(|s| s.absorb(&p));
    }
}

impl Default for RunView {
    fn default() -> Self {
        Self::new()
    }
}

/// A run kept for the runs table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// A number, increasing.
    pub id: u64,
    /// The summary the table and the overlay show (its `config` is the parsed tree).
    pub record: RunRecord,
    /// The config text as written.
    pub config_text: String,
    /// The metric the run's `val` records hold first (`accuracy/top1`).
    pub metric_name: String,
    /// The final checkpoint, base64, when it was small enough to keep.
    pub checkpoint: Option<String>,
}

impl SavedRun {
    /// The run's `scalars.json`: MMEngine's one JSON object a line (training records
    /// with `loss`, `iter`, `step`; validations with the metric and `step`).
    pub fn scalars_json(&self) -> String {
        let mut out = String::new();
        for (iter, loss) in &self.record.loss {
            out += &serde_json::json!({"loss": loss, "iter": iter, "step": iter}).to_string();
            out.push('\n');
        }
        for (step, metrics) in &self.record.val {
            let mut m = serde_json::Map::new();
            for (k, v) in metrics {
                m.insert(k.clone(), serde_json::json!(v));
            }
            m.insert("step".into(), serde_json::json!(step));
            out += &serde_json::Value::Object(m).to_string();
            out.push('\n');
        }
        out
    }
}

/// localStorage key of the kept runs.
const RUNS_KEY: &str = "playground.runs";
/// The most runs kept; the oldest go first.
pub const MAX_RUNS: usize = 20;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The runs kept from earlier visits.
pub fn load_runs() -> Vec<SavedRun> {
    storage()
        .and_then(|s| s.get_item(RUNS_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Keeps `runs` (best effort: checkpoints are dropped, oldest first, when the quota
/// is reached).
pub fn save_runs(runs: &[SavedRun]) {
    let Some(s) = storage() else { return };
    let mut runs = runs.to_vec();
    loop {
        let Ok(json) = serde_json::to_string(&runs) else {
            return;
        };
        if s.set_item(RUNS_KEY, &json).is_ok() {
            return;
        }
        if let Some(r) = runs.iter_mut().find(|r| r.checkpoint.is_some()) {
            r.checkpoint = None;
        } else if runs.is_empty() {
            return;
        } else {
            runs.remove(0);
        }
    }
}
