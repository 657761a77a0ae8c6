//! [`RunStrategy`]: the strategy a run uses, chosen from the config's `strategy` and
//! the devices it is given. Both kinds are a [`SingleDeviceStrategy`] for rank 0 at
//! heart (MMEngine's DDPStrategy subclasses it), so the run reads the device, seed,
//! log and work dir through `Deref`.

use std::ops::{Deref, DerefMut};

use serde_json::Value;

use super::{
    CompileCfg, DDPStrategy, DispatchKwargs, ModelSource, OptimSource, Prepared,
    SingleDeviceStrategy, Strategy,
};
use crate::config::ParamSchedulerConfig;
use crate::env::EnvReport;
use crate::error::Error as RunError;

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

impl RunStrategy {
    /// [`Strategy::prepare`] of the strategy in use (DDP's also builds the replicas).
    /// Every other `Strategy` method is rank 0's single-device one, through `Deref`,
    /// which is what `DDPStrategy` does too.
    pub fn prepare(
        &mut self,
        model: ModelSource,
        optim_wrapper: OptimSource,
        param_scheduler: Option<&ParamSchedulerConfig>,
        compile: &CompileCfg,
        dispatch_kwargs: Option<DispatchKwargs>,
    ) -> Result<Prepared, RunError> {
        match self {
            Self::Single(s) => s.prepare(
                model,
                optim_wrapper,
                param_scheduler,
                compile,
                dispatch_kwargs,
            ),
            Self::Ddp(s) => s.prepare(
                model,
                optim_wrapper,
                param_scheduler,
                compile,
                dispatch_kwargs,
            ),
        }
    }

    /// [`Strategy::collect_env`] of the strategy in use (DDP's names the world size
    /// and every device).
    pub async fn collect_env(&self) -> (EnvReport, Value) {
        match self {
            Self::Single(s) => s.collect_env().await,
            Self::Ddp(s) => s.collect_env().await,
        }
    }
}
