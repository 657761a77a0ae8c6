//! `MultiStepLR` & co.: multiply by `gamma^count` at each milestone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// `MultiStepLR(milestones, gamma=0.1)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiStepConfig {
    /// Steps at which to decay (relative to `begin`; repeats compound).
    pub milestones: Vec<Steps>,
    /// Decay factor.
    #[serde(default = "tenth")]
    pub gamma: f64,
}

fn tenth() -> f64 {
    0.1
}

impl FamilyConfig for MultiStepConfig {
    fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        for (i, m) in self.milestones.iter().enumerate() {
            if m.as_f64() < 0.0 {
                return Err(path
                    .key("milestones")
                    .index(i)
                    .error(format!("expected 0 or more, got {m}")));
            }
            super::whole_steps(
                &path.key("milestones").index(i),
                *m,
                window,
                "MMEngine compares milestones with its integer step counter, so it would never reach this one",
            )?;
            if i > 0 && m.as_f64() < self.milestones[i - 1].as_f64() {
                return Err(path.key("milestones").index(i).error(format!(
                    "milestones must be in increasing order: {m} comes after {}",
                    self.milestones[i - 1]
                )));
            }
        }
        super::finite(path, "gamma", self.gamma)
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        for m in &mut self.milestones {
            *m = m.times(epoch_length);
        }
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        let mut milestones = BTreeMap::new();
        for m in &self.milestones {
            *milestones
                .entry(super::resolved(*m, "milestones", window)?)
                .or_insert(0) += 1;
        }
        Ok(Rule::MultiStep(MultiStep {
            milestones,
            gamma: self.gamma,
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("milestones", FormValue::Ints(vec![30, 60])),
            ("gamma", FormValue::Float(0.1)),
        ]
    }
}

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiStep {
    /// Milestone → how many times it was listed (MMEngine's `Counter`: duplicates
    /// compound). In JSON the milestones are the dict's keys, hence strings.
    pub milestones: BTreeMap<i64, u32>,
    /// Decay factor.
    pub gamma: f64,
}

impl Formula for MultiStep {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(match self.milestones.get(&cx.t) {
            None => cx.keep(),
            Some(count) => cx.scale(self.gamma.powf(f64::from(*count))),
        })
    }
}
