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

/// `../shared/reference` (the real MMEngine's cases), or `PLAYGROUND_REFERENCE_DIR`:
/// read by the tests of every layer.
#[cfg(all(test, not(target_family = "wasm")))]
pub(crate) fn reference_dir() -> std::path::PathBuf {
    std::env::var_os("PLAYGROUND_REFERENCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
        })
}
pub use log::LogLevel;
pub use notes::{ConfigNote, Notes};
pub use param_group::ParamGroup;
pub use registry::{Registry, kind_of};
pub use suggest::did_you_mean;
pub use typed::{OneOrMany, from_table, from_value};
