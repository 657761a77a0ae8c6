//! The training loop's scheduler steps over a whole run, without tensors: the
//! schedule preview. It steps with [`super::stepping`], as the runner's hook does.

use super::curves::{Curves, Phase, Series};
use super::{RunPlan, stepping};
use crate::base::{ConfigError, KeyPath};
use crate::config::ExperimentConfig;
use crate::scheduler::family::{multi_step::MultiStep, step::Step};
use crate::scheduler::{NamedGroups, ParamScheduler, Rule, SchedulerError};

/// Longest run the simulation accepts (two f64 curves of this length is 160 MB).
pub const MAX_ITERATIONS: i64 = 10_000_000;

/// Simulates the scheduler steps of a whole run, as MMEngine's loops and
/// `ParamSchedulerHook` drive them: the value in effect during an iteration is
/// recorded, then iteration-based schedulers step; epoch-based ones step after each
/// epoch. In an iteration-based loop, epoch-based schedulers never step during
/// training (MMEngine fires `after_train_epoch` once, at the very end). With
/// `default_hooks.param_scheduler` off, nothing steps.
///
/// `iters_per_epoch` overrides the config's `len(train_dataloader)` (see
/// [`RunPlan::new`]). ReduceOnPlateau schedulers see no validation metrics here, so
/// they stay flat.
pub fn simulate(
    cfg: &ExperimentConfig,
    iters_per_epoch: Option<i64>,
) -> Result<Curves, ConfigError> {
    simulate_world(cfg, iters_per_epoch, 1)
}

/// [`simulate`] for a run on `world_size` data-parallel ranks (`schedule
/// --world-size`): the epoch is each rank's share, and `auto_scale_lr` sees the
/// global batch.
pub fn simulate_world(
    cfg: &ExperimentConfig,
    iters_per_epoch: Option<i64>,
    world_size: u64,
) -> Result<Curves, ConfigError> {
    if cfg.optim_wrapper.is_none() && cfg.problems_under(&["optim_wrapper"]).next().is_none() {
        return Err(KeyPath::root()
            .key("optim_wrapper")
            .error("missing: the schedule starts from the optimizer's lr"));
    }
    let plan = RunPlan::for_world(cfg, iters_per_epoch, world_size)?;
    plan.simulate(cfg)
}

impl RunPlan {
    /// The curves of this plan for `cfg` (the config the plan was made from).
    pub fn simulate(&self, cfg: &ExperimentConfig) -> Result<Curves, ConfigError> {
        let root = KeyPath::root();
        let Some(optim_wrapper) = &cfg.optim_wrapper else {
            return Err(root
                .key("optim_wrapper")
                .error("missing: the schedule starts from the optimizer's lr"));
        };
        if self.max_iters > MAX_ITERATIONS {
            return Err(root.key("train_cfg").error(format!(
                "the run has {} iterations; the schedule simulation stops at {MAX_ITERATIONS}",
                self.max_iters
            )));
        }
        let mut optimizers: Vec<NamedGroups> = optim_wrapper
            .wrappers()
            .into_iter()
            .map(|(name, w)| (name.map(str::to_string), vec![w.optimizer.initial_group()]))
            .collect();
        self.scale_lr(&mut optimizers);
        let mut schedulers = self.build_schedulers(cfg, &mut optimizers)?;
        let total = self.max_iters as usize;
        let by_epoch = self.by_epoch();
        let iters_per_epoch = self.epoch_length;
        let steps_at_all = self.schedulers_step;
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
            let steps = steps_at_all && !(s.by_epoch && !by_epoch);
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
        let step_error = |e: SchedulerError| root.key("param_scheduler").error(e.to_string());
        for it in 0..total {
            for ((_, groups), s) in optimizers.iter().zip(series.iter_mut()) {
                s.lr.push(groups[0].get("lr").unwrap_or(0.0));
                if let Some(m) = &mut s.momentum {
                    m.push(groups[0].get("momentum").unwrap_or(0.0));
                }
            }
            if !steps_at_all {
                continue;
            }
            let epoch_end = by_epoch && iters_per_epoch.is_some_and(|l| (it as i64 + 1) % l == 0);
            for ((_, groups), list) in optimizers.iter_mut().zip(schedulers.iter_mut()) {
                stepping::after_train_iter(list, groups).map_err(step_error)?;
                if epoch_end {
                    stepping::after_train_epoch(list, groups).map_err(step_error)?;
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

    #[test]
    fn the_scheduler_hook_switched_off_keeps_the_first_value() {
        let text = r#"
[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1

[train_cfg]
by_epoch = false
max_iters = 20

[[param_scheduler]]
type = "LinearLR"
start_factor = 0.5
by_epoch = false
end = 10

[default_hooks]
param_scheduler = false
"#;
        let cfg = ExperimentConfig::from_text(text, &Registries::default()).expect("parses");
        let lr = &simulate(&cfg, None).expect("simulates").series[0].lr;
        assert!(lr.iter().all(|&v| v == 0.05), "{lr:?}");
        let on = text.replace("param_scheduler = false", "");
        let cfg = ExperimentConfig::from_text(&on, &Registries::default()).expect("parses");
        let lr = simulate(&cfg, None).expect("simulates").series[0].lr[19];
        assert!((lr - 0.1).abs() < 1e-12, "{lr}");
    }
}
