//! Errors of building and stepping schedulers.

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
}
