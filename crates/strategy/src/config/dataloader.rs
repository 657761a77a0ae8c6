//! `train_dataloader`, `val_dataloader`, `test_dataloader`: batch size, sampler and
//! dataset, typed. PyTorch's data-loading knobs (`num_workers`, `pin_memory`, …)
//! cannot change a result here (the data is in memory) and become notes.

use serde::Deserialize;
use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::registry::Registry;
use crate::base::typed::from_value;
use crate::data::DatasetSpec;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataloaderRaw {
    #[serde(default)]
    batch_size: Option<u64>,
    #[serde(default)]
    dataset: Option<Value>,
    #[serde(default)]
    sampler: Option<SamplerRaw>,
    #[serde(default)]
    batch_sampler: Option<Value>,
    #[serde(default)]
    drop_last: Option<bool>,
    #[serde(default)]
    shuffle: Option<Value>,
    #[serde(default)]
    collate_fn: Option<Value>,
    #[serde(default)]
    num_workers: Option<Value>,
    #[serde(default)]
    persistent_workers: Option<Value>,
    #[serde(default)]
    pin_memory: Option<Value>,
    #[serde(default)]
    prefetch_factor: Option<Value>,
    #[serde(default)]
    timeout: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SamplerRaw {
    #[serde(rename = "type", default)]
    sampler_type: Option<String>,
    #[serde(default)]
    shuffle: Option<bool>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    round_up: Option<bool>,
}

/// A dataloader config, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DataloaderCfg {
    /// Samples per batch.
    pub batch_size: Option<u64>,
    /// The dataset; `None` when absent (or, in a lenient check, when it had an error).
    pub dataset: Option<DatasetSpec>,
    /// `sampler.shuffle`; `None`: shuffle the training set only.
    pub shuffle: Option<bool>,
    /// Drop the last incomplete batch.
    pub drop_last: bool,
    /// `sampler.seed`: the shuffling seed instead of the run's.
    pub seed: Option<u64>,
    /// `sampler.round_up`: pad every epoch's order to a multiple of the world size
    /// (MMEngine's default, `true`).
    pub round_up: bool,
    /// `sampler.type = "InfiniteSampler"`: the same batches as `DefaultSampler` on one
    /// device; with several, its stream of permutations is sliced across epoch
    /// boundaries, which the data-parallel loop does not do (it refuses it).
    pub infinite: bool,
}

impl DataloaderCfg {
    /// Parses a dataloader table found at `path`. An error in its dataset goes to
    /// `problems` (the rest is still read, so a schedule can use the batch size).
    pub fn parse(
        v: &Value,
        path: &KeyPath,
        datasets: &Registry<DatasetSpec>,
        notes: &mut Notes,
        problems: &mut Vec<ConfigError>,
    ) -> Result<Self, ConfigError> {
        let raw: DataloaderRaw = from_value(v, path)?;
        if raw.batch_size == Some(0) {
            return Err(path
                .key("batch_size")
                .error("expected a positive batch size, got 0"));
        }
        if raw.batch_sampler.is_some() {
            return Err(path.key("batch_sampler").error(
                "a batch sampler (e.g. AspectRatioBatchSampler) is not available here; remove it (batches of batch_size are used)",
            ));
        }
        if raw.shuffle.is_some() {
            return Err(path.key("shuffle").error(
                "MMEngine dataloaders shuffle through their sampler: write sampler = {type = \"DefaultSampler\", shuffle = true}",
            ));
        }
        let mut shuffle = None;
        let mut seed = None;
        let mut round_up = true;
        let mut infinite = false;
        if let Some(s) = &raw.sampler {
            let at = path.key("sampler");
            match s.sampler_type.as_deref() {
                None | Some("DefaultSampler") => {}
                Some("InfiniteSampler") => {
                    infinite = true;
                    notes.add(
                        &at.key("type"),
                        "InfiniteSampler reshuffles every pass over the data, as the DefaultSampler used here does; with one device the two give the same batches",
                    );
                }
                Some(other) => {
                    return Err(at.key("type").error(format!(
                        "unknown sampler type `{other}`.{} Known types: DefaultSampler, InfiniteSampler",
                        crate::base::did_you_mean(other, ["DefaultSampler", "InfiniteSampler"])
                    )));
                }
            }
            shuffle = s.shuffle;
            seed = s.seed;
            round_up = s.round_up.unwrap_or(true);
        }
        if let Some(c) = &raw.collate_fn {
            let kind = c.get("type").and_then(Value::as_str);
            match kind {
                Some("default_collate") | Some("pseudo_collate") => notes.add(
                    &path.key("collate_fn"),
                    "the built-in datasets are stacked into one tensor per batch whichever collate function is named",
                ),
                _ => {
                    return Err(path.key("collate_fn").error(format!(
                        "expected {{type = \"default_collate\"}} or {{type = \"pseudo_collate\"}}, got {c}"
                    )));
                }
            }
        }
        for (key, present) in [
            ("num_workers", raw.num_workers.is_some()),
            ("persistent_workers", raw.persistent_workers.is_some()),
            ("pin_memory", raw.pin_memory.is_some()),
            ("prefetch_factor", raw.prefetch_factor.is_some()),
            ("timeout", raw.timeout.is_some()),
        ] {
            if present {
                notes.add(
                    &path.key(key),
                    "a PyTorch loading knob: the data is in memory here, so it changes nothing",
                );
            }
        }
        let dataset = match &raw.dataset {
            None | Some(Value::Null) => None,
            Some(d) => match datasets.build(d, &path.key("dataset")) {
                Ok(spec) => Some(spec),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
        };
        Ok(Self {
            batch_size: raw.batch_size,
            dataset,
            shuffle,
            drop_last: raw.drop_last.unwrap_or(false),
            seed,
            round_up,
            infinite,
        })
    }

    /// MMEngine's `len(dataloader)` on one device: `ceil(samples / batch_size)`, or
    /// `floor` with `drop_last`; `None` when the batch size or the dataset's size is
    /// unknown.
    pub fn len(&self) -> Option<u64> {
        self.len_per_rank(1)
    }

    /// `len(dataloader)` on each of `world_size` ranks: the rank's share of the
    /// (padded) samples, `ceil(samples / world_size)`, in batches. (Without `round_up`
    /// the ranks differ; this is rank 0's, the longest.)
    pub fn len_per_rank(&self, world_size: u64) -> Option<u64> {
        let batch = self.batch_size?;
        let n = self.dataset.as_ref()?.len()?.div_ceil(world_size.max(1));
        Some(if self.drop_last {
            n / batch
        } else {
            n.div_ceil(batch)
        })
    }

    /// Whether it yields no batch (`Some(0)`).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::data::dataset_spec_registry;

    fn parse(v: Value) -> (Result<DataloaderCfg, ConfigError>, Notes, Vec<ConfigError>) {
        let mut notes = Notes::default();
        let mut problems = Vec::new();
        let r = DataloaderCfg::parse(
            &v,
            &KeyPath::root().key("train_dataloader"),
            &dataset_spec_registry(),
            &mut notes,
            &mut problems,
        );
        (r, notes, problems)
    }

    #[test]
    fn an_mmengine_dataloader_reads_with_notes() {
        let (r, notes, problems) = parse(json!({
            "batch_size": 16, "num_workers": 2, "persistent_workers": true,
            "sampler": {"type": "DefaultSampler", "shuffle": true, "seed": 7},
            "collate_fn": {"type": "pseudo_collate"},
            "dataset": {"type": "Spiral", "num_samples": 100}
        }));
        let cfg = r.expect("parses");
        assert_eq!(
            (cfg.shuffle, cfg.seed, cfg.len()),
            (Some(true), Some(7), Some(5))
        );
        assert!(problems.is_empty());
        let paths: Vec<&str> = notes.0.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "train_dataloader.collate_fn",
                "train_dataloader.num_workers",
                "train_dataloader.persistent_workers"
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let (r, _, _) = parse(json!({"batch_size": 4, "batchsize": 4}));
        let e = r.unwrap_err();
        assert_eq!(e.path, "train_dataloader.batchsize");
        assert!(e.message.contains("Did you mean `batch_size`?"), "{e}");
        let (r, _, _) = parse(json!({"sampler": {"type": "DefaultSampler", "shufle": true}}));
        assert_eq!(r.unwrap_err().path, "train_dataloader.sampler.shufle");
        let (r, _, _) = parse(json!({"sampler": {"type": "GroupSampler"}}));
        assert_eq!(r.unwrap_err().path, "train_dataloader.sampler.type");
        let (r, _, problems) = parse(
            json!({"batch_size": 4, "dataset": {"type": "Spiral", "num_samples": 9, "nosie": 0.3}}),
        );
        assert_eq!(r.expect("the rest parses").batch_size, Some(4));
        assert_eq!(problems[0].path, "train_dataloader.dataset.nosie");
    }
}
