//! Optimizer hyper-parameters (`optim_wrapper.optimizer`): one typed spec per
//! optimizer with its implementation's names and defaults, checked once when parsed,
//! and the `type` registry that builds them.
//!
//! - [`torch`]: SGD, Adam, AdamW, RMSprop, Adagrad;
//! - [`torch_more`]: Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop;
//! - [`large_batch`]: mmpretrain's LARS and Lamb, lion-pytorch's Lion;
//! - [`keys`]: each one's argument names.

mod defaults;
pub mod keys;
pub mod large_batch;
pub mod torch;
pub mod torch_more;

use serde_json::Value;

use super::keys::check_keys;
use crate::base::ParamGroup;
use crate::base::registry::Registry;
use crate::base::{ConfigError, KeyPath, from_value};
use keys::*;
pub use large_batch::{LambSpec, LarsSpec, LionSpec};
pub use torch::{AdagradSpec, AdamSpec, RmspropSpec, SgdSpec};
pub use torch_more::{AdadeltaSpec, AdamaxSpec, AsgdSpec, NadamSpec, RpropSpec};

/// One optimizer's hyper-parameters (its implementation's names and defaults).
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
    /// Adadelta.
    Adadelta(AdadeltaSpec),
    /// Adamax.
    Adamax(AdamaxSpec),
    /// NAdam (Nesterov-accelerated Adam).
    NAdam(NadamSpec),
    /// RAdam (rectified Adam).
    RAdam(NadamSpec),
    /// ASGD (averaged SGD).
    ASGD(AsgdSpec),
    /// Rprop.
    Rprop(RpropSpec),
    /// mmpretrain's LARS.
    LARS(LarsSpec),
    /// mmpretrain's (timm's) Lamb.
    Lamb(LambSpec),
    /// lion-pytorch's Lion.
    Lion(LionSpec),
}

impl OptimizerSpec {
    /// The implementation's class name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SGD(_) => "SGD",
            Self::Adam(_) => "Adam",
            Self::AdamW(_) => "AdamW",
            Self::RMSprop(_) => "RMSprop",
            Self::Adagrad(_) => "Adagrad",
            Self::Adadelta(_) => "Adadelta",
            Self::Adamax(_) => "Adamax",
            Self::NAdam(_) => "NAdam",
            Self::RAdam(_) => "RAdam",
            Self::ASGD(_) => "ASGD",
            Self::Rprop(_) => "Rprop",
            Self::LARS(_) => "LARS",
            Self::Lamb(_) => "Lamb",
            Self::Lion(_) => "Lion",
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Self::SGD(s) => s.lr,
            Self::RMSprop(r) => r.lr,
            Self::Adagrad(a) => a.lr,
            Self::Adam(a) | Self::AdamW(a) => a.lr,
            Self::Adadelta(a) => a.lr,
            Self::Adamax(a) => a.lr,
            Self::NAdam(n) => n.lr.unwrap_or(2e-3),
            Self::RAdam(n) => n.lr.unwrap_or(1e-3),
            Self::ASGD(a) => a.lr,
            Self::Rprop(r) => r.lr,
            Self::LARS(l) => l.lr,
            Self::Lamb(l) => l.lr,
            Self::Lion(l) => l.lr,
        }
    }

    /// `(beta1, beta2)` for the optimizers that have `betas`.
    pub fn betas(&self) -> Option<(f64, f64)> {
        match self {
            Self::Adam(a) | Self::AdamW(a) => Some(a.betas),
            Self::Adamax(a) => Some(a.betas),
            Self::NAdam(n) | Self::RAdam(n) => Some(n.betas),
            Self::Lamb(l) => Some(l.betas),
            Self::Lion(l) => Some(l.betas),
            _ => None,
        }
    }

    /// The starting parameter group as schedulers see it: `lr`, `weight_decay` where
    /// the optimizer has one, and `momentum` as MMEngine's momentum schedulers
    /// resolve it: the optimizer's `momentum` (SGD, RMSprop, LARS), else `betas[0]`
    /// (the Adam family, Lamb, Lion); Adagrad, Adadelta, ASGD and Rprop have none,
    /// so a momentum scheduler on them is refused, as MMEngine refuses it.
    pub fn initial_group(&self) -> ParamGroup {
        let mut group = ParamGroup::new([("lr", self.lr())]);
        let momentum = match self {
            Self::SGD(s) => Some(s.momentum),
            Self::RMSprop(r) => Some(r.momentum),
            Self::LARS(l) => Some(l.momentum),
            other => other.betas().map(|b| b.0),
        };
        if let Some(m) = momentum {
            group.set("momentum", m);
        }
        let weight_decay = match self {
            Self::SGD(s) => Some(s.weight_decay),
            Self::RMSprop(r) => Some(r.weight_decay),
            Self::Adam(a) => Some(a.weight_decay.unwrap_or(0.0)),
            Self::AdamW(a) => Some(a.weight_decay.unwrap_or(1e-2)),
            Self::Adagrad(a) => Some(a.weight_decay),
            Self::Adadelta(a) => Some(a.weight_decay),
            Self::Adamax(a) => Some(a.weight_decay),
            Self::NAdam(n) | Self::RAdam(n) => Some(n.weight_decay),
            Self::ASGD(a) => Some(a.weight_decay),
            Self::Rprop(_) => None,
            Self::LARS(l) => Some(l.weight_decay),
            Self::Lamb(l) => Some(l.weight_decay),
            Self::Lion(l) => Some(l.weight_decay),
        };
        if let Some(wd) = weight_decay {
            group.set("weight_decay", wd);
        }
        group
    }

    /// The constructor's own checks (PyTorch's `ValueError`s and their likes).
    pub(crate) fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        let lr = self.lr();
        let positive_lr = matches!(self, Self::Lion(_));
        if !(lr.is_finite() && (lr > 0.0 || (!positive_lr && lr == 0.0))) {
            let what = if positive_lr {
                "above 0"
            } else {
                "of 0 or more"
            };
            return Err(path
                .key("lr")
                .error(format!("expected a learning rate {what}, got {lr}")));
        }
        let at_least = |key: &str, v: f64, min: f64| {
            if v >= min {
                Ok(())
            } else {
                Err(path
                    .key(key)
                    .error(format!("expected {min} or more, got {v}")))
            }
        };
        if let Some((b1, b2)) = self.betas() {
            // Lion allows a beta of 1 (`0 <= beta <= 1`), the others do not.
            let top_ok = |b: f64| b < 1.0 || (matches!(self, Self::Lion(_)) && b == 1.0);
            for (i, b) in [b1, b2].into_iter().enumerate() {
                if !(b >= 0.0 && top_ok(b)) {
                    return Err(path
                        .key("betas")
                        .index(i)
                        .error(format!("expected 0 <= beta < 1, got {b}")));
                }
            }
        }
        let nesterov_needs = |nesterov: bool, momentum: f64, dampening: f64| {
            if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                Err(path
                    .key("nesterov")
                    .error("Nesterov momentum requires a momentum and zero dampening"))
            } else {
                Ok(())
            }
        };
        match self {
            Self::SGD(s) => {
                at_least("momentum", s.momentum, 0.0)?;
                nesterov_needs(s.nesterov, s.momentum, s.dampening)?;
            }
            Self::Adadelta(a) => {
                if !(0.0..=1.0).contains(&a.rho) {
                    return Err(path
                        .key("rho")
                        .error(format!("expected 0 <= rho <= 1, got {}", a.rho)));
                }
                at_least("eps", a.eps, 0.0)?;
                at_least("weight_decay", a.weight_decay, 0.0)?;
            }
            Self::Adamax(a) => {
                at_least("eps", a.eps, 0.0)?;
                at_least("weight_decay", a.weight_decay, 0.0)?;
            }
            Self::NAdam(n) | Self::RAdam(n) => {
                at_least("eps", n.eps, 0.0)?;
                at_least("weight_decay", n.weight_decay, 0.0)?;
                at_least("momentum_decay", n.momentum_decay, 0.0)?;
            }
            Self::ASGD(a) => at_least("weight_decay", a.weight_decay, 0.0)?,
            Self::Rprop(r) => {
                let (minus, plus) = r.etas;
                if !(0.0 < minus && minus < 1.0 && 1.0 < plus) {
                    return Err(path.key("etas").error(format!(
                        "expected 0 < etaminus < 1 < etaplus, got ({minus}, {plus})"
                    )));
                }
            }
            Self::LARS(l) => {
                at_least("momentum", l.momentum, 0.0)?;
                at_least("weight_decay", l.weight_decay, 0.0)?;
                at_least("eta", l.eta, 0.0)?;
                nesterov_needs(l.nesterov, l.momentum, l.dampening)?;
            }
            Self::Lamb(l) => {
                if !(l.max_grad_norm > 0.0) {
                    return Err(path.key("max_grad_norm").error(format!(
                        "expected a global gradient norm above 0, got {}",
                        l.max_grad_norm
                    )));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The optimizer types, by their implementations' names.
pub fn optimizer_registry() -> Registry<OptimizerSpec> {
    let mut registry = Registry::new("optimizer");
    fn add(
        registry: &mut Registry<OptimizerSpec>,
        name: &'static str,
        keys: &'static [&'static str],
        parse: fn(&Value, &KeyPath) -> Result<OptimizerSpec, ConfigError>,
    ) {
        registry.register(name, move |dict, path| {
            if name == "LARS" && dict.contains_key("exclude_bn_from_weight_decay") {
                return Err(path.key("exclude_bn_from_weight_decay").error(
                    "mmpretrain's LARS has no such argument: keep norm layers and biases out of \
                     weight decay and of the layer-wise rate with paramwise_cfg, e.g. \
                     norm_decay_mult = 0, bias_decay_mult = 0, or custom_keys = { bn = \
                     { decay_mult = 0, lars_exclude = true } }",
                ));
            }
            check_keys(dict, path, &format!("the {name} optimizer"), keys)?;
            let spec = parse(&Value::Object(dict.clone()), path)?;
            spec.check(path)?;
            Ok(spec)
        });
    }
    macro_rules! register {
        ($($name:literal, $keys:expr, $variant:ident;)*) => {
            $(add(&mut registry, $name, $keys, |v, p| {
                from_value(v, p).map(OptimizerSpec::$variant)
            });)*
        };
    }
    register! {
        "SGD", SGD_KEYS, SGD;
        "Adam", ADAM_KEYS, Adam;
        "AdamW", ADAMW_KEYS, AdamW;
        "RMSprop", RMSPROP_KEYS, RMSprop;
        "Adagrad", ADAGRAD_KEYS, Adagrad;
        "Adadelta", ADADELTA_KEYS, Adadelta;
        "Adamax", ADAMAX_KEYS, Adamax;
        "NAdam", NADAM_KEYS, NAdam;
        "RAdam", RADAM_KEYS, RAdam;
        "ASGD", ASGD_KEYS, ASGD;
        "Rprop", RPROP_KEYS, Rprop;
        "LARS", LARS_KEYS, LARS;
        "Lamb", LAMB_KEYS, Lamb;
        "Lion", LION_KEYS, Lion;
    }
    registry
}

/// Arguments that only choose how the same update is computed (a fused kernel,
/// CUDA-graph capture, autograd through the step, Lion's Triton kernel). Accepted, and
/// reported as having no effect here. `foreach` is honoured (`optim::foreach`): it
/// chooses between two implementations that exist here, with the same results.
pub const IMPLEMENTATION_SWITCHES: &[&str] =
    &["fused", "capturable", "differentiable", "use_triton"];

/// The note for an implementation switch at `path`.
pub(crate) fn implementation_note(path: &KeyPath) -> String {
    format!(
        "{path}: only selects one of the implementations of the same computation; \
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
            "etas" => json!([0.5, 1.2]),
            "step_sizes" => json!([1e-6, 50.0]),
            "nesterov"
            | "maximize"
            | "foreach"
            | "differentiable"
            | "fused"
            | "capturable"
            | "amsgrad"
            | "centered"
            | "decoupled_weight_decay"
            | "bias_correction"
            | "grad_averaging"
            | "trust_clip"
            | "always_adapt"
            | "use_triton" => json!(false),
            _ => json!(0.5),
        }
    }

    #[test]
    fn every_listed_key_is_accepted() {
        let registry = optimizer_registry();
        for (name, keys) in [
            ("SGD", SGD_KEYS),
            ("Adam", ADAM_KEYS),
            ("AdamW", ADAMW_KEYS),
            ("RMSprop", RMSPROP_KEYS),
            ("Adagrad", ADAGRAD_KEYS),
            ("Adadelta", ADADELTA_KEYS),
            ("Adamax", ADAMAX_KEYS),
            ("NAdam", NADAM_KEYS),
            ("RAdam", RADAM_KEYS),
            ("ASGD", ASGD_KEYS),
            ("Rprop", RPROP_KEYS),
            ("LARS", LARS_KEYS),
            ("Lamb", LAMB_KEYS),
            ("Lion", LION_KEYS),
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

#[cfg(test)]
mod momentum_tests {
    use serde_json::json;

    use super::*;

    fn group(cfg: Value) -> ParamGroup {
        optimizer_registry()
            .build(&cfg, &KeyPath::root())
            .expect("an optimizer")
            .initial_group()
    }

    /// MMEngine's momentum schedulers drive `momentum` where the optimizer has one,
    /// else `betas[0]`; the others have nothing to schedule.
    #[test]
    fn momentum_is_momentum_or_beta1_or_absent() {
        let m = |cfg: Value| group(cfg).get("momentum");
        assert_eq!(
            m(json!({"type": "LARS", "lr": 0.1, "momentum": 0.8})),
            Some(0.8)
        );
        assert_eq!(m(json!({"type": "NAdam", "betas": [0.7, 0.9]})), Some(0.7));
        assert_eq!(m(json!({"type": "RAdam"})), Some(0.9));
        assert_eq!(m(json!({"type": "Adamax"})), Some(0.9));
        assert_eq!(m(json!({"type": "Lamb"})), Some(0.9));
        assert_eq!(m(json!({"type": "Lion"})), Some(0.9));
        for t in ["Adadelta", "ASGD", "Rprop", "Adagrad"] {
            assert_eq!(m(json!({"type": t})), None, "{t}");
        }
        assert_eq!(group(json!({"type": "Rprop"})).get("weight_decay"), None);
        assert_eq!(
            group(json!({"type": "Lamb"})).get("weight_decay"),
            Some(0.01)
        );
        assert_eq!(group(json!({"type": "NAdam"})).get("lr"), Some(2e-3));
        assert_eq!(group(json!({"type": "RAdam"})).get("lr"), Some(1e-3));
    }

    #[test]
    fn constructor_checks_name_the_key() {
        let err = |cfg: Value| {
            optimizer_registry()
                .build(&cfg, &KeyPath::root().key("optimizer"))
                .expect_err("refused")
        };
        assert_eq!(
            err(json!({"type": "Rprop", "etas": [1.5, 1.2]})).path,
            "optimizer.etas"
        );
        assert_eq!(err(json!({"type": "LARS"})).path, "optimizer");
        assert_eq!(
            err(json!({"type": "LARS", "lr": 0.1, "nesterov": true})).path,
            "optimizer.nesterov"
        );
        assert_eq!(err(json!({"type": "Lion", "lr": 0.0})).path, "optimizer.lr");
        assert_eq!(
            err(json!({"type": "Adadelta", "rho": 1.5})).path,
            "optimizer.rho"
        );
        let e = err(json!({"type": "LARS", "lr": 0.1, "exclude_bn_from_weight_decay": true}));
        assert_eq!(e.path, "optimizer.exclude_bn_from_weight_decay");
        let e = err(json!({"type": "RAdam", "momentum_decay": 0.1}));
        assert_eq!(e.path, "optimizer.momentum_decay");
    }
}
