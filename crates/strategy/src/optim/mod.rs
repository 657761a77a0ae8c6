//! Optimizers and optimizer wrappers.
//!
//! Pure (no tensors):
//! - [`config`]: the `optim_wrapper` config, parsed and checked; re-exports the items
//!   of the modules below so `optim::config::OptimizerSpec` and friends keep working.
//! - [`optimizer_spec`]: each optimizer's hyper-parameters and the `type` registry.
//! - [`paramwise`]: `paramwise_cfg` and MMEngine's rules for per-parameter multipliers.
//! - [`clip`]: `clip_grad` (and, with a tensor backend, the clipping itself).
//! - [`constructor`]: the known `optim_wrapper.constructor`s.
//! - [`keys`]: unknown-key errors with the full key path and the closest known key.
//!
//! With a tensor backend:
//! - [`algorithm`]: SGD, Adam, AdamW, RMSprop and Adagrad updates, as PyTorch
//!   computes them.
//! - [`param_groups`]: a burn module's parameters, classified and grouped.
//! - [`wrapper`]: MMEngine's `OptimWrapper` on burn modules: accumulation, clipping,
//!   the update.
//! - [`reduce`]: the data-parallel hook in `backward` (gradients averaged over the
//!   ranks before accumulation, clipping and the step).
//! - [`wrapper_dict`]: `OptimWrapperDict`, several named wrappers.

#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod algorithm;
pub mod clip;
pub mod config;
pub mod constructor;
pub mod keys;
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
