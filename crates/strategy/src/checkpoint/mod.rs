//! Checkpoints: one safetensors file that any safetensors reader opens (Python's
//! `safetensors`, PyTorch, the Hugging Face tools), written and read the same way
//! natively and in the browser.
//!
//! ## Layout (`format_version` 1)
//! - Tensors (f32, little-endian):
//!   - `state_dict.<name>`: the model's parameters with PyTorch's names and shapes
//!     (`layers.0.weight` is `[out, in]`, as `nn.Linear` stores it);
//!   - `ema_state_dict.module.<name>` (with `EMAHook`): the raw training weights, while
//!     `state_dict.*` holds the averaged ones, as MMEngine saves them;
//!   - `optimizer.<param>.<buffer>` (`optimizer.<name>.<param>.<buffer>` with several
//!     optimizers): the optimizer buffers (`exp_avg`, `momentum_buffer`, ...), flattened in
//!     burn's element order; the `optimizer` metadata maps each to its tensor key.
//! - Metadata (the safetensors header's `__metadata__`, strings; JSON where noted):
//!   - `format` = `strategy-playground-checkpoint`, `format_version` = `1`;
//!   - `meta` (JSON): `epoch`, `iter` (completed counts), `seed`, `experiment_name`,
//!     `time`, `playground` (crate version), `cfg` (the whole config), and the loop's data
//!     position;
//!   - `optimizer` (JSON): per wrapper its name, `param_groups`, `inner_count` and per
//!     parameter `step` and buffer → tensor key;
//!   - `param_schedulers` (JSON): a list of scheduler state dicts, or `{name: [...]}`;
//!   - `ema_state_dict` (JSON, with `EMAHook`): `steps` and the names' order;
//!   - `message_hub` (JSON): runtime info and the latest value of every scalar;
//!   - `extra` (JSON): whatever the caller added (`extra_ckpt`);
//!   - `crc32`: CRC-32 of the metadata, the tensor names, dtypes and shapes, and the
//!     tensor bytes, so a flipped bit anywhere is an error, not a different model.
//!
//! There is no separate RNG state to save: every random draw of a run is derived from
//! `meta.seed` and the iteration or epoch (see [`crate::runner`]), so `seed` + `iter`
//! *are* the RNG state.

mod decode;
mod error;
#[cfg(not(target_family = "wasm"))]
pub mod files;
mod format;
mod meta;
#[cfg(not(target_family = "wasm"))]
pub mod pytorch;
mod revise;
#[cfg(not(target_family = "wasm"))]
mod stream;

use serde_json::{Map, Value};

pub use error::CheckpointError;
pub use format::{FORMAT, FORMAT_VERSION, MAX_CHECKPOINT_BYTES};
pub use meta::CheckpointMeta;
pub use revise::{ReviseKeys, default_revise_keys};

use crate::base::state::OptimStateDict;
use crate::model::NamedTensor;

/// A checkpoint in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checkpoint {
    /// `meta`: epoch, iter, seed, experiment name, time, version, config, data position.
    pub meta: Map<String, Value>,
    /// The model's parameters, PyTorch names and layout.
    pub state_dict: Vec<NamedTensor>,
    /// The optimizer state, when saved.
    pub optimizer: Option<OptimStateDict>,
    /// The schedulers' states, when saved.
    pub param_schedulers: Option<Value>,
    /// Runtime info and latest scalars.
    pub message_hub: Option<Value>,
    /// Anything else (`extra_ckpt`).
    pub extra: Map<String, Value>,
    /// `EMAHook`'s part, when the run averages its weights.
    pub ema_state_dict: Option<EmaStateDict>,
}

/// `ema_state_dict` as `EMAHook` saves it: `state_dict` then holds the averaged
/// weights (what a plain reader deploys) and this the raw training weights
/// (`module.<name>` in MMEngine) with the averaging counter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmaStateDict {
    /// The averaged model's `steps` (calls of its update so far).
    pub steps: u64,
    /// The raw training weights, by the model's names.
    pub module: Vec<NamedTensor>,
}

impl Checkpoint {
    /// `meta`, typed ([`CheckpointMeta`]); an ill-typed field is an error naming it.
    pub fn typed_meta(&self) -> Result<CheckpointMeta, CheckpointError> {
        CheckpointMeta::from_map(&self.meta)
    }

    /// Completed epochs (`meta.epoch`), for display: 0 when `meta` does not read
    /// (resuming reports that error instead).
    pub fn epoch(&self) -> i64 {
        self.typed_meta().map_or(0, |m| m.epoch as i64)
    }

    /// Completed iterations (`meta.iter`), for display: 0 when `meta` does not read
    /// (resuming reports that error instead).
    pub fn iter(&self) -> i64 {
        self.typed_meta().map_or(0, |m| m.iter as i64)
    }

    /// Serialises to the safetensors bytes described in the module docs.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        format::to_bytes(self)
    }

    /// Parses safetensors bytes; every malformed input is an error that says what is
    /// wrong, never a panic, and nothing larger than the input is allocated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        format::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests;
