//! `ConstantLR` & co.: `factor` for `total_iters` steps, then back.

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constant {
    /// Multiplier while active, in [0, 1].
    pub factor: f64,
    /// `end - begin - 1`: the step at which the value is restored.
    pub total_iters: i64,
}

impl Formula for Constant {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(if cx.t == 0 {
            cx.scale(self.factor)
        } else if cx.t != self.total_iters {
            cx.keep()
        } else if self.factor == 0.0 {
            return Err(cx.division_by_zero("Constant", "restoring after factor = 0"));
        } else {
            cx.scale(1.0 / self.factor)
        })
    }
}
