//! `CSVDataset`: a table of your own. Its config, the seeded split (stratified by
//! class, because real files are often sorted by label) and the standardisation
//! taken from the train split.
//!
//! ```toml
//! train_dataloader.dataset = {type = "CSVDataset", path = "iris.csv", label_column = "species"}
//! ```
//!
//! The file is read once, when the config is loaded ([`crate::config::ExperimentConfig::read_data_files`]):
//! natively from `path` relative to the config file, in the browser from an upload.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;

use super::csv_table::{CsvData, CsvOptions};
use super::samples::{Samples, split_indices};
use super::schema::{DataSchema, Normalization, Task, mean_std};
use super::spec::{DEFAULT_VAL_RATIO, Split};
use crate::base::{ConfigError, KeyPath};

/// The `CSVDataset` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvCfg {
    /// `"CSVDataset"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The file: relative to the config file natively, an uploaded file's name in the
    /// browser.
    pub path: String,
    /// The label column; the last column when omitted.
    #[serde(default)]
    pub label_column: Option<String>,
    /// The feature columns, in this order; every other column when omitted.
    #[serde(default)]
    pub feature_columns: Option<Vec<String>>,
    /// `"classification"` or `"regression"`; inferred when omitted (text labels, or
    /// at most 20 distinct integers: classes).
    #[serde(default)]
    pub task: Option<Task>,
    /// Standardise the features (and a regression target) with the train split's
    /// mean and standard deviation.
    #[serde(default = "yes")]
    pub normalize: bool,
    /// The field separator (one ASCII character).
    #[serde(default = "comma")]
    pub delimiter: String,
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

fn yes() -> bool {
    true
}
fn comma() -> String {
    ",".into()
}
fn val_ratio() -> f64 {
    DEFAULT_VAL_RATIO
}

impl CsvCfg {
    /// Checks the keys a file is not needed for.
    pub fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        if self.path.trim().is_empty() {
            return Err(path
                .key("path")
                .error("expected the CSV file's path, got \"\""));
        }
        self.delimiter_byte(path)?;
        if self.task == Some(Task::Sequence) {
            return Err(path.key("task").error(
                "a CSV table's task is \"classification\" or \"regression\"; token sequences come from SequenceTask or TextDataset",
            ));
        }
        if !(0.0..1.0).contains(&self.val_ratio) {
            return Err(path.key("val_ratio").error(format!(
                "expected 0 <= val_ratio < 1, got {}",
                self.val_ratio
            )));
        }
        Ok(())
    }

    fn delimiter_byte(&self, path: &KeyPath) -> Result<u8, ConfigError> {
        match self.delimiter.as_bytes() {
            [b] if b.is_ascii() && *b != b'"' && *b != b'\n' => Ok(*b),
            _ => Err(path.key("delimiter").error(format!(
                "expected one ASCII character such as \",\" or \";\", got {:?}",
                self.delimiter
            ))),
        }
    }

    /// How to read the file.
    pub fn options(&self, path: &KeyPath) -> Result<CsvOptions, ConfigError> {
        Ok(CsvOptions {
            label_column: self.label_column.clone(),
            feature_columns: self.feature_columns.clone(),
            task: self.task,
            delimiter: self.delimiter_byte(path)?,
        })
    }

    /// The samples of the configured split, standardised with the train split's
    /// statistics when `normalize`.
    pub fn build(&self, data: &CsvData) -> Samples {
        let (train, val) = csv_split(data, self.val_ratio, self.seed);
        let all = Samples {
            features: data.features.clone(),
            sample_shape: vec![data.feature_names.len()],
            labels: data.labels.clone(),
            num_classes: data.class_names.len(),
            values: data.values.clone(),
            schema: None,
            token_targets: Vec::new(),
        };
        let train_set = all.subset(&train);
        let normalization = self.normalize.then(|| {
            let k = data.feature_names.len();
            let (feature_mean, feature_std) = (0..k)
                .map(|c| {
                    mean_std(
                        train_set
                            .features
                            .iter()
                            .skip(c)
                            .step_by(k)
                            .map(|&v| f64::from(v)),
                    )
                })
                .unzip();
            let target = (data.task == Task::Regression)
                .then(|| mean_std(train_set.values.iter().map(|&v| f64::from(v))));
            Normalization {
                feature_mean,
                feature_std,
                target_mean: target.map(|t| t.0),
                target_std: target.map(|t| t.1),
            }
        });
        let schema = Arc::new(DataSchema {
            task: data.task,
            feature_names: data.feature_names.clone(),
            inputs: Vec::new(),
            class_names: data.class_names.clone(),
            target_name: Some(data.target_name.clone()),
            normalization,
            sequence: None,
        });
        let mut out = match self.split {
            Split::Train => train_set,
            Split::Val | Split::Test => all.subset(&val),
        };
        out.schema = Some(schema);
        out
    }

    /// Samples in the configured split of `data` (what `build` returns).
    pub fn len(&self, data: &CsvData) -> u64 {
        let n = data.rows() as u64;
        let val = (n as f64 * self.val_ratio).floor() as u64;
        match self.split {
            Split::Train => n - val,
            Split::Val | Split::Test => val,
        }
    }
}

/// The train/val split of a table: `floor(n × val_ratio)` rows held out, drawn from
/// every class in proportion (largest remainders) for classification, at random for
/// regression; seeded, so every dataloader of a config sees the same split.
pub fn csv_split(data: &CsvData, val_ratio: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n = data.rows();
    if data.task == Task::Regression {
        return split_indices(n, val_ratio, seed);
    }
    let n_val = (n as f64 * val_ratio).floor() as usize;
    let counts = data.class_counts();
    let quota: Vec<f64> = counts.iter().map(|&c| c as f64 * val_ratio).collect();
    let mut take: Vec<usize> = quota
        .iter()
        .zip(&counts)
        .map(|(q, &c)| (q.floor() as usize).min(c))
        .collect();
    let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        (quota[b] - quota[b].floor())
            .total_cmp(&(quota[a] - quota[a].floor()))
            .then(a.cmp(&b))
    });
    // Hand out (or take back) single rows until the total is exactly n_val.
    let mut total: usize = take.iter().sum();
    let mut i = 0;
    while total < n_val && i < 4 * counts.len() + n {
        let c = by_remainder[i % counts.len()];
        if take[c] < counts[c] {
            take[c] += 1;
            total += 1;
        }
        i += 1;
    }
    let mut i = 0;
    while total > n_val && i < 4 * counts.len() + n {
        let c = by_remainder[counts.len() - 1 - i % counts.len()];
        if take[c] > 0 {
            take[c] -= 1;
            total -= 1;
        }
        i += 1;
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_c5f0);
    let (mut train, mut val) = (Vec::with_capacity(n - n_val), Vec::with_capacity(n_val));
    for (class, &k) in take.iter().enumerate() {
        let mut rows: Vec<usize> = (0..n).filter(|&r| data.labels[r] == class as i64).collect();
        for j in (1..rows.len()).rev() {
            rows.swap(j, rng.random_range(0..=j));
        }
        val.extend_from_slice(&rows[..k]);
        train.extend_from_slice(&rows[k..]);
    }
    // Mix the classes, so a split is not sorted by label either.
    for j in (1..train.len()).rev() {
        train.swap(j, rng.random_range(0..=j));
    }
    for j in (1..val.len()).rev() {
        val.swap(j, rng.random_range(0..=j));
    }
    (train, val)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv_table::read_csv;

    fn data(text: &str) -> CsvData {
        read_csv(text.as_bytes(), "t.csv", &CsvOptions::default()).expect("reads")
    }

    fn cfg(split: Split) -> CsvCfg {
        CsvCfg {
            type_name: "CSVDataset".into(),
            path: "t.csv".into(),
            label_column: None,
            feature_columns: None,
            task: None,
            normalize: true,
            delimiter: ",".into(),
            seed: 3,
            split,
            val_ratio: 0.2,
        }
    }

    /// 60 rows sorted by label: 30 of `a`, 20 of `b`, 10 of `c`.
    fn sorted() -> CsvData {
        let mut t = String::from("x,y,label\n");
        for (class, n) in [("a", 30), ("b", 20), ("c", 10)] {
            for i in 0..n {
                t.push_str(&format!("{i},{},{class}\n", 2 * i));
            }
        }
        data(&t)
    }

    #[test]
    fn the_split_is_stratified_disjoint_and_seeded() {
        let d = sorted();
        let (train, val) = csv_split(&d, 0.2, 3);
        assert_eq!(val.len(), 12);
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<_>>());
        let per_class = |idx: &[usize], c: i64| idx.iter().filter(|&&i| d.labels[i] == c).count();
        assert_eq!([0, 1, 2].map(|c| per_class(&val, c)), [6, 4, 2]);
        assert_eq!(csv_split(&d, 0.2, 3), (train.clone(), val.clone()));
        assert_ne!(csv_split(&d, 0.2, 4).1, val);
        // Not sorted by label any more.
        assert!(
            train[..24]
                .iter()
                .any(|&i| d.labels[i] != d.labels[train[0]])
        );
        for ratio in [0.0, 0.1, 0.33, 0.5, 0.95] {
            let (t, v) = csv_split(&d, ratio, 1);
            assert_eq!(v.len(), (60.0 * ratio).floor() as usize, "{ratio}");
            assert_eq!(t.len() + v.len(), 60);
        }
    }

    #[test]
    fn splits_are_standardised_with_the_train_statistics() {
        let d = sorted();
        let train = cfg(Split::Train).build(&d);
        let val = cfg(Split::Val).build(&d);
        assert_eq!(train.len() as u64, cfg(Split::Train).len(&d));
        assert_eq!(val.len() as u64, cfg(Split::Val).len(&d));
        assert_eq!(train.schema, val.schema);
        let schema = train.schema.as_ref().expect("a schema");
        let encoded = schema.encode(&train.features);
        let (m, s) = mean_std(encoded.iter().step_by(2).map(|&v| f64::from(v)));
        assert!(m.abs() < 1e-6 && (s - 1.0).abs() < 1e-6, "{m} {s}");
        // Raw values are kept; the model input is standardised.
        assert!(train.features.iter().any(|&v| v > 5.0));
        assert_eq!(train.class_names(), ["a", "b", "c"]);
        let mut raw = cfg(Split::Train);
        raw.normalize = false;
        assert_eq!(raw.build(&d).schema.expect("schema").normalization, None);
    }

    #[test]
    fn a_regression_target_is_standardised_too() {
        let mut t = String::from("x,price\n");
        for i in 0..50 {
            t.push_str(&format!("{i},{}.5\n", 100 + 3 * i));
        }
        let d = data(&t);
        assert_eq!(d.task, Task::Regression);
        let train = cfg(Split::Train).build(&d);
        let schema = train.schema.expect("schema");
        let (m, s) = schema.target_scale();
        assert!(m > 150.0 && s > 30.0, "{m} {s}");
        assert_eq!(train.num_classes, 0);
        assert_eq!(train.values.len(), 40);
    }
}
