//! PyTorch's classic optimizers: SGD, Adam/AdamW, RMSprop, Adagrad (names and
//! defaults of `torch.optim`).

use serde::Deserialize;

use super::defaults::*;

/// SGD's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
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
    /// PyTorch's `foreach`: honoured by the wrapper (`OptimWrapperSpec::foreach`, the
    /// grouped update of `optim::foreach`; the same results either way).
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
    pub(super) _type: String,
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
    /// PyTorch's `foreach`: honoured by the wrapper (`OptimWrapperSpec::foreach`, the
    /// grouped update of `optim::foreach`; the same results either way).
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
    pub(super) _type: String,
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
    /// PyTorch's `foreach`: honoured by the wrapper (`OptimWrapperSpec::foreach`, the
    /// grouped update of `optim::foreach`; the same results either way).
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
    pub(super) _type: String,
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
    /// `Adam` only: decay the weights directly, as AdamW does.
    #[serde(default)]
    pub decoupled_weight_decay: bool,
    /// Maximise instead of minimise.
    #[serde(default)]
    pub maximize: bool,
    /// PyTorch's `foreach`: honoured by the wrapper (`OptimWrapperSpec::foreach`, the
    /// grouped update of `optim::foreach`; the same results either way).
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
