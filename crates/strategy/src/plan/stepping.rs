//! When schedulers step: MMEngine's `ParamSchedulerHook`, shared by the runner's hook
//! and the schedule simulation, so the preview cannot drift from training.

use std::collections::BTreeMap;

use crate::scheduler::{ParamGroup, ParamScheduler, SchedulerError};

/// After every training iteration: the iteration-based schedulers step.
pub fn after_train_iter(
    list: &mut [ParamScheduler],
    groups: &mut [ParamGroup],
) -> Result<(), SchedulerError> {
    for s in list.iter_mut().filter(|s| !s.by_epoch) {
        s.step(groups)?;
    }
    Ok(())
}

/// After every training epoch (and, in an iteration-based loop, once at the end):
/// the epoch-based schedulers step, except the ones that wait for metrics.
pub fn after_train_epoch(
    list: &mut [ParamScheduler],
    groups: &mut [ParamGroup],
) -> Result<(), SchedulerError> {
    for s in list.iter_mut().filter(|s| s.by_epoch && !s.needs_metrics()) {
        s.step(groups)?;
    }
    Ok(())
}

/// After every validation: ReduceOnPlateau schedulers see the metrics.
pub fn after_val_epoch(
    list: &mut [ParamScheduler],
    groups: &mut [ParamGroup],
    metrics: &BTreeMap<String, f64>,
) -> Result<(), SchedulerError> {
    for s in list.iter_mut().filter(|s| s.by_epoch && s.needs_metrics()) {
        s.step_with_metrics(groups, metrics)?;
    }
    Ok(())
}
