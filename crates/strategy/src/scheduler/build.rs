//! The `param_scheduler` section (one list, or one per optimizer) and
//! `build_param_scheduler` as the Strategy applies it.

use serde_json::Value;

use super::param_scheduler::ParamScheduler;
use super::spec::{RunLength, SchedulerSpec};
use crate::base::ParamGroup;
use crate::base::registry::{Registry, kind_of};
use crate::base::{ConfigError, KeyPath};

/// An optimizer's name (`None` for the single optimizer) and its parameter groups.
pub type NamedGroups = (Option<String>, Vec<ParamGroup>);

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

/// `param_scheduler`: one list for every optimizer, or one list per optimizer name.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamSchedulerConfig {
    /// One list, applied to each optimizer (a single table counts as a list of one).
    Shared(Vec<SchedulerSpec>),
    /// Optimizer name → its list.
    PerOptimizer(Vec<(String, Vec<SchedulerSpec>)>),
}

fn parse_list(
    v: &Value,
    path: &KeyPath,
    registry: &Registry<SchedulerSpec>,
) -> Result<Vec<SchedulerSpec>, ConfigError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| registry.build(item, &path.index(i)))
            .collect(),
        Value::Object(_) => Ok(vec![registry.build(v, path)?]),
        other => Err(path.error(format!(
            "expected a scheduler table or a list of them, found {}",
            kind_of(other)
        ))),
    }
}

/// Parses `param_scheduler` (found at `path`): a scheduler table, a list of them, or
/// a table of lists by optimizer name.
pub fn parse_param_scheduler(
    v: &Value,
    path: &KeyPath,
    registry: &Registry<SchedulerSpec>,
) -> Result<ParamSchedulerConfig, ConfigError> {
    match v {
        Value::Object(map) if !map.contains_key("type") => {
            let lists = map
                .iter()
                .map(|(name, list)| {
                    Ok((name.clone(), parse_list(list, &path.key(name), registry)?))
                })
                .collect::<Result<Vec<_>, ConfigError>>()?;
            Ok(ParamSchedulerConfig::PerOptimizer(lists))
        }
        _ => Ok(ParamSchedulerConfig::Shared(parse_list(v, path, registry)?)),
    }
}
