//! `StepLR` & co.: multiply by `gamma` every `step_size` steps.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::config::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::groups::ParamGroup;

/// `StepLR(step_size, gamma=0.1)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// Steps between decays.
    pub step_size: i64,
    /// Decay factor.
    #[serde(default = "tenth")]
    pub gamma: f64,
}

fn tenth() -> f64 {
    0.1
}

impl FamilyConfig for StepConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        super::positive(path, "step_size", self.step_size)?;
        super::finite(path, "gamma", self.gamma)
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        self.step_size *= epoch_length;
    }

    fn init(&self, _: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Step(Step {
            step_size: self.step_size,
            gamma: self.gamma,
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("step_size", FormValue::Int(30)),
            ("gamma", FormValue::Float(0.1)),
        ]
    }
}

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Steps between decays (≥ 1).
    pub step_size: i64,
    /// Decay factor.
    pub gamma: f64,
}

impl Formula for Step {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(if cx.t == 0 || cx.t % self.step_size != 0 {
            cx.keep()
        } else {
            cx.scale(self.gamma)
        })
    }
}
