//! `PolyLR` & co.: polynomial decay to `eta_min` at step `total_iters`.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;

/// `PolyLR(eta_min=0, power=1.0)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolyConfig {
    /// Floor.
    #[serde(default)]
    pub eta_min: f64,
    /// Exponent.
    #[serde(default = "one")]
    pub power: f64,
}

fn one() -> f64 {
    1.0
}

impl FamilyConfig for PolyConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        super::finite(path, "power", self.power)
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Poly(Poly {
            eta_min: self.eta_min,
            power: self.power,
            total_iters: window.total_iters(),
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("power", FormValue::Float(1.0)),
            ("eta_min", FormValue::Float(0.0)),
        ]
    }
}

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
