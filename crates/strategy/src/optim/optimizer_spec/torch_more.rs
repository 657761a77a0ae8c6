//! The rest of `torch.optim` (names and defaults of PyTorch 2.15): Adadelta, Adamax,
//! NAdam, RAdam, ASGD and Rprop.

use serde::Deserialize;

use super::defaults::*;

/// Adadelta's hyper-parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdadeltaSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Coefficient that scales the delta before it is applied.
    #[serde(default = "one")]
    pub lr: f64,
    /// Running-average coefficient of the squared gradients and deltas.
    #[serde(default = "rho_default")]
    pub rho: f64,
    /// Term added inside both square roots.
    #[serde(default = "eps_adadelta")]
    pub eps: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
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
}

/// Adamax's hyper-parameters (Adam with the infinity norm).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamaxSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Learning rate.
    #[serde(default = "lr_adamax")]
    pub lr: f64,
    /// `(beta1, beta2)`; momentum schedulers drive `beta1`.
    #[serde(default = "betas_default")]
    pub betas: (f64, f64),
    /// Term added to the denominator.
    #[serde(default = "eps_adam")]
    pub eps: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
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
}

/// NAdam's and RAdam's hyper-parameters (`momentum_decay` is NAdam's only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NadamSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Learning rate (NAdam 2e-3, RAdam 1e-3 when omitted; set by the registry).
    #[serde(default)]
    pub lr: Option<f64>,
    /// `(beta1, beta2)`; momentum schedulers drive `beta1`.
    #[serde(default = "betas_default")]
    pub betas: (f64, f64),
    /// Term added to the denominator.
    #[serde(default = "eps_adam")]
    pub eps: f64,
    /// Weight decay (L2, or AdamW's decoupled form with `decoupled_weight_decay`).
    #[serde(default)]
    pub weight_decay: f64,
    /// NAdam's momentum decay `ψ` (μ_t = β1 (1 − 0.5 · 0.96^(t ψ))).
    #[serde(default = "momentum_decay_default")]
    pub momentum_decay: f64,
    /// Decay the weights directly (AdamW's way) instead of adding an L2 gradient.
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
}

/// ASGD's hyper-parameters (averaged SGD).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsgdSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Learning rate.
    #[serde(default = "lr_small")]
    pub lr: f64,
    /// Decay term.
    #[serde(default = "lambd_default")]
    pub lambd: f64,
    /// Power of the eta update.
    #[serde(default = "asgd_alpha_default")]
    pub alpha: f64,
    /// The step at which averaging starts.
    #[serde(default = "t0_default")]
    pub t0: f64,
    /// L2 penalty.
    #[serde(default)]
    pub weight_decay: f64,
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
}

/// Rprop's hyper-parameters (resilient back-propagation).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpropSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// The starting step size of every element.
    #[serde(default = "lr_small")]
    pub lr: f64,
    /// `(etaminus, etaplus)`: step-size factors after a sign change / no change.
    #[serde(default = "etas_default")]
    pub etas: (f64, f64),
    /// `(min, max)` step size.
    #[serde(default = "step_sizes_default")]
    pub step_sizes: (f64, f64),
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
}
