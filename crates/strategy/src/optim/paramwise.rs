//! MMEngine's `paramwise_cfg`: per-parameter lr and weight-decay multipliers, and
//! the rules (`DefaultOptimWrapperConstructor.add_params`) that pick them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::keys::check_keys;
use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath, from_value};

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
    /// weight-decay multiplier for the other 1-D parameters (after the norm, bias and
    /// depth-wise rules).
    #[serde(default)]
    pub flat_decay_mult: Option<f64>,
    /// MMEngine: skip a parameter already in an earlier group (a tied weight) instead
    /// of letting PyTorch raise. Accepted with no effect here: the built-in models
    /// hold each parameter once, and a parameter a model does hold twice (a cloned
    /// burn `Param`) is always kept at its first place only, which is what
    /// `bypass_duplicate = true` does; see [`BYPASS_DUPLICATE_NOTE`].
    #[serde(default)]
    pub bypass_duplicate: bool,
    /// MMEngine: lr multiplier for a deformable convolution's offset layer. Accepted
    /// with no effect here: no model has a deformable convolution.
    #[serde(default)]
    pub dcn_offset_lr_mult: Option<f64>,
    /// Per-name settings: a substring of the parameter name → multipliers.
    #[serde(default)]
    pub custom_keys: BTreeMap<String, CustomKey>,
}

/// `paramwise_cfg`'s keys.
pub const PARAMWISE_KEYS: &[&str] = &[
    "bias_lr_mult",
    "bias_decay_mult",
    "norm_decay_mult",
    "dwconv_decay_mult",
    "flat_decay_mult",
    "bypass_duplicate",
    "dcn_offset_lr_mult",
    "custom_keys",
];

/// A custom key's keys.
pub const CUSTOM_KEY_KEYS: &[&str] = &[
    "lr_mult",
    "decay_mult",
    "lr",
    "weight_decay",
    "lars_exclude",
];

/// Why `bypass_duplicate` cannot change a result here.
pub const BYPASS_DUPLICATE_NOTE: &str = "the built-in models hold each parameter once, and \
     one held twice (a cloned burn `Param`) is always grouped at its first place only, as \
     bypass_duplicate = true does, so it cannot change the result";

/// Why `dcn_offset_lr_mult` cannot change a result here.
pub const DCN_OFFSET_NOTE: &str =
    "no model here has a deformable convolution, so it applies to no parameter";

/// Settings for parameters whose name contains a custom key. MMEngine copies every
/// key of the entry into the parameter group, so an explicit `lr` or `weight_decay`
/// wins over the multiplied one.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomKey {
    /// lr multiplier.
    #[serde(default)]
    pub lr_mult: Option<f64>,
    /// weight-decay multiplier.
    #[serde(default)]
    pub decay_mult: Option<f64>,
    /// The group's lr, outright.
    #[serde(default)]
    pub lr: Option<f64>,
    /// The group's weight decay, outright.
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// mmpretrain's LARS: no layer-wise rate for these parameters (MMEngine copies
    /// the key into their group; only LARS reads it).
    #[serde(default)]
    pub lars_exclude: Option<bool>,
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
    /// The lr a custom key sets outright (it wins over `lr_mult`).
    pub lr: Option<f64>,
    /// The weight decay a custom key sets outright (it wins over `decay_mult`).
    pub weight_decay: Option<f64>,
    /// LARS' `lars_exclude`, set by a custom key.
    pub lars_exclude: bool,
}

impl Default for Multipliers {
    fn default() -> Self {
        Self {
            lr_mult: 1.0,
            decay_mult: 1.0,
            lr: None,
            weight_decay: None,
            lars_exclude: false,
        }
    }
}

impl Multipliers {
    /// The group's `(lr, weight_decay)` from the optimizer's.
    pub fn apply(&self, base_lr: f64, base_wd: f64) -> (f64, f64) {
        (
            self.lr.unwrap_or(base_lr * self.lr_mult),
            self.weight_decay.unwrap_or(base_wd * self.decay_mult),
        )
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
    /// given kind, by MMEngine's `add_params`:
    ///
    /// 1. the longest custom key that is a substring of `prefix.name` (a top-level
    ///    parameter is `.name`) sets the lr and decay multipliers (default 1) and any
    ///    `lr` or `weight_decay` outright, and **no other rule applies** (MMEngine
    ///    issue #846);
    /// 2. otherwise `bias_lr_mult` applies to a parameter called `bias` outside a norm
    ///    layer, and the weight decay takes the first rule whose kind matches **and**
    ///    whose multiplier is set: norm layer (`norm_decay_mult`, weight and bias),
    ///    `bias` (`bias_decay_mult`, a depth-wise conv's bias too), depth-wise conv
    ///    (`dwconv_decay_mult`), 1-D (`flat_decay_mult`). An unset multiplier lets the
    ///    parameter fall through to the next rule, as in MMEngine ≥ 0.4 (before, the
    ///    multipliers defaulted to 1 and depth-wise came before bias).
    ///
    /// No model here has a deformable convolution, so MMEngine's DCN exceptions never
    /// apply.
    pub fn multipliers(&self, name: &str, kind: ParamKind) -> Multipliers {
        let (prefix, local) = name.rsplit_once('.').unwrap_or(("", name));
        let full = format!("{prefix}.{local}");
        if let Some(key) = self
            .sorted_custom_keys()
            .into_iter()
            .find(|k| full.contains(k))
        {
            let custom = &self.custom_keys[key];
            return Multipliers {
                lr_mult: custom.lr_mult.unwrap_or(1.0),
                decay_mult: custom.decay_mult.unwrap_or(1.0),
                lr: custom.lr,
                weight_decay: custom.weight_decay,
                lars_exclude: custom.lars_exclude.unwrap_or(false),
            };
        }
        let is_bias = local == "bias";
        let lr_mult = match self.bias_lr_mult {
            Some(m) if is_bias && !kind.is_norm => m,
            _ => 1.0,
        };
        let decay_mult = [
            (kind.is_norm, self.norm_decay_mult),
            (is_bias, self.bias_decay_mult),
            (kind.is_dwconv, self.dwconv_decay_mult),
            (kind.ndim == 1, self.flat_decay_mult),
        ]
        .into_iter()
        .find_map(|(applies, mult)| mult.filter(|_| applies))
        .unwrap_or(1.0);
        Multipliers {
            lr_mult,
            decay_mult,
            ..Multipliers::default()
        }
    }
}

/// Parses `paramwise_cfg` (found at `path`) as MMEngine's constructor reads it.
/// `base_wd_given`: whether the optimizer's config sets `weight_decay`.
///
/// - An empty table is no `paramwise_cfg`: one group for every parameter.
/// - Without a base weight decay, MMEngine raises for `bias_decay_mult`,
///   `norm_decay_mult`, `dwconv_decay_mult` and a custom key's `decay_mult`
///   ("base_wd should not be None"): so does this, naming the key. It silently skips
///   `flat_decay_mult`: so the parsed config drops it.
pub(crate) fn parse_paramwise(
    v: &Value,
    path: &KeyPath,
    base_wd_given: bool,
    ignored: &mut Vec<String>,
) -> Result<Option<ParamwiseCfg>, ConfigError> {
    let Value::Object(table) = v else {
        return Err(path.error(format!("expected a table, found {}", kind_of(v))));
    };
    if table.is_empty() {
        return Ok(None);
    }
    check_keys(table, path, "paramwise_cfg", PARAMWISE_KEYS)?;
    if let Some(custom) = table.get("custom_keys") {
        let Value::Object(custom) = custom else {
            return Err(path.key("custom_keys").error(format!(
                "expected a table of parameter-name substring → settings, found {}",
                kind_of(custom)
            )));
        };
        for (name, entry) in custom {
            let at = path.key("custom_keys").key(name);
            let Value::Object(entry) = entry else {
                return Err(at.error(format!(
                    "expected a table such as {{ lr_mult = 0.1 }}, found {}",
                    kind_of(entry)
                )));
            };
            check_keys(entry, &at, "a custom key", CUSTOM_KEY_KEYS)?;
        }
    }
    let mut cfg: ParamwiseCfg = from_value(v, path)?;
    if table.contains_key("bypass_duplicate") {
        ignored.push(format!(
            "{}: {BYPASS_DUPLICATE_NOTE}",
            path.key("bypass_duplicate")
        ));
    }
    if table.contains_key("dcn_offset_lr_mult") {
        ignored.push(format!(
            "{}: {DCN_OFFSET_NOTE}",
            path.key("dcn_offset_lr_mult")
        ));
    }
    if !base_wd_given {
        let needs_wd = |key: &KeyPath| {
            key.error(
                "a weight-decay multiplier needs the optimizer's `weight_decay` \
                 (MMEngine: \"base_wd should not be None\"); set optimizer.weight_decay",
            )
        };
        for (key, mult) in [
            ("bias_decay_mult", cfg.bias_decay_mult),
            ("norm_decay_mult", cfg.norm_decay_mult),
            ("dwconv_decay_mult", cfg.dwconv_decay_mult),
        ] {
            if mult.is_some() {
                return Err(needs_wd(&path.key(key)));
            }
        }
        for (name, custom) in &cfg.custom_keys {
            if custom.decay_mult.is_some() {
                return Err(needs_wd(
                    &path.key("custom_keys").key(name).key("decay_mult"),
                ));
            }
        }
        if cfg.flat_decay_mult.take().is_some() {
            ignored.push(format!(
                "{}: the optimizer sets no weight_decay, so MMEngine skips it (and so does this)",
                path.key("flat_decay_mult")
            ));
        }
    }
    Ok(Some(cfg))
}

/// Whether a burn module (its struct name, `BatchNorm` or `Struct:BatchNorm`) is a
/// normalisation layer as MMEngine counts them: `_BatchNorm`, `_InstanceNorm`,
/// `GroupNorm` and `LayerNorm`. PyTorch's `RMSNorm` is none of those, so burn's
/// `RmsNorm` is not either: its scale is an ordinary 1-D parameter.
pub fn is_norm_layer(struct_name: &str) -> bool {
    let name = struct_name.strip_prefix("Struct:").unwrap_or(struct_name);
    ["BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm"].contains(&name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cfg(v: serde_json::Value) -> ParamwiseCfg {
        serde_json::from_value(v).expect("a paramwise_cfg")
    }

    const CONV: ParamKind = ParamKind {
        is_norm: false,
        is_dwconv: false,
        ndim: 4,
    };
    const DW: ParamKind = ParamKind {
        is_norm: false,
        is_dwconv: true,
        ndim: 4,
    };
    const NORM: ParamKind = ParamKind {
        is_norm: true,
        is_dwconv: false,
        ndim: 1,
    };
    const FLAT: ParamKind = ParamKind {
        is_norm: false,
        is_dwconv: false,
        ndim: 1,
    };

    fn mults(c: &ParamwiseCfg, name: &str, kind: ParamKind) -> (f64, f64) {
        let m = c.multipliers(name, kind);
        (m.lr_mult, m.decay_mult)
    }

    /// The worked example of `mmengine-behaviour.md` §3.6 (MMEngine ≥ 0.4, where the
    /// bias rule comes before the depth-wise one).
    #[test]
    fn the_reference_worked_example() {
        let c = cfg(json!({
            "bias_lr_mult": 2.0, "bias_decay_mult": 0.0,
            "norm_decay_mult": 0.0, "dwconv_decay_mult": 0.1,
        }));
        let dw_bias = ParamKind { ndim: 1, ..DW };
        assert_eq!(mults(&c, "conv.weight", CONV), (1.0, 1.0));
        assert_eq!(mults(&c, "conv.bias", FLAT), (2.0, 0.0));
        assert_eq!(mults(&c, "bn.weight", NORM), (1.0, 0.0));
        assert_eq!(mults(&c, "bn.bias", NORM), (1.0, 0.0));
        assert_eq!(mults(&c, "dw.weight", DW), (1.0, 0.1));
        assert_eq!(mults(&c, "dw.bias", dw_bias), (2.0, 0.0));
        assert_eq!(
            mults(&c, "fc.weight", ParamKind { ndim: 2, ..CONV }),
            (1.0, 1.0)
        );
        assert_eq!(mults(&c, "fc.bias", FLAT), (2.0, 0.0));
    }

    #[test]
    fn a_depthwise_bias_takes_the_bias_decay_mult() {
        let c = cfg(json!({"bias_decay_mult": 0.5, "dwconv_decay_mult": 0.0}));
        let dw_bias = ParamKind { ndim: 1, ..DW };
        assert_eq!(mults(&c, "depthwise.bias", dw_bias), (1.0, 0.5));
        assert_eq!(mults(&c, "depthwise.weight", DW), (1.0, 0.0));
    }

    /// MMEngine's chain is "first rule whose kind matches *and* whose multiplier is
    /// set": an unset multiplier lets the parameter fall through to the next rule.
    #[test]
    fn an_unset_multiplier_falls_through_to_the_next_rule() {
        let c = cfg(json!({"bias_decay_mult": 0.5, "flat_decay_mult": 0.25}));
        // A norm layer's bias: no norm_decay_mult, so the bias rule.
        assert_eq!(mults(&c, "bn.bias", NORM), (1.0, 0.5));
        // A norm layer's weight: not a bias, 1-D, so the flat rule.
        assert_eq!(mults(&c, "bn.weight", NORM), (1.0, 0.25));
        let c = cfg(json!({"dwconv_decay_mult": 0.1}));
        assert_eq!(
            mults(&c, "dw.bias", ParamKind { ndim: 1, ..DW }),
            (1.0, 0.1)
        );
    }

    #[test]
    fn bias_lr_mult_skips_norm_layers() {
        let c = cfg(json!({"bias_lr_mult": 2.0}));
        assert_eq!(mults(&c, "bn.bias", NORM), (1.0, 1.0));
        assert_eq!(
            mults(&c, "dw.bias", ParamKind { ndim: 1, ..DW }),
            (2.0, 1.0)
        );
        // Only a parameter called `bias`, not one whose module is.
        assert_eq!(mults(&c, "bias.weight", CONV), (1.0, 1.0));
        assert_eq!(mults(&c, "bias", FLAT), (2.0, 1.0));
    }

    /// A custom key is a substring of `prefix.name` (a top-level parameter is
    /// `.name`); the longest key wins, ties alphabetically, and the other rules are
    /// skipped (MMEngine issue #846).
    #[test]
    fn custom_keys_win_longest_first_and_skip_the_other_rules() {
        let c = cfg(json!({
            "bias_lr_mult": 2.0, "bias_decay_mult": 0.0, "norm_decay_mult": 0.0,
            "custom_keys": {
                "head": {"lr_mult": 0.1},
                "head.fc": {"decay_mult": 0.5},
                "bb": {"lr_mult": 3.0},
                "aa": {"lr_mult": 4.0},
                ".stem": {"lr_mult": 5.0},
                ".scale": {"lr_mult": 6.0},
            }
        }));
        assert_eq!(mults(&c, "decode_head.conv.bias", FLAT), (0.1, 1.0));
        assert_eq!(mults(&c, "head.fc.bias", FLAT), (1.0, 0.5));
        assert_eq!(mults(&c, "head.bn.weight", NORM), (0.1, 1.0));
        assert_eq!(mults(&c, "aabb.weight", CONV), (4.0, 1.0));
        // `prefix.name` of a child has no leading dot; of a top-level one it does.
        assert_eq!(mults(&c, "stem.weight", CONV), (1.0, 1.0));
        assert_eq!(mults(&c, "scale", FLAT), (6.0, 1.0));
    }

    #[test]
    fn a_custom_lr_or_weight_decay_is_set_outright() {
        let c = cfg(json!({"custom_keys": {"head": {"lr_mult": 0.1, "weight_decay": 0.0}}}));
        let m = c.multipliers("head.weight", CONV);
        assert_eq!(m.apply(0.01, 1e-4), (0.001, 0.0));
        let c = cfg(json!({"custom_keys": {"head": {"lr": 0.5, "decay_mult": 2.0}}}));
        assert_eq!(
            c.multipliers("head.weight", CONV).apply(0.01, 1e-4),
            (0.5, 2e-4)
        );
    }

    fn parse(
        v: serde_json::Value,
        base_wd_given: bool,
    ) -> Result<Option<ParamwiseCfg>, ConfigError> {
        parse_paramwise(
            &v,
            &KeyPath::root().key("paramwise_cfg"),
            base_wd_given,
            &mut Vec::new(),
        )
    }

    #[test]
    fn an_empty_table_is_no_paramwise_cfg() {
        assert_eq!(parse(json!({}), true).ok(), Some(None));
    }

    /// MMEngine's `_validate_cfg`: decay multipliers need a base weight decay, except
    /// `flat_decay_mult`, which `add_params` then skips.
    #[test]
    fn decay_multipliers_without_a_weight_decay() {
        let err = parse(json!({"norm_decay_mult": 0.0}), false).unwrap_err();
        assert_eq!(err.path, "paramwise_cfg.norm_decay_mult");
        assert!(err.message.contains("weight_decay"), "{err}");
        let err = parse(json!({"custom_keys": {"head": {"decay_mult": 0.0}}}), false).unwrap_err();
        assert_eq!(err.path, "paramwise_cfg.custom_keys.head.decay_mult");
        let cfg = parse(json!({"flat_decay_mult": 0.0, "bias_lr_mult": 2.0}), false)
            .expect("parses")
            .expect("not empty");
        assert_eq!((cfg.flat_decay_mult, cfg.bias_lr_mult), (None, Some(2.0)));
        let cfg = parse(json!({"flat_decay_mult": 0.0}), true).expect("parses");
        assert_eq!(cfg.and_then(|c| c.flat_decay_mult), Some(0.0));
    }

    #[test]
    fn norm_layers_are_mmengines_four() {
        for n in ["Struct:BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm"] {
            assert!(is_norm_layer(n), "{n}");
        }
        for n in [
            "Struct:RmsNorm",
            "Struct:Conv2d",
            "Struct:MyLayerNormish",
            "",
        ] {
            assert!(!is_norm_layer(n), "{n}");
        }
    }
}
