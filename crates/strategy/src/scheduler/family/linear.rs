//! `LinearLR` & co.: a linear ramp of the multiplier from `start_factor` to `end_factor`.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;

/// `LinearLR(start_factor=1/3, end_factor=1.0)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    /// First multiplier, in [0, 1].
    #[serde(default = "one_third")]
    pub start_factor: f64,
    /// Last multiplier, in [0, 1].
    #[serde(default = "one")]
    pub end_factor: f64,
}

fn one_third() -> f64 {
    1.0 / 3.0
}

fn one() -> f64 {
    1.0
}

impl FamilyConfig for LinearConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        super::unit_interval(path, "start_factor", self.start_factor)?;
        super::unit_interval(path, "end_factor", self.end_factor)
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Linear(Linear {
            start_factor: self.start_factor,
            end_factor: self.end_factor,
            total_iters: window.total_iters(),
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("start_factor", FormValue::Float(0.1)),
            ("end_factor", FormValue::Float(1.0)),
        ]
    }
}

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
