//! MMEngine's `paramwise_cfg`: per-parameter lr and weight-decay multipliers, and
//! the rules (`DefaultOptimWrapperConstructor.add_params`) that pick them.

use std::collections::BTreeMap;

use serde::Deserialize;

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

/// What MMEngine's rules look at in a parameter besides its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParamKind {
    /// The module that owns it is a normalisation layer.
    pub is_norm: bool,
    /// The module that owns it is a depth-wise `Conv2d` (`in_channels == groups`).
    pub is_dwconv: bool,
    /// The parameter's rank (1 for a bias or a norm's scale).
    pub ndim: usize,
}

/// How one parameter's group differs from the optimizer's: multipliers of the base lr
/// and weight decay, or values set outright by a custom key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Multipliers {
    /// Multiplies the base learning rate.
    pub lr_mult: f64,
    /// Multiplies the base weight decay.
    pub decay_mult: f64,
}

impl Default for Multipliers {
    fn default() -> Self {
        Self {
            lr_mult: 1.0,
            decay_mult: 1.0,
        }
    }
}

impl Multipliers {
    /// The group's `(lr, weight_decay)` from the optimizer's.
    pub fn apply(&self, base_lr: f64, base_wd: f64) -> (f64, f64) {
        (base_lr * self.lr_mult, base_wd * self.decay_mult)
    }
}

impl ParamwiseCfg {
    /// The custom keys in the order MMEngine tries them: alphabetically, then stably
    /// by length, longest first (so the longest match wins, ties alphabetical).
    pub fn sorted_custom_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.custom_keys.keys().map(String::as_str).collect();
        keys.sort();
        keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
        keys
    }

    /// The multipliers for the parameter called `name` (dotted, `stem.bias`) of the
    /// given kind.
    pub fn multipliers(&self, name: &str, kind: ParamKind) -> Multipliers {
        let full = format!(".{name}");
        let local = name.rsplit('.').next().unwrap_or(name);
        if let Some(key) = self
            .sorted_custom_keys()
            .into_iter()
            .find(|k| full.contains(k))
        {
            let custom = &self.custom_keys[key];
            return Multipliers {
                lr_mult: custom.lr_mult.unwrap_or(1.0),
                decay_mult: custom.decay_mult.unwrap_or(1.0),
            };
        }
        let mut m = Multipliers::default();
        let is_bias = local == "bias";
        if let (true, false, Some(mult)) = (is_bias, kind.is_norm, self.bias_lr_mult) {
            m.lr_mult = mult;
        }
        let wd_mult = match () {
            _ if kind.is_norm && self.norm_decay_mult.is_some() => self.norm_decay_mult,
            _ if kind.is_dwconv && self.dwconv_decay_mult.is_some() => self.dwconv_decay_mult,
            _ if is_bias && self.bias_decay_mult.is_some() => self.bias_decay_mult,
            _ if kind.ndim == 1 && self.flat_decay_mult.is_some() => self.flat_decay_mult,
            _ => None,
        };
        if let Some(mult) = wd_mult {
            m.decay_mult = mult;
        }
        m
    }
}
