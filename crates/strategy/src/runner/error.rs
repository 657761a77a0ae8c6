//! What can stop a run: the crate's [`Error`](crate::Error), under the name the
//! runner's API has always used.

/// Why building or running an experiment failed (the crate's error).
pub type RunError = crate::error::Error;
