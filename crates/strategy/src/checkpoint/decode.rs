//! From a parsed safetensors file (its metadata and tensors) to a [`Checkpoint`]:
//! the header's checks and the decoding, shared by the in-memory reader (the browser's
//! uploads, [`super::format::from_bytes`]) and the streaming file reader
//! (`super::stream`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::format::{FORMAT, FORMAT_VERSION};
use super::{Checkpoint, CheckpointError};
use crate::base::state::{OptimStateDict, ParamStateEntry, WrapperState};
use crate::model::NamedTensor;

/// The tensor key prefix of `ema_state_dict`'s raw weights.
pub(super) const EMA_PREFIX: &str = "ema_state_dict.module.";

/// A tensor's values as read.
// (`raw` is read by the native file reader only.)
#[cfg_attr(target_family = "wasm", allow(dead_code))]
pub(super) enum Values {
    /// f32, the only dtype this format writes.
    F32(Vec<f32>),
    /// Any other dtype: refused when a part of the checkpoint names it. `raw` holds
    /// its bytes where the reader still has to check them against the CRC.
    Other {
        /// The dtype's name (`F64`).
        dtype: String,
        /// The bytes, little-endian, as in the file (or empty once checked).
        raw: Vec<u8>,
    },
}

/// One tensor of the file.
pub(super) struct Tensor {
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values.
    pub values: Values,
}

/// Every tensor of the file, by key.
pub(super) type Tensors = HashMap<String, Tensor>;

/// The header's metadata, checked to be ours and of a version this build reads, and
/// the CRC it records.
pub(super) fn checked_metadata(
    metadata: &Option<HashMap<String, String>>,
) -> Result<(HashMap<String, String>, u32), CheckpointError> {
    let metadata = metadata
        .clone()
        .ok_or_else(|| CheckpointError::NotOurs("the safetensors header has no metadata".into()))?;
    match metadata.get("format") {
        Some(f) if f == FORMAT => {}
        Some(f) => return Err(CheckpointError::NotOurs(format!("its format is `{f}`"))),
        None => {
            return Err(CheckpointError::NotOurs(
                "no `format` metadata (a plain safetensors file? `playground-cli convert` imports weights)".into(),
            ));
        }
    }
    let version: u64 = metadata
        .get("format_version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| CheckpointError::NotOurs("no readable `format_version`".into()))?;
    if version > FORMAT_VERSION {
        return Err(CheckpointError::TooNew {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let expected = metadata
        .get("crc32")
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or_else(|| CheckpointError::NotOurs("no readable `crc32`".into()))?;
    Ok((metadata, expected))
}

fn json_field<T: serde::de::DeserializeOwned>(
    metadata: &HashMap<String, String>,
    key: &str,
) -> Result<Option<T>, CheckpointError> {
    metadata
        .get(key)
        .map(|text| {
            serde_json::from_str(text).map_err(|e| {
                CheckpointError::NotOurs(format!("metadata `{key}` is not valid: {e}"))
            })
        })
        .transpose()
}

/// The tensor `key`, moved out of `tensors` (no copy).
fn take(tensors: &mut Tensors, key: &str) -> Result<(Vec<usize>, Vec<f32>), CheckpointError> {
    match tensors.remove(key) {
        None => Err(CheckpointError::NotOurs(format!(
            "tensor `{key}` is missing"
        ))),
        Some(Tensor {
            shape,
            values: Values::F32(values),
        }) => Ok((shape, values)),
        Some(Tensor {
            values: Values::Other { dtype, .. },
            ..
        }) => Err(CheckpointError::WrongDtype {
            name: key.to_string(),
            dtype,
        }),
    }
}

/// The checkpoint that `metadata` (checked by [`checked_metadata`], CRC compared) and
/// `tensors` describe.
pub(super) fn build(
    metadata: &HashMap<String, String>,
    mut tensors: Tensors,
) -> Result<Checkpoint, CheckpointError> {
    let meta: Map<String, Value> = json_field(metadata, "meta")?
        .ok_or_else(|| CheckpointError::NotOurs("no `meta`".into()))?;
    let mut state_dict = Vec::new();
    let mut names: Vec<String> = tensors
        .keys()
        .filter(|k| k.starts_with("state_dict."))
        .cloned()
        .collect();
    // The header keeps no order; module order is recorded in `meta.param_order`.
    let order: Vec<String> = meta
        .get("param_order")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    names.sort_by_key(|k| {
        let n = &k["state_dict.".len()..];
        order.iter().position(|o| o == n).unwrap_or(usize::MAX)
    });
    for key in names {
        let (shape, values) = take(&mut tensors, &key)?;
        state_dict.push(NamedTensor {
            name: key["state_dict.".len()..].to_string(),
            shape,
            values,
        });
    }
    let optimizer = match json_field::<Vec<Value>>(metadata, "optimizer")? {
        None => None,
        Some(wrappers) => {
            let mut out = Vec::new();
            for w in wrappers {
                let bad =
                    |what: &str| CheckpointError::NotOurs(format!("optimizer metadata: {what}"));
                let param_groups =
                    serde_json::from_value(w.get("param_groups").cloned().unwrap_or(Value::Null))
                        .map_err(|e| bad(&format!("param_groups: {e}")))?;
                let mut state = Vec::new();
                for p in w
                    .get("state")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("no state list"))?
                {
                    let name = p
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("a parameter without a name"))?;
                    let step = p.get("step").and_then(Value::as_u64).unwrap_or(0);
                    let mut buffers = Vec::new();
                    for (b, key) in p
                        .get("buffers")
                        .and_then(Value::as_object)
                        .ok_or_else(|| bad("no buffers"))?
                    {
                        let key = key
                            .as_str()
                            .ok_or_else(|| bad("a buffer key is not a string"))?;
                        buffers.push((b.clone(), take(&mut tensors, key)?.1));
                    }
                    state.push(ParamStateEntry {
                        name: name.to_string(),
                        step,
                        buffers,
                    });
                }
                out.push(WrapperState {
                    name: w.get("name").and_then(Value::as_str).map(str::to_string),
                    param_groups,
                    inner_count: w.get("inner_count").and_then(Value::as_i64).unwrap_or(0),
                    state,
                    loss_scaler: w.get("loss_scaler").cloned(),
                });
            }
            Some(OptimStateDict { wrappers: out })
        }
    };
    let ema_state_dict = match json_field::<Value>(metadata, "ema_state_dict")? {
        None => None,
        Some(v) => {
            let order: Vec<String> = v
                .get("param_order")
                .and_then(|o| serde_json::from_value(o.clone()).ok())
                .unwrap_or_default();
            let mut module = Vec::new();
            for name in order {
                let (shape, values) = take(&mut tensors, &format!("{EMA_PREFIX}{name}"))?;
                module.push(NamedTensor {
                    name,
                    shape,
                    values,
                });
            }
            Some(super::EmaStateDict {
                steps: v.get("steps").and_then(Value::as_u64).unwrap_or(0),
                module,
            })
        }
    };
    Ok(Checkpoint {
        meta,
        state_dict,
        ema_state_dict,
        optimizer,
        param_schedulers: json_field(metadata, "param_schedulers")?,
        message_hub: json_field(metadata, "message_hub")?,
        extra: json_field(metadata, "extra")?.unwrap_or_default(),
    })
}
