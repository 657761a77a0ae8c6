//! The optimizer-wrapper config (`optim_wrapper`), parsed and checked: one wrapper
//! (`OptimWrapperSpec`) or several named ones built by a constructor.
//!
//! Keys are PyTorch's and MMEngine's. Unknown keys are errors. The training core
//! builds optimizers from these; the schedule preview only needs each optimizer's
//! starting hyper-parameters ([`OptimizerSpec::initial_group`]).

use serde_json::{Map, Value};

pub use super::clip::ClipGrad;
use super::clip::parse_clip;
pub use super::optimizer_spec::{
    AdagradSpec, AdamSpec, OptimizerSpec, RmspropSpec, SgdSpec, optimizer_registry,
};
use super::paramwise::parse_paramwise;
pub use super::paramwise::{CustomKey, ParamwiseCfg};
use crate::config::{ConfigError, KeyPath};
use crate::registry::{Registry, kind_of};

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
}

/// `optim_wrapper`: one wrapper, or several named ones built by a constructor.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimWrapperConfig {
    /// One optimizer.
    Single(OptimWrapperSpec),
    /// Several optimizers (MMEngine's `OptimWrapperDict`), by name, sorted.
    Multi {
        /// The constructor named in the config.
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
}

const WRAPPER_KEYS: &[&str] = &[
    "type",
    "optimizer",
    "accumulative_counts",
    "clip_grad",
    "paramwise_cfg",
    "constructor",
];

fn parse_wrapper(
    dict: &Map<String, Value>,
    path: &KeyPath,
    optimizers: &Registry<OptimizerSpec>,
) -> Result<OptimWrapperSpec, ConfigError> {
    for key in dict.keys() {
        if !WRAPPER_KEYS.contains(&key.as_str()) {
            return Err(path.key(key).error(format!(
                "unknown key; an optimizer wrapper has {}",
                WRAPPER_KEYS.join(", ")
            )));
        }
    }
    let type_name = match dict.get("type") {
        None => "OptimWrapper".to_string(),
        Some(Value::String(t)) if t == "OptimWrapper" => t.clone(),
        Some(Value::String(t)) if t == "AmpOptimWrapper" => {
            return Err(path.key("type").error(
                "AmpOptimWrapper (mixed precision) is not supported: the playground trains in f32; use OptimWrapper",
            ));
        }
        Some(other) => {
            return Err(path.key("type").error(format!(
                "unknown optimizer wrapper type {other}. Known types: OptimWrapper"
            )));
        }
    };
    if let Some(c) = dict.get("constructor")
        && c != "DefaultOptimWrapperConstructor"
    {
        return Err(path.key("constructor").error(format!(
            "unknown constructor {c} for one optimizer; known: DefaultOptimWrapperConstructor"
        )));
    }
    let Some(opt) = dict.get("optimizer") else {
        return Err(path
            .error("missing `optimizer`: expected a table such as { type = \"SGD\", lr = 0.01 }"));
    };
    let optimizer = optimizers.build(opt, &path.key("optimizer"))?;
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
        Some(v) => Some(parse_clip(v, &path.key("clip_grad"))?),
    };
    let paramwise_cfg = match dict.get("paramwise_cfg") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let base_wd_given = opt.get("weight_decay").is_some_and(|wd| !wd.is_null());
            parse_paramwise(v, &path.key("paramwise_cfg"), base_wd_given)?
        }
    };
    Ok(OptimWrapperSpec {
        type_name,
        optimizer,
        accumulative_counts,
        clip_grad,
        paramwise_cfg,
    })
}

/// Parses `optim_wrapper` (found at `path`).
pub fn parse_optim_wrapper(v: &Value, path: &KeyPath) -> Result<OptimWrapperConfig, ConfigError> {
    let optimizers = optimizer_registry();
    let Value::Object(dict) = v else {
        return Err(path.error(format!("expected a table, found {}", kind_of(v))));
    };
    if dict.contains_key("optimizer") {
        return Ok(OptimWrapperConfig::Single(parse_wrapper(
            dict,
            path,
            &optimizers,
        )?));
    }
    let Some(constructor) = dict.get("constructor") else {
        return Err(path.error(
            "expected `optimizer` (one optimizer), or `constructor` plus one table per optimizer name (several)",
        ));
    };
    let Value::String(constructor) = constructor else {
        return Err(path
            .key("constructor")
            .error("expected a constructor name (a string)"));
    };
    let mut wrappers = Vec::new();
    for (name, w) in dict.iter().filter(|(k, _)| k.as_str() != "constructor") {
        let Value::Object(wd) = w else {
            return Err(path.key(name).error(format!(
                "expected an optimizer wrapper table, found {}",
                kind_of(w)
            )));
        };
        wrappers.push((
            name.clone(),
            parse_wrapper(wd, &path.key(name), &optimizers)?,
        ));
    }
    if wrappers.is_empty() {
        return Err(
            path.error("a constructor with no optimizer tables: add one table per optimizer name")
        );
    }
    Ok(OptimWrapperConfig::Multi {
        constructor: constructor.clone(),
        wrappers,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<OptimWrapperConfig, ConfigError> {
        parse_optim_wrapper(&v, &KeyPath::root().key("optim_wrapper"))
    }

    #[test]
    fn adam_momentum_is_beta1_and_adagrad_has_none() {
        let OptimWrapperConfig::Single(w) =
            parse(json!({"optimizer": {"type": "Adam", "lr": 0.1, "betas": [0.85, 0.999]}}))
                .expect("parses")
        else {
            panic!("single")
        };
        assert_eq!(w.optimizer.initial_group().get("momentum"), Some(0.85));
        assert_eq!(w.type_name, "OptimWrapper");
        let OptimWrapperConfig::Single(w) =
            parse(json!({"optimizer": {"type": "Adagrad"}})).expect("parses")
        else {
            panic!("single")
        };
        assert_eq!(w.optimizer.initial_group().get("momentum"), None);
    }

    #[test]
    fn unknown_optimizer_keys_and_types_are_errors() {
        let err =
            parse(json!({"optimizer": {"type": "SGD", "lr": 0.1, "momentun": 0.9}})).unwrap_err();
        assert_eq!(err.path, "optim_wrapper.optimizer.momentun");
        let err = parse(json!({"optimizer": {"type": "Adamw", "lr": 0.1}})).unwrap_err();
        assert!(err.message.contains("Did you mean `AdamW`?"), "{err}");
    }

    #[test]
    fn several_optimizers_need_a_constructor() {
        let cfg = json!({
            "constructor": "MultiOptimWrapperConstructor",
            "generator": {"optimizer": {"type": "Adam", "lr": 0.0002}},
            "discriminator": {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.01}}
        });
        let OptimWrapperConfig::Multi { wrappers, .. } = parse(cfg).expect("parses") else {
            panic!("multi")
        };
        let names: Vec<&str> = wrappers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["discriminator", "generator"]);
        assert!(
            parse(json!({"generator": {}}))
                .unwrap_err()
                .message
                .contains("constructor")
        );
    }

    #[test]
    fn clip_grad_by_norm_or_value() {
        let OptimWrapperConfig::Single(w) = parse(json!({
            "optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": {"max_norm": 1.0, "norm_type": "inf"}
        }))
        .expect("parses") else {
            panic!("single")
        };
        assert_eq!(
            w.clip_grad,
            Some(ClipGrad::Norm {
                max_norm: 1.0,
                norm_type: f64::INFINITY
            })
        );
        let err =
            parse(json!({"optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": {"type": "value"}}))
                .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.clip_grad");
        assert!(err.message.contains("clip_value"), "{err}");
    }
}
