//! `CosineRestartLR` & co.: cosine annealing with warm restarts of given periods and
//! weights.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineRestart {
    /// Length of each cycle.
    pub periods: Vec<i64>,
    /// Peak of each cycle, as a ratio of the base value.
    pub restart_weights: Vec<f64>,
    /// Floor (used when `eta_min_ratio` is absent).
    pub eta_min: Option<f64>,
    /// Floor as a ratio of each group's base value.
    pub eta_min_ratio: Option<f64>,
    /// Running sums of `periods`.
    pub cumulative_periods: Vec<i64>,
}

impl Formula for CosineRestart {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        let t = cx.t;
        let Some(idx) = self.cumulative_periods.iter().position(|&c| t < c) else {
            return Ok(cx.keep());
        };
        let weight = self.restart_weights[idx];
        let nearest_restart = if idx == 0 {
            0
        } else {
            self.cumulative_periods[idx - 1]
        };
        let period = self.periods[idx] as f64;
        let k = t - nearest_restart;
        Ok(cx
            .with_base()
            .map(|(v, b)| {
                let eta_max = b * weight;
                let floor = match self.eta_min_ratio {
                    Some(r) => b * r,
                    None => self.eta_min.unwrap_or(0.0),
                };
                if k == 0 {
                    eta_max
                } else {
                    (1.0 + (PI * k as f64 / period).cos())
                        / (1.0 + (PI * (k - 1) as f64 / period).cos())
                        * (v - floor)
                        + floor
                }
            })
            .collect())
    }
}
