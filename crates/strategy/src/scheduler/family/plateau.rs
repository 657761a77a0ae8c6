//! `ReduceOnPlateau`: lower the value when a validation metric stops improving.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::groups::ParamGroup;

/// Whether smaller or larger metric values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlateauRule {
    /// Smaller is better (a loss).
    Less,
    /// Larger is better (an accuracy).
    Greater,
}

/// How `threshold` is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdRule {
    /// Relative to `best`.
    Rel,
    /// Absolute.
    Abs,
}

/// State and hyper-parameters of a plateau scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plateau {
    /// Metric key read from the validation results (e.g. `loss`, `accuracy/top1`).
    pub monitor: String,
    /// Better direction.
    pub rule: PlateauRule,
    /// Multiplier on reduction (< 1).
    pub factor: f64,
    /// Validation events without improvement tolerated before reducing.
    pub patience: u64,
    /// Minimum improvement that counts.
    pub threshold: f64,
    /// How `threshold` applies.
    pub threshold_rule: ThresholdRule,
    /// Validation events to wait after a reduction.
    pub cooldown: u64,
    /// Lower bound per group.
    pub min_values: Vec<f64>,
    /// Smallest change that is applied.
    pub eps: f64,
    /// Best metric so far (upstream starts at the integer ±1e9, not infinity).
    pub best: f64,
    /// Events since the last improvement.
    pub num_bad_epochs: u64,
    /// Remaining cooldown events.
    pub cooldown_counter: u64,
}

impl Plateau {
    fn is_better(&self, m: f64) -> bool {
        match (self.rule, self.threshold_rule) {
            (PlateauRule::Less, ThresholdRule::Rel) => m < self.best * (1.0 - self.threshold),
            (PlateauRule::Less, ThresholdRule::Abs) => m < self.best - self.threshold,
            (PlateauRule::Greater, ThresholdRule::Rel) => m > self.best * (1.0 + self.threshold),
            (PlateauRule::Greater, ThresholdRule::Abs) => m > self.best + self.threshold,
        }
    }

    /// One validation event: reads `metrics[monitor]` and, past `patience`, reduces
    /// `param` in every group.
    pub(crate) fn observe(
        &mut self,
        metrics: &BTreeMap<String, f64>,
        param: &str,
        groups: &mut [ParamGroup],
    ) -> Result<(), SchedulerError> {
        let Some(&m) = metrics.get(&self.monitor) else {
            return Err(SchedulerError::MissingMetric {
                monitor: self.monitor.clone(),
                available: metrics.keys().cloned().collect(),
            });
        };
        if self.is_better(m) {
            self.best = m;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            for (i, group) in groups.iter_mut().enumerate() {
                let old = group.get(param).unwrap_or(0.0);
                let floor = self
                    .min_values
                    .get(i)
                    .or(self.min_values.last())
                    .copied()
                    .unwrap_or(0.0);
                let new = (old * self.factor).max(floor);
                if old - new > self.eps {
                    group.set(param, new);
                }
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        Ok(())
    }
}

/// Plateau schedulers change values only on validation ([`Plateau::observe`]).
impl Formula for Plateau {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        Ok(cx.keep())
    }
}
