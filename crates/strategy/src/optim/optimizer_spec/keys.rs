//! Each optimizer's argument names, as its implementation spells them (the key lists
//! that unknown-key errors suggest from).

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

/// [`AdamSpec`]'s keys for `AdamW`.
pub const ADAMW_KEYS: &[&str] = &[
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

/// [`AdamSpec`]'s keys for `Adam` (AdamW's and `decoupled_weight_decay`).
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
    "decoupled_weight_decay",
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

/// Adadelta's keys.
pub const ADADELTA_KEYS: &[&str] = &[
    "type",
    "lr",
    "rho",
    "eps",
    "weight_decay",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// Adamax's keys.
pub const ADAMAX_KEYS: &[&str] = &[
    "type",
    "lr",
    "betas",
    "eps",
    "weight_decay",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// NAdam's keys.
pub const NADAM_KEYS: &[&str] = &[
    "type",
    "lr",
    "betas",
    "eps",
    "weight_decay",
    "momentum_decay",
    "decoupled_weight_decay",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// RAdam's keys.
pub const RADAM_KEYS: &[&str] = &[
    "type",
    "lr",
    "betas",
    "eps",
    "weight_decay",
    "decoupled_weight_decay",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// ASGD's keys.
pub const ASGD_KEYS: &[&str] = &[
    "type",
    "lr",
    "lambd",
    "alpha",
    "t0",
    "weight_decay",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// Rprop's keys.
pub const RPROP_KEYS: &[&str] = &[
    "type",
    "lr",
    "etas",
    "step_sizes",
    "maximize",
    "foreach",
    "capturable",
    "differentiable",
];

/// mmpretrain's LARS keys.
pub const LARS_KEYS: &[&str] = &[
    "type",
    "lr",
    "momentum",
    "weight_decay",
    "dampening",
    "eta",
    "nesterov",
    "eps",
];

/// mmpretrain's (timm's) Lamb keys.
pub const LAMB_KEYS: &[&str] = &[
    "type",
    "lr",
    "bias_correction",
    "betas",
    "eps",
    "weight_decay",
    "grad_averaging",
    "max_grad_norm",
    "trust_clip",
    "always_adapt",
];

/// lion-pytorch's Lion keys.
pub const LION_KEYS: &[&str] = &[
    "type",
    "lr",
    "betas",
    "weight_decay",
    "decoupled_weight_decay",
    "use_triton",
];
