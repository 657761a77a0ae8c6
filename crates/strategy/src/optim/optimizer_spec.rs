//! Optimizer hyper-parameters (`optim_wrapper.optimizer`): one typed spec per
//! PyTorch optimizer (SGD, Adam, AdamW, RMSprop, Adagrad) with PyTorch's names and
//! defaults, checked once when parsed, and the `type` registry that builds them.

use serde::Deserialize;
use serde_json::Value;

use crate::config::{ConfigError, KeyPath, from_value};
use crate::registry::Registry;
use crate::scheduler::ParamGroup;

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
