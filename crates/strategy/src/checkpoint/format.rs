//! The safetensors encoding of a [`Checkpoint`].

use std::borrow::Cow;
use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Map, Value, json};

use super::decode::{self, EMA_PREFIX, Tensor, Values};
use super::{Checkpoint, CheckpointError};

/// The `format` metadata value.
pub const FORMAT: &str = "strategy-playground-checkpoint";
/// The newest format version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// Largest checkpoint accepted (4 GiB): bigger inputs are refused before parsing.
/// (A `u64`: on wasm32 `usize` cannot hold it.)
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 30;

/// The little-endian bytes of `values`: on a little-endian machine (every target we
/// build for) the values themselves, borrowed, not copied.
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
/// computed before serialising, in one pass, and while reading a file whose tensors
/// lie in name order, as safetensors lays out ours).
pub(super) struct Digest(crc32fast::Hasher);

impl Digest {
    /// A digest that has taken in the metadata.
    pub(super) fn new(metadata: &HashMap<String, String>) -> Self {
        let mut h = crc32fast::Hasher::new();
        let mut keys: Vec<&String> = metadata.keys().filter(|k| *k != "crc32").collect();
        keys.sort();
        for k in keys {
            h.update(k.as_bytes());
            h.update(b"=");
            h.update(metadata[k].as_bytes());
            h.update(b"\n");
        }
        Self(h)
    }

    /// The next tensor (in name order): its name, dtype (`F32`) and shape; its bytes
    /// follow through [`Digest::bytes`].
    pub(super) fn tensor(&mut self, name: &str, dtype: &str, shape: &[usize]) {
        self.0
            .update(format!("{name}:{dtype}:{shape:?}\n").as_bytes());
    }

    /// More of the current tensor's bytes.
    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The CRC-32.
    pub(super) fn finish(self) -> u32 {
        self.0.finalize()
    }
}

fn digest<'a>(
    metadata: &HashMap<String, String>,
    tensors: impl IntoIterator<Item = (&'a str, String, &'a [usize], &'a [u8])>,
) -> u32 {
    let mut d = Digest::new(metadata);
    let mut tensors: Vec<_> = tensors.into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(b.0));
    for (name, dtype, shape, bytes) in tensors {
        d.tensor(name, &dtype, shape);
        d.bytes(bytes);
    }
    d.finish()
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
    let (metadata, expected) = decode::checked_metadata(header.metadata())?;
    let found = digest_file(&metadata, &st);
    if found != expected {
        return Err(CheckpointError::Corrupt { found, expected });
    }
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = if view.dtype() == Dtype::F32 {
                Values::F32(f32_values(view.data()))
            } else {
                Values::Other {
                    dtype: format!("{:?}", view.dtype()),
                    raw: Vec::new(),
                }
            };
            let shape = view.shape().to_vec();
            (name, Tensor { shape, values })
        })
        .collect();
    decode::build(&metadata, tensors)
}

#[cfg(test)]
pub(super) fn digest_for_tests(metadata: &HashMap<String, String>, st: &SafeTensors<'_>) -> u32 {
    digest_file(metadata, st)
}
