//! One file per component.

pub mod config_panel;
pub mod env_panel;
