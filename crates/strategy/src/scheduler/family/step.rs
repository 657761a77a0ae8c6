//! `StepLR` & co.: multiply by `gamma` every `step_size` steps.

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Steps between decays (≥ 1).
    pub step_size: i64,
    /// Decay factor.
    pub gamma: f64,
}

impl Formula for Step {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(if cx.t == 0 || cx.t % self.step_size != 0 {
            cx.keep()
        } else {
            cx.scale(self.gamma)
        })
    }
}
