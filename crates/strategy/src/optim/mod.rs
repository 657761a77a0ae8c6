//! Optimizers and optimizer wrappers. Today: their configs ([`config`]); the
//! training core adds the optimizers themselves.

pub mod config;
