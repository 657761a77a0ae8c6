//! `StepLR` & co.: multiply by `gamma` every `step_size` steps.

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// `StepLR(step_size, gamma=0.1)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// Steps between decays.
    pub step_size: Steps,
    /// Decay factor.
    #[serde(default = "tenth")]
    pub gamma: f64,
}

fn tenth() -> f64 {
    0.1
}

impl FamilyConfig for StepConfig {
    fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        if self.step_size.as_f64() <= 0.0 {
            return Err(path.key("step_size").error(format!(
                "expected a positive integer, got {}",
                self.step_size
            )));
        }
        super::whole_steps(
            &path.key("step_size"),
            self.step_size,
            window,
            "MMEngine would decay only where last_step % step_size == 0, at whole multiples of it",
        )?;
        super::finite(path, "gamma", self.gamma)
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        self.step_size = self.step_size.times(epoch_length);
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        Ok(Rule::Step(Step {
            step_size: super::resolved(self.step_size, "step_size", window)?,
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
