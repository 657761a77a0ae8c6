//! `DDPStrategy`: MMEngine's DDPStrategy, a [`SingleDeviceStrategy`] for rank 0 (its
//! device, seed, log and work dir: logs and checkpoints are written once, there) plus
//! one device per further rank. `prepare` builds rank 0's set as the single-device
//! strategy does, then the replicas ([`DataParallel`]).

use serde_json::{Value, json};

use super::data_parallel::DataParallel;
use super::{
    CompileCfg, DispatchKwargs, ModelSource, OptimSource, OptimStateDict, Prepared,
    SingleDeviceStrategy, Strategy, StrategyOptions,
};
use crate::base::log::RunLog;
use crate::config::{Launcher, ParamSchedulerConfig};
use crate::device::{DeviceChoice, ReadyDevice, init_device};
use crate::env::EnvReport;
use crate::error::Error as RunError;
use crate::model::{DynModel, NamedTensor, StateDictReport};
use crate::optim::wrapper_dict::OptimWrapperDict;
use crate::scheduler::ParamScheduler;

/// Data parallelism over several devices, one rank each.
pub struct DDPStrategy {
    /// Rank 0's strategy (its `world_size` is this strategy's).
    pub base: SingleDeviceStrategy,
    /// Every rank's device, rank 0's first.
    pub devices: Vec<ReadyDevice>,
    /// How the config says the ranks start (`none` or `pytorch`: here, threads).
    pub launcher: Launcher,
}

impl DDPStrategy {
    /// Rank 0's strategy on `devices[0]`, then the other ranks' devices.
    pub async fn new(
        mut opts: StrategyOptions,
        devices: &[DeviceChoice],
        launcher: Launcher,
    ) -> Result<Self, RunError> {
        let Some(first) = devices.first() else {
            return Err(RunError::Usage(
                "DDPStrategy needs at least one device".into(),
            ));
        };
        if cfg!(target_family = "wasm") && devices.len() > 1 {
            return Err(RunError::Usage(
                "DDPStrategy runs one thread per rank; the browser build trains on one device"
                    .into(),
            ));
        }
        opts.device = first.clone();
        let mut base = SingleDeviceStrategy::new(opts).await?;
        base.world_size = devices.len();
        let mut ready = vec![base.device.clone()];
        for d in &devices[1..] {
            ready.push(init_device(d.clone()).await?);
        }
        Ok(Self {
            base,
            devices: ready,
            launcher,
        })
    }

    /// The number of ranks.
    pub fn world_size(&self) -> usize {
        self.devices.len()
    }
}

impl Strategy for DDPStrategy {
    fn prepare(
        &mut self,
        model: ModelSource,
        optim_wrapper: OptimSource,
        param_scheduler: Option<&ParamSchedulerConfig>,
        compile: &CompileCfg,
        dispatch_kwargs: Option<DispatchKwargs>,
    ) -> Result<Prepared, RunError> {
        let mut prepared = self.base.prepare(
            model,
            optim_wrapper,
            param_scheduler,
            compile,
            dispatch_kwargs,
        )?;
        let devices: Vec<burn::tensor::Device> = self
            .devices
            .iter()
            .map(|d| d.device.clone().autodiff())
            .collect();
        prepared.data_parallel = Some(DataParallel::new(
            prepared.model.as_ref(),
            &mut prepared.optim_wrapper,
            &devices,
            self.devices.iter().map(|d| d.description.clone()).collect(),
        ));
        self.base.logger.info(format!(
            "DDPStrategy: {} ranks (launcher {}, one thread each) on {}; gradients averaged through {}",
            self.world_size(),
            self.launcher.name(),
            self.devices
                .iter()
                .enumerate()
                .map(|(r, d)| format!("rank {r}: {}", d.description))
                .collect::<Vec<_>>()
                .join(", "),
            self.devices[0].description
        ));
        Ok(prepared)
    }

    fn build_model(&mut self, model: ModelSource) -> Result<Box<dyn DynModel>, RunError> {
        self.base.build_model(model)
    }

    fn build_optim_wrapper(
        &mut self,
        optim_wrapper: OptimSource,
        model: &dyn DynModel,
    ) -> Result<OptimWrapperDict, RunError> {
        self.base.build_optim_wrapper(optim_wrapper, model)
    }

    fn build_param_scheduler(
        &self,
        scheduler: &ParamSchedulerConfig,
        optim_wrapper: &mut OptimWrapperDict,
    ) -> Result<Vec<Vec<ParamScheduler>>, RunError> {
        self.base.build_param_scheduler(scheduler, optim_wrapper)
    }

    fn compile_model(&mut self, compile: &CompileCfg) {
        self.base.compile_model(compile);
    }

    async fn collect_env(&self) -> (EnvReport, Value) {
        let (report, mut runtime) = self.base.collect_env().await;
        if let Value::Object(m) = &mut runtime {
            m.insert("strategy".into(), json!("DDPStrategy"));
            m.insert("Distributed launcher".into(), json!(self.launcher.name()));
            m.insert("Distributed training".into(), json!(self.world_size() > 1));
            m.insert("GPU number".into(), json!(self.world_size()));
            m.insert("world_size".into(), json!(self.world_size()));
            m.insert(
                "devices".into(),
                json!(
                    self.devices
                        .iter()
                        .map(|d| d.description.clone())
                        .collect::<Vec<_>>()
                ),
            );
        }
        (report, runtime)
    }

    fn build_logger(&self, log_kwargs: &super::LogKwargs) -> Result<RunLog, RunError> {
        self.base.build_logger(log_kwargs)
    }

    async fn model_state_dict(&self, model: &dyn DynModel) -> Result<Vec<NamedTensor>, RunError> {
        self.base.model_state_dict(model).await
    }

    async fn optim_state_dict(&self, optim: &OptimWrapperDict) -> Result<OptimStateDict, RunError> {
        self.base.optim_state_dict(optim).await
    }

    fn scheduler_state_dict(&self, prepared: &Prepared) -> Value {
        self.base.scheduler_state_dict(prepared)
    }

    fn load_model_state_dict(
        &self,
        model: &mut dyn DynModel,
        state: &[NamedTensor],
        strict: bool,
    ) -> Result<StateDictReport, RunError> {
        self.base.load_model_state_dict(model, state, strict)
    }

    fn load_optim_state_dict(
        &self,
        optim: &mut OptimWrapperDict,
        state: &OptimStateDict,
    ) -> Result<(), RunError> {
        self.base.load_optim_state_dict(optim, state)
    }

    fn load_scheduler_state_dict(
        &self,
        prepared: &mut Prepared,
        state: &Value,
    ) -> Result<(), RunError> {
        self.base.load_scheduler_state_dict(prepared, state)
    }
}
