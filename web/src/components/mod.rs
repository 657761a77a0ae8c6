//! One file per component.

pub mod config_panel;
pub mod env_panel;
pub mod knobs;
pub mod schedule_panel;
pub mod schedulers;
pub mod train_panel;
