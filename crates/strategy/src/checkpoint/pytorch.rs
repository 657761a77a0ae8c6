//! Importing PyTorch `.pth`/`.pt` files (plain state dicts and MMEngine checkpoints,
//! weights under `state_dict`) with burn's PyTorch reader (`pytorch-reader`, the
//! reader inside `burn-store`), natively.

use std::path::Path;

use pytorch_reader::{DType, PytorchReader};
use serde_json::{Value, json};

use super::{Checkpoint, CheckpointError, ReviseKeys};
use crate::model::NamedTensor;

fn to_f32(name: &str, dtype: DType, bytes: &[u8]) -> Result<Option<Vec<f32>>, CheckpointError> {
    Ok(match dtype {
        DType::F32 => Some(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        DType::F64 => Some(
            bytes
                .chunks_exact(8)
                .map(|c| {
                    f64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
        ),
        // Integer buffers (BatchNorm's `num_batches_tracked`) are not parameters here.
        DType::I64
        | DType::I32
        | DType::I16
        | DType::I8
        | DType::U64
        | DType::U32
        | DType::U16
        | DType::U8
        | DType::Bool => None,
        other => {
            return Err(CheckpointError::WrongDtype {
                name: name.to_string(),
                dtype: format!("{other:?} (convert it to float32 in PyTorch first)"),
            });
        }
    })
}

/// Reads a PyTorch file's float tensors (under `state_dict` when the file has that key,
/// as MMEngine checkpoints do), renames them with `revise_keys`, and returns them as a
/// weights-only [`Checkpoint`] (`meta.imported_from`, and `epoch`/`iter` when the file
/// has an MMEngine `meta`). Integer buffers are skipped and listed in
/// `meta.skipped`.
pub fn import_pytorch(
    path: &Path,
    revise_keys: &[(String, String)],
) -> Result<Checkpoint, CheckpointError> {
    let revise = ReviseKeys::new(revise_keys)?;
    let io = |e: pytorch_reader::PytorchError| CheckpointError::PyTorch {
        path: path.to_path_buf(),
        message: format!("not a readable PyTorch file: {e}"),
    };
    let (reader, nested) = match PytorchReader::with_top_level_key(path, "state_dict") {
        Ok(r) => (r, true),
        Err(_) => (PytorchReader::new(path).map_err(io)?, false),
    };
    let mut names = reader.keys();
    names.sort();
    let mut state_dict = Vec::new();
    let mut skipped = Vec::new();
    for name in names {
        let Some(t) = reader.get(&name) else { continue };
        let bytes = t.read().map_err(|e| CheckpointError::PyTorch {
            path: path.to_path_buf(),
            message: format!("tensor `{name}`: {e}"),
        })?;
        match to_f32(&name, t.dtype(), &bytes)? {
            Some(values) => state_dict.push(NamedTensor {
                name: revise.apply(&name),
                shape: t.shape().to_vec(),
                values,
            }),
            None => skipped.push(name),
        }
    }
    if state_dict.is_empty() {
        return Err(CheckpointError::PyTorch {
            path: path.to_path_buf(),
            message: "no float tensors in this PyTorch file".into(),
        });
    }
    let mut ck = Checkpoint::default();
    ck.meta
        .insert("imported_from".into(), json!(path.to_string_lossy()));
    ck.meta.insert("skipped".into(), json!(skipped));
    ck.meta.insert(
        "param_order".into(),
        json!(
            state_dict
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
        ),
    );
    if nested && let Ok(meta) = PytorchReader::load_config::<Value, _>(path, Some("meta")) {
        for key in ["epoch", "iter", "seed"] {
            if let Some(v) = meta.get(key) {
                ck.meta.insert(key.into(), v.clone());
            }
        }
    }
    ck.state_dict = state_dict;
    Ok(ck)
}
