//! The 1cycle policy (`OneCycleLR`): warm up to `eta_max`, then anneal to a tiny floor.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{Formula, StepContext};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::groups::ParamGroup;

/// How a phase moves between its two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Anneal {
    /// Half a cosine.
    Cos,
    /// A straight line.
    Linear,
}

impl Anneal {
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Self::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            Self::Linear => (end - start) * pct + start,
        }
    }
}

/// One phase: from the group key `start` to the group key `end`, ending at `end_step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// Last step of the phase (a float, as upstream).
    pub end_step: f64,
    /// Group key holding the start value (`initial_lr`, `max_lr`).
    pub start_lr: String,
    /// Group key holding the end value (`max_lr`, `initial_lr`, `min_lr`).
    pub end_lr: String,
}

/// OneCycle's hyper-parameters and phases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneCycle {
    /// Peak lr per group (a scalar in the config is broadcast).
    pub eta_max: Vec<f64>,
    /// Total steps of the cycle.
    pub total_steps: i64,
    /// `initial_lr = eta_max / div_factor`.
    pub div_factor: f64,
    /// `min_lr = initial_lr / final_div_factor`.
    pub final_div_factor: f64,
    /// The annealing function.
    pub anneal_strategy: Anneal,
    /// The phases, in order.
    #[serde(rename = "_schedule_phases")]
    pub phases: Vec<Phase>,
}

impl OneCycle {
    /// Builds the phases the way MMEngine does.
    pub fn new(
        eta_max: Vec<f64>,
        total_steps: i64,
        pct_start: f64,
        anneal_strategy: Anneal,
        div_factor: f64,
        final_div_factor: f64,
        three_phase: bool,
    ) -> Self {
        let phase = |end_step: f64, start: &str, end: &str| Phase {
            end_step,
            start_lr: start.to_string(),
            end_lr: end.to_string(),
        };
        let total = total_steps as f64;
        let phases = if three_phase {
            vec![
                phase(pct_start * total - 1.0, "initial_lr", "max_lr"),
                phase(2.0 * pct_start * total - 2.0, "max_lr", "initial_lr"),
                phase(total - 1.0, "initial_lr", "min_lr"),
            ]
        } else {
            vec![
                phase(pct_start * total - 1.0, "initial_lr", "max_lr"),
                phase(total - 1.0, "max_lr", "min_lr"),
            ]
        };
        Self {
            eta_max,
            total_steps,
            div_factor,
            final_div_factor,
            anneal_strategy,
            phases,
        }
    }

    /// Writes `initial_lr`, `max_lr` and `min_lr` into every group, overwriting what is
    /// there (upstream ignores the optimizer's configured lr).
    pub fn init_groups(&self, groups: &mut [ParamGroup]) -> Result<(), SchedulerError> {
        let max_lrs: Vec<f64> = match self.eta_max.as_slice() {
            [one] => vec![*one; groups.len()],
            many if many.len() == groups.len() => many.to_vec(),
            many => {
                return Err(SchedulerError::Invalid(format!(
                    "OneCycleLR: expected {} values for eta_max (one per parameter group), got {}",
                    groups.len(),
                    many.len()
                )));
            }
        };
        for (group, max_lr) in groups.iter_mut().zip(max_lrs) {
            let initial = max_lr / self.div_factor;
            group.set("initial_lr", initial);
            group.set("max_lr", max_lr);
            group.set("min_lr", initial / self.final_div_factor);
        }
        Ok(())
    }
}

impl Formula for OneCycle {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        let (t, groups) = (cx.t, cx.groups);
        if t > self.total_steps {
            return Err(SchedulerError::Invalid(format!(
                "OneCycleLR: tried to step {} times; the specified number of total steps is {}",
                t + 1,
                self.total_steps
            )));
        }
        let step = t as f64;
        groups
            .iter()
            .map(|g| {
                let mut start_step = 0.0;
                for (i, phase) in self.phases.iter().enumerate() {
                    if step <= phase.end_step || i == self.phases.len() - 1 {
                        let span = phase.end_step - start_step;
                        if span == 0.0 {
                            return Err(SchedulerError::DivisionByZero {
                                family: "OneCycle",
                                step: t,
                                what: "pct_start × total_steps = 1 leaves the warm-up phase empty"
                                    .into(),
                            });
                        }
                        let pct = (step - start_step) / span;
                        let start = g.get(&phase.start_lr).unwrap_or(0.0);
                        let end = g.get(&phase.end_lr).unwrap_or(0.0);
                        return Ok(self.anneal_strategy.apply(start, end, pct));
                    }
                    start_step = phase.end_step;
                }
                Ok(0.0)
            })
            .collect()
    }
}
