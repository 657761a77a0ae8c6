//! Dataset configs, typed and checked without a tensor backend: the built-in types,
//! their sizes (`len(dataset)`, so `len(train_dataloader)` follows from the config)
//! and how each is built into [`Samples`].

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::csv_dataset::CsvCfg;
use super::csv_table::CsvData;
use super::digits::{DIGITS_CSV, parse_digits};
use super::samples::{Samples, fake_data, split_indices};
use super::schema::{DataSchema, FeatureInput};
use super::sequence_task::SequenceTaskCfg;
use super::text_dataset::{TextCfg, TextData};
use super::toy2d::Toy2d;
use crate::base::registry::{Registry, declared_type};
use crate::base::{ConfigError, KeyPath, from_table};

/// Share of samples held out for validation when a dataset does not say (`val_ratio`).
pub const DEFAULT_VAL_RATIO: f64 = 0.2;

/// The UCI 8×8 handwritten digits: 1,797 images.
pub const DIGITS_SAMPLES: u64 = 1_797;

/// Which part of a dataset a dataloader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// All but the held-out share.
    #[default]
    Train,
    /// The held-out share (`val_ratio`).
    Val,
    /// The held-out share too (the built-in sets have no third part).
    Test,
}

/// The split every built-in dataset shares: `val_ratio` held out by a seeded shuffle.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toy2dCfg {
    /// `"Circle"`, `"Xor"`, `"Gauss"` or `"Spiral"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Points generated (before the split).
    #[serde(default)]
    pub num_samples: Option<u64>,
    /// Noise in [0, 1] (TensorFlow Playground's slider / 100).
    #[serde(default)]
    pub noise: f64,
    /// Seed of the points and of the split.
    #[serde(default)]
    pub seed: u64,
    /// `train`, `val` or `test`.
    #[serde(default)]
    pub split: Split,
    /// Share held out for `val`.
    #[serde(default = "val_ratio")]
    pub val_ratio: f64,
    /// TensorFlow Playground's inputs (`"x1"`, `"x2"`, `"x1*x2"`, `"x1^2"`, `"x2^2"`,
    /// `"sin(x1)"`, `"sin(x2)"`), computed from each point; the point itself when
    /// omitted.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// `features`, parsed.
    #[serde(skip)]
    pub inputs: Vec<FeatureInput>,
}

/// `Digits`: the UCI 8×8 digits shipped in `public/data/digits`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsCfg {
    /// `"Digits"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Seed of the split.
    #[serde(default)]
    pub seed: u64,
    /// `train`, `val` or `test`.
    #[serde(default)]
    pub split: Split,
    /// Share held out for `val`.
    #[serde(default = "val_ratio")]
    pub val_ratio: f64,
}

/// `FakeData` (torchvision's idea): `num_samples` samples of uniform noise in [-1, 1)
/// of `sample_shape`, with random labels among `num_classes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeDataCfg {
    /// `"FakeData"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Samples generated (before the split).
    #[serde(default)]
    pub num_samples: Option<u64>,
    /// Shape of one sample.
    #[serde(default = "default_shape")]
    pub sample_shape: Vec<usize>,
    /// Number of classes.
    #[serde(default = "ten")]
    pub num_classes: usize,
    /// Seed of the samples and the split.
    #[serde(default)]
    pub seed: u64,
    /// `train`, `val` or `test`.
    #[serde(default)]
    pub split: Split,
    /// Share held out for `val`.
    #[serde(default = "val_ratio")]
    pub val_ratio: f64,
}

fn val_ratio() -> f64 {
    DEFAULT_VAL_RATIO
}
fn default_shape() -> Vec<usize> {
    vec![784]
}
fn ten() -> usize {
    10
}

/// A dataset config, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSpec {
    /// One of TensorFlow Playground's 2-D sets.
    Toy2d(Toy2d, Toy2dCfg),
    /// The UCI digits.
    Digits(DigitsCfg),
    /// Noise with random labels.
    FakeData(FakeDataCfg),
    /// A CSV file, and its rows once read
    /// ([`crate::config::ExperimentConfig::read_data_files`]).
    Csv(CsvCfg, Option<Arc<CsvData>>),
    /// An algorithmic token-sequence task (`SequenceTask`).
    Sequence(SequenceTaskCfg),
    /// Character-level text (`TextDataset`), and the file once read.
    Text(TextCfg, Option<Arc<TextData>>),
    /// A type registered by a user of the crate: its table, for its own builder.
    External {
        /// The `type`.
        type_name: String,
        /// The whole table.
        table: Map<String, Value>,
    },
}

fn held_out(total: u64, ratio: f64, split: Split) -> u64 {
    let val = (total as f64 * ratio).floor() as u64;
    match split {
        Split::Train => total - val,
        Split::Val | Split::Test => val,
    }
}

fn take(all: Samples, ratio: f64, split: Split, seed: u64) -> Samples {
    let (train, val) = split_indices(all.len(), ratio, seed);
    match split {
        Split::Train => all.subset(&train),
        Split::Val | Split::Test => all.subset(&val),
    }
}

impl DatasetSpec {
    /// The `type` name.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Toy2d(_, c) => &c.type_name,
            Self::Digits(c) => &c.type_name,
            Self::FakeData(c) => &c.type_name,
            Self::Csv(c, _) => &c.type_name,
            Self::Sequence(c) => &c.type_name,
            Self::Text(c, _) => &c.type_name,
            Self::External { type_name, .. } => type_name,
        }
    }

    /// Samples in the configured split: `floor(n × val_ratio)` for `val`/`test`, the
    /// rest for `train`; `None` for a user's type (known once built).
    pub fn len(&self) -> Option<u64> {
        match self {
            Self::Toy2d(_, c) => Some(held_out(c.num_samples?, c.val_ratio, c.split)),
            Self::Digits(c) => Some(held_out(DIGITS_SAMPLES, c.val_ratio, c.split)),
            Self::FakeData(c) => Some(held_out(c.num_samples?, c.val_ratio, c.split)),
            Self::Csv(c, data) => Some(c.len(data.as_ref()?)),
            Self::Sequence(c) => Some(c.len()),
            Self::Text(c, data) => Some(c.len(data.as_ref()?)),
            Self::External { .. } => None,
        }
    }

    /// Whether the split has no samples (`Some(0)`).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The samples of the configured split; a user's type through `external` (where
    /// it was registered).
    pub fn build(
        &self,
        external: &Registry<Samples>,
        path: &KeyPath,
    ) -> Result<Samples, ConfigError> {
        Ok(match self {
            Self::Toy2d(set, c) => {
                let points = set.generate(c.num_samples.unwrap_or(0) as usize, c.noise, c.seed);
                let all = Samples {
                    features: points.xy.iter().flatten().copied().collect(),
                    sample_shape: vec![2],
                    labels: points.labels.iter().map(|&l| i64::from(l)).collect(),
                    num_classes: 2,
                    values: Vec::new(),
                    schema: Some(Arc::new(DataSchema {
                        feature_names: vec!["x1".into(), "x2".into()],
                        inputs: c.inputs.clone(),
                        ..DataSchema::default()
                    })),
                    token_targets: Vec::new(),
                };
                take(all, c.val_ratio, c.split, c.seed)
            }
            Self::Digits(c) => {
                let all = parse_digits(DIGITS_CSV)
                    .map_err(|e| path.error(format!("the shipped digits file: {e}")))?;
                take(all, c.val_ratio, c.split, c.seed)
            }
            Self::FakeData(c) => {
                let all = fake_data(
                    c.num_samples.unwrap_or(0) as usize,
                    c.sample_shape.clone(),
                    c.num_classes,
                    c.seed,
                );
                take(all, c.val_ratio, c.split, c.seed)
            }
            Self::Csv(c, data) => match data {
                Some(data) => c.build(data),
                None => {
                    return Err(path.key("path").error(format!(
                        "the file `{}` was not read: load the config from a file (its path is relative to the config), or upload the file in the web app",
                        c.path
                    )));
                }
            },
            Self::Sequence(c) => c.build(),
            Self::Text(c, data) => match data {
                Some(data) => c.build(data),
                None => {
                    return Err(path.key("path").error(format!(
                        "the file `{}` was not read: load the config from a file (its path is relative to the config), or give the file to the web app",
                        c.path
                    )));
                }
            },
            Self::External { table, .. } => external.build(&Value::Object(table.clone()), path)?,
        })
    }

    /// A builder for [`Registry::register`] that accepts a user's own dataset type as
    /// written (its runtime builder checks it).
    pub fn external(dict: &Map<String, Value>, _path: &KeyPath) -> Result<Self, ConfigError> {
        Ok(Self::External {
            type_name: declared_type(dict),
            table: dict.clone(),
        })
    }
}

fn check_samples(n: Option<u64>, kind: &str, path: &KeyPath) -> Result<(), ConfigError> {
    match n {
        None => Err(path
            .key("num_samples")
            .error(format!("missing: {kind} needs num_samples"))),
        Some(0) => Err(path
            .key("num_samples")
            .error("expected a positive integer, got 0")),
        Some(_) => Ok(()),
    }
}

fn check_ratio(r: f64, path: &KeyPath) -> Result<(), ConfigError> {
    if (0.0..1.0).contains(&r) {
        Ok(())
    } else {
        Err(path
            .key("val_ratio")
            .error(format!("expected 0 <= val_ratio < 1, got {r}")))
    }
}

/// Keys of the built-in dataset types, and the sample count a form gives a type that
/// needs one: what the web form keeps, drops and adds when the dataset type changes.
pub fn dataset_keys(type_name: &str) -> Option<(&'static [&'static str], Option<u64>)> {
    const TOY: &[&str] = &[
        "type",
        "num_samples",
        "noise",
        "seed",
        "split",
        "val_ratio",
        "features",
    ];
    const CSV: &[&str] = &[
        "type",
        "path",
        "label_column",
        "feature_columns",
        "task",
        "normalize",
        "delimiter",
        "seed",
        "split",
        "val_ratio",
    ];
    const DIGITS: &[&str] = &["type", "seed", "split", "val_ratio"];
    const FAKE: &[&str] = &[
        "type",
        "num_samples",
        "sample_shape",
        "num_classes",
        "seed",
        "split",
        "val_ratio",
    ];
    const SEQUENCE: &[&str] = &[
        "type",
        "task",
        "length",
        "vocab",
        "digits",
        "modulus",
        "num_samples",
        "train_fraction",
        "val_ratio",
        "seed",
        "split",
    ];
    const TEXT: &[&str] = &["type", "path", "block_size", "stride", "val_ratio", "split"];
    match type_name {
        "Circle" | "Xor" | "Gauss" | "Spiral" => Some((TOY, Some(500))),
        "SequenceTask" => Some((SEQUENCE, Some(2000))),
        "TextDataset" => Some((TEXT, None)),
        "Digits" => Some((DIGITS, None)),
        "FakeData" => Some((FAKE, Some(1000))),
        "CSVDataset" => Some((CSV, None)),
        _ => None,
    }
}

/// The built-in dataset types: `Circle`, `Xor`, `Gauss`, `Spiral` (TensorFlow
/// Playground's 2-D sets: `num_samples`, `noise`, `seed`, `split`, `val_ratio`,
/// `features`), `Digits` (`split`, `val_ratio`, `seed` of the split), `FakeData`
/// (`num_samples`, `sample_shape`, `num_classes`, `seed`, `split`, `val_ratio`) and
/// `CSVDataset` (see [`super::csv_dataset`]).
/// Add your own with `registry.register("MyData", DatasetSpec::external)`.
pub fn dataset_spec_registry() -> Registry<DatasetSpec> {
    let mut registry = Registry::new("dataset");
    for set in [Toy2d::Circle, Toy2d::Xor, Toy2d::Gauss, Toy2d::Spiral] {
        registry.register(set.name(), move |dict, path| {
            let mut c: Toy2dCfg = from_table(dict, path)?;
            check_samples(c.num_samples, set.name(), path)?;
            if let Some(names) = &c.features {
                c.inputs = FeatureInput::parse_list(names, &path.key("features"))?;
            }
            if !(0.0..=1.0).contains(&c.noise) {
                return Err(path
                    .key("noise")
                    .error(format!("expected 0 <= noise <= 1, got {}", c.noise)));
            }
            check_ratio(c.val_ratio, path)?;
            Ok(DatasetSpec::Toy2d(set, c))
        });
    }
    registry.register("CSVDataset", |dict, path| {
        let c: CsvCfg = from_table(dict, path)?;
        c.check(path)?;
        Ok(DatasetSpec::Csv(c, None))
    });
    registry.register("SequenceTask", |dict, path| {
        let c: SequenceTaskCfg = from_table(dict, path)?;
        c.check(path)?;
        Ok(DatasetSpec::Sequence(c))
    });
    registry.register("TextDataset", |dict, path| {
        let c: TextCfg = from_table(dict, path)?;
        c.check(path)?;
        Ok(DatasetSpec::Text(c, None))
    });
    registry.register("Digits", |dict, path| {
        let c: DigitsCfg = from_table(dict, path)?;
        check_ratio(c.val_ratio, path)?;
        Ok(DatasetSpec::Digits(c))
    });
    registry.register("FakeData", |dict, path| {
        let c: FakeDataCfg = from_table(dict, path)?;
        check_samples(c.num_samples, "FakeData", path)?;
        if c.sample_shape.is_empty() || c.sample_shape.contains(&0) {
            return Err(path.key("sample_shape").error(format!(
                "expected a list of positive integers, found {:?}",
                c.sample_shape
            )));
        }
        if c.num_classes < 2 {
            return Err(path.key("num_classes").error(format!(
                "expected an integer of at least 2, found {}",
                c.num_classes
            )));
        }
        check_ratio(c.val_ratio, path)?;
        Ok(DatasetSpec::FakeData(c))
    });
    registry
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
