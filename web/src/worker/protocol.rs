//! The messages between the page and the training worker.
//!
//! A message is a JS array `[json, bytes?]`: the request or response as JSON, and a
//! checkpoint's bytes, when it carries one, as a `Uint8Array` whose buffer is
//! transferred, not copied.

use playground_strategy::env::EnvReport;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// What the page asks of the worker. The config text travels with every request that
/// may have to build the runner; a runner that exists keeps its config until `Reset`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// The page's data files (an uploaded CSV, drawn points, a preset's table) by the
    /// name a config's `path` gives; the next runner built reads them.
    Files {
        /// `(name, text)` of every file.
        files: Vec<(String, String)>,
    },
    /// Train until paused or finished.
    Train {
        /// The config to build from when there is no runner yet.
        config: String,
        /// The backend to build on (`auto`, `cpu`, `wgpu`) when there is no runner yet.
        backend: String,
    },
    /// Train `iters` iterations (or until finished), then stop.
    Step {
        /// The config to build from when there is no runner yet.
        config: String,
        /// The backend to build on (`auto`, `cpu`, `wgpu`) when there is no runner yet.
        backend: String,
        /// How many iterations.
        iters: usize,
    },
    /// Stop after the iteration in flight.
    Pause,
    /// Drop the runner; the next `Train` builds a fresh one.
    Reset,
    /// Save the current state; answered by [`Response::Checkpoint`] with the file's bytes.
    Checkpoint,
    /// Evaluate the current weights on the test set (the validation set when the config
    /// has none), as MMEngine's test loop; training state is untouched.
    Evaluate {
        /// The config to build from when there is no runner yet.
        config: String,
        /// The backend to build on (`auto`, `cpu`, `wgpu`) when there is no runner yet.
        backend: String,
    },
    /// Which attention head the attention view shows: head `head` of layer `layer`
    /// on validation sample `sample` (answered by a progress report).
    View {
        /// The sample's index in the validation set.
        sample: usize,
        /// The layer.
        layer: usize,
        /// The head.
        head: usize,
    },
    /// Report the environment as the trainer sees it (`collect_env`: the backends
    /// compiled in, the wgpu adapter, the CPU backend's precisions); answered by
    /// [`Response::Env`].
    Env,
    /// Resume from the checkpoint whose bytes come with this message.
    Resume {
        /// The config to build from when there is no runner yet.
        config: String,
        /// The backend to build on (`auto`, `cpu`, `wgpu`) when there is no runner yet.
        backend: String,
        /// The file's name, for messages.
        name: String,
    },
}

impl Request {
    /// Whether the request needs a worker started for it: the ones that may build a
    /// run (and its data files), and the environment report. Without a worker there is
    /// no run to pause, reset, save or show a view of, so those are dropped instead.
    pub fn needs_trainer(&self) -> bool {
        match self {
            Self::Files { .. }
            | Self::Train { .. }
            | Self::Step { .. }
            | Self::Evaluate { .. }
            | Self::Resume { .. }
            | Self::Env => true,
            Self::Pause | Self::Reset | Self::Checkpoint | Self::View { .. } => false,
        }
    }
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker is listening; requests sent before this are queued by the page.
    Ready,
    /// Where training stands.
    Progress(Progress),
    /// A checkpoint; its bytes come with this message.
    Checkpoint {
        /// A file name for the download (`playground_iter_<n>.safetensors`).
        name: String,
    },
    /// A checkpoint was loaded and training continues from it.
    Resumed {
        /// The uploaded file's name.
        name: String,
    },
    /// The metrics of an evaluation.
    Evaluated {
        /// The iteration the weights are at.
        iter: i64,
        /// Metric name → value (`accuracy/top1` in percent).
        metrics: Vec<(String, f64)>,
    },
    /// The trainer's environment report.
    Env(Box<EnvReport>),
    /// A request failed; the session is as it was before it.
    Error {
        /// What went wrong, naming the file or config key.
        message: String,
    },
}

/// Where training stands, sent after every chunk of iterations.
///
/// The histories are deltas: the points since the previous message, unless `full`,
/// in which case they replace what the page holds (after a build, reset or resume).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Whether the histories replace the page's instead of extending them.
    pub full: bool,
    /// Iterations done.
    pub iter: i64,
    /// Iterations in the whole run.
    pub max_iters: i64,
    /// Epochs done.
    pub epoch: i64,
    /// `train/loss` points `(iter, value)`.
    pub losses: Vec<(i64, f64)>,
    /// The main validation metric's points (`accuracy/top1` in percent,
    /// `regression/r2`, `chamfer`).
    pub metric: Vec<(i64, f64)>,
    /// Its name (empty before the first validation).
    pub metric_name: String,
    /// The lr applied, one series per `train/…lr` key (one per optimizer).
    pub lrs: Vec<(String, Vec<(i64, f64)>)>,
    /// Whether the run has reached its last iteration (or a hook stopped it).
    pub finished: bool,
    /// Why a hook (`EarlyStoppingHook`) ended the run before its last iteration.
    #[serde(default)]
    pub stopped_early: Option<String>,
    /// Whether the worker keeps training without further requests.
    pub running: bool,
    /// The device the runner trains on, as the strategy describes it.
    pub device: String,
    /// Iterations per second over the last chunk.
    pub speed: f64,
    /// The decision regions, for 2-D classification data.
    pub boundary: Option<Boundary>,
    /// Every input and hidden unit over the plane, for an MLP on 2-D data.
    pub neurons: Option<NeuronViews>,
    /// The classifier's confusion matrix on the validation set (after a validation).
    pub confusion: Option<ConfusionMatrix>,
    /// A regression's predictions against the truth (after a validation).
    pub scatter: Option<RegressionScatter>,
    /// Seconds spent training so far.
    pub train_seconds: f64,
    /// A sequence model's answers (a task's prompts, text completions) after the
    /// last validation.
    pub samples: Option<SequenceSamples>,
    /// The chosen attention head on the chosen sample (a transformer).
    pub attention: Option<AttentionMap>,
}

pub use playground_strategy::metric::ConfusionMatrix;
pub use playground_strategy::runner::inside::{NeuronViews, RegressionScatter};
pub use playground_strategy::runner::sequence::{AttentionMap, SequenceSamples};
/// The decision regions, as the strategy crate computes them.
pub use playground_strategy::runner::views::DecisionBoundary as Boundary;

/// A message that could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProtocolError {
    /// The message is not a `[json, bytes?]` array.
    #[error("malformed worker message: expected [json, bytes?], got {0}")]
    Shape(String),
    /// The JSON does not describe a known message.
    #[error("malformed worker message: {0}")]
    Json(String),
}

/// Packs `message` and optional bytes into the JS value `postMessage` sends, and the
/// list of buffers to transfer with it.
pub fn encode<T: Serialize>(message: &T, bytes: Option<&[u8]>) -> (JsValue, js_sys::Array) {
    // Serialising these plain enums cannot fail (no maps with non-string keys).
    let json = serde_json::to_string(message).unwrap_or_else(|e| {
        serde_json::to_string(&Response::Error {
            message: format!("could not encode a worker message: {e}"),
        })
        .unwrap_or_default()
    });
    let packed = js_sys::Array::of1(&JsValue::from_str(&json));
    let transfer = js_sys::Array::new();
    if let Some(bytes) = bytes {
        let array = js_sys::Uint8Array::from(bytes);
        transfer.push(&array.buffer());
        packed.push(&array);
    }
    (packed.into(), transfer)
}

/// Unpacks what [`encode`] packed.
pub fn decode<T: for<'de> Deserialize<'de>>(
    value: &JsValue,
) -> Result<(T, Option<Vec<u8>>), ProtocolError> {
    let shape = || ProtocolError::Shape(format!("{value:?}"));
    let array = value.dyn_ref::<js_sys::Array>().ok_or_else(shape)?;
    let json = array.get(0).as_string().ok_or_else(shape)?;
    let message = serde_json::from_str(&json).map_err(|e| ProtocolError::Json(e.to_string()))?;
    let bytes = match array.length() {
        1 => None,
        2 => Some(
            array
                .get(1)
                .dyn_into::<js_sys::Uint8Array>()
                .map_err(|_| shape())?
                .to_vec(),
        ),
        _ => return Err(shape()),
    };
    Ok((message, bytes))
}
