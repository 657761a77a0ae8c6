//! Datasets in host memory, built from a `train_dataloader.dataset` table: every sample's
//! raw features (flattened, row-major), its class label or target value, and what the
//! columns mean ([`DataSchema`]).

use std::sync::Arc;

use serde_json::Value;

use super::schema::{DataSchema, Task};

use super::spec::dataset_spec_registry;
use crate::base::registry::Registry;

/// Samples and labels, in host memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Samples {
    /// Every sample's raw features (before the schema's inputs and standardisation),
    /// flattened, one after another.
    pub features: Vec<f32>,
    /// The shape of one raw sample (`[2]` for points, `[1, 8, 8]` for digits).
    pub sample_shape: Vec<usize>,
    /// The class of every sample (classification; empty for regression).
    pub labels: Vec<i64>,
    /// How many classes there are (0 for regression).
    pub num_classes: usize,
    /// The target of every sample, raw (regression; empty for classification).
    pub values: Vec<f32>,
    /// What the columns mean and how a raw sample becomes the model's input; `None`:
    /// the raw features are the input, labels are classes.
    pub schema: Option<Arc<DataSchema>>,
    /// A token sequence's next token at every input position (`Task::Sequence`;
    /// `sample_size()` per sample, -1 where the target is not scored: the prompt).
    /// The inputs are the token ids in `features`.
    pub token_targets: Vec<i64>,
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        if self.token_targets.is_empty() {
            self.labels.len().max(self.values.len())
        } else {
            self.token_targets.len() / self.sample_size().max(1)
        }
    }

    /// Classes or values.
    pub fn task(&self) -> Task {
        self.schema
            .as_ref()
            .map_or(Task::Classification, |s| s.task)
    }

    /// Inputs the model sees per sample (after the schema's feature inputs).
    pub fn input_size(&self) -> usize {
        self.schema
            .as_ref()
            .map_or_else(|| self.sample_size(), |s| s.input_len())
    }

    /// Class names by index (`"0"`, `"1"`, … when the data does not name them).
    pub fn class_names(&self) -> Vec<String> {
        match &self.schema {
            Some(s) if !s.class_names.is_empty() => s.class_names.clone(),
            _ => (0..self.num_classes).map(|c| c.to_string()).collect(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Features per sample.
    pub fn sample_size(&self) -> usize {
        self.sample_shape.iter().product()
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Samples {
        let k = self.sample_size();
        let mut features = Vec::with_capacity(indices.len() * k);
        for &i in indices {
            features.extend_from_slice(&self.features[i * k..(i + 1) * k]);
        }
        let pick = |v: &[f32]| {
            if v.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| v[i]).collect()
            }
        };
        Samples {
            features,
            sample_shape: self.sample_shape.clone(),
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.labels[i]).collect()
            },
            num_classes: self.num_classes,
            values: pick(&self.values),
            schema: self.schema.clone(),
            token_targets: if self.token_targets.is_empty() {
                Vec::new()
            } else {
                let mut t = Vec::with_capacity(indices.len() * k);
                for &i in indices {
                    t.extend_from_slice(&self.token_targets[i * k..(i + 1) * k]);
                }
                t
            },
        }
    }

    /// The vocabulary of a token sequence set (`Task::Sequence`), by id.
    pub fn vocab(&self) -> &[String] {
        match &self.schema {
            Some(s) if s.sequence.is_some() => &s.class_names,
            _ => &[],
        }
    }
}

/// The `train`/`val` split every built-in dataset uses: a seeded shuffle, then
/// `floor(n × val_ratio)` samples for `val` and the rest for `train` (what
/// [`DatasetSpec::len`] counts).
pub fn split_indices(n: usize, val_ratio: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    split_count(n, (n as f64 * val_ratio).floor() as usize, seed)
}

/// As [`split_indices`], with exactly `n_val` (at most `n`) samples held out.
pub fn split_count(n: usize, n_val: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_5b17);
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let n_val = n_val.min(n);
    (order[n_val..].to_vec(), order[..n_val].to_vec())
}

/// `n` samples of uniform noise in [-1, 1) with uniformly random labels, from `seed`.
pub(crate) fn fake_data(
    n: usize,
    sample_shape: Vec<usize>,
    num_classes: usize,
    seed: u64,
) -> Samples {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    let mut rng = StdRng::seed_from_u64(seed);
    let k: usize = sample_shape.iter().product();
    let features = (0..n * k).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let labels = (0..n)
        .map(|_| rng.random_range(0..num_classes) as i64)
        .collect();
    Samples {
        features,
        sample_shape,
        labels,
        num_classes,
        ..Samples::default()
    }
}

/// The built-in dataset types (see [`dataset_spec_registry`]), built from a table;
/// a runner's registry for user types starts from it. Register your own with
/// [`Registry::register`] (a builder returns the [`Samples`] of its split) and the
/// config layer's `Registries::datasets` with `DatasetSpec::external`.
pub fn dataset_registry() -> Registry<Samples> {
    let specs = dataset_spec_registry();
    let mut registry = Registry::new("dataset");
    for name in specs.names() {
        let specs = specs.clone();
        registry.register(name, move |dict, path| {
            specs
                .build(&Value::Object(dict.clone()), path)?
                .build(&Registry::new("dataset"), path)
        });
    }
    registry
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::base::KeyPath;

    #[test]
    fn built_datasets_have_the_sizes_the_schedule_counts() {
        let reg = dataset_registry();
        let p = KeyPath::root().key("train_dataloader").key("dataset");
        for cfg in [
            json!({"type": "Spiral", "num_samples": 500, "noise": 0.1, "split": "train"}),
            json!({"type": "Spiral", "num_samples": 500, "split": "val"}),
            json!({"type": "Digits", "split": "train"}),
            json!({"type": "Digits", "split": "val", "val_ratio": 0.5}),
            json!({"type": "Xor", "num_samples": 37, "val_ratio": 0.3}),
            json!({"type": "FakeData", "num_samples": 50, "sample_shape": [3, 4]}),
        ] {
            let s = reg.build(&cfg, &p).expect("builds");
            let spec = dataset_spec_registry().build(&cfg, &p).expect("parses");
            assert_eq!(Some(s.len() as u64), spec.len(), "{cfg}");
            assert_eq!(s.features.len(), s.len() * s.sample_size());
        }
    }

    #[test]
    fn train_and_val_never_share_a_sample() {
        let (train, val) = split_indices(1_797, 0.2, 3);
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1_797).collect::<Vec<_>>());
        assert_eq!(val.len(), 359);
    }

    #[test]
    fn fake_data_has_its_shape_classes_and_seed() {
        let reg = dataset_registry();
        let p = KeyPath::root().key("train_dataloader").key("dataset");
        let cfg = json!({"type": "FakeData", "num_samples": 200, "sample_shape": [784],
                         "num_classes": 10, "seed": 3});
        let a = reg.build(&cfg, &p).expect("builds");
        assert_eq!((a.len(), a.sample_size(), a.num_classes), (160, 784, 10));
        assert!(a.features.iter().all(|x| (-1.0..1.0).contains(x)));
        assert!(a.labels.iter().all(|&l| (0..10).contains(&l)));
        // Every class shows up in 160 draws, and the same seed gives the same set.
        assert!((0..10).all(|c| a.labels.contains(&c)));
        assert_eq!(reg.build(&cfg, &p).expect("builds"), a);
        let other = reg
            .build(
                &json!({"type": "FakeData", "num_samples": 200, "seed": 4}),
                &p,
            )
            .expect("builds");
        assert_ne!(other.features, a.features);
        for (bad, key) in [
            (
                json!({"type": "FakeData", "num_samples": 5, "sample_shape": [0]}),
                "sample_shape",
            ),
            (
                json!({"type": "FakeData", "num_samples": 5, "sample_shape": []}),
                "sample_shape",
            ),
            (
                json!({"type": "FakeData", "num_samples": 5, "num_classes": 1}),
                "num_classes",
            ),
            (json!({"type": "FakeData"}), "num_samples"),
        ] {
            let err = reg.build(&bad, &p).expect_err("rejected");
            assert_eq!(err.path, format!("train_dataloader.dataset.{key}"), "{bad}");
        }
    }

    #[test]
    fn bad_dataset_fields_are_named() {
        let reg = dataset_registry();
        let p = KeyPath::root().key("train_dataloader").key("dataset");
        let err = reg
            .build(
                &json!({"type": "Spiral", "num_samples": 10, "noise": "lots"}),
                &p,
            )
            .expect_err("bad noise");
        assert_eq!(err.path, "train_dataloader.dataset.noise");
        let err = reg
            .build(&json!({"type": "Spirals", "num_samples": 10}), &p)
            .expect_err("typo");
        assert!(
            err.message.contains("Did you mean `Spiral`"),
            "{}",
            err.message
        );
    }
}
