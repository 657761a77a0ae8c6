//! Scheduler configs: every MMEngine scheduler `type`, parsed and checked once into a
//! [`SchedulerSpec`], then resolved against the run (`end` defaults, epoch → iteration
//! conversion) and attached to an optimizer's groups.
//!
//! The window keys every scheduler takes (`begin`, `end`, `by_epoch`, `last_step`,
//! `convert_to_iter_based`, `verbose`, `param_name`) are parsed here; each family's own
//! keys in its file under [`family`](super::family).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::SchedulerError;
use super::family::{FAMILIES, Family, Window};
use super::param_scheduler::{INF, ParamScheduler};
use super::steps::Steps;
use crate::base::ParamGroup;
use crate::base::registry::Registry;
use crate::base::{ConfigError, KeyPath, from_value};

/// One configured scheduler, checked: what `type`, which group key, which window.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerSpec {
    /// The config's `type` (`CosineAnnealingLR`).
    pub type_name: String,
    /// The group key it drives (`lr`, `momentum`, or a `*ParamScheduler`'s `param_name`).
    pub param_name: String,
    /// Window start, as configured (whole once [`Self::resolve`]d).
    pub begin: Steps,
    /// Window end; `None` means "the end of training" (filled in by [`Self::resolve`]).
    pub end: Option<Steps>,
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

/// The keys every scheduler takes besides its family's.
const WINDOW_KEYS: &[&str] = &[
    "type",
    "param_name",
    "begin",
    "end",
    "by_epoch",
    "last_step",
    "convert_to_iter_based",
    "verbose",
];

/// The window keys as configured (`_ParamScheduler`'s arguments and the builder's).
#[derive(Deserialize)]
struct WindowCfg {
    #[serde(rename = "type")]
    type_name: String,
    #[serde(default)]
    param_name: Option<String>,
    #[serde(default)]
    begin: Steps,
    #[serde(default)]
    end: Option<Steps>,
    #[serde(default = "yes")]
    by_epoch: bool,
    #[serde(default = "minus_one")]
    last_step: i64,
    #[serde(default)]
    convert_to_iter_based: bool,
    /// Logging only.
    #[serde(default)]
    #[allow(dead_code)]
    verbose: bool,
}

fn yes() -> bool {
    true
}

fn minus_one() -> i64 {
    -1
}

/// How a registered name fixes `param_name`.
#[derive(Clone, Copy)]
enum Variant {
    Lr,
    Momentum,
    Generic,
}

impl WindowCfg {
    /// The scheduled key, as the type name fixes it or `param_name` says.
    fn param_name(&self, variant: Variant, path: &KeyPath) -> Result<String, ConfigError> {
        let type_name = &self.type_name;
        match (variant, &self.param_name) {
            (Variant::Lr, None) => Ok("lr".to_string()),
            (Variant::Momentum, None) => Ok("momentum".to_string()),
            (Variant::Generic, Some(p)) if !p.is_empty() => Ok(p.clone()),
            (Variant::Generic, _) => Err(path.key("param_name").error(format!(
                "{type_name} needs `param_name`: the optimizer key to schedule (lr, momentum, weight_decay, ...)"
            ))),
            (_, Some(_)) => Err(path.key("param_name").error(format!(
                "{type_name} fixes the scheduled key; use the *ParamScheduler type to choose `param_name`"
            ))),
        }
    }

    fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        let begin = self.begin;
        if begin.as_f64() < 0.0 {
            return Err(path
                .key("begin")
                .error(format!("expected 0 or more, got {begin}")));
        }
        if let Some(end) = self.end
            && end.as_f64() <= begin.as_f64()
        {
            return Err(path.key("end").error(format!(
                "end should be larger than begin, but got begin={begin}, end={end}"
            )));
        }
        if !self.convert_to_iter_based {
            let unit = if self.by_epoch {
                "epochs"
            } else {
                "iterations"
            };
            let fix = if self.by_epoch {
                ", or set convert_to_iter_based = true (MMEngine then takes int(value × iterations per epoch))"
            } else {
                ""
            };
            for (key, v) in [("begin", Some(begin)), ("end", self.end)] {
                if let Some(v) = v
                    && v.whole().is_none()
                {
                    return Err(path.key(key).error(format!(
                        "expected a whole number of {unit}, got {v}: MMEngine would compare its integer step counter with {v} and derive total_iters / T_max from the fraction; write a whole number{fix}"
                    )));
                }
            }
        }
        if self.last_step < -1 {
            return Err(path.key("last_step").error(format!(
                "expected -1 (a fresh start) or more, got {}",
                self.last_step
            )));
        }
        if self.convert_to_iter_based && !self.by_epoch {
            return Err(path.key("convert_to_iter_based").error(
                "only epoch-based schedulers (by_epoch = true) can be converted to iteration-based",
            ));
        }
        Ok(())
    }
}

/// Parses one scheduler table of family `family` found at `path`.
fn parse_spec(
    family: &str,
    variant: Variant,
    dict: &Map<String, Value>,
    path: &KeyPath,
) -> Result<SchedulerSpec, ConfigError> {
    let (window, own): (Map<String, Value>, Map<String, Value>) = dict
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(k, _)| WINDOW_KEYS.contains(&k.as_str()));
    let w: WindowCfg = from_value(&Value::Object(window), path)?;
    let family = Family::parse(family, &own, WINDOW_KEYS, path)?;
    let param_name = w.param_name(variant, path)?;
    family.check(
        &Window {
            type_name: &w.type_name,
            param_name: &param_name,
            begin: w.begin.whole().unwrap_or(0),
            end: w.end.and_then(Steps::whole),
            by_epoch: w.by_epoch,
            convert_to_iter_based: w.convert_to_iter_based,
        },
        path,
    )?;
    w.check(path)?;
    Ok(SchedulerSpec {
        type_name: w.type_name,
        param_name,
        begin: w.begin,
        end: w.end,
        by_epoch: w.by_epoch,
        last_step: w.last_step,
        convert_to_iter_based: w.convert_to_iter_based,
        family,
        path: path.to_string(),
    })
}

/// Every MMEngine scheduler type: `<Family>LR`, `<Family>Momentum` (no
/// `OneCycleMomentum`, as upstream) and the generic `<Family>ParamScheduler`.
pub fn scheduler_registry() -> Registry<SchedulerSpec> {
    let mut registry = Registry::new("scheduler");
    for &(family, momentum) in FAMILIES {
        let mut variants = vec![("LR", Variant::Lr)];
        if momentum {
            variants.push(("Momentum", Variant::Momentum));
        }
        variants.push(("ParamScheduler", Variant::Generic));
        for (suffix, variant) in variants {
            registry.register(format!("{family}{suffix}"), move |dict, path| {
                parse_spec(family, variant, dict, path)
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
            if end as f64 <= spec.begin.as_f64() {
                return Err(path.key("begin").error(format!(
                    "begin={} is at or past the end of training ({end}): the scheduler would never run",
                    spec.begin
                )));
            }
            spec.end = Some(Steps::Int(end));
        }
        if spec.convert_to_iter_based {
            let Some(l) = run.epoch_length.filter(|l| *l > 0) else {
                return Err(path.key("convert_to_iter_based").error(
                    "converting to iterations needs the epoch length (iterations per epoch)",
                ));
            };
            // MMEngine's build_iter_from_epoch: `int(begin * L)`, `int(end * L)` unless
            // `end == INF` (a float 1e9 included), the family's counts `* L`.
            spec.by_epoch = false;
            spec.convert_to_iter_based = false;
            spec.begin = Steps::Int(spec.begin.times_truncated(l));
            spec.end = spec.end.map(|e| {
                if e.as_f64() == INF as f64 {
                    Steps::Int(INF)
                } else {
                    Steps::Int(e.times_truncated(l))
                }
            });
            spec.family.convert_to_iter_based(l);
            if spec.end.is_some_and(|e| e.as_f64() <= spec.begin.as_f64()) {
                return Err(path.key("end").error(format!(
                    "after convert_to_iter_based (× {l} iterations per epoch) the window is empty: begin={}, end={}",
                    spec.begin,
                    spec.end.unwrap_or_default()
                )));
            }
            spec.family.check(&spec.window(), &path).map_err(|mut e| {
                e.message = format!(
                    "{} (after convert_to_iter_based multiplied it by {l} iterations per epoch)",
                    e.message
                );
                e
            })?;
        }
        Ok(spec)
    }

    /// The window as the family sees it (`begin`/`end` whole once resolved).
    fn window(&self) -> Window<'_> {
        Window {
            type_name: &self.type_name,
            param_name: &self.param_name,
            begin: self.begin.whole().unwrap_or(0),
            end: Some(self.end.and_then(Steps::whole).unwrap_or(INF)),
            by_epoch: self.by_epoch,
            convert_to_iter_based: self.convert_to_iter_based,
        }
    }

    /// Builds the scheduler on `groups` (taking its first step, which changes them).
    /// Call on a [`resolve`](Self::resolve)d spec.
    pub fn attach(&self, groups: &mut [ParamGroup]) -> Result<ParamScheduler, SchedulerError> {
        let window = self.window();
        let whole = |v: Steps, key: &str| {
            v.whole().ok_or_else(|| {
                SchedulerError::Invalid(format!(
                    "{}: {key} = {v} is not a whole number of steps (resolve the spec before attaching it)",
                    self.type_name
                ))
            })
        };
        let begin = whole(self.begin, "begin")?;
        if let Some(end) = self.end {
            whole(end, "end")?;
        }
        let rule = self.family.init(&window, groups)?;
        ParamScheduler::new(
            rule,
            &self.param_name,
            begin,
            window.end(),
            self.by_epoch,
            self.last_step,
            groups,
        )
        .map_err(|e| match e {
            SchedulerError::MissingParam { group, param } if param == "momentum" => {
                SchedulerError::Invalid(format!(
                    "{} ({}): the optimizer has no momentum (param_groups[{group}]); momentum schedulers need SGD/RMSprop momentum or Adam-style betas",
                    self.path, self.type_name
                ))
            }
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
    use crate::scheduler::family::multi_step::MultiStepConfig;

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
    fn unknown_keys_suggest_the_closest_known_one() {
        let at = KeyPath::root().key("param_scheduler").index(1);
        let registry = scheduler_registry();
        let err = registry
            .build(&json!({"type": "CosineAnnealingLR", "T_mx": 3}), &at)
            .unwrap_err();
        assert_eq!(err.path, "param_scheduler[1].T_mx");
        assert!(err.message.contains("did you mean `T_max`?"), "{err}");
        // The window keys count as known too.
        let err = registry
            .build(
                &json!({"type": "StepLR", "step_size": 2, "by_epcoh": false}),
                &at,
            )
            .unwrap_err();
        assert_eq!(err.path, "param_scheduler[1].by_epcoh");
        assert!(err.message.contains("did you mean `by_epoch`?"), "{err}");
        // A mistake in a window key is named where it is.
        let err = registry
            .build(
                &json!({"type": "StepLR", "step_size": 2, "begin": "x"}),
                &at,
            )
            .unwrap_err();
        assert_eq!(err.path, "param_scheduler[1].begin");
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
        assert_eq!(
            (r.begin, r.end, r.by_epoch),
            (Steps::Int(0), Some(Steps::Int(40)), false)
        );
        assert_eq!(
            r.family,
            Family::MultiStep(MultiStepConfig {
                milestones: vec![Steps::Int(10), Steps::Int(30)],
                gamma: 0.1
            })
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
