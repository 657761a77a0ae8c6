//! Optimizer hyper-parameters (`optim_wrapper.optimizer`): one typed spec per
//! PyTorch optimizer (SGD, Adam, AdamW, RMSprop, Adagrad) with PyTorch's names and
//! defaults, checked once when parsed, and the `type` registry that builds them.

use serde::Deserialize;
use serde_json::Value;

use super::keys::check_keys;
use crate::base::ParamGroup;
use crate::base::registry::Registry;
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

    pub(crate) fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
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

/// The optimizer types, by PyTorch's names.
pub fn optimizer_registry() -> Registry<OptimizerSpec> {
    let mut registry = Registry::new("optimizer");
    fn add(
        registry: &mut Registry<OptimizerSpec>,
        name: &'static str,
        keys: &'static [&'static str],
        parse: fn(&Value, &KeyPath) -> Result<OptimizerSpec, ConfigError>,
    ) {
        registry.register(name, move |dict, path| {
            check_keys(dict, path, &format!("the {name} optimizer"), keys)?;
            let spec = parse(&Value::Object(dict.clone()), path)?;
            spec.check(path)?;
            Ok(spec)
        });
    }
    add(&mut registry, "SGD", SGD_KEYS, |v, p| {
        from_value(v, p).map(OptimizerSpec::SGD)
    });
    add(&mut registry, "Adam", ADAM_KEYS, |v, p| {
        from_value(v, p).map(OptimizerSpec::Adam)
    });
    add(&mut registry, "AdamW", ADAM_KEYS, |v, p| {
        from_value(v, p).map(OptimizerSpec::AdamW)
    });
    add(&mut registry, "RMSprop", RMSPROP_KEYS, |v, p| {
        from_value(v, p).map(OptimizerSpec::RMSprop)
    });
    add(&mut registry, "Adagrad", ADAGRAD_KEYS, |v, p| {
        from_value(v, p).map(OptimizerSpec::Adagrad)
    });
    registry
}

/// [`SgdSpec`]'s keys (PyTorch's `SGD` arguments).
pub const SGD_KEYS: &[&str] = &[
    "type",
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "nesterov",
    "maximize",
    "foreach",
    "differentiable",
    "fused",
];

/// [`AdamSpec`]'s keys (PyTorch's `Adam` and `AdamW` arguments).
pub const ADAM_KEYS: &[&str] = &[
    "type",
    "lr",
    "betas",
    "eps",
    "weight_decay",
    "amsgrad",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
    "fused",
];

/// [`RmspropSpec`]'s keys (PyTorch's `RMSprop` arguments).
pub const RMSPROP_KEYS: &[&str] = &[
    "type",
    "lr",
    "alpha",
    "eps",
    "weight_decay",
    "momentum",
    "centered",
    "maximize",
    "foreach",
    "differentiable",
    "capturable",
];

/// [`AdagradSpec`]'s keys (PyTorch's `Adagrad` arguments).
pub const ADAGRAD_KEYS: &[&str] = &[
    "type",
    "lr",
    "lr_decay",
    "weight_decay",
    "initial_accumulator_value",
    "eps",
    "maximize",
    "foreach",
    "differentiable",
    "fused",
];

/// PyTorch arguments that only choose how the same update is computed (a for-each
/// loop over tensors, a fused kernel, CUDA-graph capture, autograd through the
/// step). Accepted, and reported as having no effect here.
pub const IMPLEMENTATION_SWITCHES: &[&str] = &["foreach", "fused", "capturable", "differentiable"];

/// The note for an implementation switch at `path`.
pub(crate) fn implementation_note(path: &KeyPath) -> String {
    format!(
        "{path}: only selects one of PyTorch's implementations of the same computation; \
         there is one implementation here, so it cannot change the result"
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A value of the right type for each key, so every listed key is shown to be
    /// one serde accepts: the lists and the structs agree.
    fn sample(key: &str) -> Value {
        match key {
            "betas" => json!([0.9, 0.99]),
            "nesterov" | "maximize" | "foreach" | "differentiable" | "fused" | "capturable"
            | "amsgrad" | "centered" => json!(false),
            _ => json!(0.5),
        }
    }

    #[test]
    fn every_listed_key_is_accepted() {
        let registry = optimizer_registry();
        for (name, keys) in [
            ("SGD", SGD_KEYS),
            ("Adam", ADAM_KEYS),
            ("AdamW", ADAM_KEYS),
            ("RMSprop", RMSPROP_KEYS),
            ("Adagrad", ADAGRAD_KEYS),
        ] {
            let mut cfg = serde_json::Map::new();
            for key in keys.iter().filter(|k| **k != "type") {
                cfg.insert(key.to_string(), sample(key));
            }
            cfg.insert("type".into(), json!(name));
            let built = registry.build(&Value::Object(cfg), &KeyPath::root());
            assert!(built.is_ok(), "{name}: {built:?}");
        }
    }
}
