//! `CosineAnnealingLR` & co.: cosine annealing with period `2·T_max`.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealing {
    /// Half period, in steps.
    #[serde(rename = "T_max")]
    pub t_max: i64,
    /// Floor (used when `eta_min_ratio` is absent).
    pub eta_min: f64,
    /// Floor as a ratio of each group's base value.
    pub eta_min_ratio: Option<f64>,
}

impl Formula for CosineAnnealing {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        let floor = |base: f64| self.eta_min_ratio.map_or(self.eta_min, |r| base * r);
        let (t, t_max) = (cx.t, self.t_max);
        let tm = t_max as f64;
        Ok(if t == 0 {
            cx.keep()
        } else if (t - 1 - t_max).rem_euclid(2 * t_max) == 0 {
            cx.with_base()
                .map(|(v, b)| v + (b - floor(b)) * (1.0 - (PI / tm).cos()) / 2.0)
                .collect()
        } else {
            let ratio =
                (1.0 + (PI * t as f64 / tm).cos()) / (1.0 + (PI * (t - 1) as f64 / tm).cos());
            cx.with_base()
                .map(|(v, b)| ratio * (v - floor(b)) + floor(b))
                .collect()
        })
    }
}
