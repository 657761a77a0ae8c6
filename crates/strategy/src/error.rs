//! The crate's error type.

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
    /// A device name that is not one of `auto`, `cpu`, `wgpu`.
    #[error("unknown device `{given}`: expected one of auto, cpu, wgpu")]
    UnknownDevice {
        /// What the user wrote.
        given: String,
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
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
