//! `MultiStepLR` & co.: multiply by `gamma^count` at each milestone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::config::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::groups::ParamGroup;

/// `MultiStepLR(milestones, gamma=0.1)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiStepConfig {
    /// Steps at which to decay (relative to `begin`; repeats compound).
    pub milestones: Vec<i64>,
    /// Decay factor.
    #[serde(default = "tenth")]
    pub gamma: f64,
}

fn tenth() -> f64 {
    0.1
}

impl FamilyConfig for MultiStepConfig {
    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        for (i, m) in self.milestones.iter().enumerate() {
            if *m < 0 {
                return Err(path
                    .key("milestones")
                    .index(i)
                    .error(format!("expected 0 or more, got {m}")));
            }
            if i > 0 && *m < self.milestones[i - 1] {
                return Err(path.key("milestones").index(i).error(format!(
                    "milestones must be in increasing order: {m} comes after {}",
                    self.milestones[i - 1]
                )));
            }
        }
        super::finite(path, "gamma", self.gamma)
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        self.milestones.iter_mut().for_each(|m| *m *= epoch_length);
    }

    fn init(&self, _: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        let mut milestones = BTreeMap::new();
        for m in &self.milestones {
            *milestones.entry(*m).or_insert(0) += 1;
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
