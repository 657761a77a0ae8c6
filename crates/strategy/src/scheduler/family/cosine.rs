//! `CosineAnnealingLR` & co.: cosine annealing with period `2·T_max`.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// `CosineAnnealingLR(T_max=None, eta_min=None, eta_min_ratio=None)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineAnnealingConfig {
    /// Half period (`None` or 0: `end - begin`).
    #[serde(rename = "T_max", default)]
    pub t_max: Option<Steps>,
    /// Floor.
    #[serde(default)]
    pub eta_min: Option<f64>,
    /// Floor as a ratio of the base value.
    #[serde(default)]
    pub eta_min_ratio: Option<f64>,
}

impl FamilyConfig for CosineAnnealingConfig {
    fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        if self.eta_min.is_some() && self.eta_min_ratio.is_some() {
            return Err(path
                .key("eta_min_ratio")
                .error("set either eta_min or eta_min_ratio, not both"));
        }
        if let Some(t) = self.t_max {
            if t.as_f64() < 0.0 {
                return Err(path
                    .key("T_max")
                    .error(format!("expected 0 or more (0 means end - begin), got {t}")));
            }
            super::whole_steps(
                &path.key("T_max"),
                t,
                window,
                "MMEngine would anneal with a fractional half period",
            )?;
        }
        Ok(())
    }

    fn convert_to_iter_based(&mut self, epoch_length: i64) {
        self.t_max = self.t_max.map(|t| t.times(epoch_length));
    }

    fn init(&self, window: &Window<'_>, _: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        // `T_max or (end - begin)`: 0 (or 0.0) falls back too.
        let t_max = match self.t_max {
            Some(t) if t.as_f64() != 0.0 => super::resolved(t, "T_max", window)?,
            _ => window.span(),
        };
        Ok(Rule::CosineAnnealing(CosineAnnealing {
            t_max,
            eta_min: if self.eta_min_ratio.is_some() {
                0.0
            } else {
                self.eta_min.unwrap_or(0.0)
            },
            eta_min_ratio: self.eta_min_ratio,
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![("eta_min", FormValue::Float(0.0))]
    }
}

/// The resolved rule (MMEngine's attribute names, as in its state dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealing {
    /// Half period, in steps.
    #[serde(rename = "T_max")]
    pub t_max: i64,
    /// Floor (used when `eta_min_ratio` is absent).
    pub eta_min: f64,
    /// Floor as a ratio of each group's base value.
    pub eta_min_ratio: Option<f64>,
}

impl Formula for CosineAnnealing {
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
        let floor = |base: f64| self.eta_min_ratio.map_or(self.eta_min, |r| base * r);
        let (t, t_max) = (cx.t, self.t_max);
        let tm = t_max as f64;
        Ok(if t == 0 {
            cx.keep()
        } else if (t - 1 - t_max).rem_euclid(2 * t_max) == 0 {
            cx.with_base()
                .map(|(v, b)| v + (b - floor(b)) * (1.0 - (PI / tm).cos()) / 2.0)
                .collect()
        } else {
            let ratio =
                (1.0 + (PI * t as f64 / tm).cos()) / (1.0 + (PI * (t - 1) as f64 / tm).cos());
            cx.with_base()
                .map(|(v, b)| ratio * (v - floor(b)) + floor(b))
                .collect()
        })
    }
}
