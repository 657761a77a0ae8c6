//! Optimizer state in host memory: what `optim_state_dict` returns and
//! `load_optim_state_dict` takes.

use serde::{Deserialize, Serialize};

use super::param_group::ParamGroup;

/// The state of every optimizer wrapper.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptimStateDict {
    /// One entry per wrapper, in order.
    pub wrappers: Vec<WrapperState>,
}

/// One wrapper's state (PyTorch's `optimizer.state_dict()` plus MMEngine's counters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WrapperState {
    /// The wrapper's name (`None` for the single optimizer).
    pub name: Option<String>,
    /// `param_groups`: the hyper-parameters as the schedulers left them.
    pub param_groups: Vec<ParamGroup>,
    /// Backward passes counted for gradient accumulation.
    pub inner_count: i64,
    /// Per-parameter state, by parameter name.
    pub state: Vec<ParamStateEntry>,
    /// `AmpOptimWrapper`'s `GradScaler.state_dict()` (MMEngine's `loss_scaler` key):
    /// `scale`, `growth_factor`, `backoff_factor`, `growth_interval`,
    /// `_growth_tracker`. None without mixed precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_scaler: Option<serde_json::Value>,
}

/// One parameter's optimizer state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamStateEntry {
    /// The parameter's dotted name.
    pub name: String,
    /// Steps taken (Adam-like optimizers, Adagrad).
    pub step: u64,
    /// Buffers by PyTorch's names (`exp_avg`, `momentum_buffer`, ...), flattened.
    pub buffers: Vec<(String, Vec<f32>)>,
}
