//! The leaf layer: the types every other module shares and that depend on nothing
//! else in the crate, so every dependency points one way (see ARCHITECTURE.md).
//!
//! - [`key_path`]: where in a config something is, and [`ConfigError`];
//! - [`typed`]: a config subtree → a typed struct, with the key path of any mistake;
//! - [`suggest`]: "did you mean …?"; [`notes`]: keys accepted with a note;
//! - [`registry`]: the `type=` registry;
//! - [`param_group`]: an optimizer's parameter group, as schedulers and optimizers see it;
//! - [`state`]: the optimizer state dict (checkpoints, the strategy);
//! - [`log`]: the run's log (levels, sinks, MMEngine's layout).

pub mod key_path;
pub mod log;
pub mod notes;
pub mod param_group;
pub mod registry;
pub mod state;
pub mod suggest;
pub mod typed;

pub use key_path::{ConfigError, KeyPath};
pub use log::LogLevel;
pub use notes::{ConfigNote, Notes};
pub use param_group::ParamGroup;
pub use registry::{Registry, kind_of};
pub use suggest::did_you_mean;
pub use typed::{OneOrMany, from_table, from_value};
