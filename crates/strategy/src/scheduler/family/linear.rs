//! `LinearLR` & co.: a linear ramp of the multiplier from `start_factor` to `end_factor`.

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// Multiplier at the first step, in [0, 1].
    pub start_factor: f64,
    /// Multiplier reached at step `total_iters`, in [0, 1].
    pub end_factor: f64,
    /// `end - begin - 1`.
    pub total_iters: i64,
}

impl Formula for Linear {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        let (s, e) = (self.start_factor, self.end_factor);
        if cx.t == 0 {
            return Ok(cx.scale(s));
        }
        let denominator = self.total_iters as f64 * s + (cx.t - 1) as f64 * (e - s);
        if denominator == 0.0 {
            return Err(cx.division_by_zero("Linear", "start_factor = 0 (the ramp cannot leave 0)"));
        }
        Ok(cx.scale(1.0 + (e - s) / denominator))
    }
}
