//! Optimizer and optimizer-wrapper configs (`optim_wrapper`), parsed and checked.
//!
//! Keys are PyTorch's and MMEngine's. Unknown keys are errors. The training core
//! builds optimizers from these; the schedule preview only needs each optimizer's
//! starting hyper-parameters ([`OptimizerSpec::initial_group`]).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::base::ParamGroup;
use crate::base::registry::{Registry, kind_of};
use crate::base::{ConfigError, KeyPath, from_value};

/// One optimizer's hyper-parameters (PyTorch's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub enum OptimizerSpec {
    /// Stochastic gradient descent with momentum, dampening and Nesterov.
    SGD(SgdSpec),
    /// Adam (with AMSGrad).
    Adam(AdamSpec),
    /// Adam with decoupled weight decay.
    AdamW(AdamSpec),
    /// RMSprop.
    RMSprop(RmspropSpec),
    /// Adagrad.
    Adagrad(AdagradSpec),
}

/// SGD's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdSpec {
    #[serde(rename = "type")]
    _type: String,
    /// Learning rate.
    #[serde(default = "lr_sgd")]
    pub lr: f64,
    /// Momentum factor.
    #[serde(default)]
    pub momentum: f64,
    /// Dampening for momentum.
    #[serde(default)]
    pub dampening: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
    /// Nesterov momentum.
    #[serde(default)]
    pub nesterov: bool,
    /// Maximise instead of minimise.
    #[serde(default)]
    pub maximize: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub foreach: Option<bool>,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub differentiable: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub fused: Option<bool>,
}

/// RMSprop's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RmspropSpec {
    #[serde(rename = "type")]
    _type: String,
    /// Learning rate.
    #[serde(default = "lr_small")]
    pub lr: f64,
    /// Smoothing constant.
    #[serde(default = "alpha_default")]
    pub alpha: f64,
    /// Term added to the denominator.
    #[serde(default = "eps_adam")]
    pub eps: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
    /// Momentum factor.
    #[serde(default)]
    pub momentum: f64,
    /// Normalise by the estimated variance.
    #[serde(default)]
    pub centered: bool,
    /// Maximise instead of minimise.
    #[serde(default)]
    pub maximize: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub foreach: Option<bool>,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub differentiable: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub capturable: bool,
}

/// Adagrad's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdagradSpec {
    #[serde(rename = "type")]
    _type: String,
    /// Learning rate.
    #[serde(default = "lr_small")]
    pub lr: f64,
    /// Learning-rate decay.
    #[serde(default)]
    pub lr_decay: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
    /// Starting value of the accumulator.
    #[serde(default)]
    pub initial_accumulator_value: f64,
    /// Term added to the denominator.
    #[serde(default = "eps_adagrad")]
    pub eps: f64,
    /// Maximise instead of minimise.
    #[serde(default)]
    pub maximize: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub foreach: Option<bool>,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub differentiable: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub fused: Option<bool>,
}

/// Adam and AdamW's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamSpec {
    #[serde(rename = "type")]
    _type: String,
    /// Learning rate.
    #[serde(default = "lr_adam")]
    pub lr: f64,
    /// `(beta1, beta2)`; momentum schedulers drive `beta1`.
    #[serde(default = "betas_default")]
    pub betas: (f64, f64),
    /// Term added to the denominator.
    #[serde(default = "eps_adam")]
    pub eps: f64,
    /// Weight decay (L2 for Adam, decoupled for AdamW; AdamW's default is 0.01).
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// The AMSGrad variant.
    #[serde(default)]
    pub amsgrad: bool,
    /// Maximise instead of minimise.
    #[serde(default)]
    pub maximize: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub foreach: Option<bool>,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub capturable: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub differentiable: bool,
    /// Accepted and ignored (PyTorch implementation switch).
    #[serde(default)]
    pub fused: Option<bool>,
}

fn lr_sgd() -> f64 {
    1e-3
}
fn lr_adam() -> f64 {
    1e-3
}
fn lr_small() -> f64 {
    1e-2
}
fn alpha_default() -> f64 {
    0.99
}
fn eps_adam() -> f64 {
    1e-8
}
fn eps_adagrad() -> f64 {
    1e-10
}
fn betas_default() -> (f64, f64) {
    (0.9, 0.999)
}

impl OptimizerSpec {
    /// PyTorch's class name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SGD(_) => "SGD",
            Self::Adam(_) => "Adam",
            Self::AdamW(_) => "AdamW",
            Self::RMSprop(_) => "RMSprop",
            Self::Adagrad(_) => "Adagrad",
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Self::SGD(s) => s.lr,
            Self::RMSprop(r) => r.lr,
            Self::Adagrad(a) => a.lr,
            Self::Adam(a) | Self::AdamW(a) => a.lr,
        }
    }

    /// The starting parameter group as schedulers see it: `lr`, `weight_decay`, and
    /// `momentum` where the optimizer has one (SGD and RMSprop's `momentum`, Adam's
    /// `betas[0]`; Adagrad has none).
    pub fn initial_group(&self) -> ParamGroup {
        match self {
            Self::SGD(s) => ParamGroup::new([
                ("lr", s.lr),
                ("momentum", s.momentum),
                ("weight_decay", s.weight_decay),
            ]),
            Self::RMSprop(r) => ParamGroup::new([
                ("lr", r.lr),
                ("momentum", r.momentum),
                ("weight_decay", r.weight_decay),
            ]),
            Self::Adam(a) => ParamGroup::new([
                ("lr", a.lr),
                ("momentum", a.betas.0),
                ("weight_decay", a.weight_decay.unwrap_or(0.0)),
            ]),
            Self::AdamW(a) => ParamGroup::new([
                ("lr", a.lr),
                ("momentum", a.betas.0),
                ("weight_decay", a.weight_decay.unwrap_or(1e-2)),
            ]),
            Self::Adagrad(a) => ParamGroup::new([("lr", a.lr), ("weight_decay", a.weight_decay)]),
        }
    }

    fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        let lr = self.lr();
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(path
                .key("lr")
                .error(format!("expected a learning rate of 0 or more, got {lr}")));
        }
        match self {
            Self::SGD(s) => {
                if s.momentum < 0.0 {
                    return Err(path
                        .key("momentum")
                        .error(format!("expected 0 or more, got {}", s.momentum)));
                }
                if s.nesterov && (s.momentum <= 0.0 || s.dampening != 0.0) {
                    return Err(path
                        .key("nesterov")
                        .error("Nesterov momentum requires a momentum and zero dampening"));
                }
            }
            Self::Adam(a) | Self::AdamW(a) => {
                for (i, b) in [a.betas.0, a.betas.1].into_iter().enumerate() {
                    if !(0.0..1.0).contains(&b) {
                        return Err(path
                            .key("betas")
                            .index(i)
                            .error(format!("expected 0 <= beta < 1, got {b}")));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Gradient clipping (`clip_grad`): by norm (`max_norm`, `norm_type`) or by value.
#[derive(Debug, Clone, PartialEq)]
pub enum ClipGrad {
    /// `torch.nn.utils.clip_grad_norm_`.
    Norm {
        /// Largest allowed total norm.
        max_norm: f64,
        /// The p of the p-norm (`inf` allowed).
        norm_type: f64,
    },
    /// `torch.nn.utils.clip_grad_value_`.
    Value {
        /// Gradients are clamped to `[-clip_value, clip_value]`.
        clip_value: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClipNormCfg {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    max_norm: f64,
    #[serde(default = "two")]
    norm_type: NormType,
    #[serde(default)]
    #[allow(dead_code)]
    error_if_nonfinite: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NormType {
    Number(f64),
    Name(String),
}

fn two() -> NormType {
    NormType::Number(2.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClipValueCfg {
    #[serde(rename = "type")]
    _type: String,
    clip_value: f64,
}

/// MMEngine's `paramwise_cfg` multipliers.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamwiseCfg {
    /// lr multiplier for biases.
    #[serde(default)]
    pub bias_lr_mult: Option<f64>,
    /// weight-decay multiplier for biases.
    #[serde(default)]
    pub bias_decay_mult: Option<f64>,
    /// weight-decay multiplier for normalisation layers.
    #[serde(default)]
    pub norm_decay_mult: Option<f64>,
    /// weight-decay multiplier for depth-wise convolutions.
    #[serde(default)]
    pub dwconv_decay_mult: Option<f64>,
    /// weight-decay multiplier for 1-D parameters and biases.
    #[serde(default)]
    pub flat_decay_mult: Option<f64>,
    /// Skip parameters shared between modules instead of failing.
    #[serde(default)]
    pub bypass_duplicate: bool,
    /// Per-name settings: a substring of the parameter name → multipliers.
    #[serde(default)]
    pub custom_keys: BTreeMap<String, CustomKey>,
}

/// Multipliers for parameters whose name contains a custom key.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomKey {
    /// lr multiplier.
    #[serde(default)]
    pub lr_mult: Option<f64>,
    /// weight-decay multiplier.
    #[serde(default)]
    pub decay_mult: Option<f64>,
}

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

/// The optimizer types, by PyTorch's names.
pub fn optimizer_registry() -> Registry<OptimizerSpec> {
    let mut registry = Registry::new("optimizer");
    fn add(
        registry: &mut Registry<OptimizerSpec>,
        name: &str,
        parse: fn(&Value, &KeyPath) -> Result<OptimizerSpec, ConfigError>,
    ) {
        registry.register(name, move |dict, path| {
            let spec = parse(&Value::Object(dict.clone()), path)?;
            spec.check(path)?;
            Ok(spec)
        });
    }
    add(&mut registry, "SGD", |v, p| {
        from_value(v, p).map(OptimizerSpec::SGD)
    });
    add(&mut registry, "Adam", |v, p| {
        from_value(v, p).map(OptimizerSpec::Adam)
    });
    add(&mut registry, "AdamW", |v, p| {
        from_value(v, p).map(OptimizerSpec::AdamW)
    });
    add(&mut registry, "RMSprop", |v, p| {
        from_value(v, p).map(OptimizerSpec::RMSprop)
    });
    add(&mut registry, "Adagrad", |v, p| {
        from_value(v, p).map(OptimizerSpec::Adagrad)
    });
    registry
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
        Some(v) => Some(from_value::<ParamwiseCfg>(v, &path.key("paramwise_cfg"))?),
    };
    Ok(OptimWrapperSpec {
        type_name,
        optimizer,
        accumulative_counts,
        clip_grad,
        paramwise_cfg,
    })
}

fn parse_clip(v: &Value, path: &KeyPath) -> Result<ClipGrad, ConfigError> {
    let is_value = v.get("type").and_then(Value::as_str) == Some("value");
    if is_value {
        let c: ClipValueCfg = from_value(v, path)?;
        if c.clip_value <= 0.0 {
            return Err(path
                .key("clip_value")
                .error(format!("expected a positive value, got {}", c.clip_value)));
        }
        return Ok(ClipGrad::Value {
            clip_value: c.clip_value,
        });
    }
    let c: ClipNormCfg = from_value(v, path)?;
    if let Some(t) = &c._type
        && t != "norm"
    {
        return Err(path
            .key("type")
            .error(format!("expected \"norm\" or \"value\", got \"{t}\"")));
    }
    let norm_type = match c.norm_type {
        NormType::Number(n) => n,
        NormType::Name(s) if s == "inf" => f64::INFINITY,
        NormType::Name(s) => {
            return Err(path
                .key("norm_type")
                .error(format!("expected a number or \"inf\", got \"{s}\"")));
        }
    };
    if !(c.max_norm > 0.0) {
        return Err(path
            .key("max_norm")
            .error(format!("expected a positive norm, got {}", c.max_norm)));
    }
    if !(norm_type > 0.0) {
        return Err(path
            .key("norm_type")
            .error(format!("expected a positive p, got {norm_type}")));
    }
    Ok(ClipGrad::Norm {
        max_norm: c.max_norm,
        norm_type,
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
