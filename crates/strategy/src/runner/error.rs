//! What can stop a run.

use crate::config::ConfigError;
use crate::scheduler::SchedulerError;

/// Why building or running an experiment failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The config is wrong (names the file, key and expectation).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The backend failed (device set-up, a read-back).
    #[error(transparent)]
    Backend(#[from] crate::Error),
    /// A parameter scheduler refused a step.
    #[error("parameter scheduler: {0}")]
    Scheduler(#[from] SchedulerError),
    /// A checkpoint could not be written, read or applied.
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    /// A file could not be written or read.
    #[error("{path}: {message}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The API was used out of order (MMEngine's AttributeError/RuntimeError cases).
    #[error("{0}")]
    Usage(String),
}

impl RunError {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}
