//! Model configs, typed and checked without a tensor backend, so the schedule
//! preview and the web editor refuse `hidden_sizes = [0]` before anything trains.
//!
//! [`ModelSpec`] is what `model = {type = ...}` parses into; [`model_spec_registry`]
//! holds the built-in types. A type registered by a user of the crate parses into
//! [`ModelSpec::External`] (its table kept for its own builder).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::sequence_spec::{CharGruCfg, TinyGptCfg};
use crate::base::registry::{Registry, declared_type};
use crate::base::{ConfigError, KeyPath, from_table};
use crate::data::Task;

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
    /// Input features (2 for the 2-D sets, 64 for digits); taken from the training
    /// data when omitted.
    #[serde(default)]
    pub in_features: Option<usize>,
    /// Width of each hidden layer (may be empty: logistic regression).
    #[serde(default)]
    pub hidden_sizes: Vec<usize>,
    /// Outputs: the classes (1 for a regression); taken from the training data when
    /// omitted.
    #[serde(default)]
    pub num_classes: Option<usize>,
    /// `{type = "CrossEntropyLoss"}` or `{type = "MSELoss"}`; from the data's task
    /// when omitted.
    #[serde(default)]
    pub loss: Option<LossCfg>,
    /// Hidden activation.
    #[serde(default)]
    pub activation: Activation,
    /// Dropout probability after each hidden activation (training only).
    #[serde(default)]
    pub dropout: f64,
}

/// A model's loss (`loss = {type = "MSELoss"}`), MMEngine's head-loss form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum LossCfg {
    /// Cross-entropy of the class scores (classification).
    CrossEntropyLoss,
    /// Mean squared error of one output (regression).
    #[serde(rename = "MSELoss")]
    MseLoss,
}

impl LossCfg {
    /// The loss a task trains with.
    pub fn for_task(task: Task) -> Self {
        match task {
            Task::Classification | Task::Sequence => Self::CrossEntropyLoss,
            Task::Regression => Self::MseLoss,
        }
    }

    /// The task the loss trains.
    pub fn task(self) -> Task {
        match self {
            Self::CrossEntropyLoss => Task::Classification,
            Self::MseLoss => Task::Regression,
        }
    }
}

/// What a model's sizes must fit: the training data's inputs, classes and task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataShape {
    /// Model inputs per sample (after feature inputs).
    pub inputs: usize,
    /// Classes (0 for regression).
    pub num_classes: usize,
    /// Classes or a value.
    pub task: Task,
    /// What the data is, for messages (`"CSVDataset iris.csv"`).
    pub source: String,
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
    /// `TinyGPT`.
    TinyGpt(TinyGptCfg),
    /// `CharGRU`.
    CharGru(CharGruCfg),
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
            Self::TinyGpt(c) => &c.type_name,
            Self::CharGru(c) => &c.type_name,
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

pub(crate) fn check_classes(n: usize, path: &KeyPath) -> Result<(), ConfigError> {
    if n < 2 {
        return Err(path.error(format!("expected at least 2 classes, got {n}")));
    }
    Ok(())
}

impl MlpCfg {
    /// Parses and checks an `MLP` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        if cfg.in_features == Some(0) {
            return Err(path
                .key("in_features")
                .error("expected a positive number of features, got 0"));
        }
        match (cfg.num_classes, cfg.loss) {
            (Some(n), Some(LossCfg::MseLoss)) if n != 1 => {
                return Err(path.key("num_classes").error(format!(
                    "an MSELoss model has one output, got num_classes = {n}"
                )));
            }
            (Some(n), Some(LossCfg::MseLoss)) if n == 1 => {}
            (Some(n), _) => check_classes(n, &path.key("num_classes"))?,
            (None, _) => {}
        }
        check_widths(&cfg.hidden_sizes, &path.key("hidden_sizes"))?;
        check_dropout(cfg.dropout, &path.key("dropout"))?;
        Ok(cfg)
    }
}

impl MlpCfg {
    /// Fills the omitted sizes and the loss from the training data; a size given
    /// that does not fit is an error naming both numbers.
    pub fn fit(&mut self, data: &DataShape, path: &KeyPath) -> Result<(), ConfigError> {
        let loss = *self.loss.get_or_insert(LossCfg::for_task(data.task));
        if loss.task() != data.task {
            return Err(path.key("loss").error(format!(
                "{loss:?} trains {}, but {} is {}",
                loss.task().name(),
                data.source,
                data.task.name()
            )));
        }
        match self.in_features {
            Some(n) if n != data.inputs => {
                return Err(path.key("in_features").error(format!(
                    "the model takes {n} input features, but {} gives {} per sample: set in_features = {} or omit it",
                    data.source, data.inputs, data.inputs
                )));
            }
            _ => self.in_features = Some(data.inputs),
        }
        let outputs = match data.task {
            Task::Classification => data.num_classes,
            Task::Regression => 1,
            Task::Sequence => {
                return Err(path.error(format!(
                    "an MLP does not read token sequences ({}): use TinyGPT or CharGRU",
                    data.source
                )));
            }
        };
        match self.num_classes {
            Some(n) if n != outputs => Err(path.key("num_classes").error(format!(
                "the model has {n} outputs, but {} has {} {}: set num_classes = {outputs} or omit it",
                data.source,
                outputs,
                if data.task == Task::Regression { "target" } else { "classes" }
            ))),
            _ => {
                self.num_classes = Some(outputs);
                Ok(())
            }
        }
    }

    /// Layer sizes, input to output, once the sizes are known (given or fitted).
    pub fn sizes(&self, path: &KeyPath) -> Result<Vec<usize>, ConfigError> {
        let (Some(i), Some(o)) = (self.in_features, self.num_classes) else {
            return Err(path.error(
                "in_features and num_classes are taken from the training data when omitted; without a training dataset give both",
            ));
        };
        let mut sizes = vec![i];
        sizes.extend(&self.hidden_sizes);
        sizes.push(o);
        Ok(sizes)
    }
}

impl ModelSpec {
    /// Fits a built-in model to the training data: the MLP's omitted sizes and loss
    /// are filled in; a size that does not fit (an MLP's, or a DigitsCNN with fewer
    /// outputs than the data has classes) is an error naming both numbers.
    pub fn fit(&mut self, data: &DataShape, path: &KeyPath) -> Result<(), ConfigError> {
        match self {
            Self::Mlp(c) => c.fit(data, path),
            Self::DigitsCnn(c) => {
                if data.task != Task::Classification {
                    return Err(path.error(format!(
                        "DigitsCNN classifies, but {} is a regression",
                        data.source
                    )));
                }
                if data.inputs != 64 {
                    return Err(path.error(format!(
                        "DigitsCNN takes 8×8 images (64 inputs), but {} gives {} per sample",
                        data.source, data.inputs
                    )));
                }
                if c.num_classes < data.num_classes {
                    return Err(path.key("num_classes").error(format!(
                        "the model has {} outputs, but {} has {} classes",
                        c.num_classes, data.source, data.num_classes
                    )));
                }
                Ok(())
            }
            Self::TinyGpt(c) => c.fit(data, path),
            Self::CharGru(c) => c.fit(data, path),
            Self::Gan2d(_) | Self::External { .. } => Ok(()),
        }
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

/// The built-in model types: `MLP`, `DigitsCNN`, `GAN2d`, `TinyGPT`, `CharGRU`. Add your own with
/// `registry.register("MyNet", ModelSpec::external)` (and its builder in the runner's
/// model registry).
pub fn model_spec_registry() -> Registry<ModelSpec> {
    let mut registry = Registry::new("model");
    registry.register("MLP", |d, p| MlpCfg::parse(d, p).map(ModelSpec::Mlp));
    registry.register("DigitsCNN", |d, p| {
        DigitsCnnCfg::parse(d, p).map(ModelSpec::DigitsCnn)
    });
    registry.register("GAN2d", |d, p| Gan2dCfg::parse(d, p).map(ModelSpec::Gan2d));
    registry.register("TinyGPT", |d, p| {
        TinyGptCfg::parse(d, p).map(ModelSpec::TinyGpt)
    });
    registry.register("CharGRU", |d, p| {
        CharGruCfg::parse(d, p).map(ModelSpec::CharGru)
    });
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
