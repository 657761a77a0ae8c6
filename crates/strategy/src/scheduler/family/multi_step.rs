//! `MultiStepLR` & co.: multiply by `gamma^count` at each milestone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;

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
