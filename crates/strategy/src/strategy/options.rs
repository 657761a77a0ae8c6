//! The strategy's constructor arguments (MMEngine's keyword arguments).

use std::path::PathBuf;

use crate::base::log::Level;
use crate::base::registry::Registry;
use crate::config::{AutoScaleLr, Randomness};
use crate::device::DeviceChoice;
use crate::model::{ModelFactory, model_registry};

/// `env_kwargs`: the randomness settings (the only environment knob on one device).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvKwargs {
    /// `randomness`: `seed` (drawn when absent), `deterministic`, `diff_rank_seed`.
    pub randomness: Randomness,
}

impl Default for EnvKwargs {
    fn default() -> Self {
        Self {
            randomness: Randomness {
                seed: None,
                deterministic: false,
                diff_rank_seed: false,
            },
        }
    }
}

/// `log_kwargs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogKwargs {
    /// Records below this level are dropped.
    pub log_level: Level,
    /// The text log (default `<log_dir>/<timestamp>.log`).
    pub log_file: Option<PathBuf>,
    /// Write the log files (native default); the browser has no file system.
    pub write_files: bool,
}

impl Default for LogKwargs {
    fn default() -> Self {
        Self {
            log_level: Level::Info,
            log_file: None,
            write_files: cfg!(not(target_family = "wasm")),
        }
    }
}

/// The strategy's constructor arguments (MMEngine's keyword arguments).
pub struct StrategyOptions {
    /// Where checkpoints go; logs go to `work_dir/<timestamp>/`.
    pub work_dir: PathBuf,
    /// `<name>_<timestamp>`, or the timestamp alone when `None`.
    pub experiment_name: Option<String>,
    /// Environment settings.
    pub env_kwargs: EnvKwargs,
    /// Logger settings.
    pub log_kwargs: LogKwargs,
    /// `auto_scale_lr`.
    pub auto_scale_lr: Option<AutoScaleLr>,
    /// The device to run on.
    pub device: DeviceChoice,
    /// Model types `build_model` knows (the built-ins unless replaced).
    pub models: Registry<ModelFactory>,
}

impl Default for StrategyOptions {
    fn default() -> Self {
        Self {
            work_dir: PathBuf::from("work_dirs"),
            experiment_name: None,
            env_kwargs: EnvKwargs::default(),
            log_kwargs: LogKwargs::default(),
            auto_scale_lr: None,
            device: DeviceChoice::Auto,
            models: model_registry(),
        }
    }
}
