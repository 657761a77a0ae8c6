//! `PolyLR` & co.: polynomial decay to `eta_min` at step `total_iters`.

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poly {
    /// Floor.
    pub eta_min: f64,
    /// Exponent.
    pub power: f64,
    /// `end - begin - 1`.
    pub total_iters: i64,
}

impl Formula for Poly {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        if cx.t == 0 {
            return Ok(cx.keep());
        }
        let m = (1.0 - 1.0 / (self.total_iters - cx.t + 1) as f64).powf(self.power);
        Ok(cx
            .groups
            .iter()
            .map(|g| (cx.current(g) - self.eta_min) * m + self.eta_min)
            .collect())
    }
}
