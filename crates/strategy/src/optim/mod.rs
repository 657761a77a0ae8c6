//! Optimizers and optimizer wrappers.
//!
//! - [`config`]: optimizer and wrapper configs (needs no tensors).
//! - [`algorithm`]: SGD, Adam, AdamW, RMSprop and Adagrad updates, as PyTorch
//!   computes them (with a tensor backend).
//! - [`wrapper`]: MMEngine's `OptimWrapper` on burn modules: paramwise groups,
//!   accumulation, clipping (with a tensor backend).
//! - [`wrapper_dict`]: `OptimWrapperDict`, several named wrappers.

#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod algorithm;
pub mod config;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod wrapper;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod wrapper_dict;
