//! Gradient clipping (`optim_wrapper.clip_grad`): by norm, as
//! `torch.nn.utils.clip_grad_norm_`, or by value, as `clip_grad_value_`.

use serde::Deserialize;
use serde_json::Value;

use super::keys::check_keys;
use super::optimizer_spec::implementation_note;
use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath, from_value};

/// Gradient clipping (`clip_grad`): by norm (`max_norm`, `norm_type`) or by value.
#[derive(Debug, Clone, PartialEq)]
pub enum ClipGrad {
    /// `torch.nn.utils.clip_grad_norm_`.
    Norm {
        /// Largest allowed total norm.
        max_norm: f64,
        /// The p of the p-norm (`inf` allowed).
        norm_type: f64,
    },
    /// `torch.nn.utils.clip_grad_value_`.
    Value {
        /// Gradients are clamped to `[-clip_value, clip_value]`.
        clip_value: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClipNormCfg {
    #[serde(rename = "type", default)]
    _type: Option<String>,
    max_norm: f64,
    #[serde(default = "two")]
    norm_type: NormType,
    #[serde(default)]
    error_if_nonfinite: bool,
    #[serde(default, rename = "foreach")]
    _foreach: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NormType {
    Number(f64),
    Name(String),
}

fn two() -> NormType {
    NormType::Number(2.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClipValueCfg {
    #[serde(rename = "type")]
    _type: String,
    clip_value: f64,
    #[serde(default, rename = "foreach")]
    _foreach: Option<bool>,
}

/// `clip_grad`'s keys when clipping by norm (`clip_grad_norm_`'s arguments).
pub const CLIP_NORM_KEYS: &[&str] = &[
    "type",
    "max_norm",
    "norm_type",
    "error_if_nonfinite",
    "foreach",
];

/// `clip_grad`'s keys when clipping by value (`clip_grad_value_`'s arguments).
pub const CLIP_VALUE_KEYS: &[&str] = &["type", "clip_value", "foreach"];

/// Parses `clip_grad` (found at `path`): `type = "value"` selects clipping by value,
/// anything else (or no `type`) by norm. A `foreach` adds a note to `ignored`;
/// `error_if_nonfinite = true` is refused: the norm stays on the device and is
/// never read back, so a non-finite one cannot stop the run as PyTorch's would.
pub(crate) fn parse_clip(
    v: &Value,
    path: &KeyPath,
    ignored: &mut Vec<String>,
) -> Result<ClipGrad, ConfigError> {
    let Value::Object(table) = v else {
        return Err(path.error(format!(
            "expected a table such as {{ max_norm = 1.0 }}, found {}",
            kind_of(v)
        )));
    };
    let is_value = v.get("type").and_then(Value::as_str) == Some("value");
    let (what, keys) = if is_value {
        ("clip_grad by value", CLIP_VALUE_KEYS)
    } else {
        ("clip_grad by norm", CLIP_NORM_KEYS)
    };
    check_keys(table, path, what, keys)?;
    if table.contains_key("foreach") {
        ignored.push(implementation_note(&path.key("foreach")));
    }
    if is_value {
        let c: ClipValueCfg = from_value(v, path)?;
        if c.clip_value <= 0.0 {
            return Err(path
                .key("clip_value")
                .error(format!("expected a positive value, got {}", c.clip_value)));
        }
        return Ok(ClipGrad::Value {
            clip_value: c.clip_value,
        });
    }
    let c: ClipNormCfg = from_value(v, path)?;
    if c.error_if_nonfinite {
        return Err(path.key("error_if_nonfinite").error(
            "not supported: the gradient norm stays on the device and is not checked, so a \
             non-finite norm cannot stop the run; remove it (PyTorch's default, false)",
        ));
    }
    if let Some(t) = &c._type
        && t != "norm"
    {
        return Err(path
            .key("type")
            .error(format!("expected \"norm\" or \"value\", got \"{t}\"")));
    }
    let norm_type = match c.norm_type {
        NormType::Number(n) => n,
        NormType::Name(s) if s == "inf" => f64::INFINITY,
        NormType::Name(s) => {
            return Err(path
                .key("norm_type")
                .error(format!("expected a number or \"inf\", got \"{s}\"")));
        }
    };
    if !(c.max_norm > 0.0) {
        return Err(path
            .key("max_norm")
            .error(format!("expected a positive norm, got {}", c.max_norm)));
    }
    if !(norm_type > 0.0) {
        return Err(path
            .key("norm_type")
            .error(format!("expected a positive p, got {norm_type}")));
    }
    Ok(ClipGrad::Norm {
        max_norm: c.max_norm,
        norm_type,
    })
}

#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub(crate) use on_device::clip_grads;

#[cfg(any(feature = "cpu", feature = "wgpu"))]
mod on_device {
    use std::collections::HashMap;

    use burn::module::ParamId;
    use burn::tensor::Tensor;

    use super::ClipGrad;

    /// `clip_grad_norm_` / `clip_grad_value_` over all gradients; returns the total norm
    /// (on the device: clipping never waits for a read-back).
    ///
    /// As PyTorch: per-tensor norms in parameter order (`order`: the module's; a
    /// map's own order would change the sum's rounding from run to run), the norm of
    /// those norms, then `coef = clamp(max_norm / (total + 1e-6), max = 1)`, all in f32.
    pub(crate) fn clip_grads(
        grads: &mut HashMap<ParamId, Tensor<1>>,
        clip: &ClipGrad,
        order: &[ParamId],
    ) -> Option<Tensor<1>> {
        match *clip {
            ClipGrad::Value { clip_value } => {
                for g in grads.values_mut() {
                    *g = g.clone().clamp(-clip_value, clip_value);
                }
                None
            }
            ClipGrad::Norm {
                max_norm,
                norm_type,
            } => {
                if grads.is_empty() {
                    return None;
                }
                // Every gradient counts: one the order lacks (there should be none)
                // comes after the ordered ones.
                let rest = grads.keys().filter(|id| !order.contains(id));
                let norms: Vec<Tensor<1>> = order
                    .iter()
                    .chain(rest)
                    .filter_map(|id| grads.get(id))
                    .map(|g| {
                        let g = g.clone().abs();
                        if norm_type.is_infinite() {
                            g.max()
                        } else {
                            g.powf_scalar(norm_type).sum().powf_scalar(1.0 / norm_type)
                        }
                    })
                    .collect();
                let norms = Tensor::cat(norms, 0);
                let total = if norm_type.is_infinite() {
                    norms.max()
                } else {
                    norms
                        .powf_scalar(norm_type)
                        .sum()
                        .powf_scalar(1.0 / norm_type)
                };
                let coef = total
                    .clone()
                    .add_scalar(1e-6)
                    .recip()
                    .mul_scalar(max_norm)
                    .clamp_max(1.0);
                for g in grads.values_mut() {
                    *g = g.clone() * coef.clone();
                }
                Some(total)
            }
        }
    }
}
