//! `ExponentialLR` & co.: multiply by `gamma` every step after the first.

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exponential {
    /// Decay factor per step.
    pub gamma: f64,
}

impl Formula for Exponential {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(if cx.t == 0 {
            cx.keep()
        } else {
            cx.scale(self.gamma)
        })
    }
}
