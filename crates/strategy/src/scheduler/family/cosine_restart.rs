//! `CosineRestartLR` & co.: cosine annealing with warm restarts of given periods and
//! weights.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// `CosineRestartLR(periods, restart_weights=(1,), eta_min=None, eta_min_ratio=None)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineRestartConfig {
    /// Cycle lengths.
    pub periods: Vec<Steps>,
    /// Cycle peaks relative to the base value (default `[1]`).
    #[serde(default)]
    pub restart_weights: Option<Vec<f64>>,
    /// Floor.
    #[serde(default)]
    pub eta_min: Option<f64>,
    /// Floor as a ratio of the base value.
    #[serde(default)]
    pub eta_min_ratio: Option<f64>,
}

impl CosineRestartConfig {
    fn weights(&self) -> Vec<f64> {
        self.restart_weights.clone().unwrap_or_else(|| vec![1.0])
    }
}

impl FamilyConfig for CosineRestartConfig {
    fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        if self.periods.is_empty() {
            return Err(path.key("periods").error("expected at least one period"));
        }
        for (i, p) in self.periods.iter().enumerate() {
            if p.as_f64() <= 0.0 {
                return Err(path
                    .key("periods")
                    .index(i)
                    .error(format!("expected a positive period, got {p}")));
            }
            super::whole_steps(
                &path.key("periods").index(i),
                *p,
                window,
                "MMEngine would restart between two steps",
            )?;
        }
        let weights = self.weights();
        if weights.len() != self.periods.len() {
            return Err(path.key("restart_weights").error(format!(
                "periods and restart_weights should have the same length ({} periods, {} weights)",
                self.periods.len(),
                weights.len()
            )));
        }
        if self.eta_min.is_some() == self.eta_min_ratio.is_some() {
            return Err(path.error("set exactly one of eta_min and eta_min_ratio"));
        }
        Ok(())
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        for p in &mut self.periods {
            *p = p.times(epoch_length);
        }
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        let periods = self
            .periods
            .iter()
            .map(|p| super::resolved(*p, "periods", window))
            .collect::<Result<Vec<i64>, _>>()?;
        let cumulative_periods = periods
            .iter()
            .scan(0i64, |sum, p| {
                *sum += p;
                Some(*sum)
            })
            .collect();
        Ok(Rule::CosineRestart(CosineRestart {
            periods,
            restart_weights: self.weights(),
            eta_min: self.eta_min,
            eta_min_ratio: self.eta_min_ratio,
            cumulative_periods,
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("periods", FormValue::Ints(vec![50, 50])),
            ("restart_weights", FormValue::Floats(vec![1.0, 0.5])),
            ("eta_min", FormValue::Float(0.0)),
        ]
    }
}

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
