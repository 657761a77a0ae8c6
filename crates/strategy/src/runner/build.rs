//! Building the run's parts from the typed config: dataloaders, evaluation sets and
//! the seeded random streams.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ema::EmaRun;
use super::error::RunError;
use super::hooks::{EarlyStoppingHook, Hook};
use super::{EvalSet, RunnerOptions};
use crate::base::log::RunLog;
use crate::base::registry::Registry;
use crate::base::{ConfigError, KeyPath};
use crate::config::DataloaderCfg;
use crate::data::Samples;
use crate::data::loader::DataLoader;
use crate::data::sampler::DefaultSampler;
use crate::hooks::{CustomHook, CustomHookKind, EarlyStopping};
use crate::metric::{MetricSpec, build_evaluator};
use crate::model::DynModel;
use crate::plan::RunPlan;

pub(super) fn build_loader(
    cfg: &DataloaderCfg,
    path: &KeyPath,
    datasets: &Registry<Samples>,
    train: bool,
    seed: u64,
) -> Result<DataLoader, ConfigError> {
    let batch_size = cfg.batch_size.ok_or_else(|| {
        path.key("batch_size")
            .error("missing: the dataloader needs a batch_size")
    })?;
    let dataset = cfg.dataset.as_ref().ok_or_else(|| {
        path.key("dataset")
            .error("missing: the dataloader needs a dataset table")
    })?;
    let samples = dataset.build(datasets, &path.key("dataset"))?;
    if samples.is_empty() {
        return Err(path
            .key("dataset")
            .error("the dataset split has no samples"));
    }
    let loader = DataLoader {
        samples: Arc::new(samples),
        batch_size: batch_size as usize,
        drop_last: cfg.drop_last,
        sampler: DefaultSampler {
            round_up: cfg.round_up,
            ..DefaultSampler::single(cfg.shuffle.unwrap_or(train), cfg.seed.unwrap_or(seed))
        },
    };
    if loader.is_empty() {
        return Err(path.key("batch_size").error(format!(
            "drop_last with batch_size {batch_size} leaves no batch of the {} samples",
            loader.samples.len()
        )));
    }
    Ok(loader)
}

pub(super) fn eval_set(
    loader: Option<&DataloaderCfg>,
    evaluator: Option<&Vec<MetricSpec>>,
    keys: (&str, &str),
    opts: &RunnerOptions,
    seed: u64,
) -> Result<Option<EvalSet>, ConfigError> {
    let root = KeyPath::root();
    let (loader_key, evaluator_key) = keys;
    let Some(loader) = loader else {
        return Ok(None);
    };
    let loader = build_loader(loader, &root.key(loader_key), &opts.datasets, false, seed)?;
    let Some(evaluator) = evaluator else {
        return Err(root.key(evaluator_key).error(format!(
            "missing: `{loader_key}` needs an evaluator (e.g. {{type = \"Accuracy\"}})"
        )));
    };
    let metrics = build_evaluator(evaluator, &root.key(evaluator_key), &opts.metrics)?;
    Ok(Some(EvalSet { loader, metrics }))
}

/// A stream for one purpose of one iteration, from the run's seed.
pub(super) fn stream(seed: u64, purpose: u64, at: i64) -> StdRng {
    let mix = (at as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ purpose.wrapping_mul(0xD1B5_4A32_D192_ED03);
    StdRng::seed_from_u64(seed ^ mix)
}

/// The hooks of `custom_hooks` (`EarlyStoppingHook`) and the averaged weights of an
/// `EMAHook`, checked against the run's length.
pub(super) fn custom_hooks(
    custom_hooks: &[CustomHook],
    plan: &RunPlan,
    model: &dyn DynModel,
    logger: &mut RunLog,
) -> Result<(Vec<Box<dyn Hook>>, Option<EmaRun>), RunError> {
    let mut hooks: Vec<Box<dyn Hook>> = Vec::new();
    let mut ema = None;
    for (index, custom) in custom_hooks.iter().enumerate() {
        match &custom.kind {
            CustomHookKind::EarlyStopping(c) => hooks.push(Box::new(EarlyStoppingHook {
                state: EarlyStopping::new(c.clone()),
                priority: custom.priority,
                index,
            })),
            CustomHookKind::Ema(c) => {
                // MMEngine's `before_train` checks, made when the run is built.
                let at = KeyPath::root().key("custom_hooks").index(index);
                if let Some(max) = plan.max_epochs
                    && c.begin_epoch > max
                {
                    return Err(RunError::Config(at.key("begin_epoch").error(format!(
                        "begin_epoch ({}) is after the last epoch ({max})",
                        c.begin_epoch
                    ))));
                }
                if c.begin_iter > plan.max_iters {
                    return Err(RunError::Config(at.key("begin_iter").error(format!(
                        "begin_iter ({}) is after the last iteration ({})",
                        c.begin_iter, plan.max_iters
                    ))));
                }
                if let Some(w) = c.warning() {
                    logger.warning(w);
                }
                ema = Some(EmaRun::new(c.clone(), model));
            }
        }
    }
    Ok((hooks, ema))
}
