//! The whole experiment config, typed: every top-level key of MMEngine's, parsed once.
//!
//! [`ExperimentConfig::check_tree`] reads every section and collects every problem
//! (the schedule command uses the sections it needs and warns about the rest);
//! [`ExperimentConfig::from_tree`] (and `load`, `from_text`) fails on the first one,
//! as training and the web editor's check before **Train** do.

use std::path::Path;

use serde_json::{Map, Value};

use super::dataloader::DataloaderCfg;
use super::distributed::{Launcher, StrategyKind, parse_launcher, parse_strategy};
use super::keys;
use super::logging::{LogProcessorCfg, VisualizerCfg, check_visualizer};
use super::runtime::{AutoScaleLr, CompileCfg, Randomness, Resume, check_env_cfg};
use super::source::{Format, apply_cfg_options, load_tree, parse_text};
use super::train::{TrainCfg, check_loop_cfg};
use crate::base::LogLevel;
use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::{ConfigNote, Notes};
use crate::base::registry::Registry;
use crate::base::typed::from_value;
use crate::data::{DatasetSpec, dataset_spec_registry};
use crate::hooks::{CustomHook, DefaultHooks, parse_custom_hooks};
use crate::metric::{MetricSpec, metric_spec_registry, parse_evaluator};
use crate::model::spec::{ModelSpec, model_spec_registry};
use crate::optim::config::{OptimWrapperConfig, parse_optim_wrapper};
use crate::scheduler::spec::{SchedulerSpec, scheduler_registry};
use crate::scheduler::{ParamSchedulerConfig, parse_param_scheduler};

/// A whole experiment, parsed and checked once.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentConfig {
    /// `model`.
    pub model: Option<ModelSpec>,
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
    /// `test_dataloader`.
    pub test_dataloader: Option<DataloaderCfg>,
    /// `val_evaluator`: its metrics.
    pub val_evaluator: Option<Vec<MetricSpec>>,
    /// `test_evaluator`: its metrics.
    pub test_evaluator: Option<Vec<MetricSpec>>,
    /// `auto_scale_lr`.
    pub auto_scale_lr: Option<AutoScaleLr>,
    /// `randomness`.
    pub randomness: Option<Randomness>,
    /// `default_hooks`, with MMEngine's defaults for slots not named.
    pub default_hooks: DefaultHooks,
    /// `custom_hooks`: the hooks built here, in the config's order.
    pub custom_hooks: Vec<CustomHook>,
    /// `log_level` (INFO by default).
    pub log_level: LogLevel,
    /// `compile`.
    pub compile: CompileCfg,
    /// `log_processor`.
    pub log_processor: LogProcessorCfg,
    /// `visualizer`: the backends written.
    pub visualizer: VisualizerCfg,
    /// `experiment_name` (the log folder is `<name>_<timestamp>` when given).
    pub experiment_name: Option<String>,
    /// `work_dir`.
    pub work_dir: Option<String>,
    /// `load_from`.
    pub load_from: Option<String>,
    /// `resume`.
    pub resume: Resume,
    /// `strategy`; `None` when not given (one device, or DDP over several).
    pub strategy: Option<StrategyKind>,
    /// `launcher`.
    pub launcher: Launcher,
    /// Keys accepted although they cannot change the result here (the run logs them).
    pub notes: Vec<ConfigNote>,
    /// The problems a lenient check found ([`ExperimentConfig::check_tree`]); the
    /// sections they are in are `None`. Empty after a strict parse.
    pub problems: Vec<ConfigError>,
    /// The merged tree, after `_base_` and `--cfg-options` (what checkpoints record).
    pub raw: Value,
}

/// The registries a config is parsed with; add your own types to them.
#[derive(Debug, Clone)]
pub struct Registries {
    /// `param_scheduler` types.
    pub schedulers: Registry<SchedulerSpec>,
    /// `model` types.
    pub models: Registry<ModelSpec>,
    /// `dataset` types.
    pub datasets: Registry<DatasetSpec>,
    /// Evaluator metric types.
    pub metrics: Registry<MetricSpec>,
}

impl Default for Registries {
    fn default() -> Self {
        Self {
            schedulers: scheduler_registry(),
            models: model_spec_registry(),
            datasets: dataset_spec_registry(),
            metrics: metric_spec_registry(),
        }
    }
}

/// Reads the sections one by one, keeping every problem.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    notes: Notes,
    problems: Vec<ConfigError>,
}

impl Reader<'_> {
    /// Parses `key` with `parse` when present and not null; a failure is recorded.
    fn section<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(
            &Value,
            &KeyPath,
            &mut Notes,
            &mut Vec<ConfigError>,
        ) -> Result<T, ConfigError>,
    ) -> Option<T> {
        let v = self.map.get(key).filter(|v| !v.is_null())?;
        match parse(
            v,
            &KeyPath::root().key(key),
            &mut self.notes,
            &mut self.problems,
        ) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problems.push(e);
                None
            }
        }
    }
}

impl ExperimentConfig {
    /// Reads a `.toml` or `.json` file (with its `_base_` files), applies
    /// `--cfg-options`, and parses it strictly. Errors name the file and the key.
    pub fn load(
        path: &Path,
        cfg_options: &[String],
        registries: &Registries,
    ) -> Result<Self, ConfigError> {
        Self::load_checked(path, cfg_options, registries)?
            .strict()
            .map_err(|e| e.in_file(path))
    }

    /// As [`load`](Self::load), but problems inside sections are collected in
    /// [`problems`](Self::problems) instead of failing.
    pub fn load_checked(
        path: &Path,
        cfg_options: &[String],
        registries: &Registries,
    ) -> Result<Self, ConfigError> {
        let mut tree = load_tree(path, &|p| std::fs::read_to_string(p))?;
        apply_cfg_options(&mut tree, cfg_options).map_err(|e| e.in_file(path))?;
        let mut cfg = Self::check_tree(tree, registries).map_err(|e| e.in_file(path))?;
        #[cfg(not(target_family = "wasm"))]
        cfg.read_data_files_from(path.parent().unwrap_or(Path::new(".")));
        cfg.problems = cfg.problems.into_iter().map(|e| e.in_file(path)).collect();
        Ok(cfg)
    }

    /// Parses config text (TOML or JSON, sniffed) strictly, without `_base_` files:
    /// the web editor's case.
    pub fn from_text(text: &str, registries: &Registries) -> Result<Self, ConfigError> {
        Self::from_text_checked(text, registries)?.strict()
    }

    /// As [`from_text`](Self::from_text), collecting problems inside sections.
    pub fn from_text_checked(text: &str, registries: &Registries) -> Result<Self, ConfigError> {
        let tree = parse_text(text, Format::sniff(text))?;
        if tree.get("_base_").is_some() {
            return Err(KeyPath::root()
                .key("_base_")
                .error("`_base_` needs files: load the config from a file"));
        }
        Self::check_tree(tree, registries)
    }

    /// Parses a merged tree strictly: the first problem is the error.
    pub fn from_tree(tree: Value, registries: &Registries) -> Result<Self, ConfigError> {
        Self::check_tree(tree, registries)?.strict()
    }

    /// Fails with the first problem, if any.
    pub fn strict(self) -> Result<Self, ConfigError> {
        match self.problems.first() {
            Some(e) => Err(e.clone()),
            None => Ok(self),
        }
    }

    /// Parses a merged tree, reading every section; problems inside sections are
    /// collected (their sections are `None`). Fails only when the top level is not a
    /// table.
    pub fn check_tree(tree: Value, registries: &Registries) -> Result<Self, ConfigError> {
        let root = KeyPath::root();
        let Value::Object(map) = &tree else {
            return Err(root.error("expected a table of settings at the top level"));
        };
        let mut r = Reader {
            map,
            notes: Notes::default(),
            problems: Vec::new(),
        };
        for key in map.keys() {
            if let Some((_, why)) = keys::NOTED.iter().find(|(k, _)| k == key) {
                r.notes.add(&root.key(key), *why);
            } else if key == "_base_" {
                r.problems.push(
                    root.key(key)
                        .error("`_base_` needs files: load the config from a file"),
                );
            } else if !keys::UNDERSTOOD.contains(&key.as_str()) {
                r.problems
                    .push(root.key(key).error(keys::unknown_message(key)));
            }
        }
        let model = r.section("model", |v, p, _, _| registries.models.build(v, p));
        let optim_wrapper = r.section("optim_wrapper", |v, p, n, _| {
            let cfg = parse_optim_wrapper(v, p)?;
            for note in cfg.ignored_notes() {
                // `optim_wrapper.key.path: why`, as the optimizer layer words it.
                let (path, why) = note.split_once(": ").unwrap_or(("optim_wrapper", &note));
                n.0.push(ConfigNote {
                    path: path.to_string(),
                    message: why.to_string(),
                });
            }
            Ok(cfg)
        });
        let param_scheduler = r.section("param_scheduler", |v, p, _, _| {
            parse_param_scheduler(v, p, &registries.schedulers)
        });
        let train_cfg = r.section("train_cfg", |v, p, _, _| TrainCfg::parse(v, p));
        let loader = |v: &Value, p: &KeyPath, n: &mut Notes, pr: &mut Vec<ConfigError>| {
            DataloaderCfg::parse(v, p, &registries.datasets, n, pr)
        };
        let train_dataloader = r.section("train_dataloader", loader);
        let val_dataloader = r.section("val_dataloader", loader);
        let test_dataloader = r.section("test_dataloader", loader);
        let evaluator = |v: &Value, p: &KeyPath, _: &mut Notes, _: &mut Vec<ConfigError>| {
            parse_evaluator(v, p, &registries.metrics)
        };
        let val_evaluator = r.section("val_evaluator", evaluator);
        let test_evaluator = r.section("test_evaluator", evaluator);
        r.section("val_cfg", |v, p, n, _| check_loop_cfg(v, p, "ValLoop", n));
        r.section("test_cfg", |v, p, n, _| check_loop_cfg(v, p, "TestLoop", n));
        let auto_scale_lr = r.section("auto_scale_lr", |v, p, _, _| AutoScaleLr::parse(v, p));
        let randomness = r.section("randomness", |v, p, _, _| from_value(v, p));
        let default_hooks = r
            .section("default_hooks", |v, p, n, _| DefaultHooks::parse(v, p, n))
            .unwrap_or_default();
        let custom_hooks = r
            .section("custom_hooks", |v, p, n, _| parse_custom_hooks(v, p, n))
            .unwrap_or_default();
        let log_level = r
            .section("log_level", |v, p, _, _| LogLevel::from_config(v, p))
            .unwrap_or(LogLevel::Info);
        let compile = r
            .section("compile", |v, p, _, _| CompileCfg::parse(Some(v), p))
            .unwrap_or_default();
        r.section("env_cfg", |v, p, n, _| check_env_cfg(v, p, n));
        let strategy = r.section("strategy", |v, p, n, _| parse_strategy(v, p, n));
        let launcher = r
            .section("launcher", |v, p, _, _| parse_launcher(v, p))
            .unwrap_or_default();
        let visualizer = r
            .section("visualizer", |v, p, n, _| check_visualizer(v, p, n))
            .unwrap_or_default();
        let log_processor = r
            .section("log_processor", |v, p, _, _| LogProcessorCfg::parse(v, p))
            .unwrap_or_default();
        let experiment_name = r.section("experiment_name", |v, p, _, _| from_value(v, p));
        let work_dir = r.section("work_dir", |v, p, _, _| from_value(v, p));
        let load_from = r.section("load_from", |v, p, _, _| from_value(v, p));
        let resume = r
            .section("resume", |v, p, _, _| Resume::parse(v, p))
            .unwrap_or_default();
        for (loader_key, evaluator_key, present_loader, present_eval) in [
            (
                "val_dataloader",
                "val_evaluator",
                map.get("val_dataloader").is_some_and(|v| !v.is_null()),
                map.get("val_evaluator").is_some_and(|v| !v.is_null()),
            ),
            (
                "test_dataloader",
                "test_evaluator",
                map.get("test_dataloader").is_some_and(|v| !v.is_null()),
                map.get("test_evaluator").is_some_and(|v| !v.is_null()),
            ),
        ] {
            if present_loader && !present_eval {
                r.problems.push(root.key(evaluator_key).error(format!(
                    "missing: `{loader_key}` needs an evaluator (e.g. {{type = \"Accuracy\"}})"
                )));
            } else if present_eval && !present_loader {
                r.problems.push(root.key(loader_key).error(format!(
                    "missing: `{evaluator_key}` evaluates the data of a `{loader_key}`"
                )));
            }
        }
        let cfg = Self {
            model,
            optim_wrapper,
            param_scheduler,
            train_cfg,
            train_dataloader,
            val_dataloader,
            test_dataloader,
            val_evaluator,
            test_evaluator,
            auto_scale_lr,
            randomness,
            default_hooks,
            custom_hooks,
            visualizer,
            log_level,
            compile,
            log_processor,
            experiment_name,
            work_dir,
            load_from,
            resume,
            strategy,
            launcher,
            notes: r.notes.0,
            problems: r.problems,
            raw: Value::Null,
        };
        Ok(Self { raw: tree, ..cfg })
    }

    /// Iterations per epoch as MMEngine counts them (`len(train_dataloader)`):
    /// `ceil(samples / batch_size)`, or `floor` with `drop_last = true`. `None` when
    /// the batch size or the dataset's size is not known from the config.
    pub fn iters_per_epoch(&self) -> Result<Option<i64>, ConfigError> {
        self.iters_per_epoch_per_rank(1)
    }

    /// Iterations per epoch on each of `world_size` data-parallel ranks.
    pub fn iters_per_epoch_per_rank(&self, world_size: u64) -> Result<Option<i64>, ConfigError> {
        let Some(loader) = &self.train_dataloader else {
            return Ok(None);
        };
        match loader.len_per_rank(world_size) {
            Some(0) => Err(KeyPath::root().key("train_dataloader").key("batch_size").error(format!(
                "batch_size {} is larger than the {} training samples and drop_last = true: no iteration would run",
                loader.batch_size.unwrap_or(0),
                loader.dataset.as_ref().and_then(DatasetSpec::len).unwrap_or(0)
            ))),
            n => Ok(n.map(|n| n as i64)),
        }
    }

    /// The problems that are top-level keys nobody reads (a typo there may be a
    /// misspelt schedule key, so every user of the config treats them as fatal).
    pub fn unknown_top_level_keys(&self) -> impl Iterator<Item = &ConfigError> + '_ {
        self.problems.iter().filter(|e| {
            !e.path.contains(['.', '[']) && !keys::UNDERSTOOD.contains(&e.path.as_str())
        })
    }

    /// The problems whose key path starts with one of `prefixes`.
    pub fn problems_under<'a>(
        &'a self,
        prefixes: &'a [&str],
    ) -> impl Iterator<Item = &'a ConfigError> + 'a {
        self.problems.iter().filter(move |e| {
            prefixes.iter().any(|p| {
                e.path == *p
                    || e.path
                        .strip_prefix(p)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
        })
    }
}

#[cfg(test)]
mod tests;
