//! Experiment configs with MMEngine's keys and nesting, in TOML or JSON.
//!
//! - [`source`]: text → tree: parsing, `_base_` inheritance (`_delete_ = true`
//!   replaces instead of merging), `--cfg-options key.path=value`.
//! - [`experiment`]: tree → [`ExperimentConfig`], parsed once into typed structs.
//! - Every error is a [`ConfigError`]: the file, the key path
//!   (`param_scheduler[1].T_max`) and what was expected; [`locate`] finds the line of
//!   the text it points to (the web editor marks it).

pub mod experiment;
mod key_path;
pub mod locate;
pub mod source;
mod typed;

pub use experiment::{
    AutoScaleLr, DataloaderCfg, ExperimentConfig, ParamSchedulerConfig, Randomness, Registries,
    Resume, TrainCfg, TrainLoop,
};
pub use key_path::{ConfigError, KeyPath};
pub use typed::{OneOrMany, from_value};
