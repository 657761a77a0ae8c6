//! One file per component, and the chart helpers they share ([`plot`]).

pub mod config_panel;
pub mod curves;
pub mod data_panel;
pub mod env_panel;
pub mod knobs;
pub mod network_panel;
pub mod output_panel;
pub mod plot;
pub mod runs_panel;
pub mod schedule_panel;
pub mod schedulers;
pub mod sequence_panel;
pub mod train_panel;
