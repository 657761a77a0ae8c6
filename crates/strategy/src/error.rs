//! The crate's error: one enum, grouped by cause, with the underlying errors kept as
//! sources (an I/O error stays an `io::Error`), so a face can show the whole chain.

use std::path::PathBuf;

use crate::base::ConfigError;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
use crate::checkpoint::CheckpointError;
use crate::scheduler::SchedulerError;

/// Everything that can go wrong in the strategy crate, grouped by cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A backend was asked for that this build does not contain.
    #[error(
        "the `{backend}` backend is not compiled into this build (enable the `{feature}` feature of playground-strategy)"
    )]
    BackendNotCompiled {
        /// The backend asked for.
        backend: &'static str,
        /// The cargo feature that brings it in.
        feature: &'static str,
    },
    /// A device name that is not one of `auto`, `cpu`, `wgpu`, `wgpu:K`.
    #[error("unknown device `{given}`: expected one of auto, cpu, wgpu, wgpu:K")]
    UnknownDevice {
        /// What the user wrote.
        given: String,
    },
    /// A remote device (a `playground-cli worker`) could not be connected or failed.
    #[error("remote device {url}: {message}")]
    Remote {
        /// The worker's address.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A data-parallel rank failed during a training iteration.
    #[error("data-parallel rank {rank} ({device}) failed: {message}")]
    RankFailed {
        /// The rank.
        rank: usize,
        /// Its device.
        device: String,
        /// What went wrong (the panic's message).
        message: String,
    },
    /// wgpu could not give burn a device.
    #[error("could not initialise the wgpu backend: {0}")]
    WgpuInit(String),
    /// A tensor operation failed on the device (reading results back, most often).
    #[error("tensor operation failed on {device}: {message}")]
    Execution {
        /// The device the operation ran on.
        device: String,
        /// What the backend said.
        message: String,
    },
    /// The config is wrong (names the file, key and expectation).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A parameter scheduler refused a step or a state dict (its message names it).
    #[error(transparent)]
    Scheduler(#[from] SchedulerError),
    /// A checkpoint could not be written, read or applied.
    #[cfg(any(feature = "cpu", feature = "wgpu"))]
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A file or directory could not be written or read.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint's model was trained on data with other inputs, classes or task.
    #[error("the checkpoint does not fit this data: {0}")]
    DataMismatch(String),
    /// The API was used out of order (MMEngine's AttributeError/RuntimeError cases).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The text of a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}
