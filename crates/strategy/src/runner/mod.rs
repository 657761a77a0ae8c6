//! The training loop around a [`SingleDeviceStrategy`] (MMEngine's `FlexibleRunner`
//! with `EpochBasedTrainLoop`/`IterBasedTrainLoop`, `ValLoop`, `TestLoop`).
//!
//! The loop advances one iteration per [`Runner::train_iter`] call, so a caller can
//! pause between iterations (the web app's play/pause/step); [`Runner::train`] runs
//! to the end. Everything that reads tensors back is `async` and uses burn's
//! asynchronous reads, so the same loop runs natively (under `pollster::block_on`)
//! and in the browser, on the CPU backend and on WebGPU.
//!
//! Randomness: model initialisation draws from `StdRng(seed)`; every training
//! iteration draws (dropout masks, noise) from a stream seeded by `(seed, iteration)`,
//! and every epoch's shuffle from `seed + epoch`. A run is therefore a function of its
//! config and seed, and a resumed run can continue exactly where it stopped.

pub use crate::hooks::checkpoint as checkpoint_hook;
mod build;
mod data;
pub mod ema;
pub mod error;
mod eval;
pub mod hooks;
pub mod inside;
mod logger_hook;
pub use crate::base::log;
pub mod message_hub;
mod persist;
pub mod read_back;
mod saving;
pub mod sequence;
mod train_loop;
pub mod views;

use std::collections::BTreeMap;
use std::path::PathBuf;

use web_time::Instant;

use self::build::{build_loader, eval_set};
use self::checkpoint_hook::CheckpointPolicy;
use self::error::RunError;
use self::hooks::{Hook, LoggerHook, ParamSchedulerHook};
use self::message_hub::MessageHub;
use crate::base::KeyPath;
use crate::base::log::LogSink;
use crate::base::registry::Registry;
use crate::config::{ExperimentConfig, TrainCfg};
use crate::config::{StrategyKind, resolve_strategy};
use crate::data::loader::DataLoader;
use crate::data::{DatasetSpec, Samples, Task, dataset_registry};
use crate::device::DeviceChoice;
use crate::metric::{MetricFactory, metric_registry};
use crate::model::{ModelFactory, model_registry};
use crate::plan::RunPlan;
use crate::strategy::{
    DDPStrategy, DispatchKwargs, EnvKwargs, LogKwargs, ModelSource, OptimSource, Prepared,
    RunStrategy, SingleDeviceStrategy, StrategyOptions,
};

/// How to run a config: device(s), work dir, extra log sinks and hooks, registries.
pub struct RunnerOptions {
    /// The device (when `devices` is empty).
    pub device: DeviceChoice,
    /// Several devices, one data-parallel rank each (rank 0 first); empty: `device`
    /// alone.
    pub devices: Vec<DeviceChoice>,
    /// Overrides the config's `work_dir`.
    pub work_dir: Option<PathBuf>,
    /// The experiment name (`<name>_<timestamp>`).
    pub experiment_name: Option<String>,
    /// Write the log files and the periodic checkpoints (off in the browser; off to
    /// train without touching the disk).
    pub write_files: bool,
    /// Leave the losses on the device at the logger's intervals and epoch ends: the
    /// logger's lines wait until their iterations are read back (a validation, the
    /// end, or the caller's [`Runner::flush`] / [`Runner::collect_reads`]) instead of
    /// draining the device every `interval` iterations. The lines are the same; they
    /// are written later. The browser's
    /// worker sets it: under SwiftShader's WebGPU a read-back cost about 60 ms, two
    /// spiral iterations (BENCHMARKS.md).
    pub defer_log_reads: bool,
    /// Extra log sinks (terminal, charts).
    pub sinks: Vec<Box<dyn LogSink>>,
    /// Extra hooks.
    pub hooks: Vec<Box<dyn Hook>>,
    /// Model types.
    pub models: Registry<ModelFactory>,
    /// Dataset types.
    pub datasets: Registry<Samples>,
    /// Metric types.
    pub metrics: Registry<MetricFactory>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            device: DeviceChoice::Auto,
            devices: Vec::new(),
            work_dir: None,
            experiment_name: None,
            write_files: cfg!(not(target_family = "wasm")),
            defer_log_reads: false,
            sinks: Vec::new(),
            hooks: Vec::new(),
            models: model_registry(),
            datasets: dataset_registry(),
            metrics: metric_registry(),
        }
    }
}

struct EvalSet {
    loader: DataLoader,
    metrics: Vec<MetricFactory>,
}

/// A configured run: the strategy and what it prepared (model, optimizers,
/// schedulers), the data, the loop position and the hooks.
pub struct Runner {
    /// The experiment config.
    pub cfg: ExperimentConfig,
    /// The strategy (rank 0's device, seed, log, work dir; the other ranks' devices).
    pub strategy: RunStrategy,
    /// What the strategy prepared: the model, the optimizer wrappers, the schedulers.
    pub prepared: Prepared,
    /// Runtime information.
    pub hub: MessageHub,
    /// The training data (rank 0's shard under DDP).
    pub train_loader: DataLoader,
    /// Under DDP: the other ranks' loaders (their shards) and their current orders.
    replica_data: Vec<(DataLoader, Vec<usize>)>,
    hooks: Vec<Box<dyn Hook>>,
    val: Option<EvalSet>,
    test: Option<EvalSet>,
    /// The run plan (loop, lengths, lr scale), shared with the schedule preview.
    pub plan: RunPlan,
    train_cfg: TrainCfg,
    by_epoch: bool,
    data_epoch: u64,
    data_index: usize,
    order: Vec<usize>,
    started: bool,
    finished: bool,
    last_tick: Option<Instant>,
    /// The metrics of the last validation.
    pub last_val: BTreeMap<String, f64>,
    /// When to save checkpoints (`default_hooks.checkpoint`); `None`: never.
    pub checkpoints: Option<CheckpointPolicy>,
    /// Paths of the checkpoints this run wrote, in order.
    pub saved: Vec<PathBuf>,
    /// Why a hook stopped training early (`EarlyStoppingHook`); `None` while it runs
    /// or when it ran to its last iteration.
    pub stopped_early: Option<String>,
    /// The averaged weights of `EMAHook`, if the config has one.
    pub ema: Option<ema::EmaRun>,
    // Read by the periodic checkpoint saving, which the browser build leaves out.
    #[cfg_attr(target_family = "wasm", allow(dead_code))]
    write_files: bool,
    /// See [`RunnerOptions::defer_log_reads`].
    defer_log_reads: bool,
}

impl Runner {
    /// Builds everything a config describes and prepares the strategy.
    pub async fn from_config(
        cfg: ExperimentConfig,
        mut opts: RunnerOptions,
    ) -> Result<Self, RunError> {
        let cfg = cfg.strict()?;
        let root = KeyPath::root();
        let train_cfg = cfg.train_cfg.clone().ok_or_else(|| {
            root.key("train_cfg")
                .error("missing: training needs max_epochs or max_iters")
        })?;
        let mut model_cfg = cfg.model.clone().ok_or_else(|| {
            root.key("model")
                .error("missing: a model table with a `type`")
        })?;
        let optim_cfg = cfg.optim_wrapper.clone().ok_or_else(|| {
            root.key("optim_wrapper")
                .error("missing: training needs an optimizer")
        })?;
        let train_loader_cfg = cfg.train_dataloader.clone().ok_or_else(|| {
            root.key("train_dataloader")
                .error("missing: training needs data")
        })?;
        let randomness = cfg
            .randomness
            .clone()
            .unwrap_or(EnvKwargs::default().randomness);
        let work_dir = opts
            .work_dir
            .clone()
            .or_else(|| cfg.work_dir.clone().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("work_dirs"));
        let devices = if opts.devices.is_empty() {
            vec![opts.device.clone()]
        } else {
            opts.devices.clone()
        };
        let kind = resolve_strategy(cfg.strategy, devices.len())?;
        let world_size = devices.len();
        if world_size > 1 {
            check_shardable(&train_loader_cfg)?;
        }
        let strategy_opts = StrategyOptions {
            work_dir,
            experiment_name: opts
                .experiment_name
                .clone()
                .or_else(|| cfg.experiment_name.clone()),
            env_kwargs: EnvKwargs { randomness },
            log_kwargs: LogKwargs {
                log_level: cfg.log_level,
                log_file: None,
                write_files: opts.write_files,
            },
            auto_scale_lr: cfg.auto_scale_lr.clone(),
            device: devices[0].clone(),
            models: std::mem::replace(&mut opts.models, Registry::new("model")),
        };
        let mut strategy = match kind {
            StrategyKind::SingleDevice => {
                RunStrategy::Single(SingleDeviceStrategy::new(strategy_opts).await?)
            }
            StrategyKind::Ddp => {
                RunStrategy::Ddp(DDPStrategy::new(strategy_opts, &devices, cfg.launcher).await?)
            }
        };
        for sink in opts.sinks.drain(..) {
            strategy.logger.add_sink(sink);
        }
        for note in &cfg.notes {
            strategy.logger.info(format!("config: {note} (accepted)"));
        }
        #[cfg(not(target_family = "wasm"))]
        if opts.write_files {
            // MMEngine's LocalVisBackend keeps the config beside scalars.json; `compare`
            // reads it back.
            let path = strategy.log_dir.join("vis_data/config.json");
            let text = serde_json::to_string_pretty(&cfg.raw).unwrap_or_default();
            crate::checkpoint::files::write_atomic(&path, text.as_bytes())?;
            if cfg.visualizer.tensorboard {
                let vis = strategy.log_dir.join("vis_data");
                let sink = crate::vis::TensorboardSink::open(&vis, Some(&text))
                    .map_err(|e| RunError::io(&vis, e))?;
                strategy
                    .logger
                    .info(format!("TensorboardVisBackend: {}", sink.path.display()));
                strategy.logger.add_sink(Box::new(sink));
            }
        }
        let seed = strategy.seed;
        let full_loader = build_loader(
            &train_loader_cfg,
            &root.key("train_dataloader"),
            &opts.datasets,
            true,
            seed,
        )?;
        let samples = &full_loader.samples;
        let dataset = train_loader_cfg.dataset.as_ref();
        if let Some(DatasetSpec::Csv(c, Some(d))) = dataset {
            let what = match samples.task() {
                Task::Classification => format!(
                    "{} classes [{}]",
                    samples.num_classes,
                    samples.class_names().join(", ")
                ),
                Task::Regression => format!("a value (`{}`)", d.target_name),
                Task::Sequence => String::new(),
            };
            strategy.logger.info(format!(
                "CSVDataset {}: {} rows, {} features [{}], {} of {what}{}; train split {} rows, standardised: {}",
                c.path,
                d.rows(),
                d.feature_names.len(),
                d.feature_names.join(", "),
                samples.task().name(),
                if d.task_inferred { " (task inferred from the labels)" } else { "" },
                samples.len(),
                c.normalize
            ));
        }
        if let Some(layout) = samples.schema.as_ref().and_then(|s| s.sequence.as_ref()) {
            strategy.logger.info(format!(
                "{}: {} `{}` sequences of {} tokens ({} scored each), vocabulary of {}",
                dataset.map_or("dataset", |d| d.type_name()),
                samples.len(),
                layout.kind,
                layout.block_size,
                layout.answer_len(),
                samples.num_classes
            ));
        }
        let before = model_cfg.clone();
        model_cfg.fit(&data::data_shape(samples, dataset), &root.key("model"))?;
        if model_cfg != before {
            strategy.logger.info(format!(
                "model: {} (from the training data)",
                data::fitted_sizes(&model_cfg)
            ));
        }
        let task = samples.task();
        for (key, metrics) in [
            ("val_evaluator", cfg.val_evaluator.as_ref()),
            ("test_evaluator", cfg.test_evaluator.as_ref()),
        ] {
            if let Some(m) = metrics {
                data::check_metrics(task, m, key)?;
            }
        }
        let train_loader = full_loader.for_rank(0, world_size);
        let replica_data = (1..world_size)
            .map(|r| (full_loader.for_rank(r, world_size), Vec::new()))
            .collect();
        let val = eval_set(
            cfg.val_dataloader.as_ref(),
            cfg.val_evaluator.as_ref(),
            ("val_dataloader", "val_evaluator"),
            &opts,
            seed,
        )?;
        let test = eval_set(
            cfg.test_dataloader.as_ref(),
            cfg.test_evaluator.as_ref(),
            ("test_dataloader", "test_evaluator"),
            &opts,
            seed,
        )?;
        let plan = RunPlan::for_world(&cfg, Some(train_loader.len() as i64), world_size as u64)?;
        let banner = format!(
            "Strategy Playground {} · {} · {} · seed {} (deterministic: {})",
            env!("CARGO_PKG_VERSION"),
            strategy.name(),
            strategy.device_descriptions().join(", "),
            seed,
            strategy.randomness.deterministic
        );
        strategy.logger.info(banner);
        let run = plan.run_length();
        let prepared = strategy.prepare(
            ModelSource::Spec(model_cfg),
            OptimSource::Config(optim_cfg),
            cfg.param_scheduler.as_ref(),
            &cfg.compile,
            Some(DispatchKwargs {
                epoch_length: run.epoch_length,
                max_epochs: run.max_epochs,
                max_iters: run.max_iters,
                train_micro_batch_size_per_gpu: Some(train_loader.batch_size as u64),
            }),
        )?;
        strategy.logger.info(format!(
            "model: {} parameters\n{}",
            prepared.model.num_params(),
            prepared.model.summary()
        ));
        let mut hooks: Vec<Box<dyn Hook>> = Vec::new();
        if plan.schedulers_step {
            hooks.push(Box::new(ParamSchedulerHook));
        } else {
            strategy.logger.info(
                "default_hooks.param_scheduler is off: the schedulers apply their first value and never step",
            );
        }
        if let Some(logger) = cfg.default_hooks.logger {
            let mut hook = LoggerHook::new(logger.interval);
            hook.ignore_last = logger.ignore_last;
            hook.processor = cfg.log_processor.clone();
            hooks.push(Box::new(hook));
        }
        let (mut custom, ema) = build::custom_hooks(
            &cfg.custom_hooks,
            &plan,
            prepared.model.as_ref(),
            &mut strategy.logger,
        )?;
        hooks.append(&mut custom);
        hooks.append(&mut opts.hooks);
        // Stable: hooks of equal priority keep their order (default hooks first, then
        // custom ones), as MMEngine registers them.
        hooks.sort_by_key(|h| h.priority());
        let checkpoints = cfg.default_hooks.checkpoint.clone();
        let mut hub = MessageHub::default();
        hub.max_epochs = plan.max_epochs;
        hub.max_iters = plan.max_iters;
        hub.iters_per_epoch = train_loader.len() as i64;
        hub.val_iters = val.as_ref().map_or(0, |v| v.loader.len() as i64);
        let mut runner = Self {
            cfg,
            strategy,
            prepared,
            hub,
            train_loader,
            replica_data,
            hooks,
            val,
            test,
            by_epoch: plan.by_epoch(),
            plan,
            train_cfg,
            data_epoch: 0,
            data_index: 0,
            order: Vec::new(),
            started: false,
            finished: false,
            last_tick: None,
            last_val: BTreeMap::new(),
            checkpoints,
            saved: Vec::new(),
            stopped_early: None,
            ema,
            write_files: opts.write_files,
            defer_log_reads: opts.defer_log_reads,
        };
        runner.share_schema()?;
        Ok(runner)
    }

    /// Whether the last iteration has run.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The epoch the sampler shuffles with: the data epoch, or always 0 when
    /// `default_hooks.sampler_seed` is off (MMEngine then never sets the epoch).
    fn sampler_epoch(&self) -> u64 {
        if self.cfg.default_hooks.sampler_seed {
            self.data_epoch
        } else {
            0
        }
    }

    /// Whether the epoch-based loop is in use.
    pub fn by_epoch(&self) -> bool {
        self.by_epoch
    }

    /// Whether a validation set is configured.
    pub fn has_val(&self) -> bool {
        self.val.is_some()
    }

    /// The number of data-parallel ranks (1 on one device).
    pub fn world_size(&self) -> usize {
        self.strategy.world_size()
    }

    /// This process's rank, MMEngine's `runner.rank`: 0, since one process drives every
    /// rank here (the other ranks are its threads, or workers it drives), and the loop,
    /// the hooks, the logs and the checkpoints are rank 0's.
    pub fn rank(&self) -> usize {
        0
    }

    /// MMEngine's `runner.distributed`: more than one rank trains.
    pub fn distributed(&self) -> bool {
        self.world_size() > 1
    }

    /// Every rank's samples in `epoch`, rank 0's first: together they are the epoch's
    /// shuffled order, padded to a multiple of the world size (`DefaultSampler`).
    pub fn rank_orders(&self, epoch: u64) -> Vec<Vec<usize>> {
        std::iter::once(&self.train_loader)
            .chain(self.replica_data.iter().map(|(l, _)| l))
            .map(|l| l.epoch_order(epoch))
            .collect()
    }

    /// The validation samples, when a validation set is configured.
    pub fn val_samples(&self) -> Option<&crate::data::Samples> {
        self.val.as_ref().map(|v| v.loader.samples.as_ref())
    }
}

/// Several ranks need a sampler that gives every rank the same number of batches:
/// otherwise a rank would wait forever in the gradient reduction for one that has
/// run out (MMEngine hangs there too).
fn check_shardable(cfg: &crate::config::DataloaderCfg) -> Result<(), crate::base::ConfigError> {
    let at = KeyPath::root().key("train_dataloader").key("sampler");
    if !cfg.round_up {
        return Err(at.key("round_up").error(
            "round_up = false gives the ranks different numbers of batches, and data-parallel training would wait forever on the rank with fewer: keep round_up = true (the default) with several devices",
        ));
    }
    if cfg.infinite {
        return Err(at.key("type").error(
            "InfiniteSampler slices one endless stream of permutations across the ranks, which the data-parallel loop does not do: use DefaultSampler with several devices",
        ));
    }
    Ok(())
}
