//! Hooks: code the loops call at fixed points, in priority order (MMEngine's
//! priorities: a lower number runs first). Built in:
//!
//! - [`ParamSchedulerHook`] (`LOW`, 70): steps iteration schedulers after every
//!   iteration, epoch schedulers after every epoch, ReduceOnPlateau after validation;
//! - [`LoggerHook`] (`BELOW_NORMAL`, 60): every `interval` iterations a text line and
//!   a `scalars.json` record with the window means; after validation the metrics.
//!
//! The runtime information (epoch, iteration, lrs, losses, timing) is recorded by
//! the loop itself in the [`MessageHub`], before any hook runs, so every hook reads
//! the same values. The checkpoint hook arrives with checkpoints.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::RunError;
use super::message_hub::MessageHub;
use crate::base::log::{RunLog, format_eta};
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::plan::stepping;
use crate::scheduler::ParamScheduler;

/// What a hook may read and change.
pub struct HookContext<'a> {
    /// Runtime information and scalar histories.
    pub hub: &'a mut MessageHub,
    /// The optimizer wrappers.
    pub optim: &'a mut OptimWrapperDict,
    /// The schedulers, one list per wrapper (same order).
    pub schedulers: &'a mut [Vec<ParamScheduler>],
    /// The run's log.
    pub log: &'a mut RunLog,
    /// Whether the loop is epoch-based.
    pub by_epoch: bool,
}

/// A hook. Every method defaults to doing nothing.
pub trait Hook: Send {
    /// The hook's name (for messages).
    fn name(&self) -> &str;
    /// Lower runs first (MMEngine: `NORMAL` = 50, `LOW` = 70, `VERY_LOW` = 90).
    fn priority(&self) -> i32 {
        50
    }
    /// Before the first iteration.
    fn before_train(&mut self, _cx: &mut HookContext<'_>) -> Result<(), RunError> {
        Ok(())
    }
    /// Whether this hook reads scalar values in the coming `after_train_iter` (the
    /// counters already count the iteration); the loop then reads the queued losses
    /// back first.
    fn wants_scalars(&self, _hub: &MessageHub) -> bool {
        false
    }
    /// After every training iteration (`hub.iter` is the count including it).
    fn after_train_iter(&mut self, _cx: &mut HookContext<'_>) -> Result<(), RunError> {
        Ok(())
    }
    /// After every training epoch.
    fn after_train_epoch(&mut self, _cx: &mut HookContext<'_>) -> Result<(), RunError> {
        Ok(())
    }
    /// After every validation, with its metrics.
    fn after_val_epoch(
        &mut self,
        _cx: &mut HookContext<'_>,
        _metrics: &BTreeMap<String, f64>,
    ) -> Result<(), RunError> {
        Ok(())
    }
    /// After the last iteration.
    fn after_train(&mut self, _cx: &mut HookContext<'_>) -> Result<(), RunError> {
        Ok(())
    }
}

/// Steps the parameter schedulers (MMEngine's `ParamSchedulerHook`).
#[derive(Debug, Default)]
pub struct ParamSchedulerHook;

impl Hook for ParamSchedulerHook {
    fn name(&self) -> &str {
        "ParamSchedulerHook"
    }

    fn priority(&self) -> i32 {
        70
    }

    fn after_train_iter(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        for ((_, wrapper), list) in cx.optim.iter_mut().zip(cx.schedulers.iter_mut()) {
            stepping::after_train_iter(list, &mut wrapper.groups)?;
        }
        Ok(())
    }

    fn after_train_epoch(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        for ((_, wrapper), list) in cx.optim.iter_mut().zip(cx.schedulers.iter_mut()) {
            stepping::after_train_epoch(list, &mut wrapper.groups)?;
        }
        Ok(())
    }

    fn after_val_epoch(
        &mut self,
        cx: &mut HookContext<'_>,
        metrics: &BTreeMap<String, f64>,
    ) -> Result<(), RunError> {
        for ((_, wrapper), list) in cx.optim.iter_mut().zip(cx.schedulers.iter_mut()) {
            stepping::after_val_epoch(list, &mut wrapper.groups, metrics)?;
        }
        Ok(())
    }
}

/// Logs training and validation (MMEngine's `LoggerHook`): a training record every
/// `interval` iterations (counted inside the epoch for epoch-based loops), with the
/// mean of the last `interval` values of each loss and timing. As MMEngine with
/// `ignore_last = true` (its default), the short window at an epoch's end is not
/// logged unless the epoch is no longer than `interval`.
#[derive(Debug)]
pub struct LoggerHook {
    /// Iterations between records.
    pub interval: i64,
    /// Skip the short last window of an epoch.
    pub ignore_last: bool,
    /// Iterations averaged per logged value (`log_processor.window_size`); `None`:
    /// the interval.
    pub window: Option<i64>,
}

impl LoggerHook {
    /// Logs every `interval` iterations.
    pub fn new(interval: i64) -> Self {
        Self {
            interval: interval.max(1),
            ignore_last: true,
            window: None,
        }
    }

    fn due(&self, hub: &MessageHub) -> bool {
        if hub.max_epochs.is_some() {
            hub.inner_iter % self.interval == 0
                || (hub.inner_iter == hub.iters_per_epoch
                    && (!self.ignore_last || hub.iters_per_epoch <= self.interval))
        } else {
            hub.iter % self.interval == 0
        }
    }
}

fn fmt_value(key: &str, v: f64) -> String {
    if key.ends_with("lr") || key.ends_with("momentum") {
        python_exp(v)
    } else {
        format!("{v:.4}")
    }
}

/// Python's `f"{v:.4e}"`: a signed two-digit exponent (`1.0000e-02`).
pub fn python_exp(v: f64) -> String {
    let s = format!("{v:.4e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::python_exp;

    #[test]
    fn exponents_print_as_python_prints_them() {
        assert_eq!(python_exp(0.01), "1.0000e-02");
        assert_eq!(python_exp(2.5e-4), "2.5000e-04");
        assert_eq!(python_exp(123.0), "1.2300e+02");
        assert_eq!(python_exp(1e-120), "1.0000e-120");
    }
}

impl Hook for LoggerHook {
    fn name(&self) -> &str {
        "LoggerHook"
    }

    fn priority(&self) -> i32 {
        60
    }

    fn wants_scalars(&self, hub: &MessageHub) -> bool {
        self.due(hub)
    }

    fn after_train_iter(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        let hub = &*cx.hub;
        if !self.due(hub) {
            return Ok(());
        }
        let window = self.window.unwrap_or(self.interval).max(1) as usize;
        let mut record = Map::new();
        let mut parts = Vec::new();
        // lrs first (as MMEngine), then eta and timing, then the losses.
        let keys: Vec<String> = hub.keys().map(str::to_string).collect();
        for key in keys
            .iter()
            .filter(|k| k.starts_with("train/") && k.ends_with("lr"))
        {
            if let Some(v) = hub.latest(key) {
                let name = &key["train/".len()..];
                parts.push(format!("{name}: {}", fmt_value(name, v)));
                record.insert(name.to_string(), json!(v));
            }
        }
        if let Some(t) = hub.mean_last("train/time", window) {
            let remaining = (hub.max_iters - hub.iter) as f64;
            parts.push(format!("eta: {}", format_eta(t * remaining)));
            parts.push(format!("time: {t:.4}"));
            record.insert("time".into(), json!(t));
        }
        for key in keys
            .iter()
            .filter(|k| k.starts_with("train/") && !k.ends_with("lr") && *k != "train/time")
        {
            if let Some(v) = hub.mean_last(key, window) {
                let name = &key["train/".len()..];
                parts.push(format!("{name}: {}", fmt_value(name, v)));
                record.insert(name.to_string(), json!(v));
            }
        }
        let head = if cx.by_epoch {
            format!(
                "Epoch(train) [{}][{}/{}]",
                hub.epoch + 1,
                hub.inner_iter,
                hub.iters_per_epoch
            )
        } else {
            format!("Iter(train) [{}/{}]", hub.iter, hub.max_iters)
        };
        if cx.by_epoch {
            record.insert("epoch".into(), json!(hub.epoch + 1));
        }
        record.insert("iter".into(), json!(hub.iter));
        record.insert("step".into(), json!(hub.iter));
        cx.log.info(format!("{head}  {}", parts.join("  ")));
        cx.log.scalars(&Value::Object(record));
        Ok(())
    }

    fn after_train_epoch(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        cx.log.sync();
        Ok(())
    }

    fn after_val_epoch(
        &mut self,
        cx: &mut HookContext<'_>,
        metrics: &BTreeMap<String, f64>,
    ) -> Result<(), RunError> {
        let hub = &*cx.hub;
        let step = if cx.by_epoch { hub.epoch } else { hub.iter };
        let mut record = Map::new();
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, v)| {
                record.insert(k.clone(), json!(v));
                format!("{k}: {v:.4}")
            })
            .collect();
        record.insert("step".into(), json!(step));
        let head = if cx.by_epoch {
            format!("Epoch(val) [{}]", hub.epoch)
        } else {
            format!("Iter(val) [{}]", hub.iter)
        };
        cx.log.info(format!("{head}  {}", parts.join("  ")));
        cx.log.scalars(&Value::Object(record));
        cx.log.sync();
        Ok(())
    }

    fn after_train(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        cx.log.sync();
        Ok(())
    }
}
