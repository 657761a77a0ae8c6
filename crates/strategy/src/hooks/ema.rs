//! MMEngine's `EMAHook` (`custom_hooks = [{type = "EMAHook", …}]`) without a tensor
//! backend: the settings, checked as MMEngine checks them, and the averaged model's
//! counter (`steps`), which decides on every call whether the average is a copy of
//! the source (the first call), an average with which weight, or nothing (off the
//! `interval`). The runner applies the decision to the parameters on the device.

use serde_json::{Map, Value};

use super::{flag, number};
use crate::base::{ConfigError, KeyPath};

/// The keys an `EMAHook` table may hold.
pub const KNOWN: [&str; 10] = [
    "type",
    "ema_type",
    "momentum",
    "gamma",
    "interval",
    "update_buffers",
    "begin_iter",
    "begin_epoch",
    "strict_load",
    "priority",
];

/// The averaging rule (`ema_type`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmaType {
    /// `ExponentialMovingAverage`: `avg ← lerp(avg, src, momentum)`.
    Exponential,
    /// `MomentumAnnealingEMA`: the weight is `max(momentum, gamma / (gamma + steps))`.
    MomentumAnnealing {
        /// How slowly the weight falls to `momentum`.
        gamma: f64,
    },
}

/// `EMAHook`'s settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EmaCfg {
    /// The averaging rule.
    pub ema_type: EmaType,
    /// The weight of the new value (MMEngine's convention; default 0.0002).
    pub momentum: f64,
    /// Average every `interval` calls (default 1).
    pub interval: i64,
    /// Average buffers too (the models here have none: parameters only either way).
    pub update_buffers: bool,
    /// The first iteration (1-based) that updates the average; before it the average
    /// follows the model.
    pub begin_iter: i64,
    /// The same by epoch (`begin_epoch > 0` makes the start count epochs).
    pub begin_epoch: i64,
    /// Whether a checkpoint's averaged weights must match the model's names exactly.
    pub strict_load: bool,
}

fn whole(
    t: &Map<String, Value>,
    key: &str,
    path: &KeyPath,
    default: i64,
) -> Result<i64, ConfigError> {
    match t.get(key) {
        None => Ok(default),
        Some(v) => v.as_i64().ok_or_else(|| {
            path.key(key)
                .error(format!("expected a whole number, got {v}"))
        }),
    }
}

impl EmaCfg {
    /// Reads one `custom_hooks` entry (found at `path`); unknown keys are refused by
    /// the caller's key check.
    pub fn from_config(t: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let momentum = number(t, "momentum", path)?.unwrap_or(0.0002);
        if !(momentum > 0.0 && momentum < 1.0) {
            return Err(path.key("momentum").error(format!(
                "momentum must be in range (0.0, 1.0) but got {momentum}"
            )));
        }
        let gamma = number(t, "gamma", path)?;
        let ema_type = match t.get("ema_type") {
            None => EmaType::Exponential,
            Some(Value::String(s)) if s == "ExponentialMovingAverage" => EmaType::Exponential,
            Some(Value::String(s)) if s == "MomentumAnnealingEMA" => {
                let gamma = gamma.unwrap_or(100.0);
                if gamma <= 0.0 {
                    return Err(path
                        .key("gamma")
                        .error(format!("gamma must be greater than 0, but got {gamma}")));
                }
                EmaType::MomentumAnnealing { gamma }
            }
            Some(Value::String(s)) if s == "StochasticWeightAverage" => {
                return Err(path.key("ema_type").error(
                    "StochasticWeightAverage is not available: use ExponentialMovingAverage or MomentumAnnealingEMA",
                ));
            }
            Some(v) => {
                let given = v.as_str().unwrap_or_default();
                return Err(path.key("ema_type").error(format!(
                    "unknown averaging type {v}.{} Known: ExponentialMovingAverage, MomentumAnnealingEMA",
                    crate::base::did_you_mean(
                        given,
                        ["ExponentialMovingAverage", "MomentumAnnealingEMA"]
                    )
                )));
            }
        };
        if gamma.is_some() && ema_type == EmaType::Exponential {
            return Err(path
                .key("gamma")
                .error("only MomentumAnnealingEMA takes gamma; set ema_type = \"MomentumAnnealingEMA\" or remove it"));
        }
        let interval = whole(t, "interval", path, 1)?;
        if interval < 1 {
            return Err(path
                .key("interval")
                .error(format!("expected a positive interval, got {interval}")));
        }
        let begin_iter = whole(t, "begin_iter", path, 0)?;
        let begin_epoch = whole(t, "begin_epoch", path, 0)?;
        if begin_iter < 0 {
            return Err(path.key("begin_iter").error(format!(
                "begin_iter must larger than 0, but got begin: {begin_iter}"
            )));
        }
        if begin_epoch < 0 {
            return Err(path.key("begin_epoch").error(format!(
                "begin_epoch must larger than 0, but got begin: {begin_epoch}"
            )));
        }
        if begin_iter != 0 && begin_epoch != 0 {
            return Err(path
                .key("begin_epoch")
                .error("`begin_epoch` and `begin_iter` should not be both set."));
        }
        Ok(Self {
            ema_type,
            momentum,
            interval,
            update_buffers: flag(t, "update_buffers", path, false)?,
            begin_iter,
            begin_epoch,
            strict_load: flag(t, "strict_load", path, false)?,
        })
    }

    /// Whether the average is updated after the iteration of 0-based index `iter`
    /// in the 0-based `epoch`; before that it follows the model (MMEngine's
    /// `_ema_started`).
    pub fn started(&self, epoch: i64, iter: i64) -> bool {
        if self.begin_epoch > 0 {
            epoch + 1 >= self.begin_epoch
        } else {
            iter + 1 >= self.begin_iter
        }
    }

    /// MMEngine's warning for an unusually large momentum, if it applies.
    pub fn warning(&self) -> Option<String> {
        (self.momentum > 0.5).then(|| {
            format!(
                "The value of momentum in EMA is usually a small number, which is different from the conventional notion of momentum but with `1 - momentum`. Please make sure the value is correct. (momentum = {})",
                self.momentum
            )
        })
    }
}

/// What one call of `update_parameters` does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmaAction {
    /// The first call: the average becomes a copy of the source.
    Copy,
    /// `avg ← lerp(avg, src, w)` with this weight of the new value.
    Average(f64),
    /// Off the interval: nothing.
    Skip,
}

/// The averaged model's counter (`steps`: calls, not averages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmaCounter {
    /// Calls so far.
    pub steps: i64,
}

impl EmaCounter {
    /// One call of `update_parameters`: what it does, and `steps` moves on.
    pub fn call(&mut self, cfg: &EmaCfg) -> EmaAction {
        let s = self.steps;
        self.steps += 1;
        if s == 0 {
            EmaAction::Copy
        } else if s % cfg.interval == 0 {
            EmaAction::Average(match cfg.ema_type {
                EmaType::Exponential => cfg.momentum,
                EmaType::MomentumAnnealing { gamma } => {
                    cfg.momentum.max(gamma / (gamma + s as f64))
                }
            })
        } else {
            EmaAction::Skip
        }
    }
}

/// `torch.lerp(avg, src, w)` as torch evaluates it: `avg + w·(src − avg)` for
/// `w < 0.5`, `src − (src − avg)·(1 − w)` otherwise.
pub fn lerp(avg: f64, src: f64, w: f64) -> f64 {
    if w < 0.5 {
        avg + w * (src - avg)
    } else {
        src - (src - avg) * (1.0 - w)
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
