//! `ExponentialLR` & co.: multiply by `gamma` every step after the first.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;

/// `ExponentialLR(gamma)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExponentialConfig {
    /// Decay per step.
    pub gamma: f64,
}

impl FamilyConfig for ExponentialConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        super::finite(path, "gamma", self.gamma)
    }

    fn init(&self, _: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Exponential(Exponential { gamma: self.gamma }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![("gamma", FormValue::Float(0.99))]
    }
}

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
