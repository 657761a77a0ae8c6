//! `SequenceTask`: the algorithmic tasks sequence models are first tried on, generated
//! from a seed: `sort` and `reverse` a list of digits, `addition` of two numbers and
//! `modular_addition` (every pair `a + b mod p`, the "grokking" setup).
//!
//! A sample is a prompt and its answer, one token each: `3 1 2 | 1 2 3` (sort),
//! `1 2 + 3 4 = 0 4 6` (addition, answer zero-padded to `digits + 1`), `5 + 9 = 14`
//! (modular addition; the numbers `0 … p-1` are tokens themselves). The model reads
//! the sequence without its last token and predicts every next token; only the
//! answer's tokens are scored (the prompt is masked), so the loss and the metrics are
//! about the answer alone.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;

use super::samples::{Samples, split_count};
use super::schema::{DataSchema, SequenceLayout, Task};
use super::spec::{DEFAULT_VAL_RATIO, Split};
use crate::base::{ConfigError, KeyPath, did_you_mean};

/// The tasks, by config name.
pub const TASKS: [&str; 4] = ["sort", "reverse", "addition", "modular_addition"];

/// The `SequenceTask` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceTaskCfg {
    /// `"SequenceTask"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `"sort"`, `"reverse"`, `"addition"` or `"modular_addition"`.
    pub task: String,
    /// Items in a list (`sort`, `reverse`); default 6.
    #[serde(default)]
    pub length: Option<usize>,
    /// Distinct item values (`sort`, `reverse`: tokens `0 … vocab-1`); default 10.
    #[serde(default)]
    pub vocab: Option<usize>,
    /// Digits of each addend (`addition`); default 2.
    #[serde(default)]
    pub digits: Option<usize>,
    /// The modulus `p` (`modular_addition`); default 97.
    #[serde(default)]
    pub modulus: Option<usize>,
    /// Samples generated before the split (`sort`, `reverse`, `addition`).
    #[serde(default)]
    pub num_samples: Option<u64>,
    /// Share of the pairs that train (`modular_addition`); default 0.3.
    #[serde(default)]
    pub train_fraction: Option<f64>,
    /// Share held out for `val` (`sort`, `reverse`, `addition`).
    #[serde(default)]
    pub val_ratio: Option<f64>,
    /// Seed of the samples and of the split.
    #[serde(default)]
    pub seed: u64,
    /// `train`, `val` or `test`.
    #[serde(default)]
    pub split: Split,
}

/// Which keys each task reads besides `type`, `task`, `seed` and `split` (a key only
/// another task reads is refused, naming these).
pub fn task_keys(task: &str) -> &'static [&'static str] {
    match task {
        "sort" | "reverse" => &["length", "vocab", "num_samples", "val_ratio"],
        "addition" => &["digits", "num_samples", "val_ratio"],
        _ => &["modulus", "train_fraction"],
    }
}

impl SequenceTaskCfg {
    /// Checks the table: a known task, the keys it reads, sizes in range.
    pub fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        if !TASKS.contains(&self.task.as_str()) {
            return Err(path.key("task").error(format!(
                "unknown task `{}`: expected one of {}.{}",
                self.task,
                TASKS.join(", "),
                did_you_mean(&self.task, TASKS)
            )));
        }
        let own = task_keys(&self.task);
        let given = [
            ("length", self.length.is_some()),
            ("vocab", self.vocab.is_some()),
            ("digits", self.digits.is_some()),
            ("modulus", self.modulus.is_some()),
            ("num_samples", self.num_samples.is_some()),
            ("train_fraction", self.train_fraction.is_some()),
            ("val_ratio", self.val_ratio.is_some()),
        ];
        for (key, set) in given {
            if set && !own.contains(&key) {
                return Err(path.key(key).error(format!(
                    "task `{}` does not read `{key}`; it reads {}",
                    self.task,
                    own.join(", ")
                )));
            }
        }
        let positive = |v: Option<usize>, key: &str, max: usize| match v {
            Some(n) if n == 0 || n > max => Err(path
                .key(key)
                .error(format!("expected 1 <= {key} <= {max}, got {n}"))),
            _ => Ok(()),
        };
        positive(self.length, "length", 64)?;
        positive(self.digits, "digits", 9)?;
        if let Some(v) = self.vocab
            && !(2..=1000).contains(&v)
        {
            return Err(path
                .key("vocab")
                .error(format!("expected 2 <= vocab <= 1000, got {v}")));
        }
        if let Some(p) = self.modulus
            && !(2..=1000).contains(&p)
        {
            return Err(path
                .key("modulus")
                .error(format!("expected 2 <= modulus <= 1000, got {p}")));
        }
        if self.task != "modular_addition" {
            match self.num_samples {
                None => {
                    return Err(path
                        .key("num_samples")
                        .error(format!("missing: task `{}` needs num_samples", self.task)));
                }
                Some(0) => {
                    return Err(path
                        .key("num_samples")
                        .error("expected a positive integer, got 0"));
                }
                Some(_) => {}
            }
        }
        if let Some(r) = self.val_ratio
            && !(0.0..1.0).contains(&r)
        {
            return Err(path
                .key("val_ratio")
                .error(format!("expected 0 <= val_ratio < 1, got {r}")));
        }
        if let Some(f) = self.train_fraction
            && !(f > 0.0 && f < 1.0)
        {
            return Err(path
                .key("train_fraction")
                .error(format!("expected 0 < train_fraction < 1, got {f}")));
        }
        Ok(())
    }

    fn length(&self) -> usize {
        self.length.unwrap_or(6)
    }
    fn values(&self) -> usize {
        self.vocab.unwrap_or(10)
    }
    fn digits(&self) -> usize {
        self.digits.unwrap_or(2)
    }
    fn modulus(&self) -> usize {
        self.modulus.unwrap_or(97)
    }
    fn train_fraction(&self) -> f64 {
        self.train_fraction.unwrap_or(0.3)
    }
    fn val_ratio(&self) -> f64 {
        self.val_ratio.unwrap_or(DEFAULT_VAL_RATIO)
    }

    /// Samples generated before the split (every pair for modular addition).
    fn total(&self) -> u64 {
        match self.task.as_str() {
            "modular_addition" => (self.modulus() * self.modulus()) as u64,
            _ => self.num_samples.unwrap_or(0),
        }
    }

    /// Samples in the configured split.
    pub fn len(&self) -> u64 {
        let (total, held) = (self.total(), self.held());
        match self.split {
            Split::Train => total - held,
            Split::Val | Split::Test => held,
        }
    }

    /// Samples held out for validation: `total − floor(total × train_fraction)` for
    /// modular addition, `floor(total × val_ratio)` for the others.
    fn held(&self) -> u64 {
        let total = self.total();
        match self.task.as_str() {
            "modular_addition" => total - (total as f64 * self.train_fraction()).floor() as u64,
            _ => (total as f64 * self.val_ratio()).floor() as u64,
        }
    }

    /// The vocabulary, by token id.
    pub fn vocab_tokens(&self) -> Vec<String> {
        let numbers = |n: usize| (0..n).map(|v| v.to_string());
        match self.task.as_str() {
            "sort" | "reverse" => numbers(self.values()).chain(["|".to_string()]).collect(),
            "addition" => numbers(10).chain(["+".into(), "=".into()]).collect(),
            _ => numbers(self.modulus())
                .chain(["+".into(), "=".into()])
                .collect(),
        }
    }

    /// `(prompt tokens, answer tokens)` per sample, the prompt ending with its
    /// separator.
    pub fn lengths(&self) -> (usize, usize) {
        match self.task.as_str() {
            "sort" | "reverse" => (self.length() + 1, self.length()),
            "addition" => (2 * self.digits() + 2, self.digits() + 1),
            _ => (4, 1),
        }
    }

    /// One sequence (prompt then answer) of the task, token ids.
    fn sequence(&self, rng: &mut StdRng) -> Vec<i64> {
        match self.task.as_str() {
            "sort" | "reverse" => {
                let items: Vec<i64> = (0..self.length())
                    .map(|_| rng.random_range(0..self.values()) as i64)
                    .collect();
                let mut answer = items.clone();
                if self.task == "sort" {
                    answer.sort_unstable();
                } else {
                    answer.reverse();
                }
                let sep = self.values() as i64;
                items.into_iter().chain([sep]).chain(answer).collect()
            }
            _ => {
                let d = self.digits();
                let top = 10u64.pow(d as u32);
                let (a, b) = (rng.random_range(0..top), rng.random_range(0..top));
                let mut s = digits_of(a, d);
                s.push(10);
                s.extend(digits_of(b, d));
                s.push(11);
                s.extend(digits_of(a + b, d + 1));
                s
            }
        }
    }

    /// Every sequence of the task before the split.
    fn all_sequences(&self) -> Vec<Vec<i64>> {
        if self.task == "modular_addition" {
            let p = self.modulus() as i64;
            let (plus, eq) = (p, p + 1);
            (0..p)
                .flat_map(|a| (0..p).map(move |b| vec![a, plus, b, eq, (a + b) % p]))
                .collect()
        } else {
            let mut rng = StdRng::seed_from_u64(self.seed);
            (0..self.total()).map(|_| self.sequence(&mut rng)).collect()
        }
    }

    /// The samples of the configured split: inputs are a sequence without its last
    /// token, targets the sequence shifted by one, the prompt's targets masked (-1).
    pub fn build(&self) -> Samples {
        let all = self.all_sequences();
        let (prompt, answer) = self.lengths();
        let block = prompt + answer - 1;
        let (train, val) = split_count(all.len(), self.held() as usize, self.seed);
        let picked = match self.split {
            Split::Train => train,
            Split::Val | Split::Test => val,
        };
        let mut features = Vec::with_capacity(picked.len() * block);
        let mut targets = Vec::with_capacity(picked.len() * block);
        for &i in &picked {
            let s = &all[i];
            features.extend(s[..block].iter().map(|&t| t as f32));
            targets.extend(
                s[1..]
                    .iter()
                    .enumerate()
                    .map(|(pos, &t)| if pos + 1 < prompt { -1 } else { t }),
            );
        }
        let vocab = self.vocab_tokens();
        Samples {
            features,
            sample_shape: vec![block],
            num_classes: vocab.len(),
            token_targets: targets,
            schema: Some(Arc::new(DataSchema {
                task: Task::Sequence,
                class_names: vocab,
                sequence: Some(SequenceLayout {
                    kind: self.task.clone(),
                    block_size: block,
                    prompt_len: prompt - 1,
                }),
                ..DataSchema::default()
            })),
            ..Samples::default()
        }
    }
}

/// `v` as exactly `n` decimal digits, most significant first.
fn digits_of(v: u64, n: usize) -> Vec<i64> {
    let mut out = vec![0i64; n];
    let mut v = v;
    for slot in out.iter_mut().rev() {
        *slot = (v % 10) as i64;
        v /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::data::spec::{DatasetSpec, dataset_spec_registry};

    fn spec(v: serde_json::Value) -> Result<DatasetSpec, ConfigError> {
        dataset_spec_registry().build(&v, &KeyPath::root().key("train_dataloader").key("dataset"))
    }

    fn cfg(v: serde_json::Value) -> SequenceTaskCfg {
        match spec(v).expect("parses") {
            DatasetSpec::Sequence(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sort_samples_are_prompts_with_their_sorted_answers() {
        let c = cfg(json!({"type": "SequenceTask", "task": "sort", "length": 4,
                           "num_samples": 50, "seed": 2}));
        let s = c.build();
        assert_eq!(s.len(), 40);
        assert_eq!(s.sample_shape, [8]);
        assert_eq!(s.vocab().len(), 11);
        for i in 0..s.len() {
            let x: Vec<i64> = s.features[i * 8..(i + 1) * 8]
                .iter()
                .map(|&v| v as i64)
                .collect();
            let y = &s.token_targets[i * 8..(i + 1) * 8];
            let mut sorted = x[..4].to_vec();
            sorted.sort_unstable();
            assert_eq!(x[4], 10, "separator");
            assert_eq!(&y[..4], &[-1, -1, -1, -1], "prompt masked");
            assert_eq!(&y[4..], sorted.as_slice(), "answer");
            // Teacher forcing: the input after the separator is the answer so far.
            assert_eq!(&x[5..], &sorted[..3]);
        }
        let val = cfg(json!({"type": "SequenceTask", "task": "sort", "length": 4,
                             "num_samples": 50, "seed": 2, "split": "val"}));
        assert_eq!(val.build().len() as u64, val.len());
    }

    #[test]
    fn addition_answers_are_the_padded_sums() {
        let c = cfg(
            json!({"type": "SequenceTask", "task": "addition", "digits": 2,
                           "num_samples": 30}),
        );
        let s = c.build();
        let block = s.sample_shape[0];
        assert_eq!(block, 8);
        for i in 0..s.len() {
            let x: Vec<i64> = s.features[i * block..(i + 1) * block]
                .iter()
                .map(|&v| v as i64)
                .collect();
            let y = &s.token_targets[i * block..(i + 1) * block];
            let a = x[0] * 10 + x[1];
            let b = x[3] * 10 + x[4];
            assert_eq!((x[2], x[5]), (10, 11));
            assert_eq!(&y[5..], digits_of((a + b) as u64, 3).as_slice());
            assert!(y[..5].iter().all(|&t| t == -1));
        }
    }

    #[test]
    fn modular_addition_splits_every_pair_once() {
        let train = cfg(json!({"type": "SequenceTask", "task": "modular_addition",
                               "modulus": 11, "train_fraction": 0.4}));
        let val = cfg(json!({"type": "SequenceTask", "task": "modular_addition",
                             "modulus": 11, "train_fraction": 0.4, "split": "val"}));
        let (t, v) = (train.build(), val.build());
        assert_eq!((t.len(), v.len()), (48, 73));
        assert_eq!((train.len(), val.len()), (48, 73));
        let mut pairs: Vec<(i64, i64)> = t
            .features
            .chunks(4)
            .chain(v.features.chunks(4))
            .map(|x| (x[0] as i64, x[2] as i64))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), 121);
        for (x, y) in t.features.chunks(4).zip(t.token_targets.chunks(4)) {
            assert_eq!(y[..3], [-1, -1, -1]);
            assert_eq!(y[3], (x[0] as i64 + x[2] as i64) % 11);
        }
    }

    #[test]
    fn keys_a_task_does_not_read_are_refused() {
        let e =
            spec(json!({"type": "SequenceTask", "task": "sorting", "num_samples": 5})).unwrap_err();
        assert_eq!(e.path, "train_dataloader.dataset.task");
        assert!(e.message.contains("Did you mean `sort`?"), "{e}");
        let e = spec(json!({"type": "SequenceTask", "task": "modular_addition",
                            "num_samples": 5}))
        .unwrap_err();
        assert_eq!(e.path, "train_dataloader.dataset.num_samples");
        let e = spec(json!({"type": "SequenceTask", "task": "sort"})).unwrap_err();
        assert_eq!(e.path, "train_dataloader.dataset.num_samples");
        let e = spec(
            json!({"type": "SequenceTask", "task": "sort", "num_samples": 5,
                            "length": 0}),
        )
        .unwrap_err();
        assert_eq!(e.path, "train_dataloader.dataset.length");
        let e = spec(json!({"type": "SequenceTask", "task": "modular_addition",
                            "train_fraction": 1.0}))
        .unwrap_err();
        assert_eq!(e.path, "train_dataloader.dataset.train_fraction");
    }
}
