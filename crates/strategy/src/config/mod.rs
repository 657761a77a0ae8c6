//! Experiment configs with MMEngine's keys and nesting, in TOML or JSON.
//!
//! - [`source`]: text → tree: parsing, `_base_` inheritance (`_delete_ = true`
//!   replaces instead of merging), `--cfg-options key.path=value`.
//! - [`experiment`]: tree → [`ExperimentConfig`], every section parsed once into
//!   typed structs ([`keys`] says what happens to each top-level key; [`train`],
//!   [`dataloader`], [`distributed`] and [`runtime`] hold the sections; [`data_files`] reads
//!   the files datasets name (a CSV); models, datasets, metrics,
//!   hooks, optimizers and schedulers are typed by their own modules' specs).
//! - Every error is a [`ConfigError`]: the file, the key path
//!   (`param_scheduler[1].T_max`) and what was expected, with the closest known name
//!   for a misspelt one ([`suggest`]); [`locate`] finds the line of the text it
//!   points to (the web editor marks it). Keys accepted although they cannot change
//!   the result are [`ConfigNote`]s, which the run logs.

pub mod data_files;
pub mod dataloader;
pub mod distributed;
pub mod experiment;
pub mod keys;
pub mod locate;
pub mod logging;
pub mod runtime;
pub mod source;
pub mod train;

pub use crate::base::suggest;
pub use crate::base::{
    ConfigError, ConfigNote, KeyPath, LogLevel, Notes, OneOrMany, did_you_mean, from_value,
};
pub use crate::scheduler::ParamSchedulerConfig;
pub use dataloader::DataloaderCfg;
pub use distributed::{Launcher, StrategyKind, resolve_strategy};
pub use experiment::{ExperimentConfig, Registries};
pub use logging::LogProcessorCfg;
pub use runtime::{AutoScaleLr, CompileCfg, Randomness, Resume};
pub use train::{TrainCfg, TrainLoop};
