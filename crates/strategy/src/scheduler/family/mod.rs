//! The scheduler families, one file each: the family's config (MMEngine's keys), how it
//! resolves into a rule, and the rule's formula (MMEngine's `_get_value`).
//!
//! Formulas read each group's *current* value and return the next one, exactly as
//! MMEngine's chainable form does (same operations in the same order, in f64), so that
//! schedulers composed on one optimizer multiply the way they do upstream. Positions
//! `t` are `last_step`: relative to the scheduler's `begin`.

pub mod constant;
pub mod cosine;
pub mod cosine_restart;
pub mod exponential;
pub mod linear;
pub mod multi_step;
pub mod one_cycle;
pub mod plateau;
pub mod poly;
pub mod step;

use super::error::SchedulerError;
use super::groups::ParamGroup;

/// What a rule sees when it computes one step.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// `last_step`: the position relative to `begin` (0 at the first in-window step).
    pub t: i64,
    /// The group key being scheduled.
    pub param: &'a str,
    /// `initial_<param>` of each group, as snapshotted when the scheduler was built.
    pub base_values: &'a [f64],
    /// The optimizer's groups, holding the current values.
    pub groups: &'a [ParamGroup],
}

impl StepContext<'_> {
    /// The current value of one group.
    pub fn current(&self, group: &ParamGroup) -> f64 {
        group.get(self.param).unwrap_or(0.0)
    }

    /// Every group's value, unchanged.
    pub fn keep(&self) -> Vec<f64> {
        self.groups.iter().map(|g| self.current(g)).collect()
    }

    /// Every group's value times `m`.
    pub fn scale(&self, m: f64) -> Vec<f64> {
        self.groups.iter().map(|g| self.current(g) * m).collect()
    }

    /// Each group's current value with its base value.
    pub fn with_base(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.groups
            .iter()
            .zip(self.base_values)
            .map(|(g, &b)| (self.current(g), b))
    }

    /// Where MMEngine would raise `ZeroDivisionError`.
    pub fn division_by_zero(&self, family: &'static str, what: &str) -> SchedulerError {
        SchedulerError::DivisionByZero {
            family,
            step: self.t,
            what: what.to_string(),
        }
    }
}

/// A family's update rule: the next value of every group at one step.
pub trait Formula {
    /// The values for `cx.t`, one per group.
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError>;
}
