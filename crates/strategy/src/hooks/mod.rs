//! Hook settings, typed and checked without a tensor backend: `default_hooks` (each
//! of MMEngine's seven slots, or `None` to switch one off) and `custom_hooks`
//! (`custom`), with the backend-free parts of the hooks (`early_stopping`, `rule`).
//! The runner's hooks (`runner::hooks`) are built from these.

pub mod best;
pub mod checkpoint;
pub mod custom;
pub mod early_stopping;
pub mod ema;
pub mod log_processor;
pub mod rule;

use serde_json::{Map, Value};

pub use best::{BestAction, SaveBest, Watched};
pub use checkpoint::CheckpointPolicy;
pub use custom::{CustomHook, CustomHookKind, parse_custom_hooks};
pub use early_stopping::{EarlyStopping, EarlyStoppingCfg, Verdict};
pub use rule::Rule;

use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath, Notes, did_you_mean};

/// `default_hooks.logger`: MMEngine's `LoggerHook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggerCfg {
    /// Iterations between records (default 10).
    pub interval: i64,
    /// Skip the short last window of an epoch (default true).
    pub ignore_last: bool,
}

impl Default for LoggerCfg {
    fn default() -> Self {
        Self {
            interval: 10,
            ignore_last: true,
        }
    }
}

/// `default_hooks`, checked. `None` means the slot was switched off (`key = None`
/// in MMEngine; an empty value or `false` in TOML/JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultHooks {
    /// `logger`: text lines and `scalars.json`.
    pub logger: Option<LoggerCfg>,
    /// `param_scheduler`: off means schedulers apply their first value and never step.
    pub param_scheduler: bool,
    /// `checkpoint`: when to save. Unlike MMEngine's defaults (a checkpoint every
    /// epoch), a config that does not name this slot saves none: the browser and the
    /// tests train without touching the disk unless asked.
    pub checkpoint: Option<CheckpointPolicy>,
    /// `sampler_seed`: off means every epoch reads the data in the same order (MMEngine
    /// then never tells the sampler the epoch).
    pub sampler_seed: bool,
}

impl Default for DefaultHooks {
    fn default() -> Self {
        Self {
            logger: Some(LoggerCfg::default()),
            param_scheduler: true,
            checkpoint: None,
            sampler_seed: true,
        }
    }
}

const SLOTS: [&str; 7] = [
    "runtime_info",
    "timer",
    "logger",
    "param_scheduler",
    "checkpoint",
    "sampler_seed",
    "visualization",
];

fn off(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false))
}

pub(crate) fn table<'a>(
    v: &'a Value,
    path: &KeyPath,
) -> Result<&'a Map<String, Value>, ConfigError> {
    v.as_object().ok_or_else(|| {
        path.error(format!(
            "expected a hook table (or false to switch it off), found {}",
            kind_of(v)
        ))
    })
}

fn check_type(t: &Map<String, Value>, path: &KeyPath, allowed: &[&str]) -> Result<(), ConfigError> {
    match t.get("type") {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(other) => Err(path.key("type").error(format!(
            "expected {}, got {other}",
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

/// An optional number of a hook's table (`None` when absent or `None`).
pub(crate) fn number(
    t: &Map<String, Value>,
    key: &str,
    path: &KeyPath,
) -> Result<Option<f64>, ConfigError> {
    match t.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| path.key(key).error(format!("expected a number, got {v}"))),
    }
}

/// A true/false key of a hook's table, `default` when absent.
pub(crate) fn flag(
    t: &Map<String, Value>,
    key: &str,
    path: &KeyPath,
    default: bool,
) -> Result<bool, ConfigError> {
    match t.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(path
            .key(key)
            .error(format!("expected true or false, got {v}"))),
    }
}

pub(crate) fn only_keys(
    t: &Map<String, Value>,
    path: &KeyPath,
    known: &[&str],
) -> Result<(), ConfigError> {
    match t.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(path.key(k).error(format!(
            "unknown key.{} Known keys: {}",
            did_you_mean(k, known.iter().copied()),
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn positive(t: &Map<String, Value>, key: &str, path: &KeyPath) -> Result<Option<i64>, ConfigError> {
    match t.get(key) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(path
                .key(key)
                .error(format!("expected a positive integer, got {v}"))),
        },
    }
}

impl DefaultHooks {
    /// Parses `default_hooks` (found at `path`): slots not named keep MMEngine's
    /// defaults.
    pub fn parse(v: &Value, path: &KeyPath, notes: &mut Notes) -> Result<Self, ConfigError> {
        let mut hooks = Self::default();
        let Value::Object(map) = v else {
            return Err(path.error(format!("expected a table, found {}", kind_of(v))));
        };
        for (slot, v) in map {
            let at = path.key(slot);
            match slot.as_str() {
                "runtime_info" => {
                    if off(v) {
                        return Err(at.error(
                            "the runtime information hook cannot be switched off here: the loop and the logger read what it records",
                        ));
                    }
                    let t = table(v, &at)?;
                    check_type(t, &at, &["RuntimeInfoHook"])?;
                    only_keys(t, &at, &["type"])?;
                }
                "timer" => {
                    if off(v) {
                        notes.add(&at, "iteration times are still measured (for the ETA); they change no result");
                    } else {
                        let t = table(v, &at)?;
                        check_type(t, &at, &["IterTimerHook"])?;
                        only_keys(t, &at, &["type"])?;
                    }
                }
                "logger" => {
                    hooks.logger = if off(v) {
                        None
                    } else {
                        let t = table(v, &at)?;
                        check_type(t, &at, &["LoggerHook"])?;
                        only_keys(
                            t,
                            &at,
                            &["type", "interval", "ignore_last", "interval_exp_name"],
                        )?;
                        if t.contains_key("interval_exp_name") {
                            notes.add(
                                &at.key("interval_exp_name"),
                                "the experiment name is in every log's folder name; it changes no result",
                            );
                        }
                        let ignore_last = match t.get("ignore_last") {
                            None => true,
                            Some(Value::Bool(b)) => *b,
                            Some(other) => {
                                return Err(at
                                    .key("ignore_last")
                                    .error(format!("expected true or false, got {other}")));
                            }
                        };
                        Some(LoggerCfg {
                            interval: positive(t, "interval", &at)?.unwrap_or(10),
                            ignore_last,
                        })
                    };
                }
                "param_scheduler" => {
                    hooks.param_scheduler = !off(v);
                    if hooks.param_scheduler {
                        let t = table(v, &at)?;
                        check_type(t, &at, &["ParamSchedulerHook"])?;
                        only_keys(t, &at, &["type"])?;
                    }
                }
                "checkpoint" => {
                    hooks.checkpoint = if off(v) {
                        None
                    } else {
                        Some(CheckpointPolicy::from_config(table(v, &at)?, &at)?)
                    };
                }
                "sampler_seed" => {
                    hooks.sampler_seed = !off(v);
                    if hooks.sampler_seed {
                        let t = table(v, &at)?;
                        check_type(t, &at, &["DistSamplerSeedHook"])?;
                        only_keys(t, &at, &["type"])?;
                    }
                }
                "visualization" => {
                    if !off(v) {
                        let t = table(v, &at)?;
                        if t.get("draw").is_some_and(|d| d.as_bool() != Some(false)) {
                            return Err(at.key("draw").error(
                                "drawing predictions is not available here; remove draw (or set it to false)",
                            ));
                        }
                        notes.add(
                            &at,
                            "a visualization hook that does not draw (draw = false) does nothing",
                        );
                    }
                }
                other => {
                    return Err(at.error(format!(
                        "unknown default hook.{} The slots are {}; other hooks go in custom_hooks",
                        did_you_mean(other, SLOTS),
                        SLOTS.join(", ")
                    )));
                }
            }
        }
        Ok(hooks)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<DefaultHooks, ConfigError> {
        DefaultHooks::parse(
            &v,
            &KeyPath::root().key("default_hooks"),
            &mut Notes::default(),
        )
    }

    #[test]
    fn slots_switch_off_and_keep_defaults() {
        let h = parse(
            json!({"param_scheduler": null, "logger": {"type": "LoggerHook", "interval": 5}}),
        )
        .expect("parses");
        assert!(!h.param_scheduler);
        assert_eq!(h.logger.map(|l| l.interval), Some(5));
        assert!(h.checkpoint.is_none() && h.sampler_seed);
        assert!(
            !parse(json!({"sampler_seed": false}))
                .expect("parses")
                .sampler_seed
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = parse(json!({"loger": {"type": "LoggerHook"}})).unwrap_err();
        assert_eq!(e.path, "default_hooks.loger");
        assert!(e.message.contains("Did you mean `logger`?"), "{e}");
        let e = parse(json!({"logger": {"type": "LoggerHook", "intervall": 5}})).unwrap_err();
        assert_eq!(e.path, "default_hooks.logger.intervall");
        assert!(e.message.contains("Did you mean `interval`?"), "{e}");
        let e =
            parse(json!({"checkpoint": {"type": "CheckpointHook", "save_best": 3}})).unwrap_err();
        assert_eq!(e.path, "default_hooks.checkpoint.save_best");
        let e = parse(json!({"checkpoint": {"intervl": 1}})).unwrap_err();
        assert!(e.message.contains("Did you mean `interval`?"), "{e}");
    }
}
