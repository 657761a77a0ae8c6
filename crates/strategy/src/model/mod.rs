//! Models: the contract a trainable model meets (MMEngine's `BaseModel`:
//! `train_step`, `val_step`, `test_step`), the `type=` model registry, and the
//! built-in models.
//!
//! - [`spec`]: the model configs, typed and checked without a tensor backend.
//! - [`Model`]: implement it for your burn module; [`register_model`] makes it
//!   buildable from a config.
//! - [`DynModel`]: the object-safe form the strategy and the loops hold.
//! - Built in: [`mlp::Mlp`] (`MLP`), [`cnn::DigitsCnn`] (`DigitsCNN`),
//!   [`gan::Gan2d`] (`GAN2d`, two optimizers), [`gpt::TinyGpt`] (`TinyGPT`) and
//!   [`gru::CharGru`] (`CharGRU`) on token sequences ([`sequence`]: the masked
//!   next-token loss, layer norm, attention maps, generation).

#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod activation;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod cnn;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod gan;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod gpt;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod gru;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod init;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod mlp;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
mod named;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod sequence;
pub mod sequence_spec;
pub mod spec;

#[cfg(any(feature = "cpu", feature = "wgpu"))]
mod contract;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub use contract::*;
