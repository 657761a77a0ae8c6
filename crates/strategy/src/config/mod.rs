//! Experiment configs with MMEngine's keys and nesting, in TOML or JSON.
//!
//! - [`source`]: text → tree: parsing, `_base_` inheritance (`_delete_ = true`
//!   replaces instead of merging), `--cfg-options key.path=value`.
//! - [`experiment`]: tree → [`ExperimentConfig`], every section parsed once into
//!   typed structs ([`keys`] says what happens to each top-level key; [`train`],
//!   [`dataloader`] and [`runtime`] hold the sections; models, datasets, metrics,
//!   hooks, optimizers and schedulers are typed by their own modules' specs).
//! - Every error is a [`ConfigError`]: the file, the key path
//!   (`param_scheduler[1].T_max`) and what was expected, with the closest known name
//!   for a misspelt one ([`suggest`]); [`locate`] finds the line of the text it
//!   points to (the web editor marks it). Keys accepted although they cannot change
//!   the result are [`ConfigNote`]s, which the run logs.

pub mod dataloader;
pub mod experiment;
mod key_path;
pub mod keys;
pub mod locate;
mod notes;
pub mod runtime;
pub mod source;
pub mod suggest;
pub mod train;
mod typed;

pub use dataloader::DataloaderCfg;
pub use experiment::{ExperimentConfig, ParamSchedulerConfig, Registries};
pub use key_path::{ConfigError, KeyPath};
pub use notes::{ConfigNote, Notes};
pub use runtime::{AutoScaleLr, CompileCfg, LogLevel, LogProcessorCfg, Randomness, Resume};
pub use suggest::did_you_mean;
pub use train::{TrainCfg, TrainLoop};
pub use typed::{OneOrMany, from_value};
