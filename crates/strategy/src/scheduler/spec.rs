//! Scheduler configs: every MMEngine scheduler `type`, parsed and checked once into a
//! [`SchedulerSpec`], then resolved against the run (`end` defaults, epoch → iteration
//! conversion) and attached to an optimizer's groups.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::SchedulerError;
use super::family::{
    constant::Constant, cosine::CosineAnnealing, cosine_restart::CosineRestart,
    exponential::Exponential, linear::Linear, multi_step::MultiStep, poly::Poly, step::Step,
};
use super::groups::ParamGroup;
use super::one_cycle::{Anneal, OneCycle};
use super::param_scheduler::{INF, ParamScheduler};
use super::plateau::{Plateau, PlateauRule, ThresholdRule};
use super::rule::Rule;
use crate::config::{ConfigError, KeyPath, OneOrMany, from_value};
use crate::registry::Registry;

/// A scheduler family's hyper-parameters as configured (before conversion).
#[derive(Debug, Clone, PartialEq)]
pub enum Family {
    /// StepLR & co.
    Step {
        /// Steps between decays.
        step_size: i64,
        /// Decay factor.
        gamma: f64,
    },
    /// MultiStepLR & co.
    MultiStep {
        /// Steps at which to decay (relative to `begin`).
        milestones: Vec<i64>,
        /// Decay factor.
        gamma: f64,
    },
    /// ConstantLR & co.
    Constant {
        /// Multiplier while active.
        factor: f64,
    },
    /// ExponentialLR & co.
    Exponential {
        /// Decay per step.
        gamma: f64,
    },
    /// LinearLR & co.
    Linear {
        /// First multiplier.
        start_factor: f64,
        /// Last multiplier.
        end_factor: f64,
    },
    /// CosineAnnealingLR & co.
    CosineAnnealing {
        /// Half period (default `end - begin`).
        t_max: Option<i64>,
        /// Floor.
        eta_min: Option<f64>,
        /// Floor as a ratio of the base value.
        eta_min_ratio: Option<f64>,
    },
    /// PolyLR & co.
    Poly {
        /// Floor.
        eta_min: f64,
        /// Exponent.
        power: f64,
    },
    /// OneCycleLR.
    OneCycle {
        /// Peak per group (one value broadcasts).
        eta_max: Vec<f64>,
        /// Cycle length (default `end - begin`).
        total_steps: Option<i64>,
        /// Fraction of the cycle spent warming up.
        pct_start: f64,
        /// Annealing shape.
        anneal_strategy: Anneal,
        /// `initial = eta_max / div_factor`.
        div_factor: f64,
        /// `min = initial / final_div_factor`.
        final_div_factor: f64,
        /// Warm up, come back down, then anneal.
        three_phase: bool,
    },
    /// CosineRestartLR & co.
    CosineRestart {
        /// Cycle lengths.
        periods: Vec<i64>,
        /// Cycle peaks relative to the base value.
        restart_weights: Vec<f64>,
        /// Floor.
        eta_min: Option<f64>,
        /// Floor as a ratio of the base value.
        eta_min_ratio: Option<f64>,
    },
    /// ReduceOnPlateauLR & co. (`min_value` per group; one value broadcasts).
    ReduceOnPlateau(Plateau),
}

/// One configured scheduler, checked: what `type`, which group key, which window.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerSpec {
    /// The config's `type` (`CosineAnnealingLR`).
    pub type_name: String,
    /// The group key it drives (`lr`, `momentum`, or a `*ParamScheduler`'s `param_name`).
    pub param_name: String,
    /// Window start.
    pub begin: i64,
    /// Window end; `None` means "the end of training" (filled in by [`Self::resolve`]).
    pub end: Option<i64>,
    /// Stepped per epoch or per iteration.
    pub by_epoch: bool,
    /// Position to resume from (-1: fresh).
    pub last_step: i64,
    /// Convert an epoch-based scheduler to iterations using the epoch length.
    pub convert_to_iter_based: bool,
    /// The family and its hyper-parameters.
    pub family: Family,
    /// Where it came from, for errors found later.
    pub path: String,
}

/// What the run says about its length, for default `end`s and conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunLength {
    /// Epochs of training (1 for an iteration-based loop, as MMEngine's Runner has it).
    pub max_epochs: Option<i64>,
    /// Iterations of training.
    pub max_iters: Option<i64>,
    /// Iterations per epoch (`len(train_dataloader)`).
    pub epoch_length: Option<i64>,
}

macro_rules! with_window {
    ($(#[$m:meta])* struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(non_snake_case)]
        struct $name {
            #[serde(rename = "type")]
            _type: String,
            #[serde(default)]
            param_name: Option<String>,
            #[serde(default)]
            begin: i64,
            #[serde(default)]
            end: Option<i64>,
            #[serde(default = "yes")]
            by_epoch: bool,
            #[serde(default = "minus_one")]
            last_step: i64,
            #[serde(default)]
            convert_to_iter_based: bool,
            #[serde(default)]
            #[allow(dead_code)]
            verbose: bool,
            $($(#[$fm])* $field: $ty,)*
        }
    };
}

fn yes() -> bool {
    true
}
fn minus_one() -> i64 {
    -1
}
fn one_third() -> f64 {
    1.0 / 3.0
}
fn one() -> f64 {
    1.0
}
fn tenth() -> f64 {
    0.1
}
fn cos() -> String {
    "cos".into()
}

with_window!(
    struct StepCfg {
        step_size: i64,
        #[serde(default = "tenth")]
        gamma: f64,
    }
);
with_window!(
    struct MultiStepCfg {
        milestones: Vec<i64>,
        #[serde(default = "tenth")]
        gamma: f64,
    }
);
with_window!(
    struct ConstantCfg {
        #[serde(default = "one_third")]
        factor: f64,
    }
);
with_window!(
    struct ExponentialCfg {
        gamma: f64,
    }
);
with_window!(
    struct LinearCfg {
        #[serde(default = "one_third")]
        start_factor: f64,
        #[serde(default = "one")]
        end_factor: f64,
    }
);
with_window!(
    struct CosineCfg {
        #[serde(default)]
        T_max: Option<i64>,
        #[serde(default)]
        eta_min: Option<f64>,
        #[serde(default)]
        eta_min_ratio: Option<f64>,
    }
);
with_window!(
    struct PolyCfg {
        #[serde(default)]
        eta_min: f64,
        #[serde(default = "one")]
        power: f64,
    }
);
with_window!(
    struct OneCycleCfg {
        #[serde(default)]
        eta_max: Option<OneOrMany<f64>>,
        #[serde(default)]
        total_steps: Option<i64>,
        #[serde(default = "pct_default")]
        pct_start: f64,
        #[serde(default = "cos")]
        anneal_strategy: String,
        #[serde(default = "div_default")]
        div_factor: f64,
        #[serde(default = "final_div_default")]
        final_div_factor: f64,
        #[serde(default)]
        three_phase: bool,
    }
);
with_window!(
    struct CosineRestartCfg {
        periods: Vec<i64>,
        #[serde(default)]
        restart_weights: Option<Vec<f64>>,
        #[serde(default)]
        eta_min: Option<f64>,
        #[serde(default)]
        eta_min_ratio: Option<f64>,
    }
);
with_window!(
    struct PlateauCfg {
        #[serde(default = "loss")]
        monitor: String,
        #[serde(default = "less")]
        rule: String,
        #[serde(default = "tenth")]
        factor: f64,
        #[serde(default = "ten")]
        patience: i64,
        #[serde(default = "threshold_default")]
        threshold: f64,
        #[serde(default = "rel")]
        threshold_rule: String,
        #[serde(default)]
        cooldown: i64,
        #[serde(default)]
        min_value: Option<OneOrMany<f64>>,
        #[serde(default = "eps_default")]
        eps: f64,
    }
);

fn pct_default() -> f64 {
    0.3
}
fn div_default() -> f64 {
    25.0
}
fn final_div_default() -> f64 {
    1e4
}
fn loss() -> String {
    "loss".into()
}
fn less() -> String {
    "less".into()
}
fn ten() -> i64 {
    10
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

/// How a registered name fixes `param_name`.
#[derive(Clone, Copy)]
enum Variant {
    Lr,
    Momentum,
    Generic,
}

/// The common window fields, checked.
struct Window {
    param_name: String,
    begin: i64,
    end: Option<i64>,
    by_epoch: bool,
    last_step: i64,
    convert_to_iter_based: bool,
}

#[allow(clippy::too_many_arguments)]
fn window(
    variant: Variant,
    type_name: &str,
    param_name: Option<String>,
    begin: i64,
    end: Option<i64>,
    by_epoch: bool,
    last_step: i64,
    convert_to_iter_based: bool,
    path: &KeyPath,
) -> Result<Window, ConfigError> {
    let param_name = match (variant, param_name) {
        (Variant::Lr, None) => "lr".to_string(),
        (Variant::Momentum, None) => "momentum".to_string(),
        (Variant::Generic, Some(p)) if !p.is_empty() => p,
        (Variant::Generic, _) => {
            return Err(path.key("param_name").error(format!(
                "{type_name} needs `param_name`: the optimizer key to schedule (lr, momentum, weight_decay, ...)"
            )));
        }
        (_, Some(_)) => {
            return Err(path.key("param_name").error(format!(
                "{type_name} fixes the scheduled key; use the *ParamScheduler type to choose `param_name`"
            )));
        }
    };
    if begin < 0 {
        return Err(path
            .key("begin")
            .error(format!("expected 0 or more, got {begin}")));
    }
    if let Some(end) = end
        && end <= begin
    {
        return Err(path.key("end").error(format!(
            "end should be larger than begin, but got begin={begin}, end={end}"
        )));
    }
    if last_step < -1 {
        return Err(path.key("last_step").error(format!(
            "expected -1 (a fresh start) or more, got {last_step}"
        )));
    }
    if convert_to_iter_based && !by_epoch {
        return Err(path.key("convert_to_iter_based").error(
            "only epoch-based schedulers (by_epoch = true) can be converted to iteration-based",
        ));
    }
    Ok(Window {
        param_name,
        begin,
        end,
        by_epoch,
        last_step,
        convert_to_iter_based,
    })
}

fn unit_interval(path: &KeyPath, key: &str, v: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a value between 0 and 1, got {v}")))
    }
}

fn finite(path: &KeyPath, key: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a finite number, got {v}")))
    }
}

fn positive(path: &KeyPath, key: &str, v: i64) -> Result<(), ConfigError> {
    if v >= 1 {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a positive integer, got {v}")))
    }
}

macro_rules! spec_from {
    ($cfg:ident, $variant:expr, $path:expr, $family:expr) => {{
        let w = window(
            $variant,
            &$cfg._type,
            $cfg.param_name.clone(),
            $cfg.begin,
            $cfg.end,
            $cfg.by_epoch,
            $cfg.last_step,
            $cfg.convert_to_iter_based,
            $path,
        )?;
        Ok(SchedulerSpec {
            type_name: $cfg._type.clone(),
            param_name: w.param_name,
            begin: w.begin,
            end: w.end,
            by_epoch: w.by_epoch,
            last_step: w.last_step,
            convert_to_iter_based: w.convert_to_iter_based,
            family: $family,
            path: $path.to_string(),
        })
    }};
}

fn parse_family(
    name: &str,
    variant: Variant,
    dict: &Map<String, Value>,
    path: &KeyPath,
) -> Result<SchedulerSpec, ConfigError> {
    let value = Value::Object(dict.clone());
    match name {
        "Step" => {
            let c: StepCfg = from_value(&value, path)?;
            positive(path, "step_size", c.step_size)?;
            finite(path, "gamma", c.gamma)?;
            spec_from!(
                c,
                variant,
                path,
                Family::Step {
                    step_size: c.step_size,
                    gamma: c.gamma
                }
            )
        }
        "MultiStep" => {
            let c: MultiStepCfg = from_value(&value, path)?;
            for (i, m) in c.milestones.iter().enumerate() {
                if *m < 0 {
                    return Err(path
                        .key("milestones")
                        .index(i)
                        .error(format!("expected 0 or more, got {m}")));
                }
                if i > 0 && *m < c.milestones[i - 1] {
                    return Err(path.key("milestones").index(i).error(format!(
                        "milestones must be in increasing order: {m} comes after {}",
                        c.milestones[i - 1]
                    )));
                }
            }
            finite(path, "gamma", c.gamma)?;
            spec_from!(
                c,
                variant,
                path,
                Family::MultiStep {
                    milestones: c.milestones.clone(),
                    gamma: c.gamma
                }
            )
        }
        "Constant" => {
            let c: ConstantCfg = from_value(&value, path)?;
            unit_interval(path, "factor", c.factor)?;
            spec_from!(c, variant, path, Family::Constant { factor: c.factor })
        }
        "Exponential" => {
            let c: ExponentialCfg = from_value(&value, path)?;
            finite(path, "gamma", c.gamma)?;
            spec_from!(c, variant, path, Family::Exponential { gamma: c.gamma })
        }
        "Linear" => {
            let c: LinearCfg = from_value(&value, path)?;
            unit_interval(path, "start_factor", c.start_factor)?;
            unit_interval(path, "end_factor", c.end_factor)?;
            spec_from!(
                c,
                variant,
                path,
                Family::Linear {
                    start_factor: c.start_factor,
                    end_factor: c.end_factor
                }
            )
        }
        "CosineAnnealing" => {
            let c: CosineCfg = from_value(&value, path)?;
            if c.eta_min.is_some() && c.eta_min_ratio.is_some() {
                return Err(path
                    .key("eta_min_ratio")
                    .error("set either eta_min or eta_min_ratio, not both"));
            }
            if let Some(t) = c.T_max
                && t < 0
            {
                return Err(path
                    .key("T_max")
                    .error(format!("expected 0 or more (0 means end - begin), got {t}")));
            }
            spec_from!(
                c,
                variant,
                path,
                Family::CosineAnnealing {
                    t_max: c.T_max,
                    eta_min: c.eta_min,
                    eta_min_ratio: c.eta_min_ratio
                }
            )
        }
        "Poly" => {
            let c: PolyCfg = from_value(&value, path)?;
            finite(path, "power", c.power)?;
            spec_from!(
                c,
                variant,
                path,
                Family::Poly {
                    eta_min: c.eta_min,
                    power: c.power
                }
            )
        }
        "OneCycle" => {
            let c: OneCycleCfg = from_value(&value, path)?;
            if let Some(t) = c.total_steps {
                positive(path, "total_steps", t)?;
            }
            unit_interval(path, "pct_start", c.pct_start)?;
            let anneal_strategy = match c.anneal_strategy.as_str() {
                "cos" => Anneal::Cos,
                "linear" => Anneal::Linear,
                other => {
                    return Err(path
                        .key("anneal_strategy")
                        .error(format!("expected \"cos\" or \"linear\", got \"{other}\"")));
                }
            };
            if c.div_factor == 0.0 || c.final_div_factor == 0.0 {
                return Err(path
                    .key("div_factor")
                    .error("div_factor and final_div_factor must not be 0"));
            }
            let eta_max = c.eta_max.as_ref().map_or(vec![0.0], OneOrMany::to_vec);
            spec_from!(
                c,
                variant,
                path,
                Family::OneCycle {
                    eta_max,
                    total_steps: c.total_steps,
                    pct_start: c.pct_start,
                    anneal_strategy,
                    div_factor: c.div_factor,
                    final_div_factor: c.final_div_factor,
                    three_phase: c.three_phase,
                }
            )
        }
        "CosineRestart" => {
            let c: CosineRestartCfg = from_value(&value, path)?;
            if c.periods.is_empty() {
                return Err(path.key("periods").error("expected at least one period"));
            }
            for (i, p) in c.periods.iter().enumerate() {
                positive(&path.key("periods"), &i.to_string(), *p).map_err(|_| {
                    path.key("periods")
                        .index(i)
                        .error(format!("expected a positive period, got {p}"))
                })?;
            }
            let restart_weights = c.restart_weights.clone().unwrap_or_else(|| vec![1.0]);
            if restart_weights.len() != c.periods.len() {
                return Err(path.key("restart_weights").error(format!(
                    "periods and restart_weights should have the same length ({} periods, {} weights)",
                    c.periods.len(),
                    restart_weights.len()
                )));
            }
            if c.eta_min.is_some() == c.eta_min_ratio.is_some() {
                return Err(path.error("set exactly one of eta_min and eta_min_ratio"));
            }
            spec_from!(
                c,
                variant,
                path,
                Family::CosineRestart {
                    periods: c.periods.clone(),
                    restart_weights,
                    eta_min: c.eta_min,
                    eta_min_ratio: c.eta_min_ratio,
                }
            )
        }
        "ReduceOnPlateau" => {
            let c: PlateauCfg = from_value(&value, path)?;
            if !c.by_epoch {
                return Err(path.key("by_epoch").error(
                    "ReduceOnPlateau only supports by_epoch = true (it steps on validation)",
                ));
            }
            if c.factor >= 1.0 || c.factor < 0.0 {
                return Err(path
                    .key("factor")
                    .error(format!("expected 0 <= factor < 1, got {}", c.factor)));
            }
            if c.threshold < 0.0 {
                return Err(path
                    .key("threshold")
                    .error(format!("expected 0 or more, got {}", c.threshold)));
            }
            if c.patience < 0 || c.cooldown < 0 {
                return Err(path.error("patience and cooldown must be 0 or more"));
            }
            let rule = match c.rule.as_str() {
                "less" => PlateauRule::Less,
                "greater" => PlateauRule::Greater,
                other => {
                    return Err(path
                        .key("rule")
                        .error(format!("expected \"less\" or \"greater\", got \"{other}\"")));
                }
            };
            let threshold_rule = match c.threshold_rule.as_str() {
                "rel" => ThresholdRule::Rel,
                "abs" => ThresholdRule::Abs,
                other => {
                    return Err(path
                        .key("threshold_rule")
                        .error(format!("expected \"rel\" or \"abs\", got \"{other}\"")));
                }
            };
            let best = match rule {
                PlateauRule::Less => INF as f64,
                PlateauRule::Greater => -(INF as f64),
            };
            let plateau = Plateau {
                monitor: c.monitor.clone(),
                rule,
                factor: c.factor,
                patience: c.patience as u64,
                threshold: c.threshold,
                threshold_rule,
                cooldown: c.cooldown as u64,
                min_values: c.min_value.as_ref().map_or(vec![0.0], OneOrMany::to_vec),
                eps: c.eps,
                best,
                num_bad_epochs: 0,
                cooldown_counter: 0,
            };
            spec_from!(c, variant, path, Family::ReduceOnPlateau(plateau))
        }
        other => Err(path
            .key("type")
            .error(format!("no scheduler family {other}"))),
    }
}

/// The scheduler families, by MMEngine's class-name stem.
const FAMILIES: &[&str] = &[
    "Step",
    "MultiStep",
    "Constant",
    "Exponential",
    "Linear",
    "CosineAnnealing",
    "Poly",
    "OneCycle",
    "CosineRestart",
    "ReduceOnPlateau",
];

/// Every MMEngine scheduler type: `<Family>LR`, `<Family>Momentum` (no
/// `OneCycleMomentum`, as upstream) and the generic `<Family>ParamScheduler`.
pub fn scheduler_registry() -> Registry<SchedulerSpec> {
    let mut registry = Registry::new("scheduler");
    for &family in FAMILIES {
        let variants: &[(&str, Variant)] = if family == "OneCycle" {
            &[("LR", Variant::Lr), ("ParamScheduler", Variant::Generic)]
        } else {
            &[
                ("LR", Variant::Lr),
                ("Momentum", Variant::Momentum),
                ("ParamScheduler", Variant::Generic),
            ]
        };
        for &(suffix, variant) in variants {
            registry.register(format!("{family}{suffix}"), move |dict, path| {
                parse_family(family, variant, dict, path)
            });
        }
    }
    registry
}

impl SchedulerSpec {
    /// Fills in the default `end` (the end of training, in this scheduler's unit) and
    /// applies `convert_to_iter_based`, as MMEngine's builder does, in that order.
    pub fn resolve(&self, run: &RunLength) -> Result<Self, ConfigError> {
        let path = KeyPath::root().join_dotted(&self.path);
        let mut spec = self.clone();
        if spec.end.is_none() {
            let default = if spec.by_epoch {
                run.max_epochs
            } else {
                run.max_iters
            };
            let Some(end) = default else {
                let needed = if spec.by_epoch {
                    "train_cfg.max_epochs"
                } else {
                    "train_cfg.max_iters"
                };
                return Err(path.key("end").error(format!(
                    "end is not set and {needed} is unknown: set one of them"
                )));
            };
            if end <= spec.begin {
                return Err(path.key("begin").error(format!(
                    "begin={} is at or past the end of training ({end}): the scheduler would never run",
                    spec.begin
                )));
            }
            spec.end = Some(end);
        }
        if spec.convert_to_iter_based {
            let Some(l) = run.epoch_length.filter(|l| *l > 0) else {
                return Err(path.key("convert_to_iter_based").error(
                    "converting to iterations needs the epoch length (iterations per epoch)",
                ));
            };
            spec.by_epoch = false;
            spec.convert_to_iter_based = false;
            spec.begin *= l;
            spec.end = spec
                .end
                .map(|e| if e == INF { e } else { e.saturating_mul(l) });
            match &mut spec.family {
                Family::Step { step_size, .. } => *step_size *= l,
                Family::MultiStep { milestones, .. } => milestones.iter_mut().for_each(|m| *m *= l),
                Family::CosineAnnealing { t_max: Some(t), .. } => *t *= l,
                Family::OneCycle {
                    total_steps: Some(t),
                    ..
                } => *t *= l,
                Family::CosineRestart { periods, .. } => periods.iter_mut().for_each(|p| *p *= l),
                _ => {}
            }
        }
        Ok(spec)
    }

    /// Builds the scheduler on `groups` (taking its first step, which changes them).
    /// Call on a [`resolve`](Self::resolve)d spec.
    pub fn attach(&self, groups: &mut [ParamGroup]) -> Result<ParamScheduler, SchedulerError> {
        let begin = self.begin;
        let end = self.end.unwrap_or(INF);
        let total_iters = end - begin - 1;
        let rule = match &self.family {
            Family::Step { step_size, gamma } => Rule::Step(Step {
                step_size: *step_size,
                gamma: *gamma,
            }),
            Family::MultiStep { milestones, gamma } => {
                let mut counts = std::collections::BTreeMap::new();
                for m in milestones {
                    *counts.entry(*m).or_insert(0) += 1;
                }
                Rule::MultiStep(MultiStep {
                    milestones: counts,
                    gamma: *gamma,
                })
            }
            Family::Constant { factor } => Rule::Constant(Constant {
                factor: *factor,
                total_iters,
            }),
            Family::Exponential { gamma } => Rule::Exponential(Exponential { gamma: *gamma }),
            Family::Linear {
                start_factor,
                end_factor,
            } => Rule::Linear(Linear {
                start_factor: *start_factor,
                end_factor: *end_factor,
                total_iters,
            }),
            Family::CosineAnnealing {
                t_max,
                eta_min,
                eta_min_ratio,
            } => Rule::CosineAnnealing(CosineAnnealing {
                t_max: t_max.filter(|t| *t != 0).unwrap_or(end - begin),
                eta_min: if eta_min_ratio.is_some() {
                    0.0
                } else {
                    eta_min.unwrap_or(0.0)
                },
                eta_min_ratio: *eta_min_ratio,
            }),
            Family::Poly { eta_min, power } => Rule::Poly(Poly {
                eta_min: *eta_min,
                power: *power,
                total_iters,
            }),
            Family::OneCycle {
                eta_max,
                total_steps,
                pct_start,
                anneal_strategy,
                div_factor,
                final_div_factor,
                three_phase,
            } => {
                if self.param_name != "lr" {
                    return Err(SchedulerError::Invalid(format!(
                        "{}: OneCycle only schedules `lr`, not `{}`",
                        self.type_name, self.param_name
                    )));
                }
                Rule::OneCycle(OneCycle::new(
                    eta_max.clone(),
                    total_steps.unwrap_or(end - begin),
                    *pct_start,
                    *anneal_strategy,
                    *div_factor,
                    *final_div_factor,
                    *three_phase,
                ))
            }
            Family::CosineRestart {
                periods,
                restart_weights,
                eta_min,
                eta_min_ratio,
            } => {
                let cumulative_periods = periods
                    .iter()
                    .scan(0i64, |sum, p| {
                        *sum += p;
                        Some(*sum)
                    })
                    .collect();
                Rule::CosineRestart(CosineRestart {
                    periods: periods.clone(),
                    restart_weights: restart_weights.clone(),
                    eta_min: *eta_min,
                    eta_min_ratio: *eta_min_ratio,
                    cumulative_periods,
                })
            }
            Family::ReduceOnPlateau(plateau) => {
                let mut plateau = plateau.clone();
                if plateau.min_values.len() == 1 {
                    plateau.min_values = vec![plateau.min_values[0]; groups.len()];
                } else if plateau.min_values.len() != groups.len() {
                    return Err(SchedulerError::Invalid(format!(
                        "{}: expected {} min_value entries (one per parameter group), got {}",
                        self.type_name,
                        groups.len(),
                        plateau.min_values.len()
                    )));
                }
                Rule::ReduceOnPlateau(plateau)
            }
        };
        ParamScheduler::new(rule, &self.param_name, begin, end, self.by_epoch, self.last_step, groups)
            .map_err(|e| match e {
                SchedulerError::MissingParam { group, param } if param == "momentum" => SchedulerError::Invalid(format!(
                    "{} ({}): the optimizer has no momentum (param_groups[{group}]); momentum schedulers need SGD/RMSprop momentum or Adam-style betas",
                    self.path, self.type_name
                )),
                other => other,
            })
    }
}

/// Parses a `param_scheduler` entry (a dict) found at `path`.
pub fn parse_scheduler(
    registry: &Registry<SchedulerSpec>,
    value: &Value,
    path: &KeyPath,
) -> Result<SchedulerSpec, ConfigError> {
    registry.build(value, path)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<SchedulerSpec, ConfigError> {
        scheduler_registry().build(&v, &KeyPath::root().key("param_scheduler").index(0))
    }

    #[test]
    fn every_family_has_lr_momentum_and_generic_types() {
        let r = scheduler_registry();
        assert_eq!(r.names().len(), 10 * 3 - 1);
        assert!(r.contains("CosineRestartMomentum"));
        assert!(r.contains("ReduceOnPlateauParamScheduler"));
        assert!(!r.contains("OneCycleMomentum"));
    }

    #[test]
    fn unknown_keys_are_errors_with_their_path() {
        let err = parse(json!({"type": "CosineAnnealingLR", "T_mx": 3})).unwrap_err();
        assert_eq!(err.path, "param_scheduler[0].T_mx");
        assert!(err.message.contains("unknown field `T_mx`"), "{err}");
    }

    #[test]
    fn wrong_types_name_the_key() {
        let err = parse(json!({"type": "StepLR", "step_size": "two"})).unwrap_err();
        assert_eq!(err.path, "param_scheduler[0].step_size");
    }

    #[test]
    fn generic_schedulers_need_a_param_name_and_fixed_ones_refuse_it() {
        assert!(
            parse(json!({"type": "LinearParamScheduler"}))
                .unwrap_err()
                .message
                .contains("needs `param_name`")
        );
        let spec = parse(json!({"type": "LinearParamScheduler", "param_name": "weight_decay"}))
            .expect("parses");
        assert_eq!(spec.param_name, "weight_decay");
        assert!(parse(json!({"type": "StepLR", "step_size": 1, "param_name": "x"})).is_err());
    }

    #[test]
    fn conversion_scales_every_step_count() {
        let spec = parse(
            json!({"type": "MultiStepLR", "milestones": [1, 3], "convert_to_iter_based": true}),
        )
        .expect("parses");
        let run = RunLength {
            max_epochs: Some(4),
            max_iters: Some(40),
            epoch_length: Some(10),
        };
        let r = spec.resolve(&run).expect("resolves");
        assert_eq!((r.begin, r.end, r.by_epoch), (0, Some(40), false));
        assert_eq!(
            r.family,
            Family::MultiStep {
                milestones: vec![10, 30],
                gamma: 0.1
            }
        );
    }

    #[test]
    fn missing_end_and_run_length_is_explained() {
        let spec = parse(json!({"type": "ExponentialLR", "gamma": 0.9})).expect("parses");
        let err = spec.resolve(&RunLength::default()).unwrap_err();
        assert!(err.message.contains("train_cfg.max_epochs"), "{err}");
    }

    #[test]
    fn state_dict_round_trips() {
        let spec =
            parse(json!({"type": "CosineAnnealingLR", "T_max": 4, "end": 8})).expect("parses");
        let mut groups = vec![ParamGroup::new([("lr", 0.1)])];
        let mut s = spec.attach(&mut groups).expect("attaches");
        s.step(&mut groups).expect("steps");
        let state = s.state_dict();
        assert_eq!(state["_global_step"], json!(1));
        assert_eq!(state["T_max"], json!(4));
        let mut fresh = spec
            .attach(&mut vec![ParamGroup::new([("lr", 0.1)])])
            .expect("attaches");
        fresh.load_state_dict(&state).expect("loads");
        assert_eq!(fresh, s);
    }
}
