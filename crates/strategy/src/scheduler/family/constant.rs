//! `ConstantLR` & co.: `factor` for `total_iters` steps, then back.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;

/// `ConstantLR(factor=1/3)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantConfig {
    /// Multiplier while active, in [0, 1].
    #[serde(default = "one_third")]
    pub factor: f64,
}

fn one_third() -> f64 {
    1.0 / 3.0
}

impl FamilyConfig for ConstantConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        super::unit_interval(path, "factor", self.factor)
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Constant(Constant {
            factor: self.factor,
            total_iters: window.total_iters(),
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![("factor", FormValue::Float(0.5))]
    }
}

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
