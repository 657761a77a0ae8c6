//! `build_param_scheduler` and auto_scale_lr as the Strategy applies them.

use super::groups::ParamGroup;
use super::param_scheduler::ParamScheduler;
use super::spec::{RunLength, SchedulerSpec};
use crate::config::{ConfigError, KeyPath, ParamSchedulerConfig};

/// An optimizer's name (`None` for the single optimizer) and its parameter groups.
pub type NamedGroups = (Option<String>, Vec<ParamGroup>);

/// Multiplies every group's `lr` by `world_size × batch_size / base_batch_size`, once,
/// before schedulers are built (they snapshot `initial_lr`). Returns the ratio.
pub fn auto_scale_lr(
    optimizers: &mut [NamedGroups],
    world_size: u64,
    batch_size: u64,
    base_batch_size: u64,
) -> f64 {
    let ratio = (world_size * batch_size) as f64 / base_batch_size as f64;
    for (_, groups) in optimizers.iter_mut() {
        for g in groups.iter_mut() {
            if let Some(lr) = g.get("lr") {
                g.set("lr", lr * ratio);
            }
        }
    }
    ratio
}

fn attach_all(
    specs: &[SchedulerSpec],
    groups: &mut [ParamGroup],
    run: &RunLength,
) -> Result<Vec<ParamScheduler>, ConfigError> {
    specs
        .iter()
        .map(|spec| {
            let resolved = spec.resolve(run)?;
            resolved.attach(groups).map_err(|e| {
                KeyPath::root()
                    .join_dotted(&spec.path)
                    .error(format!("{}: {e}", spec.type_name))
            })
        })
        .collect()
}

/// MMEngine's `build_param_scheduler`: a list per optimizer, built in config order
/// (each constructor applies its first value at once). With several optimizers, a
/// shared list is built separately for each; a per-name table must name each one.
///
/// Unlike MMEngine's FlexibleRunner, a shared list with several optimizers does not
/// lose `max_epochs` after the first optimizer ([quirk] 1.8); the numbers are the same.
pub fn build_param_scheduler(
    config: &ParamSchedulerConfig,
    optimizers: &mut [NamedGroups],
    run: &RunLength,
) -> Result<Vec<Vec<ParamScheduler>>, ConfigError> {
    let path = KeyPath::root().key("param_scheduler");
    match config {
        ParamSchedulerConfig::Shared(specs) => optimizers
            .iter_mut()
            .map(|(_, groups)| attach_all(specs, groups, run))
            .collect(),
        ParamSchedulerConfig::PerOptimizer(lists) => {
            let names: Vec<String> = optimizers.iter().filter_map(|(n, _)| n.clone()).collect();
            if names.is_empty() {
                return Err(path.error(
                    "one optimizer takes a scheduler list (or one scheduler table), not a table per optimizer name",
                ));
            }
            for (name, _) in lists {
                if !names.contains(name) {
                    return Err(path.key(name).error(format!(
                        "no optimizer named `{name}`; the optimizers are {}",
                        names.join(", ")
                    )));
                }
            }
            optimizers
                .iter_mut()
                .map(|(name, groups)| {
                    let name = name.clone().unwrap_or_default();
                    let Some((_, specs)) = lists.iter().find(|(n, _)| *n == name) else {
                        return Err(path.error(format!("no scheduler list for optimizer `{name}`")));
                    };
                    attach_all(specs, groups, run)
                })
                .collect()
        }
    }
}
