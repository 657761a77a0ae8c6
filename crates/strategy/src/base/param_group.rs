//! Optimizer hyper-parameters as schedulers see them: one map per parameter group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One optimizer parameter group's scalar hyper-parameters: `lr`, `momentum` (SGD's
/// momentum, or `betas[0]` for Adam-like optimizers), `weight_decay`, and the keys
/// schedulers add (`initial_lr`, OneCycle's `max_lr` / `min_lr`, ...).
///
/// Keys are MMEngine's `param_groups` keys, so a scheduler's `param_name` addresses them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParamGroup {
    values: BTreeMap<String, f64>,
}

impl ParamGroup {
    /// A group with the given values.
    pub fn new<'a>(values: impl IntoIterator<Item = (&'a str, f64)>) -> Self {
        Self {
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// The value of `key`, if the group has it.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied()
    }

    /// Sets `key`.
    pub fn set(&mut self, key: &str, value: f64) {
        // Schedulers set existing keys every step: no allocation on that path.
        match self.values.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                self.values.insert(key.to_string(), value);
            }
        }
    }

    /// Sets `key` only when absent (Python's `setdefault`).
    pub fn set_default(&mut self, key: &str, value: f64) {
        self.values.entry(key.to_string()).or_insert(value);
    }

    /// Whether the group has `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Every key and value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, v)| (k.as_str(), *v))
    }
}
