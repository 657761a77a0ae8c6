//! [`RunStrategy`]: the strategy a run uses, chosen from the config's `strategy` and
//! the devices it is given. Both kinds are a [`SingleDeviceStrategy`] for rank 0 at
//! heart (MMEngine's DDPStrategy subclasses it), so the run reads the device, seed,
//! log and work dir through `Deref`.

use std::ops::{Deref, DerefMut};

use serde_json::Value;

use super::{
    CompileCfg, DDPStrategy, DispatchKwargs, ModelSource, OptimSource, OptimStateDict, Prepared,
    SingleDeviceStrategy, Strategy,
};
use crate::base::log::RunLog;
use crate::config::ParamSchedulerConfig;
use crate::env::EnvReport;
use crate::error::Error as RunError;
use crate::model::{DynModel, NamedTensor, StateDictReport};
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::scheduler::ParamScheduler;

/// `SingleDeviceStrategy` or `DDPStrategy`.
pub enum RunStrategy {
    /// One device.
    Single(SingleDeviceStrategy),
    /// One rank per device.
    Ddp(DDPStrategy),
}

impl RunStrategy {
    /// MMEngine's class name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Single(_) => "SingleDeviceStrategy",
            Self::Ddp(_) => "DDPStrategy",
        }
    }

    /// The number of ranks.
    pub fn world_size(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Ddp(d) => d.world_size(),
        }
    }

    /// Every rank's device description, rank 0's first.
    pub fn device_descriptions(&self) -> Vec<String> {
        match self {
            Self::Single(s) => vec![s.device.description.clone()],
            Self::Ddp(d) => d.devices.iter().map(|d| d.description.clone()).collect(),
        }
    }
}

impl Deref for RunStrategy {
    type Target = SingleDeviceStrategy;

    fn deref(&self) -> &SingleDeviceStrategy {
        match self {
            Self::Single(s) => s,
            Self::Ddp(d) => &d.base,
        }
    }
}

impl DerefMut for RunStrategy {
    fn deref_mut(&mut self) -> &mut SingleDeviceStrategy {
        match self {
            Self::Single(s) => s,
            Self::Ddp(d) => &mut d.base,
        }
    }
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            RunStrategy::Single($s) => $e,
            RunStrategy::Ddp($s) => $e,
        }
    };
}

impl Strategy for RunStrategy {
    fn prepare(
        &mut self,
        model: ModelSource,
        optim_wrapper: OptimSource,
        param_scheduler: Option<&ParamSchedulerConfig>,
        compile: &CompileCfg,
        dispatch_kwargs: Option<DispatchKwargs>,
    ) -> Result<Prepared, RunError> {
        each!(self, s => s.prepare(model, optim_wrapper, param_scheduler, compile, dispatch_kwargs))
    }

    fn build_model(&mut self, model: ModelSource) -> Result<Box<dyn DynModel>, RunError> {
        each!(self, s => s.build_model(model))
    }

    fn build_optim_wrapper(
        &mut self,
        optim_wrapper: OptimSource,
        model: &dyn DynModel,
    ) -> Result<OptimWrapperDict, RunError> {
        each!(self, s => s.build_optim_wrapper(optim_wrapper, model))
    }

    fn build_param_scheduler(
        &self,
        scheduler: &ParamSchedulerConfig,
        optim_wrapper: &mut OptimWrapperDict,
    ) -> Result<Vec<Vec<ParamScheduler>>, RunError> {
        each!(self, s => s.build_param_scheduler(scheduler, optim_wrapper))
    }

    fn compile_model(&mut self, compile: &CompileCfg) {
        each!(self, s => s.compile_model(compile))
    }

    async fn collect_env(&self) -> (EnvReport, Value) {
        each!(self, s => s.collect_env().await)
    }

    fn build_logger(&self, log_kwargs: &super::LogKwargs) -> Result<RunLog, RunError> {
        each!(self, s => s.build_logger(log_kwargs))
    }

    async fn model_state_dict(&self, model: &dyn DynModel) -> Result<Vec<NamedTensor>, RunError> {
        each!(self, s => s.model_state_dict(model).await)
    }

    async fn optim_state_dict(&self, optim: &OptimWrapperDict) -> Result<OptimStateDict, RunError> {
        each!(self, s => s.optim_state_dict(optim).await)
    }

    fn scheduler_state_dict(&self, prepared: &Prepared) -> Value {
        each!(self, s => s.scheduler_state_dict(prepared))
    }

    fn load_model_state_dict(
        &self,
        model: &mut dyn DynModel,
        state: &[NamedTensor],
        strict: bool,
    ) -> Result<StateDictReport, RunError> {
        each!(self, s => s.load_model_state_dict(model, state, strict))
    }

    fn load_optim_state_dict(
        &self,
        optim: &mut OptimWrapperDict,
        state: &OptimStateDict,
    ) -> Result<(), RunError> {
        each!(self, s => s.load_optim_state_dict(optim, state))
    }

    fn load_scheduler_state_dict(
        &self,
        prepared: &mut Prepared,
        state: &Value,
    ) -> Result<(), RunError> {
        each!(self, s => s.load_scheduler_state_dict(prepared, state))
    }
}
