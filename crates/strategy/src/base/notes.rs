//! Keys that are accepted although they cannot change the result here (a PyTorch
//! data-loading knob, a scope name): each is a note the run's log prints, so nothing
//! is dropped without a word.

use std::fmt;

use super::key_path::KeyPath;

/// One accepted key and why it makes no difference here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNote {
    /// The key path (`train_dataloader.num_workers`).
    pub path: String,
    /// Why it is accepted and what it does (not) change.
    pub message: String,
}

impl fmt::Display for ConfigNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The notes of one config, in the order the keys were read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes(pub Vec<ConfigNote>);

impl Notes {
    /// Records that `path` was accepted, and why it changes nothing.
    pub fn add(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.0.push(ConfigNote {
            path: path.to_string(),
            message: message.into(),
        });
    }
}
