//! Key-level checks shared by the families: unknown keys with the closest known one,
//! ranges, and the values a form starts a new scheduler with.

use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

use super::{FamilyConfig, Window};
use crate::base::{ConfigError, KeyPath};
use crate::scheduler::error::SchedulerError;
use crate::scheduler::steps::Steps;

/// The keys a derived `Deserialize` struct knows (serde hands them to
/// `deserialize_struct`); empty for anything else.
fn field_names<T: de::DeserializeOwned>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("only the field names were wanted"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    // The error is the point: it stops serde once the names are known.
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

/// Refuses keys that neither the family nor the window knows, naming the key path and
/// the closest known key.
pub(super) fn refuse_unknown<C: FamilyConfig>(
    own: &Map<String, Value>,
    common_keys: &[&str],
    path: &KeyPath,
) -> Result<(), ConfigError> {
    let fields = field_names::<C>();
    let Some(unknown) = own.keys().find(|k| !fields.contains(&k.as_str())) else {
        return Ok(());
    };
    let known: Vec<&str> = fields.iter().chain(common_keys).copied().collect();
    let hint = known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&k.to_lowercase(), &unknown.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" did you mean `{k}`?"))
        .unwrap_or_default();
    Err(path.key(unknown).error(format!(
        "unknown field `{unknown}`;{hint} The keys of this scheduler are {}",
        known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// `v` must lie in [0, 1].
pub fn unit_interval(path: &KeyPath, key: &str, v: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a value between 0 and 1, got {v}")))
    }
}

/// `v` must be finite.
pub fn finite(path: &KeyPath, key: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a finite number, got {v}")))
    }
}

/// `v` must be 1 or more.
pub fn positive(path: &KeyPath, key: &str, v: i64) -> Result<(), ConfigError> {
    if v >= 1 {
        Ok(())
    } else {
        Err(path
            .key(key)
            .error(format!("expected a positive integer, got {v}")))
    }
}

/// `v` (at `path`) must be a whole number of steps, unless `convert_to_iter_based` is
/// still to scale it (then the scaled value is checked). `mmengine` says what MMEngine
/// would do with the fraction.
pub fn whole_steps(
    path: &KeyPath,
    v: Steps,
    window: &Window<'_>,
    mmengine: &str,
) -> Result<(), ConfigError> {
    if window.convert_to_iter_based || v.whole().is_some() {
        Ok(())
    } else {
        Err(path.error(format!(
            "expected a whole number of steps, got {v}: {mmengine}"
        )))
    }
}

/// `v` as an integer when a resolved scheduler is built (its config was checked, so
/// only a spec attached without [`resolve`](crate::scheduler::SchedulerSpec::resolve)
/// can fail here).
pub fn resolved(v: Steps, key: &str, window: &Window<'_>) -> Result<i64, SchedulerError> {
    v.whole().ok_or_else(|| {
        SchedulerError::Invalid(format!(
            "{}: {key} = {v} is not a whole number of steps (resolve the spec before attaching it)",
            window.type_name
        ))
    })
}

/// A value as a config form writes it (TOML-like).
#[derive(Debug, Clone, PartialEq)]
pub enum FormValue {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'static str),
    /// A list of integers.
    Ints(Vec<i64>),
    /// A list of floats.
    Floats(Vec<f64>),
}

impl FormValue {
    /// As a `toml_edit` value (what the web form writes into the config text).
    pub fn to_toml(&self) -> toml_edit::Value {
        match self {
            Self::Int(v) => (*v).into(),
            Self::Float(v) => (*v).into(),
            Self::Bool(v) => (*v).into(),
            Self::Str(v) => (*v).into(),
            Self::Ints(v) => toml_edit::Value::Array(v.iter().copied().collect()),
            Self::Floats(v) => toml_edit::Value::Array(v.iter().copied().collect()),
        }
    }

    /// As JSON (the config tree's form).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Int(v) => (*v).into(),
            Self::Float(v) => (*v).into(),
            Self::Bool(v) => (*v).into(),
            Self::Str(v) => (*v).into(),
            Self::Ints(v) => v.clone().into(),
            Self::Floats(v) => v.clone().into(),
        }
    }
}
