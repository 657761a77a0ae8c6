//! `ReduceOnPlateau`: lower the value when a validation metric stops improving.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FamilyConfig, FormValue, Formula, Rule, StepContext, Window};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath, OneOrMany};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::param_scheduler::INF;
use crate::scheduler::steps::Steps;

/// `ReduceOnPlateauLR(monitor='loss', rule='less', factor=0.1, patience=10,
/// threshold=1e-4, threshold_rule='rel', cooldown=0, min_value=0., eps=1e-8)`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReduceOnPlateauConfig {
    /// Metric key read from the validation results.
    #[serde(default = "loss")]
    pub monitor: String,
    /// `less` or `greater` is better.
    #[serde(default = "less")]
    pub rule: String,
    /// Multiplier on reduction (< 1).
    #[serde(default = "tenth")]
    pub factor: f64,
    /// Validation events without improvement tolerated before reducing.
    #[serde(default = "ten")]
    pub patience: Steps,
    /// Minimum improvement that counts.
    #[serde(default = "threshold_default")]
    pub threshold: f64,
    /// `rel` or `abs`.
    #[serde(default = "rel")]
    pub threshold_rule: String,
    /// Validation events to wait after a reduction.
    #[serde(default)]
    pub cooldown: Steps,
    /// Lower bound per group (one value broadcasts).
    #[serde(default)]
    pub min_value: Option<OneOrMany<f64>>,
    /// Smallest change that is applied.
    #[serde(default = "eps_default")]
    pub eps: f64,
}

fn loss() -> String {
    "loss".into()
}
fn less() -> String {
    "less".into()
}
fn tenth() -> f64 {
    0.1
}
fn ten() -> Steps {
    Steps::Int(10)
}
fn threshold_default() -> f64 {
    1e-4
}
fn rel() -> String {
    "rel".into()
}
fn eps_default() -> f64 {
    1e-8
}

impl ReduceOnPlateauConfig {
    fn rules(&self) -> (Option<PlateauRule>, Option<ThresholdRule>) {
        let rule = match self.rule.as_str() {
            "less" => Some(PlateauRule::Less),
            "greater" => Some(PlateauRule::Greater),
            _ => None,
        };
        let threshold_rule = match self.threshold_rule.as_str() {
            "rel" => Some(ThresholdRule::Rel),
            "abs" => Some(ThresholdRule::Abs),
            _ => None,
        };
        (rule, threshold_rule)
    }
}

impl FamilyConfig for ReduceOnPlateauConfig {
    fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
        if !window.by_epoch {
            return Err(path
                .key("by_epoch")
                .error("ReduceOnPlateau only supports by_epoch = true (it steps on validation)"));
        }
        if self.factor >= 1.0 || self.factor < 0.0 {
            return Err(path
                .key("factor")
                .error(format!("expected 0 <= factor < 1, got {}", self.factor)));
        }
        if self.threshold < 0.0 {
            return Err(path
                .key("threshold")
                .error(format!("expected 0 or more, got {}", self.threshold)));
        }
        if self.patience.as_f64() < 0.0 || self.cooldown.as_f64() < 0.0 {
            return Err(path.error("patience and cooldown must be 0 or more"));
        }
        let counted = "MMEngine counts validation events in whole numbers";
        super::whole_steps(&path.key("patience"), self.patience, window, counted)?;
        super::whole_steps(&path.key("cooldown"), self.cooldown, window, counted)?;
        let (rule, threshold_rule) = self.rules();
        if rule.is_none() {
            return Err(path.key("rule").error(format!(
                "expected \"less\" or \"greater\", got \"{}\"",
                self.rule
            )));
        }
        if threshold_rule.is_none() {
            return Err(path.key("threshold_rule").error(format!(
                "expected \"rel\" or \"abs\", got \"{}\"",
                self.threshold_rule
            )));
        }
        Ok(())
    }

    fn init(&self, window: &Window<'_>, groups: &[ParamGroup]) -> Result<Rule, SchedulerError> {
        let (Some(rule), Some(threshold_rule)) = self.rules() else {
            return Err(SchedulerError::Invalid(format!(
                "{}: rule must be \"less\" or \"greater\" and threshold_rule \"rel\" or \"abs\"",
                window.type_name
            )));
        };
        let min_values = match self.min_value.as_ref().map_or(vec![0.0], OneOrMany::to_vec) {
            one if one.len() == 1 => vec![one[0]; groups.len()],
            many if many.len() == groups.len() => many,
            many => {
                return Err(SchedulerError::Invalid(format!(
                    "{}: expected {} min_value entries (one per parameter group), got {}",
                    window.type_name,
                    groups.len(),
                    many.len()
                )));
            }
        };
        Ok(Rule::ReduceOnPlateau(Plateau {
            monitor: self.monitor.clone(),
            rule,
            factor: self.factor,
            patience: super::resolved(self.patience, "patience", window)?.max(0) as u64,
            threshold: self.threshold,
            threshold_rule,
            cooldown: super::resolved(self.cooldown, "cooldown", window)?.max(0) as u64,
            min_values,
            eps: self.eps,
            best: match rule {
                PlateauRule::Less => INF as f64,
                PlateauRule::Greater => -(INF as f64),
            },
            num_bad_epochs: 0,
            cooldown_counter: 0,
        }))
    }

    fn form_defaults() -> Vec<(&'static str, FormValue)> {
        vec![
            ("monitor", FormValue::Str("loss")),
            ("factor", FormValue::Float(0.1)),
            ("patience", FormValue::Int(10)),
        ]
    }
}

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
