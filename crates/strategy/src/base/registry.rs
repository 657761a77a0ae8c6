//! The `type=` registry: maps a config's `type` string to a builder.
//!
//! One mechanism for every buildable kind (schedulers now; models, datasets,
//! optimizers, metrics and hooks as they arrive). Users of the crate register their
//! own types with [`Registry::register`]. An unknown name is an error that lists the
//! known ones and suggests the closest.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::key_path::{ConfigError, KeyPath};

/// Builds a `T` from a config dict (with its `type` key still in it). The key path
/// locates the dict in the config for error messages.
pub type Builder<T> =
    Arc<dyn Fn(&Map<String, Value>, &KeyPath) -> Result<T, ConfigError> + Send + Sync>;

/// A name → builder table for one kind of thing (`scheduler`, `model`, ...).
pub struct Registry<T> {
    kind: &'static str,
    builders: BTreeMap<String, Builder<T>>,
}

impl<T> Clone for Registry<T> {
    fn clone(&self) -> Self {
        Self {
            kind: self.kind,
            builders: self.builders.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Registry<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kind", &self.kind)
            .field("types", &self.names())
            .finish()
    }
}

impl<T> Registry<T> {
    /// An empty registry for things of `kind` (used in messages: "unknown scheduler type").
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            builders: BTreeMap::new(),
        }
    }

    /// Registers (or replaces) the builder for `name`.
    pub fn register(
        &mut self,
        name: impl Into<String>,
        builder: impl Fn(&Map<String, Value>, &KeyPath) -> Result<T, ConfigError>
        + Send
        + Sync
        + 'static,
    ) -> &mut Self {
        self.builders.insert(name.into(), Arc::new(builder));
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.builders.keys().map(String::as_str).collect()
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.builders.contains_key(name)
    }

    /// Builds from `cfg`, a dict with a `type` key, found at `path` in the config.
    pub fn build(&self, cfg: &Value, path: &KeyPath) -> Result<T, ConfigError> {
        let Value::Object(dict) = cfg else {
            return Err(path.error(format!(
                "expected a {} config (a table with a `type` key), found {}",
                self.kind,
                kind_of(cfg)
            )));
        };
        let name = match dict.get("type") {
            Some(Value::String(name)) => name,
            Some(other) => {
                return Err(path.key("type").error(format!(
                    "expected a type name (a string), found {}",
                    kind_of(other)
                )));
            }
            None => {
                return Err(path.error(format!(
                    "missing `type`: expected one of the {} types {}",
                    self.kind,
                    self.names().join(", ")
                )));
            }
        };
        match self.builders.get(name) {
            Some(builder) => builder(dict, path),
            None => Err(path.key("type").error(self.unknown_message(name))),
        }
    }

    fn unknown_message(&self, name: &str) -> String {
        let closest = super::suggest::did_you_mean(name, self.builders.keys().map(String::as_str));
        format!(
            "unknown {} type `{name}`.{closest} Known types: {}",
            self.kind,
            self.names().join(", ")
        )
    }
}

/// The `type` a config table names (empty when it names none): what a
/// user-registered kind keeps as its name.
pub fn declared_type(dict: &Map<String, Value>) -> String {
    dict.get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// How a JSON value's kind is named in messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry<String> {
        let mut r = Registry::new("scheduler");
        r.register("CosineAnnealingLR", |_, _| Ok("cos".to_string()));
        r.register("StepLR", |_, _| Ok("step".to_string()));
        r
    }

    #[test]
    fn builds_a_registered_type() {
        let v = serde_json::json!({"type": "StepLR"});
        assert_eq!(
            registry().build(&v, &KeyPath::root()).ok().as_deref(),
            Some("step")
        );
    }

    #[test]
    fn unknown_type_lists_known_ones_and_the_closest() {
        let v = serde_json::json!({"type": "CosineAnealingLR"});
        let err = registry()
            .build(&v, &KeyPath::root().key("param_scheduler").index(1))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("param_scheduler[1].type"), "{msg}");
        assert!(msg.contains("Did you mean `CosineAnnealingLR`?"), "{msg}");
        assert!(
            msg.contains("Known types: CosineAnnealingLR, StepLR"),
            "{msg}"
        );
    }

    #[test]
    fn users_can_register_their_own_types() {
        let mut r = registry();
        r.register("MyWarmup", |cfg, _| {
            Ok(format!("mine with {} keys", cfg.len()))
        });
        let v = serde_json::json!({"type": "MyWarmup", "k": 1});
        assert_eq!(
            r.build(&v, &KeyPath::root()).ok().as_deref(),
            Some("mine with 2 keys")
        );
    }

    #[test]
    fn missing_or_non_string_type_is_named() {
        let err = registry()
            .build(&serde_json::json!({"gamma": 0.1}), &KeyPath::root())
            .unwrap_err();
        assert!(err.to_string().contains("missing `type`"), "{err}");
        let err = registry()
            .build(&serde_json::json!({"type": 3}), &KeyPath::root())
            .unwrap_err();
        assert!(
            err.to_string().contains("type: expected a type name"),
            "{err}"
        );
    }
}
