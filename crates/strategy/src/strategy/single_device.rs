//! `SingleDeviceStrategy`: every component on one device, the CPU backend or wgpu.

use std::path::PathBuf;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::{
    CompileCfg, DispatchKwargs, EnvKwargs, ModelSource, OptimSource, OptimStateDict, Prepared,
    Strategy, StrategyOptions, read_f32,
};
use crate::base::KeyPath;
use crate::base::log::RunLog;
use crate::base::registry::Registry;
use crate::base::state::{ParamStateEntry, WrapperState};
use crate::config::{AutoScaleLr, ParamSchedulerConfig, Randomness};
use crate::device::{ReadyDevice, init_device};
use crate::env::{EnvReport, collect_env};
use crate::error::Error as RunError;
use crate::model::spec::model_spec_registry;
use crate::model::{DynModel, ModelFactory, NamedTensor, StateDictReport, model_factory};
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::scheduler::{NamedGroups, ParamScheduler, RunLength, build_param_scheduler};

/// The strategy for one device.
pub struct SingleDeviceStrategy {
    /// The work directory (absolute natively).
    pub work_dir: PathBuf,
    /// `work_dir/<timestamp>`: the logs.
    pub log_dir: PathBuf,
    /// `%Y%m%d_%H%M%S`, local time, when the strategy was made.
    pub timestamp: String,
    /// `<name>_<timestamp>` or the timestamp.
    pub experiment_name: String,
    /// The seed in effect (drawn when the config gave none).
    pub seed: u64,
    /// The randomness settings as given (a drawn seed is not written back, as MMEngine).
    pub randomness: Randomness,
    /// `auto_scale_lr`, as given.
    pub auto_scale_lr: Option<AutoScaleLr>,
    /// The device (without autodiff; evaluation runs here).
    pub device: ReadyDevice,
    /// The run's log.
    pub logger: RunLog,
    /// What the loop told `prepare`.
    pub dispatch_kwargs: DispatchKwargs,
    /// Ranks training in step: 1, or the world size when this is a
    /// [`DDPStrategy`](super::DDPStrategy)'s rank 0 (`auto_scale_lr` scales by it).
    pub world_size: usize,
    env_kwargs: EnvKwargs,
    models: Registry<ModelFactory>,
    prepared: bool,
}

/// Local time as MMEngine formats its timestamps.
pub fn timestamp_now() -> String {
    chrono::Local::now().format("%Y%m%d_%H%M%S").to_string()
}

impl SingleDeviceStrategy {
    /// MMEngine's constructor, in its order: work dir, environment (seed, device),
    /// experiment name, log dir, logger.
    pub async fn new(opts: StrategyOptions) -> Result<Self, RunError> {
        let work_dir = opts.work_dir.clone();
        #[cfg(not(target_family = "wasm"))]
        let work_dir = if opts.log_kwargs.write_files {
            std::fs::create_dir_all(&work_dir).map_err(|e| RunError::io(&work_dir, e))?;
            std::path::absolute(&work_dir).map_err(|e| RunError::io(&work_dir, e))?
        } else {
            work_dir
        };
        let randomness = opts.env_kwargs.randomness.clone();
        let seed = randomness
            .seed
            .unwrap_or_else(|| u64::from(rand::random::<u32>() >> 1));
        let device = init_device(opts.device).await?;
        let timestamp = timestamp_now();
        let experiment_name = match &opts.experiment_name {
            Some(name) => format!("{name}_{timestamp}"),
            None => timestamp.clone(),
        };
        let log_dir = work_dir.join(&timestamp);
        let mut strategy = Self {
            work_dir,
            log_dir,
            timestamp,
            experiment_name,
            seed,
            randomness,
            auto_scale_lr: opts.auto_scale_lr,
            device,
            logger: RunLog::new(opts.log_kwargs.log_level),
            dispatch_kwargs: DispatchKwargs::default(),
            world_size: 1,
            env_kwargs: opts.env_kwargs,
            models: opts.models,
            prepared: false,
        };
        strategy.logger = strategy.build_logger(&opts.log_kwargs)?;
        Ok(strategy)
    }

    /// The device training runs on (the same device with autodiff).
    pub fn train_device(&self) -> burn::tensor::Device {
        self.device.device.clone().autodiff()
    }

    /// Whether `prepare` has handed out its set.
    pub fn is_prepared(&self) -> bool {
        self.prepared
    }

    /// The seeded stream for model initialisation.
    fn init_rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed)
    }

    /// MMEngine's `scale_lr`, on the wrappers before any scheduler is built (the
    /// schedulers record the scaled lr as their `initial_lr`).
    fn scale_lr(&mut self, optim: &mut OptimWrapperDict) -> Result<(), RunError> {
        let Some(cfg) = self.auto_scale_lr.clone().filter(|a| a.enable) else {
            return Ok(());
        };
        let Some(base) = cfg.base_batch_size else {
            return Err(RunError::Usage(
                "Lack of `base_batch_size` in `auto_scale_lr`.".into(),
            ));
        };
        let Some(batch) = self.dispatch_kwargs.train_micro_batch_size_per_gpu else {
            return Err(RunError::Usage(
                "auto_scale_lr needs the training batch size (dispatch_kwargs.train_micro_batch_size_per_gpu)".into(),
            ));
        };
        let mut named: Vec<NamedGroups> = optim
            .iter_mut()
            .map(|(n, w)| (n.map(str::to_string), std::mem::take(&mut w.groups)))
            .collect();
        let ratio =
            crate::plan::auto_scale_ratio(&cfg, self.world_size as u64, batch).unwrap_or(1.0);
        crate::plan::apply_lr_scale(&mut named, ratio);
        for ((_, w), (_, groups)) in optim.iter_mut().zip(named) {
            w.groups = groups;
        }
        self.logger.info(format!(
            "LR is set based on batch size of {base} and the current batch size is {}. Scaling the original LR by {ratio}.",
            self.world_size as u64 * batch
        ));
        Ok(())
    }

    fn run_length(&self) -> RunLength {
        RunLength {
            max_epochs: self.dispatch_kwargs.max_epochs,
            max_iters: self.dispatch_kwargs.max_iters,
            epoch_length: self.dispatch_kwargs.epoch_length,
        }
    }
}

impl Strategy for SingleDeviceStrategy {
    fn prepare(
        &mut self,
        model: ModelSource,
        optim_wrapper: OptimSource,
        param_scheduler: Option<&ParamSchedulerConfig>,
        compile: &CompileCfg,
        dispatch_kwargs: Option<DispatchKwargs>,
    ) -> Result<Prepared, RunError> {
        if self.prepared {
            return Err(RunError::Usage(
                "prepare: this strategy has already handed out its model, optimizer wrappers and schedulers".into(),
            ));
        }
        if let Some(d) = dispatch_kwargs {
            self.dispatch_kwargs = d;
        }
        let mut model = self.build_model(model)?;
        model.to_device(&self.train_device());
        self.compile_model(compile);
        let mut optim = self.build_optim_wrapper(optim_wrapper, model.as_ref())?;
        for note in super::precision::resolve(&mut optim, &self.device)? {
            self.logger.info(note);
        }
        self.scale_lr(&mut optim)?;
        if optim.iter().any(|(_, w)| w.spec.accumulative_counts > 1) {
            let Some(max_iters) = self.dispatch_kwargs.max_iters else {
                return Err(RunError::Usage(
                    "\"max_iters\" must be specified because \"accumulative_counts\" was set greater than 1".into(),
                ));
            };
            optim.initialize_count_status(0, max_iters);
        }
        let param_schedulers = match param_scheduler {
            Some(cfg) => self.build_param_scheduler(cfg, &mut optim)?,
            None => vec![Vec::new(); optim.len()],
        };
        self.prepared = true;
        Ok(Prepared {
            model,
            optim_wrapper: optim,
            param_schedulers,
            data_parallel: None,
        })
    }

    fn build_model(&mut self, model: ModelSource) -> Result<Box<dyn DynModel>, RunError> {
        match model {
            ModelSource::Built(m) => Ok(m),
            ModelSource::Config(cfg) => {
                let path = KeyPath::root().key("model");
                let spec = model_spec_registry().build(&cfg, &path)?;
                self.build_model(ModelSource::Spec(spec))
            }
            ModelSource::Spec(spec) => {
                let factory = model_factory(&spec, &self.models, &KeyPath::root().key("model"))?;
                let mut rng = self.init_rng();
                Ok(factory(&self.train_device(), &mut rng))
            }
        }
    }

    fn build_optim_wrapper(
        &mut self,
        optim_wrapper: OptimSource,
        model: &dyn DynModel,
    ) -> Result<OptimWrapperDict, RunError> {
        match optim_wrapper {
            OptimSource::Built(d) => Ok(d),
            OptimSource::Config(cfg) => {
                Ok(model.build_optim_wrapper(&cfg, &KeyPath::root().key("optim_wrapper"))?)
            }
        }
    }

    fn build_param_scheduler(
        &self,
        scheduler: &ParamSchedulerConfig,
        optim_wrapper: &mut OptimWrapperDict,
    ) -> Result<Vec<Vec<ParamScheduler>>, RunError> {
        let mut named: Vec<NamedGroups> = optim_wrapper
            .iter_mut()
            .map(|(n, w)| (n.map(str::to_string), std::mem::take(&mut w.groups)))
            .collect();
        let built = build_param_scheduler(scheduler, &mut named, &self.run_length());
        for ((_, w), (_, groups)) in optim_wrapper.iter_mut().zip(named) {
            w.groups = groups;
        }
        Ok(built?)
    }

    fn compile_model(&mut self, compile: &CompileCfg) {
        if compile.enabled {
            self.logger.info(format!(
                "compile: `{}` runs as this build was compiled on {}: burn's kernel fusion and autotuning are compile-time features, not switched at run time (this build's wgpu kernel options: {})",
                compile.target,
                self.device.description,
                crate::env::burn_kernels()
            ));
        }
    }

    async fn collect_env(&self) -> (EnvReport, Value) {
        let report = collect_env().await;
        let r = &self.env_kwargs.randomness;
        let runtime = json!({
            "randomness": {"seed": r.seed, "deterministic": r.deterministic, "diff_rank_seed": r.diff_rank_seed},
            "seed": self.seed,
            "strategy": "SingleDeviceStrategy",
            "world_size": 1,
            "devices": [self.device.description],
            "Distributed launcher": "none",
            "Distributed training": false,
            "GPU number": 1,
            "device": self.device.description,
        });
        (report, runtime)
    }

    fn build_logger(&self, log_kwargs: &super::LogKwargs) -> Result<RunLog, RunError> {
        #[cfg_attr(target_family = "wasm", allow(unused_mut))]
        let mut log = RunLog::new(log_kwargs.log_level);
        #[cfg(not(target_family = "wasm"))]
        if log_kwargs.write_files {
            let file = log_kwargs
                .log_file
                .clone()
                .unwrap_or_else(|| self.log_dir.join(format!("{}.log", self.timestamp)));
            let sink = crate::base::log::FileSink::open(&file, &self.log_dir)
                .map_err(|e| RunError::io(&file, e))?;
            log.add_sink(Box::new(sink));
        }
        Ok(log)
    }

    async fn model_state_dict(&self, model: &dyn DynModel) -> Result<Vec<NamedTensor>, RunError> {
        let mut out = Vec::new();
        for (name, shape, t) in model.state_tensors() {
            out.push(NamedTensor {
                name,
                shape,
                values: read_f32(t, &self.device.description).await?,
            });
        }
        Ok(out)
    }

    async fn optim_state_dict(&self, optim: &OptimWrapperDict) -> Result<OptimStateDict, RunError> {
        let mut wrappers = Vec::new();
        for (name, w) in optim.iter() {
            let mut state = Vec::new();
            for (param, step, buffers) in w.state_tensors() {
                let mut host = Vec::new();
                for (b, t) in buffers {
                    host.push((b.to_string(), read_f32(t, &self.device.description).await?));
                }
                state.push(ParamStateEntry {
                    name: param,
                    step,
                    buffers: host,
                });
            }
            wrappers.push(WrapperState {
                name: name.map(str::to_string),
                param_groups: w.groups.clone(),
                inner_count: w.inner_count(),
                state,
                loss_scaler: w
                    .scaler
                    .as_ref()
                    .and_then(|s| s.state_dict())
                    .and_then(|s| serde_json::to_value(s).ok()),
            });
        }
        Ok(OptimStateDict { wrappers })
    }

    fn scheduler_state_dict(&self, prepared: &Prepared) -> Value {
        let as_list = |l: &Vec<ParamScheduler>| {
            Value::Array(l.iter().map(ParamScheduler::state_dict).collect())
        };
        let names = prepared.optimizer_names();
        let lists = &prepared.param_schedulers;
        match names.as_slice() {
            [None] | [] => lists
                .first()
                .map(as_list)
                .unwrap_or(Value::Array(Vec::new())),
            _ => Value::Object(
                names
                    .iter()
                    .zip(lists)
                    .map(|(n, l)| (n.clone().unwrap_or_default(), as_list(l)))
                    .collect(),
            ),
        }
    }

    fn load_model_state_dict(
        &self,
        model: &mut dyn DynModel,
        state: &[NamedTensor],
        strict: bool,
    ) -> Result<StateDictReport, RunError> {
        if strict {
            // Check first so a misfit changes nothing.
            let names: Vec<(String, Vec<usize>)> = model
                .state_tensors()
                .into_iter()
                .map(|(n, s, _)| (n, s))
                .collect();
            let mut problems = Vec::new();
            for (n, s) in &names {
                match state.iter().find(|e| &e.name == n) {
                    None => problems.push(format!("missing key `{n}`")),
                    Some(e) if &e.shape != s => problems.push(format!(
                        "`{n}`: the model has shape {s:?}, the state {:?}",
                        e.shape
                    )),
                    Some(_) => {}
                }
            }
            for e in state
                .iter()
                .filter(|e| !names.iter().any(|(n, _)| *n == e.name))
            {
                problems.push(format!("unexpected key `{}`", e.name));
            }
            if !problems.is_empty() {
                return Err(RunError::Usage(format!(
                    "the state does not fit the model (strict):\n  {}",
                    problems.join("\n  ")
                )));
            }
        }
        Ok(model.load_state(state))
    }

    fn load_optim_state_dict(
        &self,
        optim: &mut OptimWrapperDict,
        state: &OptimStateDict,
    ) -> Result<(), RunError> {
        let device = self.device.device.clone();
        if state.wrappers.len() != optim.len() {
            return Err(RunError::Usage(format!(
                "the optimizer state has {} wrappers, this run has {}",
                state.wrappers.len(),
                optim.len()
            )));
        }
        for ((name, w), saved) in optim.iter_mut().zip(&state.wrappers) {
            if name.map(str::to_string) != saved.name {
                return Err(RunError::Usage(format!(
                    "optimizer state for `{}` where `{}` was expected",
                    saved.name.as_deref().unwrap_or("(single)"),
                    name.unwrap_or("(single)")
                )));
            }
            if saved.param_groups.len() != w.groups.len() {
                return Err(RunError::Usage(format!(
                    "optimizer `{}`: {} parameter groups saved, {} here",
                    name.unwrap_or("(single)"),
                    saved.param_groups.len(),
                    w.groups.len()
                )));
            }
            w.groups = saved.param_groups.clone();
            w.set_inner_count(saved.inner_count);
            // MMEngine's AmpOptimWrapper: restore `loss_scaler` when present; a
            // checkpoint without one (an f32 run's) keeps the configured scaler.
            if let (Some(scaler), Some(saved)) = (w.scaler.as_mut(), &saved.loss_scaler) {
                let state = serde_json::from_value(saved.clone()).map_err(|e| {
                    RunError::Usage(format!(
                        "optimizer `{}`: loss_scaler: {e}",
                        name.unwrap_or("(single)")
                    ))
                })?;
                scaler.load_state_dict(state);
            }
            for p in &saved.state {
                w.load_param_state(&p.name, p.step, &p.buffers, &device)
                    .map_err(RunError::Usage)?;
            }
        }
        Ok(())
    }

    fn load_scheduler_state_dict(
        &self,
        prepared: &mut Prepared,
        state: &Value,
    ) -> Result<(), RunError> {
        let names = prepared.optimizer_names();
        for (i, list) in prepared.param_schedulers.iter_mut().enumerate() {
            if list.is_empty() {
                continue;
            }
            let saved = match (&names.get(i).cloned().flatten(), state) {
                (None, Value::Array(a)) => a.clone(),
                (Some(n), Value::Object(m)) => match m.get(n) {
                    Some(Value::Array(a)) => a.clone(),
                    _ => {
                        return Err(RunError::Usage(format!(
                            "the scheduler state has no list for optimizer `{n}`"
                        )));
                    }
                },
                _ => {
                    return Err(RunError::Usage(
                        "the scheduler state's shape (list or per-optimizer table) does not match the optimizers".into(),
                    ));
                }
            };
            // MMEngine pairs them with zip: extra entries on either side are skipped.
            for (s, v) in list.iter_mut().zip(&saved) {
                s.load_state_dict(v)?;
            }
        }
        Ok(())
    }
}
