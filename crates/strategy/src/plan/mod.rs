//! The run plan: what a config makes the training loop do, computed once from the
//! typed experiment and used by both the [`Runner`](crate::runner) and the schedule
//! preview ([`simulate`]), so the preview is exactly the plan training runs.
//!
//! - [`RunPlan`]: loop kind, epoch length, run length, world size, the lr scale of
//!   `auto_scale_lr`, whether the scheduler hook steps, and the schedulers built on
//!   given parameter groups.
//! - [`stepping`]: when schedulers step (MMEngine's `ParamSchedulerHook`).
//! - [`simulate`]: the curves of a whole run ([`Curves`]).

mod curves;
#[cfg(test)]
mod float_steps_tests;
#[cfg(all(test, not(target_family = "wasm")))]
mod reference_tests;
mod simulate;
pub mod stepping;

pub use curves::{Curves, Phase, Series};
pub use simulate::{MAX_ITERATIONS, simulate, simulate_world};

use crate::base::{ConfigError, KeyPath};
use crate::config::{AutoScaleLr, ExperimentConfig, TrainLoop};
use crate::scheduler::{NamedGroups, ParamScheduler, RunLength, build_param_scheduler};

/// The config sections a schedule depends on: a problem in one of them is fatal for
/// the preview (it would draw another schedule than training applies).
pub const SCHEDULE_SECTIONS: [&str; 5] = [
    "optim_wrapper",
    "param_scheduler",
    "train_cfg",
    "auto_scale_lr",
    "default_hooks",
];

/// What the training loop will do, from the typed experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// The loop and its length as configured.
    pub train_loop: TrainLoop,
    /// Iterations per epoch (`len(train_dataloader)`), when known.
    pub epoch_length: Option<i64>,
    /// Iterations of the whole run.
    pub max_iters: i64,
    /// Epochs of the run (epoch-based loops).
    pub max_epochs: Option<i64>,
    /// Devices training in step (data-parallel ranks).
    pub world_size: u64,
    /// `world_size × batch_size / base_batch_size` when `auto_scale_lr` is on.
    pub lr_scale: Option<f64>,
    /// `default_hooks.param_scheduler` is on: schedulers step (off, they apply their
    /// first value and stay).
    pub schedulers_step: bool,
}

impl RunPlan {
    /// The plan of `cfg`. `epoch_length` is the training dataloader's length when the
    /// caller knows it (the runner, from the built data; `--iters-per-epoch`);
    /// otherwise it comes from the config's batch size and dataset. A problem a lenient
    /// check found in a section the plan depends on is returned as the error.
    pub fn new(cfg: &ExperimentConfig, epoch_length: Option<i64>) -> Result<Self, ConfigError> {
        Self::for_world(cfg, epoch_length, 1)
    }

    /// The plan on `world_size` data-parallel ranks: each rank's epoch is its share of
    /// the data, and `auto_scale_lr` scales by `world_size × batch_size`.
    pub fn for_world(
        cfg: &ExperimentConfig,
        epoch_length: Option<i64>,
        world_size: u64,
    ) -> Result<Self, ConfigError> {
        let root = KeyPath::root();
        if let Some(e) = cfg
            .unknown_top_level_keys()
            .chain(cfg.problems_under(&SCHEDULE_SECTIONS))
            .next()
        {
            return Err(e.clone());
        }
        let Some(train_cfg) = &cfg.train_cfg else {
            return Err(root
                .key("train_cfg")
                .error("missing: the run needs max_epochs or max_iters"));
        };
        let epoch_length = match epoch_length {
            Some(l) => Some(l),
            None => {
                let known = cfg.iters_per_epoch_per_rank(world_size)?;
                if known.is_none()
                    && let Some(e) = cfg.problems_under(&["train_dataloader"]).next()
                {
                    // The dataset the epoch length comes from has an error: say that.
                    if train_cfg.train_loop.by_epoch() {
                        let mut e = e.clone();
                        e.message = format!(
                            "{}; an epoch-based run takes its epoch length from this dataset (or pass --iters-per-epoch)",
                            e.message
                        );
                        return Err(e);
                    }
                }
                known
            }
        };
        if let Some(l) = epoch_length
            && l < 1
        {
            return Err(root.error(format!("iterations per epoch must be positive, got {l}")));
        }
        let (max_iters, max_epochs) = match train_cfg.train_loop {
            TrainLoop::EpochBased { max_epochs } => {
                let Some(l) = epoch_length else {
                    return Err(root.key("train_cfg").error(
                        "an epoch-based run needs the number of iterations per epoch: give train_dataloader a batch_size and a dataset of known size, or pass --iters-per-epoch",
                    ));
                };
                (max_epochs.saturating_mul(l), Some(max_epochs))
            }
            TrainLoop::IterBased { max_iters } => (max_iters, None),
        };
        let lr_scale = match cfg.auto_scale_lr.as_ref().filter(|a| a.enable) {
            None => None,
            Some(a) => {
                let Some(batch) = cfg.train_dataloader.as_ref().and_then(|d| d.batch_size) else {
                    return Err(root
                        .key("train_dataloader")
                        .key("batch_size")
                        .error("missing: auto_scale_lr needs the batch size"));
                };
                auto_scale_ratio(a, world_size, batch)
            }
        };
        Ok(Self {
            train_loop: train_cfg.train_loop,
            epoch_length,
            max_iters,
            max_epochs,
            world_size,
            lr_scale,
            schedulers_step: cfg.default_hooks.param_scheduler,
        })
    }

    /// Whether the loop is epoch-based.
    pub fn by_epoch(&self) -> bool {
        self.train_loop.by_epoch()
    }

    /// The run length schedulers resolve `end` and `convert_to_iter_based` with (an
    /// iteration-based loop counts as one epoch, as MMEngine's FlexibleRunner says).
    pub fn run_length(&self) -> RunLength {
        RunLength {
            max_epochs: Some(self.max_epochs.unwrap_or(1)),
            max_iters: Some(self.max_iters),
            epoch_length: self.epoch_length,
        }
    }

    /// Applies `auto_scale_lr` to the groups' `lr`, once, before schedulers are built
    /// (they snapshot `initial_lr`). Returns the ratio applied.
    pub fn scale_lr(&self, optimizers: &mut [NamedGroups]) -> Option<f64> {
        let ratio = self.lr_scale?;
        apply_lr_scale(optimizers, ratio);
        Some(ratio)
    }

    /// MMEngine's `build_param_scheduler` for `cfg.param_scheduler` on `optimizers`'
    /// groups (each constructor applies its first value at once).
    pub fn build_schedulers(
        &self,
        cfg: &ExperimentConfig,
        optimizers: &mut [NamedGroups],
    ) -> Result<Vec<Vec<ParamScheduler>>, ConfigError> {
        match &cfg.param_scheduler {
            Some(config) => build_param_scheduler(config, optimizers, &self.run_length()),
            None => Ok(optimizers.iter().map(|_| Vec::new()).collect()),
        }
    }
}

/// MMEngine's `auto_scale_lr` ratio, `world_size × batch_size / base_batch_size`;
/// `None` when it is off. The one place the formula lives (the strategy uses it too).
pub fn auto_scale_ratio(cfg: &AutoScaleLr, world_size: u64, batch_size: u64) -> Option<f64> {
    cfg.enable
        .then(|| (world_size * batch_size) as f64 / cfg.base_batch_size.unwrap_or(1).max(1) as f64)
}

/// Multiplies every group's `lr` by `ratio`.
pub fn apply_lr_scale(optimizers: &mut [NamedGroups], ratio: f64) {
    for (_, groups) in optimizers.iter_mut() {
        for g in groups.iter_mut() {
            if let Some(lr) = g.get("lr") {
                g.set("lr", lr * ratio);
            }
        }
    }
}
