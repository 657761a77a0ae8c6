//! Optimizer-wrapper constructors (`optim_wrapper.constructor`): the ones this
//! playground builds, and the error for any other.

use serde_json::Value;

use super::keys::did_you_mean;
use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath};

/// The optimizer-wrapper constructors (`optim_wrapper.constructor`) and what each
/// builds. Others (layer-wise lr decay, PGGAN's, SinGAN's) set lrs by rules this
/// playground does not implement, so they are refused rather than ignored.
pub const CONSTRUCTORS: &[(&str, &str)] = &[
    (
        "DefaultOptimWrapperConstructor",
        "one optimizer over the whole model (MMEngine's default)",
    ),
    (
        "MultiOptimWrapperConstructor",
        "one optimizer per model part, each in its own table (mmagic's, for GANs)",
    ),
];

/// The constructor called `name` (found at `path`), or an error with the closest
/// known one.
pub(crate) fn constructor(name: &Value, path: &KeyPath) -> Result<&'static str, ConfigError> {
    let Value::String(name) = name else {
        return Err(path.error(format!(
            "expected a constructor name (a string), found {}",
            kind_of(name)
        )));
    };
    let known: Vec<&str> = CONSTRUCTORS.iter().map(|(n, _)| *n).collect();
    known.iter().find(|k| *k == name).copied().ok_or_else(|| {
        path.error(format!(
            "unknown optimizer wrapper constructor `{name}`.{} Known constructors: {}",
            did_you_mean(name, &known),
            known.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::base::{ConfigError, KeyPath};
    use crate::optim::config::{OptimWrapperConfig, parse_optim_wrapper};

    fn parse(v: serde_json::Value) -> Result<OptimWrapperConfig, ConfigError> {
        parse_optim_wrapper(&v, &KeyPath::root().key("optim_wrapper"))
    }

    #[allow(non_snake_case)]
    fn SGD() -> serde_json::Value {
        json!({"type": "SGD", "lr": 0.1})
    }

    #[test]
    fn the_constructor_is_a_known_one() {
        let ok =
            parse(json!({"constructor": "DefaultOptimWrapperConstructor", "optimizer": SGD()}));
        assert!(matches!(ok, Ok(OptimWrapperConfig::Single(_))), "{ok:?}");
        let err = parse(json!({"constructor": "DefaultOptimizerConstructor", "optimizer": SGD()}))
            .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.constructor");
        assert!(
            err.message
                .contains("Did you mean `DefaultOptimWrapperConstructor`?"),
            "{err}"
        );
        let err = parse(json!({
            "constructor": "MultiOptimizerConstructor",
            "generator": {"optimizer": SGD()},
        }))
        .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.constructor");
        assert!(
            err.message
                .contains("Did you mean `MultiOptimWrapperConstructor`?"),
            "{err}"
        );
        let err =
            parse(json!({"constructor": "LayerDecayOptimizerConstructor", "optimizer": SGD()}))
                .unwrap_err();
        assert!(
            err.message
                .contains("DefaultOptimWrapperConstructor, MultiOptimWrapperConstructor"),
            "{err}"
        );
        // The multi-optimizer constructor takes one table per model part.
        let err = parse(json!({"constructor": "MultiOptimWrapperConstructor", "optimizer": SGD()}))
            .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.optimizer");
        let err = parse(json!({
            "constructor": "MultiOptimWrapperConstructor",
            "generator": {"optimizer": SGD(), "constructor": "DefaultOptimWrapperConstructor"},
        }))
        .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.generator.constructor");
        let err = parse(json!({
            "constructor": "MultiOptimWrapperConstructor",
            "paramwise_cfg": {"bias_lr_mult": 2.0},
            "generator": {"optimizer": SGD()},
        }))
        .unwrap_err();
        assert_eq!(err.path, "optim_wrapper.paramwise_cfg");
        assert!(err.message.contains("inside each"), "{err}");
    }
}
