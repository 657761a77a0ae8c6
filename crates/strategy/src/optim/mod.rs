//! Optimizers and optimizer wrappers.
//!
//! Pure (no tensors):
//! - [`config`]: the `optim_wrapper` config, parsed and checked; re-exports the items
//!   of the modules below so `optim::config::OptimizerSpec` and friends keep working.
//! - [`optimizer_spec`]: each optimizer's hyper-parameters and the `type` registry.
//! - [`paramwise`]: `paramwise_cfg` and MMEngine's rules for per-parameter multipliers.
//! - [`amp`]: `AmpOptimWrapper`'s `loss_scale`, `dtype` and `dtype_fallback`.
//! - [`loss_scaler`]: PyTorch's `GradScaler` as a state machine (scale, growth,
//!   back-off, skipped steps, its state dict).
//! - [`clip`]: `clip_grad` (and, with a tensor backend, the clipping itself).
//! - [`constructor`]: the known `optim_wrapper.constructor`s.
//! - [`keys`]: unknown-key errors with the full key path and the closest known key.
//!
//! With a tensor backend:
//! - [`algorithm`]: the fourteen optimizers' updates, as their reference
//!   implementations compute them.
//! - [`foreach`]: PyTorch's `foreach` update: the parameters of a group as one
//!   concatenated tensor, bit-identical, fewer kernel launches (the GPU default).
//! - [`param_groups`]: a burn module's parameters, classified and grouped.
//! - [`wrapper`]: MMEngine's `OptimWrapper` on burn modules: accumulation, clipping,
//!   the update.
//! - [`reduce`]: the data-parallel hook in `backward` (gradients averaged over the
//!   ranks before accumulation, clipping and the step).
//! - [`wrapper_dict`]: `OptimWrapperDict`, several named wrappers.

#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod algorithm;
pub mod amp;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
mod amp_step;
pub mod clip;
pub mod config;
pub mod constructor;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod foreach;
pub mod keys;
pub mod loss_scaler;
pub mod optimizer_spec;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod param_groups;
pub mod paramwise;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod reduce;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod wrapper;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod wrapper_dict;

pub use clip::ClipGrad;
pub use config::{OptimWrapperConfig, OptimWrapperSpec, parse_optim_wrapper};
pub use optimizer_spec::{OptimizerSpec, optimizer_registry};
pub use paramwise::{CustomKey, Multipliers, ParamKind, ParamwiseCfg};
