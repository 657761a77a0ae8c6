//! Reading a checkpoint file without a file-sized buffer: the safetensors header alone
//! first (`safetensors`' own [`Metadata`], which checks the offsets), then each
//! tensor's bytes read straight into its own `Vec<f32>` (as bytes, through
//! `bytemuck`), with the CRC taken over each piece right after it was read, while it is
//! still in the cache. One copy, from the page cache into the tensor, as `torch.load`
//! makes.

use std::collections::HashMap;
use std::io::Read;

use safetensors::tensor::{Dtype, Metadata};

use super::decode::{self, Tensor, Tensors, Values};
use super::format::Digest;
use super::{Checkpoint, CheckpointError};

/// The length of the header-size prefix of a safetensors file.
const N_LEN: u64 = 8;
/// safetensors' own limit on the header (100 MB).
const MAX_HEADER: u64 = 100_000_000;
/// Bytes read (and checksummed) at a time: small enough to stay in the cache between
/// the read and the CRC.
const CHUNK: usize = 1 << 20;

fn malformed(what: String) -> CheckpointError {
    CheckpointError::Malformed(format!("{what} (is this a safetensors file?)"))
}

/// Parses the checkpoint that `file` (of `len` bytes, at its start) holds. Every
/// malformed input is an error that says what is wrong; nothing larger than the file
/// is allocated (the header's tensor sizes must add up to the file's length first).
pub(super) fn read(file: &mut impl Read, len: u64) -> Result<Checkpoint, CheckpointError> {
    if len == 0 {
        return Err(CheckpointError::Malformed("the file is empty".into()));
    }
    if len < N_LEN {
        return Err(malformed(format!("{len} bytes is too short for a header")));
    }
    let io = |e: std::io::Error| CheckpointError::Malformed(format!("reading: {e}"));
    let mut prefix = [0u8; N_LEN as usize];
    file.read_exact(&mut prefix).map_err(io)?;
    let n = u64::from_le_bytes(prefix);
    if n > MAX_HEADER || n > len - N_LEN {
        return Err(malformed(format!(
            "a header of {n} bytes does not fit in a file of {len}"
        )));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header).map_err(io)?;
    let text = std::str::from_utf8(&header)
        .map_err(|e| malformed(format!("the header is not UTF-8: {e}")))?;
    let md: Metadata =
        serde_json::from_str(text).map_err(|e| malformed(format!("the header: {e}")))?;
    let data_len = len - N_LEN - n;
    if md.data_len() as u64 != data_len {
        return Err(malformed(format!(
            "the header describes {} bytes of tensors, the file holds {data_len}",
            md.data_len()
        )));
    }
    let (metadata, expected) = decode::checked_metadata(md.metadata())?;

    // The file's tensors in the order they lie (the header's offsets, checked to be
    // contiguous by `Metadata`). When that is name order, as in every file this crate
    // writes, the CRC is taken while reading; otherwise afterwards, from memory.
    let in_file_order = md.offset_keys();
    let in_name_order = {
        let mut names = in_file_order.clone();
        names.sort();
        names
    };
    let streaming = in_file_order == in_name_order;
    let mut digest = Digest::new(&metadata);
    let mut tensors: Tensors = HashMap::with_capacity(in_file_order.len());
    for name in in_file_order {
        let info = md
            .info(&name)
            .ok_or_else(|| malformed(format!("tensor `{name}` has no entry")))?;
        let size = info.data_offsets.1 - info.data_offsets.0;
        let dtype = format!("{:?}", info.dtype);
        if streaming {
            digest.tensor(&name, &dtype, &info.shape);
        }
        let values = if info.dtype == Dtype::F32 {
            // `Metadata` checked that `size` is the shape's element count × 4.
            let mut values = vec![0f32; size / 4];
            read_checked(
                file,
                bytemuck::cast_slice_mut(&mut values),
                &mut digest,
                streaming,
            )
            .map_err(io)?;
            Values::F32(values)
        } else {
            let mut raw = vec![0u8; size];
            read_checked(file, &mut raw, &mut digest, streaming).map_err(io)?;
            Values::Other { dtype, raw }
        };
        let shape = info.shape.clone();
        tensors.insert(name, Tensor { shape, values });
    }
    if !streaming {
        for name in in_name_order {
            let t = &tensors[&name];
            let (dtype, bytes): (String, &[u8]) = match &t.values {
                Values::F32(v) => ("F32".into(), bytemuck::cast_slice(v)),
                Values::Other { dtype, raw } => (dtype.clone(), raw),
            };
            digest.tensor(&name, &dtype, &t.shape);
            digest.bytes(bytes);
        }
    }
    let found = digest.finish();
    if found != expected {
        return Err(CheckpointError::Corrupt { found, expected });
    }
    if cfg!(target_endian = "big") {
        // The bytes are little-endian; the values become native only now, after the CRC.
        for t in tensors.values_mut() {
            if let Values::F32(v) = &mut t.values {
                for x in v.iter_mut() {
                    *x = f32::from_bits(u32::from_le(x.to_bits()));
                }
            }
        }
    }
    decode::build(&metadata, tensors)
}

/// Fills `buf` from `file` a chunk at a time, each chunk into the digest right after
/// it was read when `streaming`.
fn read_checked(
    file: &mut impl Read,
    buf: &mut [u8],
    digest: &mut Digest,
    streaming: bool,
) -> std::io::Result<()> {
    for chunk in buf.chunks_mut(CHUNK) {
        file.read_exact(chunk)?;
        if streaming {
            digest.bytes(chunk);
        }
    }
    Ok(())
}
