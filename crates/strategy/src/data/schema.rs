//! What a dataset's columns mean, kept with its samples and written into checkpoints:
//! the task (classes or a value), the names of features and classes, TensorFlow
//! Playground's feature inputs for 2-D sets, and the standardisation the train split
//! gave. [`DataSchema::encode`] turns a raw sample (a plane point, a table row in its
//! own units) into the model's input, the same way for training, evaluation, the
//! decision regions and prediction.

use serde::{Deserialize, Serialize};

use crate::base::{ConfigError, KeyPath, did_you_mean};

/// What the model learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// One class per sample (cross-entropy, accuracy).
    #[default]
    Classification,
    /// One real value per sample (mean squared error, `RegressionMetric`).
    Regression,
    /// The next token at every scored position of a token sequence (cross-entropy
    /// over the vocabulary; `TokenAccuracy`, `ExactMatch`, `Perplexity`).
    Sequence,
}

impl Task {
    /// `"classification"`, `"regression"` or `"sequence"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Classification => "classification",
            Self::Regression => "regression",
            Self::Sequence => "next-token prediction",
        }
    }
}

/// One of TensorFlow Playground's inputs, computed from a 2-D point `(x1, x2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureInput {
    /// `x1`.
    #[serde(rename = "x1")]
    X1,
    /// `x2`.
    #[serde(rename = "x2")]
    X2,
    /// `x1*x2`.
    #[serde(rename = "x1*x2")]
    X1X2,
    /// `x1^2`.
    #[serde(rename = "x1^2")]
    X1Sq,
    /// `x2^2`.
    #[serde(rename = "x2^2")]
    X2Sq,
    /// `sin(x1)`.
    #[serde(rename = "sin(x1)")]
    SinX1,
    /// `sin(x2)`.
    #[serde(rename = "sin(x2)")]
    SinX2,
}

impl FeatureInput {
    /// Every input, in TensorFlow Playground's order.
    pub const ALL: [FeatureInput; 7] = [
        Self::X1,
        Self::X2,
        Self::X1X2,
        Self::X1Sq,
        Self::X2Sq,
        Self::SinX1,
        Self::SinX2,
    ];

    /// The config name (`"x1*x2"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::X1 => "x1",
            Self::X2 => "x2",
            Self::X1X2 => "x1*x2",
            Self::X1Sq => "x1^2",
            Self::X2Sq => "x2^2",
            Self::SinX1 => "sin(x1)",
            Self::SinX2 => "sin(x2)",
        }
    }

    /// Its value at `(x1, x2)`.
    pub fn apply(self, x1: f32, x2: f32) -> f32 {
        match self {
            Self::X1 => x1,
            Self::X2 => x2,
            Self::X1X2 => x1 * x2,
            Self::X1Sq => x1 * x1,
            Self::X2Sq => x2 * x2,
            Self::SinX1 => x1.sin(),
            Self::SinX2 => x2.sin(),
        }
    }

    /// Parses a `features` list, naming a bad entry (`dataset.features[2]`) with the
    /// closest known input, and refusing repeats and an empty list.
    pub fn parse_list(names: &[String], path: &KeyPath) -> Result<Vec<Self>, ConfigError> {
        if names.is_empty() {
            return Err(path.error("expected at least one input, e.g. [\"x1\", \"x2\"]"));
        }
        let mut out: Vec<Self> = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let Some(input) = Self::ALL.into_iter().find(|f| f.name() == name.trim()) else {
                return Err(path.index(i).error(format!(
                    "unknown input `{name}`: expected one of {}.{}",
                    Self::ALL.map(Self::name).join(", "),
                    did_you_mean(name, Self::ALL.map(Self::name))
                )));
            };
            if out.contains(&input) {
                return Err(path.index(i).error(format!("`{name}` is listed twice")));
            }
            out.push(input);
        }
        Ok(out)
    }
}

/// Standardisation from the train split: `(x - mean) / std` per feature (and for a
/// regression target). A constant column keeps `std = 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean of every model input.
    pub feature_mean: Vec<f64>,
    /// Standard deviation (population) of every model input.
    pub feature_std: Vec<f64>,
    /// The target's mean (regression).
    #[serde(default)]
    pub target_mean: Option<f64>,
    /// The target's standard deviation (regression).
    #[serde(default)]
    pub target_std: Option<f64>,
}

/// Mean and population standard deviation of `values` (std 1 for a constant or
/// empty column, so standardising never divides by zero).
pub fn mean_std(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut sum, mut sq) = (0.0f64, 0.0f64, 0.0f64);
    for v in values {
        n += 1.0;
        sum += v;
        sq += v * v;
    }
    if n == 0.0 {
        return (0.0, 1.0);
    }
    let mean = sum / n;
    let var = (sq / n - mean * mean).max(0.0);
    let std = var.sqrt();
    (
        mean,
        if std > 1e-12 * mean.abs().max(1.0) {
            std
        } else {
            1.0
        },
    )
}

/// The meaning of a dataset's samples.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataSchema {
    /// Classes or a value.
    pub task: Task,
    /// The raw features' names (a table's columns; `x1`, `x2` for a plane).
    pub feature_names: Vec<String>,
    /// TensorFlow Playground's inputs computed from a 2-D point; empty: the raw
    /// features are the inputs.
    #[serde(default)]
    pub inputs: Vec<FeatureInput>,
    /// Class names by index, in order of first appearance (classification).
    #[serde(default)]
    pub class_names: Vec<String>,
    /// The label column.
    #[serde(default)]
    pub target_name: Option<String>,
    /// The train split's standardisation, applied after the inputs.
    #[serde(default)]
    pub normalization: Option<Normalization>,
    /// A token sequence's layout (`Task::Sequence`); the vocabulary is `class_names`.
    #[serde(default)]
    pub sequence: Option<SequenceLayout>,
}

/// How a token sequence sample is laid out: `block_size` input tokens, the first
/// `prompt_len` targets not scored (the prompt), the rest scored (the answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SequenceLayout {
    /// What the sequences are (`"sort"`, `"reverse"`, `"addition"`,
    /// `"modular_addition"`, `"text"`).
    pub kind: String,
    /// Input tokens per sample.
    pub block_size: usize,
    /// Targets not scored at the start of a sample (0 for text: every target counts).
    pub prompt_len: usize,
}

impl SequenceLayout {
    /// Scored targets per sample.
    pub fn answer_len(&self) -> usize {
        self.block_size - self.prompt_len
    }
}

impl DataSchema {
    /// Inputs the model sees per sample.
    pub fn input_len(&self) -> usize {
        if let Some(seq) = &self.sequence {
            seq.block_size
        } else if self.inputs.is_empty() {
            self.feature_names.len()
        } else {
            self.inputs.len()
        }
    }

    /// The model's input names.
    pub fn input_names(&self) -> Vec<String> {
        if self.inputs.is_empty() {
            self.feature_names.clone()
        } else {
            self.inputs.iter().map(|f| f.name().to_string()).collect()
        }
    }

    /// Appends the model input of one raw sample (`feature_names.len()` values in
    /// their own units) to `out`: the feature inputs, then the standardisation.
    pub fn encode_into(&self, raw: &[f32], out: &mut Vec<f32>) {
        let start = out.len();
        if self.inputs.is_empty() {
            out.extend_from_slice(raw);
        } else {
            let (x1, x2) = (
                raw.first().copied().unwrap_or(0.0),
                raw.get(1).copied().unwrap_or(0.0),
            );
            out.extend(self.inputs.iter().map(|f| f.apply(x1, x2)));
        }
        if let Some(n) = &self.normalization {
            for (i, v) in out[start..].iter_mut().enumerate() {
                let (m, s) = (
                    n.feature_mean.get(i).copied().unwrap_or(0.0),
                    n.feature_std.get(i).copied().unwrap_or(1.0),
                );
                *v = ((f64::from(*v) - m) / s) as f32;
            }
        }
    }

    /// The model inputs of many raw samples, one after another.
    pub fn encode(&self, raw: &[f32]) -> Vec<f32> {
        let k = self.feature_names.len().max(1);
        let mut out = Vec::with_capacity(raw.len() / k * self.input_len());
        for row in raw.chunks_exact(k) {
            self.encode_into(row, &mut out);
        }
        out
    }

    /// A regression target as the model learns it (standardised when normalised).
    pub fn encode_target(&self, v: f32) -> f32 {
        let (m, s) = self.target_scale();
        ((f64::from(v) - m) / s) as f32
    }

    /// A model output in the target's own units.
    pub fn decode_target(&self, v: f64) -> f64 {
        let (m, s) = self.target_scale();
        v * s + m
    }

    /// The target's `(mean, std)` standardisation (`(0, 1)` when not normalised).
    pub fn target_scale(&self) -> (f64, f64) {
        self.normalization
            .as_ref()
            .map(|n| (n.target_mean.unwrap_or(0.0), n.target_std.unwrap_or(1.0)))
            .unwrap_or((0.0, 1.0))
    }

    /// Why a model trained on `self` cannot be evaluated on data described by
    /// `other` (different task, features or classes), or `None` when it can.
    pub fn mismatch(&self, other: &DataSchema) -> Option<String> {
        if self.task != other.task {
            return Some(format!(
                "the checkpoint's model learned {}, the data is {}",
                self.task.name(),
                other.task.name()
            ));
        }
        if self.input_names() != other.input_names() {
            return Some(format!(
                "the checkpoint's model takes the inputs [{}], the data has [{}]",
                self.input_names().join(", "),
                other.input_names().join(", ")
            ));
        }
        if let (Some(a), Some(b)) = (&self.sequence, &other.sequence)
            && (a.kind != b.kind || a.block_size < b.block_size)
        {
            return Some(format!(
                "the checkpoint's model learned `{}` sequences of {} tokens, the data is `{}` sequences of {}",
                a.kind, a.block_size, b.kind, b.block_size
            ));
        }
        if self.class_names != other.class_names {
            return Some(format!(
                "the checkpoint's classes are [{}] in this order, the data's are [{}]",
                self.class_names.join(", "),
                other.class_names.join(", ")
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_then_standardisation() {
        let s = DataSchema {
            feature_names: vec!["x1".into(), "x2".into()],
            inputs: vec![FeatureInput::X1Sq, FeatureInput::X1X2, FeatureInput::SinX2],
            normalization: Some(Normalization {
                feature_mean: vec![1.0, 0.0, 0.0],
                feature_std: vec![2.0, 1.0, 1.0],
                target_mean: None,
                target_std: None,
            }),
            ..DataSchema::default()
        };
        let out = s.encode(&[3.0, 2.0, -1.0, 0.0]);
        assert_eq!(out.len(), 6);
        assert_eq!(&out[..2], &[4.0, 6.0]);
        assert!((out[2] - 2f32.sin()).abs() < 1e-6);
        assert_eq!(&out[3..5], &[0.0, -0.0]);
    }

    #[test]
    fn targets_round_trip_through_their_scale() {
        let s = DataSchema {
            task: Task::Regression,
            feature_names: vec!["a".into()],
            normalization: Some(Normalization {
                feature_mean: vec![0.0],
                feature_std: vec![1.0],
                target_mean: Some(10.0),
                target_std: Some(4.0),
            }),
            ..DataSchema::default()
        };
        assert_eq!(s.encode_target(18.0), 2.0);
        assert_eq!(s.decode_target(2.0), 18.0);
    }

    #[test]
    fn mean_std_of_a_constant_column_keeps_unit_scale() {
        assert_eq!(mean_std([3.0, 3.0, 3.0].into_iter()), (3.0, 1.0));
        let (m, s) = mean_std([1.0, 3.0].into_iter());
        assert_eq!((m, s), (2.0, 1.0));
        let (_, s) = mean_std([0.0, 4.0].into_iter());
        assert_eq!(s, 2.0);
    }

    #[test]
    fn bad_inputs_are_named() {
        let p = KeyPath::root().key("features");
        let e = FeatureInput::parse_list(&["x1".into(), "x1^3".into()], &p).unwrap_err();
        assert_eq!(e.path, "features[1]");
        assert!(e.message.contains("Did you mean"), "{e}");
        let e = FeatureInput::parse_list(&["x1".into(), "x1".into()], &p).unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
        assert!(FeatureInput::parse_list(&[], &p).is_err());
    }
}
