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
//! - [`optim`]: optimizer and optimizer-wrapper configs.
//! - [`data`]: dataset sizes (iterations per epoch follow from the config).
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

pub mod config;
pub mod data;
pub mod device;
pub mod env;
mod error;
pub mod optim;
pub mod registry;
pub mod scheduler;

pub use error::{Error, Result};
