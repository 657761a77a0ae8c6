//! MMEngine's parameter schedulers, with its exact numbers.
//!
//! - [`ParamScheduler`]: the `_ParamScheduler` window (`begin`/`end`, `by_epoch`,
//!   `last_step`) and step logic, driving one key of an optimizer's [`ParamGroup`]s.
//! - [`Rule`]: the chainable (recursive) update of each family, so lists compose
//!   multiplicatively exactly as upstream.
//! - [`spec`]: every scheduler `type` (`*LR`, `*Momentum`, `*ParamScheduler`), parsed
//!   and checked, then resolved (default `end`, `convert_to_iter_based`) and attached.
//! - [`simulate`]: `build_param_scheduler` and auto_scale_lr as the Strategy applies
//!   them, and the loop that steps them, for curves over a whole run.
//!
//! Where this differs from MMEngine on a [quirk] of the reference, the item says so.

mod error;
mod groups;
pub mod one_cycle;
mod param_scheduler;
pub mod plateau;
mod rule;
pub mod simulate;
pub mod spec;
#[cfg(test)]
mod tests;

pub use error::SchedulerError;
pub use groups::ParamGroup;
pub use param_scheduler::{INF, ParamScheduler};
pub use rule::Rule;
pub use simulate::{NamedGroups, auto_scale_lr, build_param_scheduler};
pub use spec::{RunLength, SchedulerSpec, scheduler_registry};
