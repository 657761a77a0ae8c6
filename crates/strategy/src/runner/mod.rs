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
pub mod error;
pub mod hooks;
pub mod log;
pub mod message_hub;
pub mod views;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use web_time::Instant;

use self::checkpoint_hook::CheckpointPolicy;
use self::error::RunError;
use self::hooks::{Hook, HookContext, LoggerHook, ParamSchedulerHook};
use self::log::{LogSink, Progress};
use self::message_hub::MessageHub;
use crate::config::{ConfigError, DataloaderCfg, ExperimentConfig, KeyPath, TrainCfg};
use crate::data::loader::DataLoader;
use crate::data::{Samples, dataset_registry};
use crate::device::DeviceChoice;
use crate::metric::MetricSpec;
use crate::metric::{MetricFactory, build_evaluator, metric_registry};
use crate::model::{ModelFactory, StepContext, model_registry};
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::plan::RunPlan;
use crate::registry::Registry;
use crate::strategy::{
    DispatchKwargs, EnvKwargs, LogKwargs, ModelSource, OptimSource, SingleDeviceStrategy, Strategy,
    StrategyOptions,
};

/// How to run a config: device, work dir, extra log sinks and hooks, registries.
pub struct RunnerOptions {
    /// The device.
    pub device: DeviceChoice,
    /// Overrides the config's `work_dir`.
    pub work_dir: Option<PathBuf>,
    /// The experiment name (`<name>_<timestamp>`).
    pub experiment_name: Option<String>,
    /// Write the log files and the periodic checkpoints (off in the browser; off to
    /// train without touching the disk).
    pub write_files: bool,
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
            work_dir: None,
            experiment_name: None,
            write_files: cfg!(not(target_family = "wasm")),
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

/// A configured run: the strategy (model, optimizers, schedulers), the data, the
/// loop position and the hooks.
pub struct Runner {
    /// The experiment config.
    pub cfg: ExperimentConfig,
    /// The strategy, prepared.
    pub strategy: SingleDeviceStrategy,
    /// Runtime information.
    pub hub: MessageHub,
    /// The training data.
    pub train_loader: DataLoader,
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
    // Read by the periodic checkpoint saving, which the browser build leaves out.
    #[cfg_attr(target_family = "wasm", allow(dead_code))]
    write_files: bool,
}

fn build_loader(
    cfg: &DataloaderCfg,
    path: &KeyPath,
    datasets: &Registry<Samples>,
    train: bool,
    seed: u64,
) -> Result<DataLoader, ConfigError> {
    let batch_size = cfg.batch_size.ok_or_else(|| {
        path.key("batch_size")
            .error("missing: the dataloader needs a batch_size")
    })?;
    let dataset = cfg.dataset.as_ref().ok_or_else(|| {
        path.key("dataset")
            .error("missing: the dataloader needs a dataset table")
    })?;
    let samples = dataset.build(datasets, &path.key("dataset"))?;
    if samples.is_empty() {
        return Err(path
            .key("dataset")
            .error("the dataset split has no samples"));
    }
    let loader = DataLoader {
        samples: Arc::new(samples),
        batch_size: batch_size as usize,
        shuffle: cfg.shuffle.unwrap_or(train),
        drop_last: cfg.drop_last,
        seed: cfg.seed.unwrap_or(seed),
    };
    if loader.is_empty() {
        return Err(path.key("batch_size").error(format!(
            "drop_last with batch_size {batch_size} leaves no batch of the {} samples",
            loader.samples.len()
        )));
    }
    Ok(loader)
}

fn eval_set(
    loader: Option<&DataloaderCfg>,
    evaluator: Option<&Vec<MetricSpec>>,
    keys: (&str, &str),
    opts: &RunnerOptions,
    seed: u64,
) -> Result<Option<EvalSet>, ConfigError> {
    let root = KeyPath::root();
    let (loader_key, evaluator_key) = keys;
    let Some(loader) = loader else {
        return Ok(None);
    };
    let loader = build_loader(loader, &root.key(loader_key), &opts.datasets, false, seed)?;
    let Some(evaluator) = evaluator else {
        return Err(root.key(evaluator_key).error(format!(
            "missing: `{loader_key}` needs an evaluator (e.g. {{type = \"Accuracy\"}})"
        )));
    };
    let metrics = build_evaluator(evaluator, &root.key(evaluator_key), &opts.metrics)?;
    Ok(Some(EvalSet { loader, metrics }))
}

/// A stream for one purpose of one iteration, from the run's seed.
fn stream(seed: u64, purpose: u64, at: i64) -> StdRng {
    let mix = (at as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ purpose.wrapping_mul(0xD1B5_4A32_D192_ED03);
    StdRng::seed_from_u64(seed ^ mix)
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
        let model_cfg = cfg.model.clone().ok_or_else(|| {
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
        let mut strategy = SingleDeviceStrategy::new(StrategyOptions {
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
            device: opts.device,
            models: std::mem::replace(&mut opts.models, Registry::new("model")),
        })
        .await?;
        for sink in opts.sinks.drain(..) {
            strategy.logger.add_sink(sink);
        }
        for note in &cfg.notes {
            strategy.logger.info(format!("config: {note} (accepted)"));
        }
        let seed = strategy.seed;
        let train_loader = build_loader(
            &train_loader_cfg,
            &root.key("train_dataloader"),
            &opts.datasets,
            true,
            seed,
        )?;
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
        let plan = RunPlan::new(&cfg, Some(train_loader.len() as i64))?;
        strategy.logger.info(format!(
            "Strategy Playground {} · {} · seed {} (deterministic: {})",
            env!("CARGO_PKG_VERSION"),
            strategy.device.description,
            seed,
            strategy.randomness.deterministic
        ));
        let run = plan.run_length();
        strategy.prepare(
            ModelSource::Spec(model_cfg),
            Some(OptimSource::Config(optim_cfg)),
            cfg.param_scheduler.as_ref(),
            &cfg.compile,
            Some(DispatchKwargs {
                epoch_length: run.epoch_length,
                max_epochs: run.max_epochs,
                max_iters: run.max_iters,
                train_micro_batch_size_per_gpu: Some(train_loader.batch_size as u64),
            }),
        )?;
        if let Some(m) = &strategy.model {
            let summary = m.summary();
            let params = m.num_params();
            strategy
                .logger
                .info(format!("model: {params} parameters\n{summary}"));
        }
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
            hook.window = cfg.log_processor.window_size;
            hooks.push(Box::new(hook));
        }
        hooks.append(&mut opts.hooks);
        hooks.sort_by_key(|h| h.priority());
        let checkpoints = cfg.default_hooks.checkpoint.clone();
        let mut hub = MessageHub::default();
        hub.max_epochs = plan.max_epochs;
        hub.max_iters = plan.max_iters;
        hub.iters_per_epoch = train_loader.len() as i64;
        Ok(Self {
            cfg,
            strategy,
            hub,
            train_loader,
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
            write_files: opts.write_files,
        })
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

    /// The validation samples, when a validation set is configured.
    pub fn val_samples(&self) -> Option<&crate::data::Samples> {
        self.val.as_ref().map(|v| v.loader.samples.as_ref())
    }

    fn parts(
        &mut self,
    ) -> Result<
        (
            &mut OptimWrapperDict,
            &mut Vec<Vec<crate::scheduler::ParamScheduler>>,
        ),
        RunError,
    > {
        let s = &mut self.strategy;
        let optim = s
            .optim_wrapper
            .as_mut()
            .ok_or_else(|| RunError::Usage("the runner has no optimizer wrapper".into()))?;
        let schedulers = s
            .param_schedulers
            .get_or_insert_with(|| vec![Vec::new(); optim.len()]);
        Ok((optim, schedulers))
    }

    fn call_hooks(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Hook, &mut HookContext<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let mut hooks = std::mem::take(&mut self.hooks);
        let by_epoch = self.by_epoch;
        let result = (|| {
            let s = &mut self.strategy;
            let optim = s
                .optim_wrapper
                .as_mut()
                .ok_or_else(|| RunError::Usage("the runner has no optimizer wrapper".into()))?;
            let n = optim.len();
            let schedulers = s
                .param_schedulers
                .get_or_insert_with(|| vec![Vec::new(); n]);
            let mut cx = HookContext {
                hub: &mut self.hub,
                optim,
                schedulers,
                log: &mut s.logger,
                by_epoch,
            };
            for h in hooks.iter_mut() {
                f(h.as_mut(), &mut cx)?;
            }
            Ok(())
        })();
        self.hooks = hooks;
        result
    }

    /// Runs one training iteration (and the epoch end and validation it completes).
    /// Returns `false` once training has finished.
    pub async fn train_iter(&mut self) -> Result<bool, RunError> {
        if self.finished {
            return Ok(false);
        }
        if !self.started {
            self.started = true;
            self.parts()?;
            self.call_hooks(&mut |h, cx| h.before_train(cx))?;
            self.strategy.logger.info(format!(
                "Start training: {} iterations{}",
                self.hub.max_iters,
                self.hub
                    .max_epochs
                    .map(|e| format!(" ({e} epochs of {})", self.hub.iters_per_epoch))
                    .unwrap_or_default()
            ));
            self.last_tick = Some(Instant::now());
        }
        if self.data_index == 0 || self.order.is_empty() {
            self.order = self.train_loader.epoch_order(self.sampler_epoch());
        }
        let device = self.strategy.train_device();
        let batch = self
            .train_loader
            .batch(&self.order, self.data_index, &device);
        let seed = self.strategy.seed;
        let mut ctx = StepContext {
            rng: stream(seed, 1, self.hub.iter),
        };
        let lrs = self.parts()?.0.get_lr();
        let losses = {
            let s = &mut self.strategy;
            let model = s
                .model
                .as_mut()
                .ok_or_else(|| RunError::Usage("the runner has no model".into()))?;
            let optim = s
                .optim_wrapper
                .as_mut()
                .ok_or_else(|| RunError::Usage("the runner has no optimizer wrapper".into()))?;
            model.train_step(&batch, optim, &mut ctx)
        };
        self.hub.iter += 1;
        self.hub.inner_iter += 1;
        self.data_index += 1;
        for (k, v) in &lrs {
            if let Some(first) = v.first() {
                self.hub.update_scalar(&format!("train/{k}"), *first);
            }
        }
        for (k, t) in losses {
            self.hub.push_pending(&format!("train/{k}"), t);
        }
        // MMEngine logs the total norm of clipped gradients as `grad_norm`.
        if let Some(optim) = self.strategy.optim_wrapper.as_mut() {
            for (name, w) in optim.iter_mut() {
                if let Some(norm) = w.last_grad_norm.take() {
                    let key = match name {
                        Some(n) => format!("train/{n}.grad_norm"),
                        None => "train/grad_norm".to_string(),
                    };
                    self.hub.push_pending(&key, norm);
                }
            }
        }
        let now = Instant::now();
        if let Some(prev) = self.last_tick.replace(now) {
            self.hub
                .update_scalar("train/time", (now - prev).as_secs_f64());
        }
        let epoch_end = self.data_index >= self.train_loader.len();
        let run_end = self.hub.iter >= self.hub.max_iters;
        if epoch_end || run_end || self.hooks.iter().any(|h| h.wants_scalars(&self.hub)) {
            self.hub.flush().await?;
        }
        self.call_hooks(&mut |h, cx| h.after_train_iter(cx))?;
        if let Some(p) = &self.checkpoints
            && !p.by_epoch
            && p.due(self.hub.iter, self.hub.max_iters)
        {
            let name = p.filename(self.hub.iter);
            self.save_periodic(&name).await?;
        }
        let progress = self.progress(&lrs);
        self.strategy.logger.progress(&progress);
        if epoch_end {
            self.data_index = 0;
            self.data_epoch += 1;
        }
        if self.by_epoch && epoch_end {
            self.call_hooks(&mut |h, cx| h.after_train_epoch(cx))?;
            self.hub.epoch += 1;
            self.hub.inner_iter = 0;
            if let Some(p) = &self.checkpoints
                && p.by_epoch
                && p.due(self.hub.epoch, self.hub.max_epochs.unwrap_or(1))
            {
                let name = p.filename(self.hub.epoch);
                self.save_periodic(&name).await?;
            }
            let e = self.hub.epoch;
            let max = self.hub.max_epochs.unwrap_or(e);
            if self.val.is_some() && self.train_cfg.validates_after(e, max) {
                self.val().await?;
            }
        } else if !self.by_epoch {
            let i = self.hub.iter;
            if self.val.is_some() && self.train_cfg.validates_after(i, self.hub.max_iters) {
                self.val().await?;
            }
        }
        if run_end {
            if !self.by_epoch {
                // MMEngine's IterBasedTrainLoop calls after_train_epoch once, at the end.
                self.call_hooks(&mut |h, cx| h.after_train_epoch(cx))?;
            }
            self.call_hooks(&mut |h, cx| h.after_train(cx))?;
            self.strategy.logger.sync();
            self.finished = true;
        }
        Ok(!self.finished)
    }

    fn progress(&self, lrs: &BTreeMap<String, Vec<f64>>) -> Progress {
        let times = self.hub.history("train/time");
        let recent = &times[times.len().saturating_sub(50)..];
        let eta_s = (!recent.is_empty()).then(|| {
            recent.iter().map(|(_, t)| t).sum::<f64>() / recent.len() as f64
                * (self.hub.max_iters - self.hub.iter) as f64
        });
        Progress {
            iter: self.hub.iter,
            max_iters: self.hub.max_iters,
            epoch: self.hub.epoch + 1,
            lr: lrs
                .iter()
                .filter_map(|(k, v)| v.first().map(|x| (k.clone(), *x)))
                .collect(),
            loss: self.hub.latest("train/loss"),
            eta_s,
        }
    }

    /// Trains to the end.
    pub async fn train(&mut self) -> Result<(), RunError> {
        while self.train_iter().await? {}
        Ok(())
    }

    async fn evaluate(&mut self, which: &str) -> Result<BTreeMap<String, f64>, RunError> {
        let set = match which {
            "val" => self.val.as_ref(),
            // MMEngine needs a test_dataloader; without one we evaluate on the
            // validation set and say so (in `test`).
            _ => self.test.as_ref().or(self.val.as_ref()),
        };
        let Some(set) = set else {
            return Err(RunError::Usage(format!(
                "no {which}_dataloader in the config"
            )));
        };
        let device = self.strategy.device.device.clone();
        let model = self
            .strategy
            .model
            .as_ref()
            .ok_or_else(|| RunError::Usage("the runner has no model".into()))?;
        let mut metrics: Vec<_> = set.metrics.iter().map(|f| f()).collect();
        let purpose = if which == "val" { 2 } else { 3 };
        let mut ctx = StepContext {
            rng: stream(self.strategy.seed, purpose, self.hub.iter),
        };
        let order = set.loader.epoch_order(0);
        for i in 0..set.loader.len() {
            let batch = set.loader.batch(&order, i, &device);
            let outputs = if which == "val" {
                model.val_step(&batch, &mut ctx)
            } else {
                model.test_step(&batch, &mut ctx)
            };
            for m in metrics.iter_mut() {
                m.process(&batch, outputs.clone());
            }
        }
        let mut out = BTreeMap::new();
        for m in metrics.iter_mut() {
            for (k, t) in m.compute() {
                let v = crate::strategy::read_f32(t, &self.strategy.device.description).await?;
                out.insert(k, v.first().copied().map(f64::from).unwrap_or(f64::NAN));
            }
        }
        Ok(out)
    }

    /// Runs validation (MMEngine's `ValLoop`): metrics into the hub (`val/<key>`),
    /// then the hooks (logging, ReduceOnPlateau).
    pub async fn val(&mut self) -> Result<BTreeMap<String, f64>, RunError> {
        let metrics = self.evaluate("val").await?;
        for (k, v) in &metrics {
            self.hub.update_scalar(&format!("val/{k}"), *v);
        }
        self.call_hooks(&mut |h, cx| h.after_val_epoch(cx, &metrics))?;
        self.last_val = metrics.clone();
        Ok(metrics)
    }

    /// Runs the test set (MMEngine's `TestLoop`) and logs its metrics; a config without
    /// `test_dataloader` is evaluated on its validation set.
    pub async fn test(&mut self) -> Result<BTreeMap<String, f64>, RunError> {
        if self.test.is_none() && self.val.is_some() {
            self.strategy
                .logger
                .info("no test_dataloader in the config: testing on val_dataloader");
        }
        let metrics = self.evaluate("test").await?;
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, v)| format!("{k}: {v:.4}"))
            .collect();
        self.strategy
            .logger
            .info(format!("Epoch(test)  {}", parts.join("  ")));
        Ok(metrics)
    }

    /// Reads any losses still queued on the device into the hub.
    pub async fn flush(&mut self) -> Result<(), RunError> {
        Ok(self.hub.flush().await?)
    }

    /// A checkpoint of the whole run: the strategy's part plus `meta.epoch`/`meta.iter`
    /// (completed counts), the config, the loop's data position, and the message hub.
    pub async fn checkpoint(
        &mut self,
        save_optimizer: bool,
        save_param_scheduler: bool,
    ) -> Result<crate::checkpoint::Checkpoint, RunError> {
        self.hub.flush().await?;
        let mut meta = serde_json::Map::new();
        meta.insert("epoch".into(), serde_json::json!(self.hub.epoch));
        meta.insert("iter".into(), serde_json::json!(self.hub.iter));
        meta.insert("inner_iter".into(), serde_json::json!(self.hub.inner_iter));
        meta.insert("data_epoch".into(), serde_json::json!(self.data_epoch));
        meta.insert("data_index".into(), serde_json::json!(self.data_index));
        meta.insert("cfg".into(), self.cfg.raw.clone());
        let hub = serde_json::json!({
            "runtime_info": {
                "epoch": self.hub.epoch,
                "iter": self.hub.iter,
                "max_epochs": self.hub.max_epochs,
                "max_iters": self.hub.max_iters,
                "last_ckpt": self.saved.last(),
                "keep_ckpt_ids": self.checkpoints.as_ref().map(|p| p.kept.iter().collect::<Vec<_>>()),
            },
            "log_scalars": self.hub.latest_all(),
        });
        let mut extra = serde_json::Map::new();
        extra.insert("meta".into(), Value::Object(meta));
        extra.insert("message_hub".into(), hub);
        self.strategy
            .checkpoint(save_optimizer, save_param_scheduler, extra, None)
            .await
    }

    /// Continues from `ck`: weights, optimizer and schedulers (as asked), then the loop
    /// counters, the data position, the accumulation counters and the seed, so the run
    /// goes on exactly as the uninterrupted one would have. A checkpoint taken in the
    /// middle of a gradient-accumulation window loses the partial sum, as in MMEngine.
    pub fn resume(
        &mut self,
        ck: crate::checkpoint::Checkpoint,
        resume_optimizer: bool,
        resume_param_scheduler: bool,
    ) -> Result<(), RunError> {
        let ck = self
            .strategy
            .resume(ck, resume_optimizer, resume_param_scheduler, None)?;
        let get = |k: &str| ck.meta.get(k).and_then(Value::as_i64);
        let iter = get("iter").unwrap_or(0);
        if iter > self.hub.max_iters {
            return Err(RunError::Usage(format!(
                "the checkpoint is at iteration {iter}, beyond this run's {} iterations",
                self.hub.max_iters
            )));
        }
        self.hub.iter = iter;
        self.hub.epoch = get("epoch").unwrap_or(0);
        self.hub.inner_iter = get("inner_iter").unwrap_or(0);
        let len = self.train_loader.len() as i64;
        self.data_epoch = get("data_epoch").unwrap_or(if self.by_epoch {
            self.hub.epoch
        } else {
            iter / len
        }) as u64;
        self.data_index =
            get("data_index").unwrap_or(if self.by_epoch { 0 } else { iter % len }) as usize;
        self.order.clear();
        if self.data_index > 0 {
            self.order = self.train_loader.epoch_order(self.sampler_epoch());
        }
        let seed = self.strategy.seed;
        self.train_loader.seed = seed;
        let max_iters = self.hub.max_iters;
        if let Some(optim) = self.strategy.optim_wrapper.as_mut() {
            optim.initialize_count_status(iter, max_iters);
        }
        if let Some(p) = self.checkpoints.as_mut()
            && let Some(kept) = ck
                .message_hub
                .as_ref()
                .and_then(|h| h.pointer("/runtime_info/keep_ckpt_ids"))
                .and_then(|v| serde_json::from_value::<Vec<PathBuf>>(v.clone()).ok())
        {
            p.kept = kept.into();
        }
        self.finished = iter >= max_iters;
        self.strategy.logger.info(format!(
            "resumed epoch: {}, iter: {}",
            self.hub.epoch, self.hub.iter
        ));
        Ok(())
    }

    /// Saves a periodic checkpoint into the work dir, updates `last_checkpoint` and
    /// deletes those beyond `max_keep_ckpts` (natively, when the run writes files; the
    /// browser keeps none).
    async fn save_periodic(&mut self, name: &str) -> Result<(), RunError> {
        #[cfg(not(target_family = "wasm"))]
        {
            let Some(policy) = self.checkpoints.clone().filter(|_| self.write_files) else {
                return Ok(());
            };
            let path = self.strategy.work_dir.join(name);
            let ck = self
                .checkpoint(policy.save_optimizer, policy.save_param_scheduler)
                .await?;
            crate::checkpoint::files::write_checkpoint(&path, &ck)?;
            crate::checkpoint::files::write_last_checkpoint(&self.strategy.work_dir, &path)?;
            self.strategy.logger.info(format!(
                "Saving checkpoint at {} {}",
                if policy.by_epoch { "epoch" } else { "iter" },
                name
            ));
            self.saved.push(path.clone());
            if let Some(p) = self.checkpoints.as_mut() {
                for old in p.record(path) {
                    if let Err(e) = std::fs::remove_file(&old) {
                        self.strategy.logger.warning(format!(
                            "could not remove the old checkpoint {}: {e}",
                            old.display()
                        ));
                    }
                }
            }
        }
        #[cfg(target_family = "wasm")]
        let _ = name;
        Ok(())
    }

    /// Saves a checkpoint to `path` (atomically) and records it in `last_checkpoint`.
    #[cfg(not(target_family = "wasm"))]
    pub async fn save_checkpoint(&mut self, path: &std::path::Path) -> Result<(), RunError> {
        let ck = self.checkpoint(true, true).await?;
        crate::checkpoint::files::write_checkpoint(path, &ck)?;
        crate::checkpoint::files::write_last_checkpoint(&self.strategy.work_dir, path)?;
        self.saved.push(path.to_path_buf());
        Ok(())
    }

    /// MMEngine's `load_or_resume` from the config's `resume` and `load_from`:
    /// `resume = true` resumes from `load_from` when given, else from
    /// `work_dir/last_checkpoint` (nothing there: start fresh, with a log line); a
    /// path resumes from it; otherwise `load_from` loads weights
    /// only (a playground checkpoint, or a PyTorch `.pth`/`.pt` state dict or MMEngine
    /// checkpoint). Returns the checkpoint used, if any.
    #[cfg(not(target_family = "wasm"))]
    pub fn load_or_resume(&mut self) -> Result<Option<PathBuf>, RunError> {
        use crate::checkpoint::files::{find_latest_checkpoint, read_checkpoint};
        use crate::config::Resume;

        let resume_from = match &self.cfg.resume {
            Resume::No => None,
            Resume::Path(p) => Some(PathBuf::from(p)),
            // MMEngine: `resume = True` with `load_from` resumes from `load_from`.
            Resume::Latest if self.cfg.load_from.is_some() => {
                self.cfg.load_from.clone().map(PathBuf::from)
            }
            Resume::Latest => {
                let found = find_latest_checkpoint(&self.strategy.work_dir);
                if found.is_none() {
                    self.strategy.logger.info(format!(
                        "Did not find last_checkpoint to be resumed in {}: training starts from scratch.",
                        self.strategy.work_dir.display()
                    ));
                }
                found
            }
        };
        if let Some(path) = resume_from {
            let ck = read_checkpoint(&path)?;
            self.resume(ck, true, true)?;
            return Ok(Some(path));
        }
        if let Some(p) = self.cfg.load_from.clone() {
            let path = PathBuf::from(p);
            let is_pytorch = path.extension().is_some_and(|e| e == "pth" || e == "pt");
            let ck = if is_pytorch {
                // Keys are revised on import (default: strip `^module.`).
                crate::checkpoint::pytorch::import_pytorch(
                    &path,
                    &crate::checkpoint::default_revise_keys(),
                )?
            } else {
                read_checkpoint(&path)?
            };
            self.strategy.load_checkpoint(
                ck,
                false,
                &crate::checkpoint::default_revise_keys(),
                None,
            )?;
            self.strategy
                .logger
                .info(format!("Load checkpoint from {}", path.display()));
            return Ok(Some(path));
        }
        Ok(None)
    }
}
