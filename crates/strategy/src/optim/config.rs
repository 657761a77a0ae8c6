//! The optimizer-wrapper config (`optim_wrapper`), parsed and checked: one wrapper
//! ([`OptimWrapperSpec`]) or several named ones built by a constructor.
//!
//! Keys are PyTorch's and MMEngine's. Unknown keys anywhere inside are errors naming
//! the full key path and the closest known key. Keys MMEngine accepts that cannot
//! change a result here are accepted and reported by
//! [`OptimWrapperConfig::ignored_notes`]; ones that would change it and are not
//! implemented (mixed precision) are refused. The training core builds optimizers
//! from these; the schedule preview only needs each optimizer's starting
//! hyper-parameters ([`OptimizerSpec::initial_group`]).

use serde_json::{Map, Value};

use super::amp::{AMP_KEYS, parse_amp};
pub use super::amp::{AmpDtype, AmpSpec, DtypeFallback, LossScale, ScalerConfig};
pub use super::clip::ClipGrad;
use super::clip::parse_clip;
use super::constructor::constructor;
use super::keys::{check_keys, did_you_mean};
pub use super::optimizer_spec::{
    AdadeltaSpec, AdagradSpec, AdamSpec, AdamaxSpec, AsgdSpec, LambSpec, LarsSpec, LionSpec,
    NadamSpec, OptimizerSpec, RmspropSpec, RpropSpec, SgdSpec, optimizer_registry,
};
use super::optimizer_spec::{IMPLEMENTATION_SWITCHES, implementation_note};
use super::paramwise::parse_paramwise;
pub use super::paramwise::{CustomKey, ParamwiseCfg};
use crate::base::registry::{Registry, kind_of};
use crate::base::{ConfigError, KeyPath};

/// One optimizer wrapper (`OptimWrapper`).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimWrapperSpec {
    /// The wrapper type (`OptimWrapper`).
    pub type_name: String,
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// Micro-batches per optimizer step.
    pub accumulative_counts: u32,
    /// Gradient clipping.
    pub clip_grad: Option<ClipGrad>,
    /// Per-parameter multipliers.
    pub paramwise_cfg: Option<ParamwiseCfg>,
    /// `AmpOptimWrapper`'s mixed precision (None for `OptimWrapper`).
    pub amp: Option<AmpSpec>,
    /// The optimizer's `foreach`: update the parameters that share a group as one
    /// concatenated tensor (`true`), one by one (`false`), or as the device prefers
    /// (absent: grouped on the GPU backends). The results are the same either way
    /// (see `optim::foreach`).
    pub foreach: Option<bool>,
    /// Keys of this wrapper that were accepted but cannot change the result here,
    /// each as `key.path: why` (see [`OptimWrapperConfig::ignored_notes`]).
    pub ignored: Vec<String>,
}

/// `optim_wrapper`: one wrapper, or several named ones built by a constructor.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimWrapperConfig {
    /// One optimizer.
    Single(OptimWrapperSpec),
    /// Several optimizers (MMEngine's `OptimWrapperDict`), by name, sorted.
    Multi {
        /// The constructor named in the config (`MultiOptimWrapperConstructor`).
        constructor: String,
        /// Name → wrapper.
        wrappers: Vec<(String, OptimWrapperSpec)>,
    },
}

impl OptimWrapperConfig {
    /// `(name, wrapper)` pairs; the single wrapper has no name.
    pub fn wrappers(&self) -> Vec<(Option<&str>, &OptimWrapperSpec)> {
        match self {
            Self::Single(w) => vec![(None, w)],
            Self::Multi { wrappers, .. } => wrappers
                .iter()
                .map(|(n, w)| (Some(n.as_str()), w))
                .collect(),
        }
    }

    /// The keys MMEngine accepts that were accepted here but cannot change the
    /// result, each as `optim_wrapper.key.path: why`, for the config layer to log:
    /// PyTorch's implementation switches (`fused`, `capturable`, `differentiable`;
    /// `clip_grad.foreach`), `paramwise_cfg.bypass_duplicate`,
    /// `paramwise_cfg.dcn_offset_lr_mult`, and a `flat_decay_mult` that MMEngine
    /// skips for want of a weight decay. Empty for a config without them.
    pub fn ignored_notes(&self) -> Vec<String> {
        self.wrappers()
            .into_iter()
            .flat_map(|(_, w)| w.ignored.iter().cloned())
            .collect()
    }
}

/// The keys of an optimizer wrapper's table (MMEngine pops `constructor` and
/// `paramwise_cfg`, `OptimWrapper` takes the rest).
const WRAPPER_KEYS: &[&str] = &[
    "type",
    "optimizer",
    "accumulative_counts",
    "clip_grad",
    "paramwise_cfg",
    "constructor",
];

/// The wrapper types.
const WRAPPER_TYPES: &[&str] = &["OptimWrapper", "AmpOptimWrapper"];

/// Parses one wrapper's table (found at `path`). `top_level`: whether it is
/// `optim_wrapper` itself (which may name its constructor) rather than one part's.
fn parse_wrapper(
    dict: &Map<String, Value>,
    path: &KeyPath,
    optimizers: &Registry<OptimizerSpec>,
    top_level: bool,
) -> Result<OptimWrapperSpec, ConfigError> {
    let type_name = match dict.get("type") {
        None => "OptimWrapper".to_string(),
        Some(Value::String(t)) if WRAPPER_TYPES.contains(&t.as_str()) => t.clone(),
        Some(Value::String(t)) => {
            return Err(path.key("type").error(format!(
                "unknown optimizer wrapper type `{t}`.{} Known types: {}",
                did_you_mean(t, WRAPPER_TYPES),
                WRAPPER_TYPES.join(", ")
            )));
        }
        Some(other) => {
            return Err(path.key("type").error(format!(
                "expected a wrapper type (a string), found {}",
                kind_of(other)
            )));
        }
    };
    let is_amp = type_name == "AmpOptimWrapper";
    let mut known: Vec<&str> = if top_level {
        WRAPPER_KEYS.to_vec()
    } else {
        WRAPPER_KEYS[..WRAPPER_KEYS.len() - 1].to_vec()
    };
    if is_amp {
        known.extend(AMP_KEYS);
    }
    let what = if is_amp {
        "an AmpOptimWrapper"
    } else {
        "an optimizer wrapper"
    };
    if !is_amp && let Some(k) = AMP_KEYS.iter().find(|k| dict.contains_key(**k)) {
        return Err(path.key(*k).error(format!(
            "`{k}` belongs to mixed precision: set type = \"AmpOptimWrapper\" to use it"
        )));
    }
    check_keys(dict, path, what, &known)?;
    let Some(opt) = dict.get("optimizer") else {
        return Err(path
            .error("missing `optimizer`: expected a table such as { type = \"SGD\", lr = 0.01 }"));
    };
    let optimizer = optimizers.build(opt, &path.key("optimizer"))?;
    let mut ignored = Vec::new();
    let amp = if is_amp {
        Some(parse_amp(dict, path, &mut ignored)?)
    } else {
        None
    };
    let foreach = opt.get("foreach").and_then(Value::as_bool);
    for switch in IMPLEMENTATION_SWITCHES {
        if opt.get(switch).is_some() {
            ignored.push(implementation_note(&path.key("optimizer").key(*switch)));
        }
    }
    let accumulative_counts = match dict.get("accumulative_counts") {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && n <= u64::from(u32::MAX) => n as u32,
            _ => {
                return Err(path
                    .key("accumulative_counts")
                    .error(format!("expected a positive integer, got {v}")));
            }
        },
    };
    let clip_grad = match dict.get("clip_grad") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_clip(v, &path.key("clip_grad"), &mut ignored)?),
    };
    let paramwise_cfg = match dict.get("paramwise_cfg") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let base_wd_given = opt.get("weight_decay").is_some_and(|wd| !wd.is_null());
            parse_paramwise(v, &path.key("paramwise_cfg"), base_wd_given, &mut ignored)?
        }
    };
    if !matches!(optimizer, OptimizerSpec::LARS(_))
        && let Some(cfg) = &paramwise_cfg
    {
        for (key, custom) in &cfg.custom_keys {
            if custom.lars_exclude.is_some() {
                ignored.push(format!(
                    "{}: only LARS reads it; MMEngine puts it in the parameter group and {} \
                     ignores it, so it cannot change the result",
                    path.key("paramwise_cfg")
                        .key("custom_keys")
                        .key(key)
                        .key("lars_exclude"),
                    optimizer.type_name()
                ));
            }
        }
    }
    Ok(OptimWrapperSpec {
        type_name,
        optimizer,
        accumulative_counts,
        clip_grad,
        paramwise_cfg,
        amp,
        foreach,
        ignored,
    })
}

/// Parses `optim_wrapper` (found at `path`): one wrapper (`optimizer` plus wrapper
/// keys, constructor `DefaultOptimWrapperConstructor` or none), or, with
/// `constructor = "MultiOptimWrapperConstructor"`, one wrapper table per model part.
pub fn parse_optim_wrapper(v: &Value, path: &KeyPath) -> Result<OptimWrapperConfig, ConfigError> {
    let optimizers = optimizer_registry();
    let Value::Object(dict) = v else {
        return Err(path.error(format!("expected a table, found {}", kind_of(v))));
    };
    let constructor = match dict.get("constructor") {
        Some(c) => constructor(c, &path.key("constructor"))?,
        None if dict.contains_key("optimizer") => "DefaultOptimWrapperConstructor",
        None => {
            return Err(path.error(
                "expected `optimizer` (one optimizer), or `constructor = \"MultiOptimWrapperConstructor\"` plus one table per model part (several)",
            ));
        }
    };
    if constructor == "DefaultOptimWrapperConstructor" {
        return Ok(OptimWrapperConfig::Single(parse_wrapper(
            dict,
            path,
            &optimizers,
            true,
        )?));
    }
    let mut wrappers = Vec::new();
    for (name, w) in dict.iter().filter(|(k, _)| k.as_str() != "constructor") {
        match name.as_str() {
            "optimizer" => {
                return Err(path.key(name).error(format!(
                    "{constructor} takes one wrapper table per model part (`generator = {{ optimizer = ... }}`), not one `optimizer`; for one optimizer, drop `constructor`"
                )));
            }
            "paramwise_cfg"
            | "type"
            | "clip_grad"
            | "accumulative_counts"
            | "loss_scale"
            | "dtype" => {
                return Err(path.key(name).error(format!(
                    "with {constructor}, `{name}` goes inside each model part's wrapper table"
                )));
            }
            _ => {}
        }
        let Value::Object(wd) = w else {
            return Err(path.key(name).error(format!(
                "expected an optimizer wrapper table, found {}",
                kind_of(w)
            )));
        };
        wrappers.push((
            name.clone(),
            parse_wrapper(wd, &path.key(name), &optimizers, false)?,
        ));
    }
    if wrappers.is_empty() {
        return Err(
            path.error("a constructor with no optimizer tables: add one table per optimizer name")
        );
    }
    Ok(OptimWrapperConfig::Multi {
        constructor: constructor.to_string(),
        wrappers,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
