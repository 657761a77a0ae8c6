//! MMEngine's parameter schedulers, with its exact numbers.
//!
//! - [`ParamScheduler`]: the `_ParamScheduler` window (`begin`/`end`, `by_epoch`,
//!   `last_step`) and step logic, driving one key of an optimizer's [`ParamGroup`]s.
//! - [`Rule`]: the table of families; [`family`]: one file per family with its
//!   chainable (recursive) update, so lists compose multiplicatively exactly as upstream.
//! - [`spec`]: every scheduler `type` (`*LR`, `*Momentum`, `*ParamScheduler`), parsed
//!   and checked, then resolved (default `end`, `convert_to_iter_based`) and attached.
//! - [`build`]: the `param_scheduler` section and `build_param_scheduler` as the
//!   Strategy applies it (the loop that
//!   steps schedulers, and the curves of a whole run, are `crate::plan`'s).
//!
//! Where this differs from MMEngine on a [quirk] of the reference, the item says so.

pub mod build;
mod error;
pub mod family;
mod param_scheduler;
pub mod spec;
#[cfg(test)]
mod state_dict_tests;
pub mod steps;
#[cfg(test)]
mod tests;

pub use crate::base::ParamGroup;
pub use build::{NamedGroups, ParamSchedulerConfig, build_param_scheduler, parse_param_scheduler};
pub use error::{JsonError, SchedulerError};
pub use family::Rule;
pub use family::{one_cycle, plateau};
pub use param_scheduler::{INF, ParamScheduler};
pub use spec::{RunLength, SchedulerSpec, scheduler_registry};
pub use steps::Steps;
