//! `build_param_scheduler`, auto_scale_lr, and the training loop's scheduler steps,
//! simulated over a whole run: the curves the CLI prints and the web app draws.

use serde_json::{Map, Value, json};

use super::family::Rule;
use super::family::{multi_step::MultiStep, step::Step};
use super::groups::ParamGroup;
use super::param_scheduler::ParamScheduler;
use super::spec::{RunLength, SchedulerSpec};
use crate::config::{ConfigError, ExperimentConfig, KeyPath, ParamSchedulerConfig, TrainLoop};

/// Longest run the simulation accepts (two f64 curves of this length is 160 MB).
pub const MAX_ITERATIONS: i64 = 10_000_000;

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

/// Where one scheduler acts, in iterations of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// The scheduler's type (`LinearLR`; a `*ParamScheduler` driving lr shows as `*LR`).
    pub scheduler: String,
    /// The group key it drives.
    pub param_name: String,
    /// First iteration whose value it sets.
    pub start: usize,
    /// One past the last such iteration (clamped to the run).
    pub end: usize,
    /// False for an epoch-based scheduler in an iteration-based loop: it applies its
    /// first value when built and never steps (as in MMEngine).
    pub steps: bool,
    /// Iterations at which a step-wise scheduler changes the value: `MultiStep*`'s
    /// milestones, `Step*`'s decays (at most 64); empty for the other families.
    pub marks: Vec<usize>,
}

/// The values in effect during each iteration of one optimizer's first group.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The optimizer's name (`None` when there is one optimizer).
    pub optimizer: Option<String>,
    /// Learning rate per iteration.
    pub lr: Vec<f64>,
    /// Momentum (SGD/RMSprop momentum, Adam's `betas[0]`) per iteration; `None` for an
    /// optimizer without one (Adagrad).
    pub momentum: Option<Vec<f64>>,
    /// Where each of its schedulers acts, in config order.
    pub phases: Vec<Phase>,
}

/// A whole run's schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    /// Iterations simulated.
    pub iterations: usize,
    /// Iterations per epoch used (`None` for an iteration-based run that did not need it).
    pub iters_per_epoch: Option<i64>,
    /// Epoch boundaries matter for the view: true for an epoch-based loop.
    pub by_epoch: bool,
    /// One series per optimizer.
    pub series: Vec<Series>,
}

impl Curves {
    /// The stable JSON interface of `playground-cli schedule --format json`:
    /// `{"iterations": N, "lr": [...], "momentum": [...]}`, or with several optimizers
    /// `"<name>.lr"` / `"<name>.momentum"` keys. `momentum` is absent for optimizers
    /// without one.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("iterations".into(), json!(self.iterations));
        for s in &self.series {
            let key = |k: &str| {
                s.optimizer
                    .as_ref()
                    .map_or(k.to_string(), |n| format!("{n}.{k}"))
            };
            out.insert(key("lr"), json!(s.lr));
            if let Some(m) = &s.momentum {
                out.insert(key("momentum"), json!(m));
            }
        }
        Value::Object(out)
    }
}

/// Simulates the scheduler steps of a whole run, as MMEngine's loops and
/// `ParamSchedulerHook` drive them: the value in effect during an iteration is
/// recorded, then iteration-based schedulers step; epoch-based ones step after each
/// epoch. In an iteration-based loop, epoch-based schedulers never step during
/// training (MMEngine fires `after_train_epoch` once, at the very end).
///
/// `iters_per_epoch` is needed for epoch-based loops and `convert_to_iter_based`;
/// `None` takes it from the config ([`ExperimentConfig::iters_per_epoch`]) when the
/// dataset's size is known there.
/// ReduceOnPlateau schedulers see no validation metrics here, so they stay flat.
pub fn simulate(
    cfg: &ExperimentConfig,
    iters_per_epoch: Option<i64>,
) -> Result<Curves, ConfigError> {
    let root = KeyPath::root();
    let Some(optim_wrapper) = &cfg.optim_wrapper else {
        return Err(root
            .key("optim_wrapper")
            .error("missing: the schedule starts from the optimizer's lr"));
    };
    let Some(train_cfg) = &cfg.train_cfg else {
        return Err(root
            .key("train_cfg")
            .error("missing: the schedule needs max_epochs or max_iters"));
    };
    let train_loop = train_cfg.train_loop(&root.key("train_cfg"))?;
    let iters_per_epoch = match iters_per_epoch {
        Some(l) => Some(l),
        None => cfg.iters_per_epoch()?,
    };
    if let Some(l) = iters_per_epoch
        && l < 1
    {
        return Err(root.error(format!("iterations per epoch must be positive, got {l}")));
    }
    let (run, total, by_epoch) = match train_loop {
        TrainLoop::EpochBased { max_epochs } => {
            let Some(l) = iters_per_epoch else {
                return Err(root.key("train_cfg").error(
                    "an epoch-based schedule needs the number of iterations per epoch: give train_dataloader a batch_size and a dataset of known size, or pass --iters-per-epoch",
                ));
            };
            let total = max_epochs.saturating_mul(l);
            (
                RunLength {
                    max_epochs: Some(max_epochs),
                    max_iters: Some(total),
                    epoch_length: Some(l),
                },
                total,
                true,
            )
        }
        TrainLoop::IterBased { max_iters } => (
            RunLength {
                max_epochs: Some(1),
                max_iters: Some(max_iters),
                epoch_length: iters_per_epoch,
            },
            max_iters,
            false,
        ),
    };
    if total > MAX_ITERATIONS {
        return Err(root.key("train_cfg").error(format!(
            "the run has {total} iterations; the schedule simulation stops at {MAX_ITERATIONS}"
        )));
    }
    let mut optimizers: Vec<NamedGroups> = optim_wrapper
        .wrappers()
        .into_iter()
        .map(|(name, w)| (name.map(str::to_string), vec![w.optimizer.initial_group()]))
        .collect();
    if let Some(a) = cfg.auto_scale_lr.as_ref().filter(|a| a.enable) {
        let base = a.base_batch_size.unwrap_or(1);
        let Some(batch_size) = cfg.train_dataloader.as_ref().and_then(|d| d.batch_size) else {
            return Err(root
                .key("train_dataloader")
                .key("batch_size")
                .error("missing: auto_scale_lr needs the batch size"));
        };
        auto_scale_lr(&mut optimizers, 1, batch_size, base);
    }
    let mut schedulers = match &cfg.param_scheduler {
        Some(config) => build_param_scheduler(config, &mut optimizers, &run)?,
        None => optimizers.iter().map(|_| Vec::new()).collect(),
    };
    let total = total as usize;
    let phase = |s: &ParamScheduler| {
        // Scheduler steps → iterations: an epoch-based one moves at epoch ends.
        let unit = if s.by_epoch {
            iters_per_epoch.unwrap_or(1).max(1)
        } else {
            1
        };
        let to_iter = |step: i64| {
            usize::try_from(step.saturating_mul(unit))
                .unwrap_or(usize::MAX)
                .min(total)
        };
        let steps = !(s.by_epoch && !by_epoch);
        // Milestones count the scheduler's own steps, which start at `begin`.
        let in_window = |g: &i64| *g < s.end && to_iter(*g) < total;
        let marks = match &s.rule {
            _ if !steps => Vec::new(),
            Rule::MultiStep(MultiStep { milestones, .. }) => milestones
                .keys()
                .map(|m| s.begin.saturating_add(*m))
                .filter(in_window)
                .map(to_iter)
                .collect(),
            Rule::Step(Step { step_size, .. }) => (1..=64i64)
                .map(|k| s.begin.saturating_add(k.saturating_mul(*step_size)))
                .take_while(in_window)
                .map(to_iter)
                .collect(),
            _ => Vec::new(),
        };
        Phase {
            scheduler: match s.param_name.as_str() {
                "lr" => format!("{}LR", s.rule.family()),
                "momentum" => format!("{}Momentum", s.rule.family()),
                _ => format!("{}ParamScheduler", s.rule.family()),
            },
            param_name: s.param_name.clone(),
            start: if steps { to_iter(s.begin) } else { 0 },
            end: if steps { to_iter(s.end) } else { 0 },
            steps,
            marks,
        }
    };
    let mut series: Vec<Series> = optimizers
        .iter()
        .zip(&schedulers)
        .map(|((name, groups), list)| Series {
            optimizer: name.clone(),
            lr: Vec::with_capacity(total),
            momentum: groups[0]
                .contains("momentum")
                .then(|| Vec::with_capacity(total)),
            phases: list.iter().map(phase).collect(),
        })
        .collect();
    let step_error = |s: &ParamScheduler, e: super::SchedulerError| {
        root.key("param_scheduler").error(format!(
            "{} scheduler on `{}`: {e}",
            s.rule.family(),
            s.param_name
        ))
    };
    for it in 0..total {
        for ((_, groups), s) in optimizers.iter().zip(series.iter_mut()) {
            s.lr.push(groups[0].get("lr").unwrap_or(0.0));
            if let Some(m) = &mut s.momentum {
                m.push(groups[0].get("momentum").unwrap_or(0.0));
            }
        }
        let epoch_end = by_epoch && iters_per_epoch.is_some_and(|l| (it as i64 + 1) % l == 0);
        for ((_, groups), list) in optimizers.iter_mut().zip(schedulers.iter_mut()) {
            for s in list.iter_mut().filter(|s| !s.by_epoch) {
                s.step(groups).map_err(|e| step_error(s, e))?;
            }
            if epoch_end {
                for s in list.iter_mut().filter(|s| s.by_epoch) {
                    s.step(groups).map_err(|e| step_error(s, e))?;
                }
            }
        }
    }
    Ok(Curves {
        iterations: total,
        iters_per_epoch,
        by_epoch,
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Registries;

    #[test]
    fn step_wise_schedulers_mark_where_the_value_changes() {
        let text = r#"
[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1

[train_cfg]
by_epoch = false
max_iters = 100

[[param_scheduler]]
type = "MultiStepLR"
milestones = [10, 20]
by_epoch = false
begin = 5

[[param_scheduler]]
type = "StepLR"
step_size = 30
by_epoch = false

[[param_scheduler]]
type = "LinearLR"
by_epoch = false
end = 10
"#;
        let cfg = ExperimentConfig::from_text(text, &Registries::default()).expect("parses");
        let curves = simulate(&cfg, None).expect("simulates");
        let s = &curves.series[0];
        let marks: Vec<&[usize]> = s.phases.iter().map(|p| p.marks.as_slice()).collect();
        assert_eq!(marks, [&[15, 25][..], &[30, 60, 90][..], &[][..]]);
        for m in marks.concat() {
            assert_ne!(s.lr[m], s.lr[m - 1], "the lr changes at iteration {m}");
        }
    }
}
