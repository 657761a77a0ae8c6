//! MMEngine's parameter schedulers, with its exact numbers.
//!
//! - [`ParamScheduler`]: the `_ParamScheduler` window (`begin`/`end`, `by_epoch`,
//!   `last_step`) and step logic, driving one key of an optimizer's [`ParamGroup`]s.
//! - [`Rule`]: the table of families; [`family`]: one file per family with its
//!   chainable (recursive) update, so lists compose multiplicatively exactly as upstream.
//! - [`spec`]: every scheduler `type` (`*LR`, `*Momentum`, `*ParamScheduler`), parsed
//!   and checked, then resolved (default `end`, `convert_to_iter_based`) and attached.
//! - [`simulate`]: `build_param_scheduler` and auto_scale_lr as the Strategy applies
//!   them, and the loop that steps them, for curves over a whole run.
//!
//! Where this differs from MMEngine on a [quirk] of the reference, the item says so.

mod error;
pub mod family;
#[cfg(test)]
mod float_steps_tests;
mod groups;
mod param_scheduler;
#[cfg(all(test, not(target_family = "wasm")))]
mod reference_tests;
pub mod simulate;
pub mod spec;
#[cfg(test)]
mod state_dict_tests;
pub mod steps;
#[cfg(test)]
mod tests;

pub use error::{JsonError, SchedulerError};
pub use family::Rule;
pub use family::{one_cycle, plateau};
pub use groups::ParamGroup;
pub use param_scheduler::{INF, ParamScheduler};
pub use simulate::{
    Curves, NamedGroups, Phase, Series, auto_scale_lr, build_param_scheduler, simulate,
};
pub use spec::{RunLength, SchedulerSpec, scheduler_registry};
pub use steps::Steps;
