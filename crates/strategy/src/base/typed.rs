//! Turning a piece of the config tree into a typed struct, with the key path of any
//! mistake (`param_scheduler[1].T_max: invalid type ...`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::key_path::{ConfigError, KeyPath};

/// Deserialises `value` (found at `path`) into `T`; unknown keys are errors where `T`
/// says `deny_unknown_fields`.
pub fn from_value<T: DeserializeOwned>(value: &Value, path: &KeyPath) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let at = path.join_dotted(&e.path().to_string());
        at.error(super::suggest::enrich_serde_message(&e.inner().to_string()))
    })
}

/// [`from_value`] for a config table (a registry builder's `dict`).
pub fn from_table<T: DeserializeOwned>(
    dict: &serde_json::Map<String, Value>,
    path: &KeyPath,
) -> Result<T, ConfigError> {
    from_value(&Value::Object(dict.clone()), path)
}

/// A value that may be written as one item or a list of them (`eta_max = 0.1` or
/// `eta_max = [0.1, 0.05]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// As a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            Self::One(v) => vec![v.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}
