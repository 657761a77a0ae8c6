//! The optimizer-wrapper config (`optim_wrapper`), parsed and checked: one wrapper
//! ([`OptimWrapperSpec`]) or several named ones built by a constructor.
//!
//! Keys are PyTorch's and MMEngine's. Unknown keys anywhere inside are errors naming
//! the full key path and the closest known key. Keys MMEngine accepts that cannot
//! change a result here are accepted and reported by
//! [`OptimWrapperConfig::ignored_notes`]; ones that would change it and are not
//! implemented (mixed precision) are refused. The training core builds optimizers
//! from these; the schedule preview only needs each optimizer's starting
//! hyper-parameters ([`OptimizerSpec::initial_group`]).

use serde_json::{Map, Value};

pub use super::clip::ClipGrad;
use super::clip::parse_clip;
use super::constructor::constructor;
use super::keys::{check_keys, did_you_mean};
pub use super::optimizer_spec::{
    AdagradSpec, AdamSpec, OptimizerSpec, RmspropSpec, SgdSpec, optimizer_registry,
};
use super::optimizer_spec::{IMPLEMENTATION_SWITCHES, implementation_note};
use super::paramwise::parse_paramwise;
pub use super::paramwise::{CustomKey, ParamwiseCfg};
use crate::base::registry::{Registry, kind_of};
use crate::base::{ConfigError, KeyPath};

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
    /// Keys of this wrapper that were accepted but cannot change the result here,
    /// each as `key.path: why` (see [`OptimWrapperConfig::ignored_notes`]).
    pub ignored: Vec<String>,
}

/// `optim_wrapper`: one wrapper, or several named ones built by a constructor.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimWrapperConfig {
    /// One optimizer.
    Single(OptimWrapperSpec),
    /// Several optimizers (MMEngine's `OptimWrapperDict`), by name, sorted.
    Multi {
        /// The constructor named in the config (`MultiOptimWrapperConstructor`).
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

    /// The keys MMEngine accepts that were accepted here but cannot change the
    /// result, each as `optim_wrapper.key.path: why`, for the config layer to log:
    /// PyTorch's implementation switches (`foreach`, `fused`, `capturable`,
    /// `differentiable`), `paramwise_cfg.bypass_duplicate`,
    /// `paramwise_cfg.dcn_offset_lr_mult`, and a `flat_decay_mult` that MMEngine
    /// skips for want of a weight decay. Empty for a config without them.
    pub fn ignored_notes(&self) -> Vec<String> {
        self.wrappers()
            .into_iter()
            .flat_map(|(_, w)| w.ignored.iter().cloned())
            .collect()
    }
}

/// The keys of an optimizer wrapper's table (MMEngine pops `constructor` and
/// `paramwise_cfg`, `OptimWrapper` takes the rest).
const WRAPPER_KEYS: &[&str] = &[
    "type",
    "optimizer",
    "accumulative_counts",
    "clip_grad",
    "paramwise_cfg",
    "constructor",
];

/// The wrapper types; `AmpOptimWrapper` is refused with its own message.
const WRAPPER_TYPES: &[&str] = &["OptimWrapper"];

/// Parses one wrapper's table (found at `path`). `top_level`: whether it is
/// `optim_wrapper` itself (which may name its constructor) rather than one part's.
fn parse_wrapper(
    dict: &Map<String, Value>,
    path: &KeyPath,
    optimizers: &Registry<OptimizerSpec>,
    top_level: bool,
) -> Result<OptimWrapperSpec, ConfigError> {
    // The type first: a mixed-precision wrapper's own keys are not the problem.
    let type_name = match dict.get("type") {
        None => "OptimWrapper".to_string(),
        Some(Value::String(t)) if WRAPPER_TYPES.contains(&t.as_str()) => t.clone(),
        Some(Value::String(t)) if t == "AmpOptimWrapper" => {
            return Err(path.key("type").error(
                "AmpOptimWrapper (mixed precision) is not supported: the playground trains in f32; use OptimWrapper",
            ));
        }
        Some(Value::String(t)) => {
            return Err(path.key("type").error(format!(
                "unknown optimizer wrapper type `{t}`.{} Known types: {}",
                did_you_mean(t, WRAPPER_TYPES),
                WRAPPER_TYPES.join(", ")
            )));
        }
        Some(other) => {
            return Err(path.key("type").error(format!(
                "expected a wrapper type (a string), found {}",
                kind_of(other)
            )));
        }
    };
    let known = if top_level {
        WRAPPER_KEYS
    } else {
        &WRAPPER_KEYS[..WRAPPER_KEYS.len() - 1]
    };
    check_keys(dict, path, "an optimizer wrapper", known)?;
    let Some(opt) = dict.get("optimizer") else {
        return Err(path
            .error("missing `optimizer`: expected a table such as { type = \"SGD\", lr = 0.01 }"));
    };
    let optimizer = optimizers.build(opt, &path.key("optimizer"))?;
    let mut ignored = Vec::new();
    for switch in IMPLEMENTATION_SWITCHES {
        if opt.get(switch).is_some() {
            ignored.push(implementation_note(&path.key("optimizer").key(*switch)));
        }
    }
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
        Some(v) => Some(parse_clip(v, &path.key("clip_grad"), &mut ignored)?),
    };
    let paramwise_cfg = match dict.get("paramwise_cfg") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let base_wd_given = opt.get("weight_decay").is_some_and(|wd| !wd.is_null());
            parse_paramwise(v, &path.key("paramwise_cfg"), base_wd_given, &mut ignored)?
        }
    };
    Ok(OptimWrapperSpec {
        type_name,
        optimizer,
        accumulative_counts,
        clip_grad,
        paramwise_cfg,
        ignored,
    })
}

/// Parses `optim_wrapper` (found at `path`): one wrapper (`optimizer` plus wrapper
/// keys, constructor `DefaultOptimWrapperConstructor` or none), or, with
/// `constructor = "MultiOptimWrapperConstructor"`, one wrapper table per model part.
pub fn parse_optim_wrapper(v: &Value, path: &KeyPath) -> Result<OptimWrapperConfig, ConfigError> {
    let optimizers = optimizer_registry();
    let Value::Object(dict) = v else {
        return Err(path.error(format!("expected a table, found {}", kind_of(v))));
    };
    let constructor = match dict.get("constructor") {
        Some(c) => constructor(c, &path.key("constructor"))?,
        None if dict.contains_key("optimizer") => "DefaultOptimWrapperConstructor",
        None => {
            return Err(path.error(
                "expected `optimizer` (one optimizer), or `constructor = \"MultiOptimWrapperConstructor\"` plus one table per model part (several)",
            ));
        }
    };
    if constructor == "DefaultOptimWrapperConstructor" {
        return Ok(OptimWrapperConfig::Single(parse_wrapper(
            dict,
            path,
            &optimizers,
            true,
        )?));
    }
    let mut wrappers = Vec::new();
    for (name, w) in dict.iter().filter(|(k, _)| k.as_str() != "constructor") {
        match name.as_str() {
            "optimizer" => {
                return Err(path.key(name).error(format!(
                    "{constructor} takes one wrapper table per model part (`generator = {{ optimizer = ... }}`), not one `optimizer`; for one optimizer, drop `constructor`"
                )));
            }
            "paramwise_cfg" | "type" | "clip_grad" | "accumulative_counts" => {
                return Err(path.key(name).error(format!(
                    "with {constructor}, `{name}` goes inside each model part's wrapper table"
                )));
            }
            _ => {}
        }
        let Value::Object(wd) = w else {
            return Err(path.key(name).error(format!(
                "expected an optimizer wrapper table, found {}",
                kind_of(w)
            )));
        };
        wrappers.push((
            name.clone(),
            parse_wrapper(wd, &path.key(name), &optimizers, false)?,
        ));
    }
    if wrappers.is_empty() {
        return Err(
            path.error("a constructor with no optimizer tables: add one table per optimizer name")
        );
    }
    Ok(OptimWrapperConfig::Multi {
        constructor: constructor.to_string(),
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

    const SGD: fn() -> Value = || json!({"type": "SGD", "lr": 0.1});

    #[test]
    fn unknown_keys_in_every_table_name_the_path_and_the_closest_key() {
        let multi =
            |part: Value| json!({"constructor": "MultiOptimWrapperConstructor", "generator": part});
        let cases = [
            (
                json!({"optimizer": SGD(), "accumulative_count": 2}),
                "optim_wrapper.accumulative_count",
                "accumulative_counts",
            ),
            (
                json!({"optimizer": {"type": "SGD", "lr": 0.1, "momentun": 0.9}}),
                "optim_wrapper.optimizer.momentun",
                "momentum",
            ),
            (
                json!({"optimizer": {"type": "AdamW", "lr": 0.1, "beta": [0.9, 0.99]}}),
                "optim_wrapper.optimizer.beta",
                "betas",
            ),
            (
                json!({"optimizer": SGD(), "paramwise_cfg": {"bias_decay_mul": 0.0}}),
                "optim_wrapper.paramwise_cfg.bias_decay_mul",
                "bias_decay_mult",
            ),
            (
                json!({"optimizer": SGD(), "paramwise_cfg": {"custom_keys": {"head": {"lr_mul": 0.1}}}}),
                "optim_wrapper.paramwise_cfg.custom_keys.head.lr_mul",
                "lr_mult",
            ),
            (
                json!({"optimizer": SGD(), "clip_grad": {"max_norm": 1.0, "norm_typ": 2}}),
                "optim_wrapper.clip_grad.norm_typ",
                "norm_type",
            ),
            (
                json!({"optimizer": SGD(), "clip_grad": {"type": "value", "clip_valu": 1.0}}),
                "optim_wrapper.clip_grad.clip_valu",
                "clip_value",
            ),
            (
                multi(json!({"optimizer": SGD(), "acumulative_counts": 2})),
                "optim_wrapper.generator.acumulative_counts",
                "accumulative_counts",
            ),
        ];
        for (cfg, path, closest) in cases {
            let err = parse(cfg).expect_err(path);
            assert_eq!(err.path, path, "{err}");
            assert!(
                err.message.contains(&format!("Did you mean `{closest}`?")),
                "{err}"
            );
        }
    }

    #[test]
    fn pytorch_implementation_switches_are_accepted_and_noted() {
        let cfg = parse(json!({
            "optimizer": {
                "type": "AdamW", "lr": 0.1, "weight_decay": 0.01,
                "foreach": true, "fused": false, "capturable": false, "differentiable": false,
            },
            "clip_grad": {"max_norm": 1.0, "foreach": true, "error_if_nonfinite": false},
            "paramwise_cfg": {"bypass_duplicate": true, "dcn_offset_lr_mult": 0.1},
        }))
        .expect("parses");
        let notes = cfg.ignored_notes();
        for key in [
            "optimizer.foreach",
            "optimizer.fused",
            "optimizer.capturable",
            "optimizer.differentiable",
            "clip_grad.foreach",
            "paramwise_cfg.bypass_duplicate",
            "paramwise_cfg.dcn_offset_lr_mult",
        ] {
            let path = format!("optim_wrapper.{key}: ");
            assert!(
                notes.iter().any(|n| n.starts_with(&path)),
                "{key}: {notes:?}"
            );
        }
        assert_eq!(notes.len(), 7, "{notes:?}");
        let plain = parse(json!({"optimizer": SGD()})).expect("parses");
        assert_eq!(plain.ignored_notes(), Vec::<String>::new());
        let multi = parse(json!({
            "constructor": "MultiOptimWrapperConstructor",
            "generator": {"optimizer": {"type": "SGD", "lr": 0.1, "foreach": false}},
        }))
        .expect("parses");
        let notes = multi.ignored_notes();
        assert!(
            notes[0].starts_with("optim_wrapper.generator.optimizer.foreach: "),
            "{notes:?}"
        );
    }

    #[test]
    fn a_flat_decay_mult_without_weight_decay_is_dropped_and_noted() {
        let cfg = parse(
            json!({"optimizer": {"type": "AdamW"}, "paramwise_cfg": {"flat_decay_mult": 0.0}}),
        )
        .expect("parses");
        let OptimWrapperConfig::Single(w) = &cfg else {
            panic!("single")
        };
        assert_eq!(
            w.paramwise_cfg.as_ref().map(|p| p.flat_decay_mult),
            Some(None)
        );
        let notes = cfg.ignored_notes();
        assert!(
            notes[0].starts_with("optim_wrapper.paramwise_cfg.flat_decay_mult: "),
            "{notes:?}"
        );
    }

    #[test]
    fn settings_that_change_the_numbers_are_refused_or_honoured() {
        let err =
            parse(json!({"type": "AmpOptimWrapper", "optimizer": SGD(), "loss_scale": "dynamic"}))
                .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.type");
        assert!(err.message.contains("use OptimWrapper"), "{err}");
        let err = parse(json!({"type": "OptimWraper", "optimizer": SGD()})).unwrap_err();
        assert!(
            err.message.contains("Did you mean `OptimWrapper`?"),
            "{err}"
        );
        let err = parse(
            json!({"optimizer": SGD(), "clip_grad": {"max_norm": 1.0, "error_if_nonfinite": true}}),
        )
        .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.clip_grad.error_if_nonfinite");
        // `maximize` is honoured by the update rules (`algorithm.rs`).
        let OptimWrapperConfig::Single(w) =
            parse(json!({"optimizer": {"type": "SGD", "lr": 0.1, "maximize": true}}))
                .expect("parses")
        else {
            panic!("single")
        };
        assert!(matches!(w.optimizer, OptimizerSpec::SGD(ref s) if s.maximize));
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
