//! Model configs, typed and checked without a tensor backend, so the schedule
//! preview and the web editor refuse `hidden_sizes = [0]` before anything trains.
//!
//! [`ModelSpec`] is what `model = {type = ...}` parses into; [`model_spec_registry`]
//! holds the built-in types. A type registered by a user of the crate parses into
//! [`ModelSpec::External`] (its table kept for its own builder).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::base::registry::{Registry, declared_type};
use crate::base::{ConfigError, KeyPath, from_table};

/// `activation = "relu" | "tanh" | "sigmoid" | "gelu" | "linear"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    #[default]
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// The exact (erf) GELU.
    Gelu,
    /// The identity (TensorFlow Playground's "Linear").
    Linear,
}

impl Activation {
    /// Every activation, in the order the web form lists them.
    pub const ALL: [Activation; 5] = [
        Self::Relu,
        Self::Tanh,
        Self::Sigmoid,
        Self::Gelu,
        Self::Linear,
    ];

    /// The config name (`"relu"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
            Self::Gelu => "gelu",
            Self::Linear => "linear",
        }
    }
}

/// The `MLP` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpCfg {
    /// `"MLP"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Input features (2 for the 2-D sets, 64 for digits).
    pub in_features: usize,
    /// Width of each hidden layer (may be empty: logistic regression).
    #[serde(default)]
    pub hidden_sizes: Vec<usize>,
    /// Output classes.
    pub num_classes: usize,
    /// Hidden activation.
    #[serde(default)]
    pub activation: Activation,
    /// Dropout probability after each hidden activation (training only).
    #[serde(default)]
    pub dropout: f64,
}

/// The `DigitsCNN` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsCnnCfg {
    /// `"DigitsCNN"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Output classes (10 digits).
    #[serde(default = "ten")]
    pub num_classes: usize,
    /// Channels of the two convolutions.
    #[serde(default = "default_channels")]
    pub channels: [usize; 2],
    /// Width of the hidden fully connected layer.
    #[serde(default = "default_cnn_hidden")]
    pub hidden: usize,
    /// Dropout before the classifier (training only).
    #[serde(default)]
    pub dropout: f64,
}

/// The `GAN2d` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gan2dCfg {
    /// `"GAN2d"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Size of the generator's Gaussian noise input.
    #[serde(default = "two")]
    pub latent_dim: usize,
    /// Hidden widths of both networks.
    #[serde(default = "default_gan_hidden")]
    pub hidden_sizes: Vec<usize>,
    /// Hidden activation of both networks.
    #[serde(default)]
    pub activation: Activation,
}

fn ten() -> usize {
    10
}
fn two() -> usize {
    2
}
fn default_channels() -> [usize; 2] {
    [16, 32]
}
fn default_cnn_hidden() -> usize {
    64
}
fn default_gan_hidden() -> Vec<usize> {
    vec![32, 32]
}

/// A model config, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// `MLP`.
    Mlp(MlpCfg),
    /// `DigitsCNN`.
    DigitsCnn(DigitsCnnCfg),
    /// `GAN2d`.
    Gan2d(Gan2dCfg),
    /// A type registered by a user of the crate: its table, for its own builder.
    External {
        /// The `type`.
        type_name: String,
        /// The whole table (`type` included).
        table: Map<String, Value>,
    },
}

impl ModelSpec {
    /// The `type` name.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Mlp(c) => &c.type_name,
            Self::DigitsCnn(c) => &c.type_name,
            Self::Gan2d(c) => &c.type_name,
            Self::External { type_name, .. } => type_name,
        }
    }

    /// A builder for [`Registry::register`] that accepts a user's own model type as
    /// it is written (its own builder checks it when the model is built).
    pub fn external(dict: &Map<String, Value>, _path: &KeyPath) -> Result<Self, ConfigError> {
        Ok(Self::External {
            type_name: declared_type(dict),
            table: dict.clone(),
        })
    }
}

/// Refuses a zero layer width, naming its index (`model.hidden_sizes[1]`).
pub fn check_widths(widths: &[usize], path: &KeyPath) -> Result<(), ConfigError> {
    match widths.iter().position(|&w| w == 0) {
        Some(i) => Err(path
            .index(i)
            .error("expected a positive layer width, got 0")),
        None => Ok(()),
    }
}

/// Refuses a dropout probability outside `[0, 1)`.
pub fn check_dropout(p: f64, path: &KeyPath) -> Result<(), ConfigError> {
    if (0.0..1.0).contains(&p) {
        Ok(())
    } else {
        Err(path.error(format!("expected 0 <= dropout < 1, got {p}")))
    }
}

fn check_classes(n: usize, path: &KeyPath) -> Result<(), ConfigError> {
    if n < 2 {
        return Err(path.error(format!("expected at least 2 classes, got {n}")));
    }
    Ok(())
}

impl MlpCfg {
    /// Parses and checks an `MLP` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        if cfg.in_features == 0 {
            return Err(path
                .key("in_features")
                .error("expected a positive number of features, got 0"));
        }
        check_classes(cfg.num_classes, &path.key("num_classes"))?;
        check_widths(&cfg.hidden_sizes, &path.key("hidden_sizes"))?;
        check_dropout(cfg.dropout, &path.key("dropout"))?;
        Ok(cfg)
    }
}

impl DigitsCnnCfg {
    /// Parses and checks a `DigitsCNN` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        check_classes(cfg.num_classes, &path.key("num_classes"))?;
        if let Some(i) = cfg.channels.iter().position(|&c| c == 0) {
            return Err(path
                .key("channels")
                .index(i)
                .error("expected a positive channel count, got 0"));
        }
        if cfg.hidden == 0 {
            return Err(path.key("hidden").error("expected a positive width, got 0"));
        }
        check_dropout(cfg.dropout, &path.key("dropout"))?;
        Ok(cfg)
    }
}

impl Gan2dCfg {
    /// Parses and checks a `GAN2d` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        if cfg.latent_dim == 0 {
            return Err(path
                .key("latent_dim")
                .error("expected a positive size, got 0"));
        }
        check_widths(&cfg.hidden_sizes, &path.key("hidden_sizes"))?;
        Ok(cfg)
    }
}

/// The built-in model types: `MLP`, `DigitsCNN`, `GAN2d`. Add your own with
/// `registry.register("MyNet", ModelSpec::external)` (and its builder in the runner's
/// model registry).
pub fn model_spec_registry() -> Registry<ModelSpec> {
    let mut registry = Registry::new("model");
    registry.register("MLP", |d, p| MlpCfg::parse(d, p).map(ModelSpec::Mlp));
    registry.register("DigitsCNN", |d, p| {
        DigitsCnnCfg::parse(d, p).map(ModelSpec::DigitsCnn)
    });
    registry.register("GAN2d", |d, p| Gan2dCfg::parse(d, p).map(ModelSpec::Gan2d));
    registry
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn build(v: Value) -> Result<ModelSpec, ConfigError> {
        model_spec_registry().build(&v, &KeyPath::root().key("model"))
    }

    #[test]
    fn built_in_models_are_checked_without_a_backend() {
        let ok = build(json!({"type": "MLP", "in_features": 2, "num_classes": 2}));
        assert!(matches!(ok, Ok(ModelSpec::Mlp(_))));
        let e = build(
            json!({"type": "MLP", "in_features": 2, "num_classes": 2, "hidden_sizes": [8, 0]}),
        )
        .unwrap_err();
        assert_eq!(e.path, "model.hidden_sizes[1]");
        let e = build(json!({"type": "MLP", "in_features": 2, "num_clases": 2})).unwrap_err();
        assert_eq!(e.path, "model.num_clases");
        assert!(e.message.contains("Did you mean `num_classes`?"), "{e}");
        let e =
            build(json!({"type": "MLP", "in_features": 2, "num_classes": 2, "activation": "tahn"}))
                .unwrap_err();
        assert!(e.message.contains("Did you mean `tanh`?"), "{e}");
        let e = build(json!({"type": "DigitsCNN", "channels": [0, 3]})).unwrap_err();
        assert_eq!(e.path, "model.channels[0]");
        let e = build(json!({"type": "GAN2d", "latent_dim": 0})).unwrap_err();
        assert_eq!(e.path, "model.latent_dim");
        let e = build(json!({"type": "ResNet", "depth": 50})).unwrap_err();
        assert_eq!(e.path, "model.type");
    }

    #[test]
    fn user_types_are_kept_as_written() {
        let mut r = model_spec_registry();
        r.register("Mine", ModelSpec::external);
        let spec = r
            .build(&json!({"type": "Mine", "k": 1}), &KeyPath::root())
            .expect("registered");
        assert_eq!(spec.type_name(), "Mine");
    }
}
