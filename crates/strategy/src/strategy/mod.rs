//! The Strategy (MMEngine's `BaseStrategy`): builds, initialises and saves/loads the
//! training components (model, optimizer wrappers, parameter schedulers), sets up the
//! environment (seed, device) and the run's log.
//!
//! - [`SingleDeviceStrategy`] ([`single_device`], with [`checkpointing`]): one device
//!   (CPU backend or wgpu).
//! - [`DDPStrategy`] ([`ddp`]): one rank per device; rank 0 is a single-device
//!   strategy, the other ranks are replicas ([`data_parallel`]) whose gradients are
//!   averaged through the main device after every backward.
//! - [`precision`]: `AmpOptimWrapper`'s dtype against the device at `prepare`.
//! - [`RunStrategy`] ([`choice`]): the one a run uses, from the config's `strategy`
//!   and the devices given.
//!
//! ## What `compile` does on burn
//! MMEngine's `compile` wraps a method in `torch.compile`. burn's equivalent is kernel
//! fusion and autotuning, which are compile-time features of burn (this crate's
//! `fusion` and `autotune` features), with no switch at run time. The default build
//! leaves them off: measured on lavapipe and SwiftShader, no combination wins on every
//! workload (BENCHMARKS.md), they lengthen burn's build, and autotuning makes kernel
//! choice depend on timing (so runs stop being bit-identical). `compile = true` (or a
//! table without `disable = true`) is therefore accepted, checked and logged: the run
//! uses the kernels this build was compiled with, and the log names them
//! ([`crate::env::burn_kernels`]). It cannot change the result.

pub mod checkpointing;
pub mod choice;
pub mod data_parallel;
pub mod ddp;
mod options;
pub mod precision;
pub mod single_device;

use std::future::Future;

use serde_json::Value;

pub use crate::base::state::{OptimStateDict, ParamStateEntry, WrapperState};
pub use checkpointing::read_f32;
pub use choice::RunStrategy;
pub use data_parallel::DataParallel;
pub use ddp::DDPStrategy;
pub use options::{EnvKwargs, LogKwargs, StrategyOptions};
pub use single_device::{SingleDeviceStrategy, timestamp_now};

use crate::base::log::RunLog;
use crate::config::ParamSchedulerConfig;
use crate::env::EnvReport;
use crate::error::Error as RunError;
use crate::model::{DynModel, NamedTensor, StateDictReport};
use crate::optim::config::OptimWrapperConfig;
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::scheduler::ParamScheduler;

/// A model as `build_model` takes it: a config table, a checked config, or a model
/// already built.
pub enum ModelSource {
    /// `model = {type = "MLP", ...}` (checked with the built-in model types).
    Config(Value),
    /// A config already checked ([`ExperimentConfig::model`](crate::config::ExperimentConfig::model)).
    Spec(crate::model::spec::ModelSpec),
    /// A built model, used as is.
    Built(Box<dyn DynModel>),
}

/// Optimizer wrappers as `build_optim_wrapper` takes them.
#[derive(Debug)]
pub enum OptimSource {
    /// One optimizer config, or several with a constructor.
    Config(OptimWrapperConfig),
    /// Wrappers already built (one, or a named map): used as is.
    Built(OptimWrapperDict),
}

pub use crate::config::CompileCfg;

/// What the loop tells the strategy about the run (MMEngine's `dispatch_kwargs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DispatchKwargs {
    /// Iterations per epoch (`len(train_dataloader)`).
    pub epoch_length: Option<i64>,
    /// Epochs of the run.
    pub max_epochs: Option<i64>,
    /// Iterations of the run.
    pub max_iters: Option<i64>,
    /// The training batch size (for `auto_scale_lr`).
    pub train_micro_batch_size_per_gpu: Option<u64>,
}

/// What [`Strategy::prepare`] builds, owned by the caller: MMEngine's `(model,
/// optim_wrapper, param_schedulers)`. Every part exists once prepared, so nothing
/// downstream checks for a missing model or optimizer at run time.
pub struct Prepared {
    /// The model, on the training device (with autodiff).
    pub model: Box<dyn DynModel>,
    /// The optimizer wrappers: one, or several by name.
    pub optim_wrapper: OptimWrapperDict,
    /// The schedulers: one list per wrapper, in the wrappers' order (a list is empty
    /// where the config gives that optimizer no scheduler).
    pub param_schedulers: Vec<Vec<ParamScheduler>>,
    /// Under `DDPStrategy`: the other ranks' replicas (the fields above are rank 0's,
    /// which the loop, the hooks and the checkpoints see).
    pub data_parallel: Option<DataParallel>,
}

impl Prepared {
    /// Whether any wrapper has a scheduler.
    pub fn has_schedulers(&self) -> bool {
        self.param_schedulers.iter().any(|l| !l.is_empty())
    }

    /// Makes every other rank a copy of rank 0 again (after weights or optimizer state
    /// were loaded into rank 0); nothing on one device.
    pub fn broadcast(&mut self) {
        if let Some(dp) = &mut self.data_parallel {
            dp.broadcast(self.model.as_ref(), &self.optim_wrapper);
        }
    }

    /// The number of ranks training in step.
    pub fn world_size(&self) -> usize {
        self.data_parallel
            .as_ref()
            .map_or(1, DataParallel::world_size)
    }

    /// The wrappers' names in order (`[None]` for a single optimizer).
    pub fn optimizer_names(&self) -> Vec<Option<String>> {
        self.optim_wrapper
            .iter()
            .map(|(n, _)| n.map(str::to_string))
            .collect()
    }
}

/// The seed's Strategy surface. Methods that read tensors back are `async`: the
/// browser allows no blocking read (natively, `pollster::block_on` them).
///
/// The state methods take the prepared parts they read or write: the caller owns them
/// (see [`Prepared`]).
pub trait Strategy {
    /// Builds everything in MMEngine's order (model → weights → device → compile →
    /// optimizer wrappers → `auto_scale_lr` → accumulation counters → schedulers)
    /// and hands the set to the caller. MMEngine's model-only `prepare(model)` is
    /// [`build_model`](Self::build_model) here.
    ///
    /// MMEngine's `prepare` is idempotent by returning the same objects again; an owned
    /// set has one owner, so a second call is refused ([`RunError::Usage`]) and changes
    /// nothing.
    fn prepare(
        &mut self,
        model: ModelSource,
        optim_wrapper: OptimSource,
        param_scheduler: Option<&ParamSchedulerConfig>,
        compile: &CompileCfg,
        dispatch_kwargs: Option<DispatchKwargs>,
    ) -> Result<Prepared, RunError>;
    /// A model from a config table (through the model registry), or the built one.
    fn build_model(&mut self, model: ModelSource) -> Result<Box<dyn DynModel>, RunError>;
    /// Optimizer wrappers for `model`: one, several through the model's
    /// constructor, or built ones as given.
    fn build_optim_wrapper(
        &mut self,
        optim_wrapper: OptimSource,
        model: &dyn DynModel,
    ) -> Result<OptimWrapperDict, RunError>;
    /// Schedulers: one list per wrapper (the list for one optimizer, or per name).
    fn build_param_scheduler(
        &self,
        scheduler: &ParamSchedulerConfig,
        optim_wrapper: &mut OptimWrapperDict,
    ) -> Result<Vec<Vec<ParamScheduler>>, RunError>;
    /// See the module docs: a checked, logged no-op in this build.
    fn compile_model(&mut self, compile: &CompileCfg);
    /// The environment report plus the runtime settings (MMEngine's `(system_env,
    /// runtime_env)`).
    fn collect_env(&self) -> impl Future<Output = (EnvReport, Value)>;
    /// The run's logger (files under `log_dir` natively).
    fn build_logger(&self, log_kwargs: &LogKwargs) -> Result<RunLog, RunError>;
    /// Every parameter of `model` by name, read back to the host.
    fn model_state_dict(
        &self,
        model: &dyn DynModel,
    ) -> impl Future<Output = Result<Vec<NamedTensor>, RunError>>;
    /// The optimizer state of every wrapper, read back to the host.
    fn optim_state_dict(
        &self,
        optim: &OptimWrapperDict,
    ) -> impl Future<Output = Result<OptimStateDict, RunError>>;
    /// The schedulers' states: a list, or `{name: list}` with several optimizers.
    fn scheduler_state_dict(&self, prepared: &Prepared) -> Value;
    /// Loads parameters by name into `model`; `strict` turns any misfit into an error
    /// listing all (and changes nothing).
    fn load_model_state_dict(
        &self,
        model: &mut dyn DynModel,
        state: &[NamedTensor],
        strict: bool,
    ) -> Result<StateDictReport, RunError>;
    /// Restores the optimizer state.
    fn load_optim_state_dict(
        &self,
        optim: &mut OptimWrapperDict,
        state: &OptimStateDict,
    ) -> Result<(), RunError>;
    /// Restores the schedulers (pairs them in order, as MMEngine's `zip`).
    fn load_scheduler_state_dict(
        &self,
        prepared: &mut Prepared,
        state: &Value,
    ) -> Result<(), RunError>;
}
