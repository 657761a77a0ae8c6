//! Hooks: code the loops call at fixed points, in priority order (MMEngine's
//! priorities: a lower number runs first). Built in:
//!
//! - [`ParamSchedulerHook`] (`LOW`, 70): steps iteration schedulers after every
//!   iteration, epoch schedulers after every epoch, ReduceOnPlateau after validation;
//! - [`LoggerHook`] (`BELOW_NORMAL`, 60): every `interval` iterations a text line and
//!   a `scalars.json` record with the window means; after validation the metrics;
//! - [`EarlyStoppingHook`] (`LOWEST`, 100, from `custom_hooks`): stops training when
//!   the monitored metric stops improving.
//!
//! The runtime information (epoch, iteration, lrs, losses, timing) is recorded by
//! the loop itself in the [`MessageHub`], before any hook runs, so every hook reads
//! the same values. The checkpoint hook arrives with checkpoints.

use std::collections::BTreeMap;

use super::error::RunError;
use super::message_hub::MessageHub;
use crate::base::log::RunLog;
use crate::hooks::{EarlyStopping, Verdict};
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
    /// Set by a hook to stop training after the current validation (MMEngine's
    /// `train_loop.stop_training`), with the reason.
    pub stop: &'a mut Option<String>,
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
    /// After [`Runner::flush`](super::Runner::flush) read the queued values back
    /// outside the loop (the browser's read-back after each chunk of iterations).
    fn after_scalars(&mut self, _cx: &mut HookContext<'_>) -> Result<(), RunError> {
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

pub use super::logger_hook::LoggerHook;

/// MMEngine's `EarlyStoppingHook`: after every validation, the decision of
/// [`EarlyStopping`]; a stop is logged and ends training after this validation.
#[derive(Debug)]
pub struct EarlyStoppingHook {
    /// The settings and the state.
    pub state: EarlyStopping,
    /// The priority (`LOWEST`, 100, unless the config says otherwise).
    pub priority: i32,
    /// Its place in `custom_hooks` (for the error of a missing metric).
    pub index: usize,
}

impl Hook for EarlyStoppingHook {
    fn name(&self) -> &str {
        "EarlyStoppingHook"
    }

    fn priority(&self) -> i32 {
        self.priority
    }

    fn after_val_epoch(
        &mut self,
        cx: &mut HookContext<'_>,
        metrics: &BTreeMap<String, f64>,
    ) -> Result<(), RunError> {
        match self.state.after_val(metrics) {
            Ok(Verdict::Continue) => {}
            Ok(Verdict::Skipped(warning)) => cx.log.warning(warning),
            Ok(Verdict::Stop(reason)) => {
                cx.log.info(&reason);
                *cx.stop = Some(reason);
            }
            Err(message) => {
                // MMEngine's RuntimeError (`strict = true`): the config names a
                // metric validation does not compute.
                return Err(RunError::Config(
                    crate::base::KeyPath::root()
                        .key("custom_hooks")
                        .index(self.index)
                        .key("monitor")
                        .error(message),
                ));
            }
        }
        Ok(())
    }
}
