//! Optimizers outside `torch.optim` that OpenMMLab configs use: mmpretrain's `LARS`
//! and `Lamb` (timm's, copied), and `Lion` from `lion-pytorch`, which MMEngine
//! registers when it is installed. Names and defaults are those implementations'.

use serde::Deserialize;

use super::defaults::*;

/// mmpretrain's LARS (layer-wise adaptive rate scaling on SGD).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LarsSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Base learning rate (required: mmpretrain's LARS has no default).
    pub lr: f64,
    /// Momentum factor.
    #[serde(default)]
    pub momentum: f64,
    /// Weight decay (L2, inside the layer-wise rate).
    #[serde(default)]
    pub weight_decay: f64,
    /// Dampening for momentum.
    #[serde(default)]
    pub dampening: f64,
    /// The LARS coefficient η.
    #[serde(default = "lars_eta_default")]
    pub eta: f64,
    /// Nesterov momentum.
    #[serde(default)]
    pub nesterov: bool,
    /// Added to the local rate's denominator.
    #[serde(default = "eps_adam")]
    pub eps: f64,
}

/// mmpretrain's Lamb (timm's implementation).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Learning rate.
    #[serde(default = "lr_adam")]
    pub lr: f64,
    /// Divide the moments by `1 − β^t`.
    #[serde(default = "yes")]
    pub bias_correction: bool,
    /// `(beta1, beta2)`; momentum schedulers drive `beta1`.
    #[serde(default = "betas_default")]
    pub betas: (f64, f64),
    /// Term added to the denominator.
    #[serde(default = "eps_adadelta")]
    pub eps: f64,
    /// Decoupled weight decay, inside the trust ratio.
    #[serde(default = "lamb_weight_decay_default")]
    pub weight_decay: f64,
    /// Scale the gradient by `1 − β1` in the first moment.
    #[serde(default = "yes")]
    pub grad_averaging: bool,
    /// The global gradient norm above which every gradient is scaled down.
    #[serde(default = "one")]
    pub max_grad_norm: f64,
    /// Cap the trust ratio at 1.
    #[serde(default)]
    pub trust_clip: bool,
    /// Apply the trust ratio without weight decay too.
    #[serde(default)]
    pub always_adapt: bool,
}

/// Lion (`lion-pytorch`): the sign of an interpolated momentum.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LionSpec {
    #[serde(rename = "type")]
    pub(super) _type: String,
    /// Learning rate.
    #[serde(default = "lr_lion")]
    pub lr: f64,
    /// `(beta1, beta2)`: interpolation for the update, decay of the momentum;
    /// momentum schedulers drive `beta1`.
    #[serde(default = "lion_betas_default")]
    pub betas: (f64, f64),
    /// Decoupled weight decay (`p ← p (1 − lr · wd)`).
    #[serde(default)]
    pub weight_decay: f64,
    /// Divide the weight decay by the starting lr (`wd / init_lr`).
    #[serde(default)]
    pub decoupled_weight_decay: bool,
    /// Accepted and ignored (lion-pytorch's Triton kernel, the same update).
    #[serde(default)]
    pub use_triton: bool,
}
