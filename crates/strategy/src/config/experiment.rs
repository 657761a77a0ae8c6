//! The whole experiment config, typed: MMEngine's top-level keys.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::key_path::{ConfigError, KeyPath};
use super::source::{Format, apply_cfg_options, load_tree, parse_text};
use super::typed::from_value;
use crate::optim::config::{OptimWrapperConfig, parse_optim_wrapper};
use crate::registry::{Registry, kind_of};
use crate::scheduler::spec::{SchedulerSpec, scheduler_registry};

/// `train_cfg`: which loop and for how long.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainCfg {
    /// `EpochBasedTrainLoop` or `IterBasedTrainLoop` (MMEngine's alternative to `by_epoch`).
    #[serde(rename = "type", default)]
    pub loop_type: Option<String>,
    /// Epoch-based (true) or iteration-based loop.
    #[serde(default)]
    pub by_epoch: Option<bool>,
    /// Epochs, for an epoch-based loop.
    #[serde(default)]
    pub max_epochs: Option<i64>,
    /// Iterations, for an iteration-based loop.
    #[serde(default)]
    pub max_iters: Option<i64>,
    /// Validate every this many epochs (or iterations).
    #[serde(default = "one")]
    pub val_interval: i64,
    /// First epoch (or iteration) that validates.
    #[serde(default = "one")]
    pub val_begin: i64,
    /// MMEngine's `[(milestone, interval), ...]`; kept, not used yet.
    #[serde(default)]
    pub dynamic_intervals: Option<Value>,
}

fn one() -> i64 {
    1
}

/// The loop a `train_cfg` describes, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainLoop {
    /// `max_epochs` epochs.
    EpochBased {
        /// Number of epochs.
        max_epochs: i64,
    },
    /// `max_iters` iterations.
    IterBased {
        /// Number of iterations.
        max_iters: i64,
    },
}

impl TrainCfg {
    /// Checks the loop settings and says which loop it is.
    pub fn train_loop(&self, path: &KeyPath) -> Result<TrainLoop, ConfigError> {
        let by_epoch = match (self.loop_type.as_deref(), self.by_epoch) {
            (Some("EpochBasedTrainLoop"), Some(false))
            | (Some("IterBasedTrainLoop"), Some(true)) => {
                return Err(path.key("by_epoch").error("contradicts `type`"));
            }
            (Some("EpochBasedTrainLoop"), _) => true,
            (Some("IterBasedTrainLoop"), _) => false,
            (Some(other), _) => {
                return Err(path.key("type").error(format!(
                    "unknown loop type `{other}`. Known types: EpochBasedTrainLoop, IterBasedTrainLoop"
                )));
            }
            (None, Some(b)) => b,
            (None, None) => self.max_iters.is_none(),
        };
        if self.val_interval < 1 {
            return Err(path.key("val_interval").error(format!(
                "expected a positive interval, got {}",
                self.val_interval
            )));
        }
        if by_epoch {
            match self.max_epochs {
                Some(n) if n >= 1 => Ok(TrainLoop::EpochBased { max_epochs: n }),
                Some(n) => Err(path
                    .key("max_epochs")
                    .error(format!("expected a positive number of epochs, got {n}"))),
                None => Err(path
                    .key("max_epochs")
                    .error("missing: an epoch-based loop needs max_epochs")),
            }
        } else {
            match self.max_iters {
                Some(n) if n >= 1 => Ok(TrainLoop::IterBased { max_iters: n }),
                Some(n) => Err(path
                    .key("max_iters")
                    .error(format!("expected a positive number of iterations, got {n}"))),
                None => Err(path
                    .key("max_iters")
                    .error("missing: an iteration-based loop needs max_iters")),
            }
        }
    }
}

/// `train_dataloader` / `val_dataloader`: the batch size and the dataset config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DataloaderCfg {
    /// Samples per batch.
    #[serde(default)]
    pub batch_size: Option<u64>,
    /// The dataset (a `type=` table), built by the training core.
    #[serde(default)]
    pub dataset: Option<Value>,
    /// Everything else MMEngine dataloaders carry (sampler, num_workers, ...), kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `auto_scale_lr`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoScaleLr {
    /// Off unless set.
    #[serde(default)]
    pub enable: bool,
    /// The batch size the configured lr was tuned for.
    #[serde(default)]
    pub base_batch_size: Option<u64>,
}

/// `randomness`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Randomness {
    /// Seed for every random stream.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Deterministic kernels where the backend has a choice.
    #[serde(default)]
    pub deterministic: bool,
    /// MMEngine's per-rank seed switch; accepted (one device here).
    #[serde(default)]
    pub diff_rank_seed: bool,
}

/// `param_scheduler`: one list for every optimizer, or one list per optimizer name.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamSchedulerConfig {
    /// One list, applied to each optimizer (a single table counts as a list of one).
    Shared(Vec<SchedulerSpec>),
    /// Optimizer name → its list.
    PerOptimizer(Vec<(String, Vec<SchedulerSpec>)>),
}

/// `resume`: off, latest in `work_dir`, or a path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    /// Start fresh (or from `load_from`).
    #[default]
    No,
    /// The latest checkpoint of `work_dir` (`resume = true`).
    Latest,
    /// This checkpoint.
    Path(String),
}

/// A whole experiment, parsed and checked once.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentConfig {
    /// `model` (a `type=` table), built by the training core.
    pub model: Option<Value>,
    /// `optim_wrapper`.
    pub optim_wrapper: Option<OptimWrapperConfig>,
    /// `param_scheduler`.
    pub param_scheduler: Option<ParamSchedulerConfig>,
    /// `train_cfg`.
    pub train_cfg: Option<TrainCfg>,
    /// `train_dataloader`.
    pub train_dataloader: Option<DataloaderCfg>,
    /// `val_dataloader`.
    pub val_dataloader: Option<DataloaderCfg>,
    /// `auto_scale_lr`.
    pub auto_scale_lr: Option<AutoScaleLr>,
    /// `randomness`.
    pub randomness: Option<Randomness>,
    /// `default_hooks`, kept as written until hooks are built.
    pub default_hooks: Map<String, Value>,
    /// `work_dir`.
    pub work_dir: Option<String>,
    /// `load_from`.
    pub load_from: Option<String>,
    /// `resume`.
    pub resume: Resume,
    /// The merged tree, after `_base_` and `--cfg-options` (what checkpoints record).
    pub raw: Value,
}

/// The registries a config is parsed with; add your own types to them.
#[derive(Debug, Clone)]
pub struct Registries {
    /// `param_scheduler` types.
    pub schedulers: Registry<SchedulerSpec>,
}

impl Default for Registries {
    fn default() -> Self {
        Self {
            schedulers: scheduler_registry(),
        }
    }
}

impl ExperimentConfig {
    /// Reads a `.toml` or `.json` file (with its `_base_` files), applies
    /// `--cfg-options`, and parses it. Errors name the file and the key.
    pub fn load(
        path: &Path,
        cfg_options: &[String],
        registries: &Registries,
    ) -> Result<Self, ConfigError> {
        let mut tree = load_tree(path, &|p| std::fs::read_to_string(p))?;
        apply_cfg_options(&mut tree, cfg_options).map_err(|e| e.in_file(path))?;
        Self::from_tree(tree, registries).map_err(|e| e.in_file(path))
    }

    /// Parses config text (TOML or JSON, sniffed) without `_base_` files: the web editor's case.
    pub fn from_text(text: &str, registries: &Registries) -> Result<Self, ConfigError> {
        let tree = parse_text(text, Format::sniff(text))?;
        if tree.get("_base_").is_some() {
            return Err(KeyPath::root()
                .key("_base_")
                .error("`_base_` needs files: load the config from a file"));
        }
        Self::from_tree(tree, registries)
    }

    /// Parses a merged tree.
    pub fn from_tree(tree: Value, registries: &Registries) -> Result<Self, ConfigError> {
        let root = KeyPath::root();
        let Value::Object(map) = &tree else {
            return Err(root.error("expected a table of settings at the top level"));
        };
        let optim_wrapper = map
            .get("optim_wrapper")
            .map(|v| parse_optim_wrapper(v, &root.key("optim_wrapper")))
            .transpose()?;
        let param_scheduler = map
            .get("param_scheduler")
            .filter(|v| !v.is_null())
            .map(|v| parse_param_scheduler(v, &root.key("param_scheduler"), &registries.schedulers))
            .transpose()?;
        let train_cfg: Option<TrainCfg> = typed(map, "train_cfg")?;
        if let Some(t) = &train_cfg {
            t.train_loop(&root.key("train_cfg"))?;
        }
        let auto_scale_lr: Option<AutoScaleLr> = typed(map, "auto_scale_lr")?;
        if let Some(a) = &auto_scale_lr {
            match a.base_batch_size {
                Some(0) => {
                    return Err(root
                        .key("auto_scale_lr.base_batch_size")
                        .error("expected a positive batch size, got 0"));
                }
                None if a.enable => {
                    return Err(root
                        .key("auto_scale_lr")
                        .key("base_batch_size")
                        .error("missing: auto_scale_lr needs base_batch_size"));
                }
                _ => {}
            }
        }
        let train_dataloader: Option<DataloaderCfg> = typed(map, "train_dataloader")?;
        if let Some(DataloaderCfg {
            batch_size: Some(0),
            ..
        }) = &train_dataloader
        {
            return Err(root
                .key("train_dataloader")
                .key("batch_size")
                .error("expected a positive batch size, got 0"));
        }
        let default_hooks = match map.get("default_hooks") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(root
                    .key("default_hooks")
                    .error(format!("expected a table, found {}", kind_of(other))));
            }
        };
        let resume = match map.get("resume") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Resume::No,
            Some(Value::Bool(true)) => Resume::Latest,
            Some(Value::String(s)) if s.is_empty() => Resume::No,
            Some(Value::String(s)) => Resume::Path(s.clone()),
            Some(other) => {
                return Err(root.key("resume").error(format!(
                    "expected true, false or a checkpoint path, found {}",
                    kind_of(other)
                )));
            }
        };
        Ok(Self {
            model: map.get("model").cloned(),
            optim_wrapper,
            param_scheduler,
            train_cfg,
            train_dataloader,
            val_dataloader: typed(map, "val_dataloader")?,
            auto_scale_lr,
            randomness: typed(map, "randomness")?,
            default_hooks,
            work_dir: typed(map, "work_dir")?,
            load_from: typed(map, "load_from")?,
            resume,
            raw: tree.clone(),
        })
    }
}

impl ExperimentConfig {
    /// Iterations per epoch as MMEngine counts them (`len(train_dataloader)`):
    /// `ceil(samples / batch_size)`, or `floor` with `drop_last = true`. `None` when
    /// the batch size or the dataset's size is not known from the config.
    pub fn iters_per_epoch(&self) -> Result<Option<i64>, ConfigError> {
        let Some(loader) = &self.train_dataloader else {
            return Ok(None);
        };
        let (Some(batch), Some(dataset)) = (loader.batch_size, &loader.dataset) else {
            return Ok(None);
        };
        let path = KeyPath::root().key("train_dataloader").key("dataset");
        let Some(len) = crate::data::dataset_len(dataset, &path)? else {
            return Ok(None);
        };
        let drop_last = loader
            .extra
            .get("drop_last")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let iters = if drop_last {
            len / batch
        } else {
            len.div_ceil(batch)
        };
        if iters == 0 {
            return Err(KeyPath::root().key("train_dataloader").key("batch_size").error(format!(
                "batch_size {batch} is larger than the {len} training samples and drop_last = true: no iteration would run"
            )));
        }
        Ok(Some(iters as i64))
    }
}

fn typed<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => from_value(v, &KeyPath::root().key(key)).map(Some),
    }
}

fn parse_list(
    v: &Value,
    path: &KeyPath,
    registry: &Registry<SchedulerSpec>,
) -> Result<Vec<SchedulerSpec>, ConfigError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| registry.build(item, &path.index(i)))
            .collect(),
        Value::Object(_) => Ok(vec![registry.build(v, path)?]),
        other => Err(path.error(format!(
            "expected a scheduler table or a list of them, found {}",
            kind_of(other)
        ))),
    }
}

fn parse_param_scheduler(
    v: &Value,
    path: &KeyPath,
    registry: &Registry<SchedulerSpec>,
) -> Result<ParamSchedulerConfig, ConfigError> {
    match v {
        Value::Object(map) if !map.contains_key("type") => {
            let lists = map
                .iter()
                .map(|(name, list)| {
                    Ok((name.clone(), parse_list(list, &path.key(name), registry)?))
                })
                .collect::<Result<Vec<_>, ConfigError>>()?;
            Ok(ParamSchedulerConfig::PerOptimizer(lists))
        }
        _ => Ok(ParamSchedulerConfig::Shared(parse_list(v, path, registry)?)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<ExperimentConfig, ConfigError> {
        ExperimentConfig::from_tree(v, &Registries::default())
    }

    #[test]
    fn an_mmengine_json_dump_loads_as_is() {
        let dump = json!({
            "default_scope": "mmengine",
            "model": {"type": "MLP", "in_features": 2},
            "optim_wrapper": {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0001}, "clip_grad": null},
            "param_scheduler": [{"type": "LinearLR", "start_factor": 0.001, "by_epoch": false, "begin": 0, "end": 500}],
            "train_cfg": {"by_epoch": true, "max_epochs": 12, "val_interval": 1},
            "val_cfg": {}, "test_cfg": {},
            "train_dataloader": {"batch_size": 2, "num_workers": 2, "persistent_workers": true,
                "sampler": {"type": "DefaultSampler", "shuffle": true}, "dataset": {"type": "Spiral"}},
            "auto_scale_lr": {"enable": false, "base_batch_size": 16},
            "randomness": {"seed": 0, "deterministic": false},
            "default_hooks": {"logger": {"type": "LoggerHook", "interval": 50}},
            "env_cfg": {"cudnn_benchmark": false}, "log_level": "INFO",
            "work_dir": "./work_dirs/x", "load_from": null, "resume": false, "launcher": "none"
        });
        let cfg = parse(dump).expect("loads");
        assert_eq!(cfg.train_dataloader.and_then(|d| d.batch_size), Some(2));
        assert_eq!(cfg.resume, Resume::No);
        assert!(
            matches!(cfg.param_scheduler, Some(ParamSchedulerConfig::Shared(ref l)) if l.len() == 1)
        );
    }

    #[test]
    fn per_optimizer_scheduler_lists() {
        let cfg = parse(json!({"param_scheduler": {"generator": [{"type": "ConstantLR"}], "discriminator": {"type": "StepLR", "step_size": 2}}}))
            .expect("loads");
        let Some(ParamSchedulerConfig::PerOptimizer(lists)) = cfg.param_scheduler else {
            panic!("per optimizer")
        };
        assert_eq!(lists.len(), 2);
    }

    #[test]
    fn errors_carry_the_key_path() {
        let err = parse(json!({"param_scheduler": [{"type": "StepLR", "step_size": 1}, {"type": "CosineAnnealingLR", "T_max": -3}]}))
            .unwrap_err();
        assert_eq!(err.path, "param_scheduler[1].T_max");
        let err = parse(json!({"train_cfg": {"by_epoch": true}})).unwrap_err();
        assert_eq!(err.path, "train_cfg.max_epochs");
        let err = parse(json!({"train_cfg": {"max_epochs": 3, "max_epoch": 4}})).unwrap_err();
        assert_eq!(err.path, "train_cfg.max_epoch");
        let err = parse(json!({"auto_scale_lr": {"enable": true}})).unwrap_err();
        assert_eq!(err.path, "auto_scale_lr.base_batch_size");
    }
}
