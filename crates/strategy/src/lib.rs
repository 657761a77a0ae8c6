//! # playground-strategy
//!
//! The training *Strategy* of MMEngine, re-implemented in Rust on burn 0.22, shared by
//! the Strategy Playground web app, `playground-cli` and the tests. It knows nothing of
//! any user interface: the faces call it and show what it returns.
//!
//! What lives here today:
//! - [`config`]: experiment configs with MMEngine's keys (TOML or JSON), `_base_`
//!   inheritance, `--cfg-options`, parsed once into typed structs with errors that
//!   name the file and the key path.
//! - [`registry`]: the `type=` registry that maps names to builders.
//! - [`scheduler`]: every MMEngine parameter scheduler with its exact numbers,
//!   `build_param_scheduler`, auto_scale_lr, and whole-run simulation.
//! - [`plan`]: the run plan (loop, lengths, lr scale, scheduler stepping) shared by
//!   the runner and the schedule preview ([`plan::simulate`]).
//! - [`optim`]: optimizers as PyTorch computes them, MMEngine's `OptimWrapper` and
//!   `OptimWrapperDict` (with a tensor backend; the configs without).
//! - [`data`]: datasets (TensorFlow Playground's 2-D sets with their feature inputs,
//!   the UCI digits, your own CSV tables), their sizes, and seeded dataloaders.
//! - [`model`]: the model contract (`train_step`/`val_step`/`test_step`), the model
//!   registry, and the built-in `MLP`, `DigitsCNN` and `GAN2d`.
//! - [`metric`]: evaluators (`Accuracy`, `SampleDistance`, `RegressionMetric`) and the
//!   confusion matrix.
//! - [`runs`]: runs side by side (summaries from `scalars.json`, config differences).
//! - [`hooks`]: hook settings (`default_hooks`, `custom_hooks`), typed.
//! - [`strategy`]: the `Strategy` trait and `SingleDeviceStrategy` (the seed's API).
//! - [`runner`]: the epoch- and iteration-based loops, validation and test, hooks,
//!   the message hub, MMEngine-layout logs and the checkpoint policy.
//! - [`checkpoint`]: one safetensors file per checkpoint (weights with PyTorch names,
//!   optimizer, schedulers, runtime info), atomic writes, `last_checkpoint`.
//! - [`env`]: `collect_env`, the typed report of the running environment (crate
//!   version, platform, backends compiled in, the wgpu adapters found, the browser).
//! - [`device`]: choosing and initialising a burn device at run time
//!   (`auto`, `cpu`, `wgpu`), the same way natively and in the browser.
//!
//! ## Feature flags
//! - `cpu` (default): burn's pure-Rust CPU backend, burn-flex. It is the backend burn 0.22
//!   recommends (burn-ndarray is deprecated), it builds for wasm32 with SIMD, and it needs
//!   no system library.
//! - `wgpu` (default): burn's wgpu backend: Vulkan, Metal or DX12 natively, WebGPU in the
//!   browser.
//!
//! With neither feature the crate builds without burn, for any target: configs,
//! the registry and schedulers need no tensors, so the web app's schedule preview can
//! use them without a GPU backend (`default-features = false`), and
//! [`env::collect_env`] reports that no tensor backend is compiled in.

pub mod base;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod env;
pub mod error;
pub mod hooks;
pub mod metric;
pub mod model;
pub mod optim;
pub mod plan;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod runner;
pub mod runs;
pub mod scheduler;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod strategy;
pub mod vis;

pub use base::registry;
pub use error::{Error, Result};
