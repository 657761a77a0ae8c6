//! Errors of building, stepping and restoring schedulers.

use std::sync::Arc;

/// What can go wrong with a scheduler once its config has been parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchedulerError {
    /// Hyper-parameters that cannot work together.
    #[error("{0}")]
    Invalid(String),
    /// An optimizer group lacks the scheduled key.
    #[error(
        "param_groups[{group}] has no `{param}` to schedule (the optimizer does not support it)"
    )]
    MissingParam {
        /// Group index.
        group: usize,
        /// The key.
        param: String,
    },
    /// Where MMEngine raises `ZeroDivisionError`, we say why.
    #[error("{family} scheduler divides by zero at step {step}: {what}")]
    DivisionByZero {
        /// Scheduler family.
        family: &'static str,
        /// Relative step.
        step: i64,
        /// The cause.
        what: String,
    },
    /// A plateau scheduler's metric is not among the validation results.
    #[error(
        "ReduceOnPlateau monitors `{monitor}`, but the validation results only have {available:?}"
    )]
    MissingMetric {
        /// The key looked for.
        monitor: String,
        /// The keys present.
        available: Vec<String>,
    },
    /// A saved state dict that this scheduler cannot take (another family's, or not a
    /// scheduler's at all). The scheduler is left as it was.
    ///
    /// The message says the cause itself and `error` is not a `source()`: callers that
    /// print only `to_string()` (the web app) and those that print the whole chain
    /// (`{:#}`, the CLI) both show it exactly once.
    #[error(
        "cannot load the state dict into this {family} scheduler{}: {error}",
        at_key(key)
    )]
    StateDict {
        /// The family of the scheduler that was loading.
        family: &'static str,
        /// Where in the state dict (`milestones.12`; empty for the dict as a whole).
        key: String,
        /// What serde found wrong.
        error: JsonError,
    },
}

fn at_key(key: &str) -> String {
    if key.is_empty() || key == "." {
        String::new()
    } else {
        format!(" (at `{key}`)")
    }
}

/// A `serde_json::Error` that can be cloned and compared (by its message), so that
/// [`SchedulerError`] stays `Clone + PartialEq`.
#[derive(Debug, Clone)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// Wraps `e`.
    pub fn new(e: serde_json::Error) -> Self {
        Self(Arc::new(e))
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Display already is the serde error's message: hand on what lies under it.
        self.0.source()
    }
}
