//! The 1cycle policy (`OneCycleLR`): warm up to `eta_max`, then anneal to a tiny floor.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath, OneOrMany};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// `OneCycleLR(eta_max=0, total_steps=None, pct_start=0.3, anneal_strategy='cos',
/// div_factor=25, final_div_factor=1e4, three_phase=False)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneCycleConfig {
    /// Peak per group (one value broadcasts).
    #[serde(default)]
    pub eta_max: Option<OneOrMany<f64>>,
    /// Cycle length (default `end - begin`). An integer: MMEngine refuses a float.
    #[serde(default)]
    pub total_steps: Option<Steps>,
    /// Fraction of the cycle spent warming up.
    #[serde(default = "pct_default")]
    pub pct_start: f64,
    /// Annealing shape.
    #[serde(default = "cos")]
    pub anneal_strategy: String,
    /// `initial = eta_max / div_factor`.
    #[serde(default = "div_default")]
    pub div_factor: f64,
    /// `min = initial / final_div_factor`.
    #[serde(default = "final_div_default")]
    pub final_div_factor: f64,
    /// Warm up, come back down, then anneal.
    #[serde(default)]
    pub three_phase: bool,
}

fn pct_default() -> f64 {
    0.3
}
fn cos() -> String {
    "cos".into()
}
fn div_default() -> f64 {
    25.0
}
fn final_div_default() -> f64 {
    1e4
}

impl OneCycleConfig {
    fn anneal(&self) -> Option<Anneal> {
        match self.anneal_strategy.as_str() {
            "cos" => Some(Anneal::Cos),
            "linear" => Some(Anneal::Linear),
            _ => None,
        }
    }
}

impl FamilyConfig for OneCycleConfig {
    const MOMENTUM: bool = false;

    fn check(&self, _: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        match self.total_steps {
            Some(Steps::Float(t)) => {
                return Err(path.key("total_steps").error(format!(
                    "expected an integer: MMEngine raises ValueError('Expected positive integer total_steps, but got {t:?}') for a float; write {t}",
                )));
            }
            Some(Steps::Int(t)) => super::positive(path, "total_steps", t)?,
            None => {}
        }
        super::unit_interval(path, "pct_start", self.pct_start)?;
        if self.anneal().is_none() {
            return Err(path.key("anneal_strategy").error(format!(
                "expected \"cos\" or \"linear\", got \"{}\"",
                self.anneal_strategy
            )));
        }
        if self.div_factor == 0.0 || self.final_div_factor == 0.0 {
            return Err(path
                .key("div_factor")
                .error("div_factor and final_div_factor must not be 0"));
        }
        Ok(())
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        self.total_steps = self.total_steps.map(|t| t.times(epoch_length));
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        if window.param_name != "lr" {
            return Err(SchedulerError::Invalid(format!(
                "{}: OneCycle only schedules `lr`, not `{}`",
                window.type_name, window.param_name
            )));
        }
        Ok(Rule::OneCycle(OneCycle::new(
            self.eta_max.as_ref().map_or(vec![0.0], OneOrMany::to_vec),
            match self.total_steps {
                Some(t) => super::resolved(t, "total_steps", window)?,
                None => window.span(),
            },
            self.pct_start,
            self.anneal().unwrap_or(Anneal::Cos),
            self.div_factor,
            self.final_div_factor,
            self.three_phase,
        )))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("eta_max", FormValue::Float(0.1)),
            ("total_steps", FormValue::Int(100)),
        ]
    }
}

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
