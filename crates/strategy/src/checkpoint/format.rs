//! The safetensors encoding of a [`Checkpoint`].

use std::borrow::Cow;
use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Map, Value, json};

use super::{Checkpoint, CheckpointError};
use crate::base::state::{OptimStateDict, ParamStateEntry, WrapperState};
use crate::model::NamedTensor;

/// The `format` metadata value.
pub const FORMAT: &str = "strategy-playground-checkpoint";
/// The newest format version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// Largest checkpoint accepted (4 GiB): bigger inputs are refused before parsing.
/// (A `u64`: on wasm32 `usize` cannot hold it.)
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 30;

/// The little-endian bytes of `values`: on a little-endian machine (every target we
/// build for) the values themselves, borrowed, not copied.
/// The tensor key prefix of `ema_state_dict`'s raw weights.
const EMA_PREFIX: &str = "ema_state_dict.module.";

fn f32_bytes(values: &[f32]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(values))
    } else {
        Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

/// f32 values from little-endian bytes (any alignment), in one bulk copy on a
/// little-endian machine.
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    if cfg!(target_endian = "little") {
        bytemuck::pod_collect_to_vec(bytes)
    } else {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

/// A checkpoint laid out for safetensors: every tensor's key, shape and bytes (borrowed
/// from the checkpoint where possible), and the header metadata, CRC included.
pub(super) struct Encoded<'a> {
    tensors: Vec<(String, Vec<usize>, Cow<'a, [u8]>)>,
    metadata: HashMap<String, String>,
}

impl Encoded<'_> {
    fn views(&self) -> Result<Vec<(String, TensorView<'_>)>, CheckpointError> {
        self.tensors
            .iter()
            .map(|(k, shape, bytes)| {
                TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| CheckpointError::Malformed(format!("tensor `{k}`: {e}")))
            })
            .collect()
    }

    /// The whole file in memory (the browser's download).
    pub(super) fn to_vec(&self) -> Result<Vec<u8>, CheckpointError> {
        safetensors::serialize(self.views()?, Some(self.metadata.clone()))
            .map_err(|e| CheckpointError::Malformed(e.to_string()))
    }

    /// Streams the file to `path` (header, then each tensor's bytes through a buffered
    /// writer), without a file-sized buffer in memory. Not atomic by itself:
    /// [`super::files::write_checkpoint`] writes to a temporary path and renames.
    #[cfg(not(target_family = "wasm"))]
    pub(super) fn write_to(&self, path: &std::path::Path) -> Result<(), CheckpointError> {
        safetensors::serialize_to_file(self.views()?, Some(self.metadata.clone()), path).map_err(
            |source| CheckpointError::Write {
                path: path.to_path_buf(),
                source,
            },
        )
    }
}

/// `optimizer.<param>.<buffer>`, or `optimizer.<wrapper>.<param>.<buffer>` with several
/// optimizers.
fn optimizer_key(wrapper: Option<&str>, param: &str, buffer: &str) -> String {
    match wrapper {
        Some(w) => format!("optimizer.{w}.{param}.{buffer}"),
        None => format!("optimizer.{param}.{buffer}"),
    }
}

/// CRC-32 over everything a reader relies on: the metadata (but the CRC itself), and
/// every tensor's name, dtype, shape and bytes, tensors in name order (so it can be
/// computed before serialising, in one pass).
fn digest<'a>(
    metadata: &HashMap<String, String>,
    tensors: impl IntoIterator<Item = (&'a str, String, &'a [usize], &'a [u8])>,
) -> u32 {
    let mut h = crc32fast::Hasher::new();
    let mut keys: Vec<&String> = metadata.keys().filter(|k| *k != "crc32").collect();
    keys.sort();
    for k in keys {
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(metadata[k].as_bytes());
        h.update(b"\n");
    }
    let mut tensors: Vec<_> = tensors.into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(b.0));
    for (name, dtype, shape, bytes) in tensors {
        h.update(format!("{name}:{dtype}:{shape:?}\n").as_bytes());
        h.update(bytes);
    }
    h.finalize()
}

fn digest_file(metadata: &HashMap<String, String>, st: &SafeTensors<'_>) -> u32 {
    let views: Vec<(String, TensorView<'_>)> = st.tensors();
    digest(
        metadata,
        views
            .iter()
            .map(|(n, v)| (n.as_str(), format!("{:?}", v.dtype()), v.shape(), v.data())),
    )
}

pub(super) fn encode(ck: &Checkpoint) -> Result<Encoded<'_>, CheckpointError> {
    let mut owned: Vec<(String, Vec<usize>, Cow<'_, [u8]>)> = ck
        .state_dict
        .iter()
        .map(|t| {
            (
                format!("state_dict.{}", t.name),
                t.shape.clone(),
                f32_bytes(&t.values),
            )
        })
        .collect();
    if let Some(ema) = &ck.ema_state_dict {
        owned.extend(ema.module.iter().map(|t| {
            (
                format!("{EMA_PREFIX}{}", t.name),
                t.shape.clone(),
                f32_bytes(&t.values),
            )
        }));
    }
    let mut optimizer_meta = Value::Null;
    if let Some(opt) = &ck.optimizer {
        let mut wrappers = Vec::new();
        for w in &opt.wrappers {
            let mut state = Vec::new();
            for p in &w.state {
                let mut buffers = Map::new();
                for (b, values) in &p.buffers {
                    let key = optimizer_key(w.name.as_deref(), &p.name, b);
                    owned.push((key.clone(), vec![values.len()], f32_bytes(values)));
                    buffers.insert(b.clone(), json!(key));
                }
                state.push(json!({"name": p.name, "step": p.step, "buffers": buffers}));
            }
            let mut wrapper = json!({
                "name": w.name,
                "param_groups": w.param_groups,
                "inner_count": w.inner_count,
                "state": state,
            });
            if let Some(scaler) = &w.loss_scaler {
                wrapper["loss_scaler"] = scaler.clone();
            }
            wrappers.push(wrapper);
        }
        optimizer_meta = Value::Array(wrappers);
    }
    let mut metadata: HashMap<String, String> = HashMap::new();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("format_version".into(), FORMAT_VERSION.to_string());
    metadata.insert("meta".into(), Value::Object(ck.meta.clone()).to_string());
    if !optimizer_meta.is_null() {
        metadata.insert("optimizer".into(), optimizer_meta.to_string());
    }
    if let Some(s) = &ck.param_schedulers {
        metadata.insert("param_schedulers".into(), s.to_string());
    }
    if let Some(h) = &ck.message_hub {
        metadata.insert("message_hub".into(), h.to_string());
    }
    if let Some(ema) = &ck.ema_state_dict {
        let order: Vec<&str> = ema.module.iter().map(|t| t.name.as_str()).collect();
        metadata.insert(
            "ema_state_dict".into(),
            json!({"steps": ema.steps, "param_order": order}).to_string(),
        );
    }
    if !ck.extra.is_empty() {
        metadata.insert("extra".into(), Value::Object(ck.extra.clone()).to_string());
    }
    let crc = digest(
        &metadata,
        owned.iter().map(|(k, shape, bytes)| {
            (
                k.as_str(),
                format!("{:?}", Dtype::F32),
                shape.as_slice(),
                bytes.as_ref(),
            )
        }),
    );
    metadata.insert("crc32".into(), format!("{crc:08x}"));
    Ok(Encoded {
        tensors: owned,
        metadata,
    })
}

pub(super) fn to_bytes(ck: &Checkpoint) -> Result<Vec<u8>, CheckpointError> {
    encode(ck)?.to_vec()
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

fn read_f32(st: &SafeTensors<'_>, key: &str) -> Result<(Vec<usize>, Vec<f32>), CheckpointError> {
    let view = st
        .tensor(key)
        .map_err(|_| CheckpointError::NotOurs(format!("tensor `{key}` is missing")))?;
    if view.dtype() != Dtype::F32 {
        return Err(CheckpointError::WrongDtype {
            name: key.to_string(),
            dtype: format!("{:?}", view.dtype()),
        });
    }
    Ok((view.shape().to_vec(), f32_values(view.data())))
}

pub(super) fn from_bytes(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    if bytes.is_empty() {
        return Err(CheckpointError::Malformed("the file is empty".into()));
    }
    if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::Malformed(format!(
            "{} bytes is more than the {MAX_CHECKPOINT_BYTES} a checkpoint may have",
            bytes.len()
        )));
    }
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| CheckpointError::Malformed(format!("{e:?} (is this a safetensors file?)")))?;
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| CheckpointError::Malformed(format!("{e:?}")))?;
    let metadata = header
        .metadata()
        .clone()
        .ok_or_else(|| CheckpointError::NotOurs("the safetensors header has no metadata".into()))?;
    let metadata: HashMap<String, String> = metadata.into_iter().collect();
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
    let found = digest_file(&metadata, &st);
    if found != expected {
        return Err(CheckpointError::Corrupt { found, expected });
    }
    let meta: Map<String, Value> = json_field(&metadata, "meta")?
        .ok_or_else(|| CheckpointError::NotOurs("no `meta`".into()))?;
    let mut state_dict = Vec::new();
    let mut names: Vec<String> = st
        .names()
        .into_iter()
        .filter(|k| k.starts_with("state_dict."))
        .map(str::to_string)
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
        let (shape, values) = read_f32(&st, &key)?;
        state_dict.push(NamedTensor {
            name: key["state_dict.".len()..].to_string(),
            shape,
            values,
        });
    }
    let optimizer = match json_field::<Vec<Value>>(&metadata, "optimizer")? {
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
                        buffers.push((b.clone(), read_f32(&st, key)?.1));
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
    let ema_state_dict = match json_field::<Value>(&metadata, "ema_state_dict")? {
        None => None,
        Some(v) => {
            let order: Vec<String> = v
                .get("param_order")
                .and_then(|o| serde_json::from_value(o.clone()).ok())
                .unwrap_or_default();
            let mut module = Vec::new();
            for name in order {
                let (shape, values) = read_f32(&st, &format!("{EMA_PREFIX}{name}"))?;
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
        param_schedulers: json_field(&metadata, "param_schedulers")?,
        message_hub: json_field(&metadata, "message_hub")?,
        extra: json_field(&metadata, "extra")?.unwrap_or_default(),
    })
}

#[cfg(test)]
pub(super) fn digest_for_tests(metadata: &HashMap<String, String>, st: &SafeTensors<'_>) -> u32 {
    digest_file(metadata, st)
}
