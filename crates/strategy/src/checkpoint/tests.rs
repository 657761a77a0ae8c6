//! The format round-trips and refuses every kind of bad input with a clear error.

use serde_json::{Map, json};

use super::*;
use crate::base::ParamGroup;
use crate::base::state::{ParamStateEntry, WrapperState};

/// Replaces the first `from` with `to` (same length) in binary data.
fn replace_bytes(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("`{from}` not found"));
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

/// Both readers on the same bytes: the in-memory one (the browser's uploads) and,
/// natively, the streaming file reader.
fn read_both(bytes: &[u8]) -> Vec<Result<Checkpoint, CheckpointError>> {
    #[allow(unused_mut)]
    let mut out = vec![Checkpoint::from_bytes(bytes)];
    #[cfg(not(target_family = "wasm"))]
    out.push(super::stream::read(
        &mut std::io::Cursor::new(bytes),
        bytes.len() as u64,
    ));
    out
}

/// A file of our format holding `tensors` (any dtypes, any names), its CRC right.
fn ours_with(tensors: Vec<(&str, safetensors::Dtype, Vec<usize>, Vec<u8>)>) -> Vec<u8> {
    let mut md = std::collections::HashMap::new();
    md.insert("format".to_string(), FORMAT.to_string());
    md.insert("format_version".to_string(), "1".to_string());
    md.insert("meta".to_string(), "{}".to_string());
    md.insert("crc32".to_string(), "00000000".to_string());
    let views: Vec<_> = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            let view =
                safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes).expect("view");
            (*name, view)
        })
        .collect();
    let file = safetensors::serialize(views, Some(md.clone())).expect("file");
    let st = safetensors::SafeTensors::deserialize(&file).expect("file");
    let crc = format!("{:08x}", super::format::digest_for_tests(&md, &st));
    replace_bytes(&file, "00000000", &crc)
}

fn sample() -> Checkpoint {
    let mut meta = Map::new();
    meta.insert("epoch".into(), json!(3));
    meta.insert("iter".into(), json!(75));
    meta.insert("seed".into(), json!(42));
    meta.insert(
        "param_order".into(),
        json!(["layers.0.weight", "layers.0.bias"]),
    );
    Checkpoint {
        meta,
        state_dict: vec![
            NamedTensor {
                name: "layers.0.weight".into(),
                shape: vec![2, 3],
                values: vec![1.0, -2.0, 3.5, 0.25, f32::MIN_POSITIVE, -0.0],
            },
            NamedTensor {
                name: "layers.0.bias".into(),
                shape: vec![2],
                values: vec![0.5, -0.5],
            },
        ],
        optimizer: Some(OptimStateDict {
            wrappers: vec![WrapperState {
                name: None,
                param_groups: vec![ParamGroup::new([("lr", 0.01), ("initial_lr", 0.1)])],
                inner_count: 75,
                state: vec![ParamStateEntry {
                    name: "layers.0.weight".into(),
                    step: 75,
                    buffers: vec![
                        ("exp_avg".into(), vec![0.1; 6]),
                        ("exp_avg_sq".into(), vec![0.2; 6]),
                    ],
                }],
                loss_scaler: Some(json!({
                    "scale": 32768.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                    "growth_interval": 2000, "_growth_tracker": 17
                })),
            }],
        }),
        param_schedulers: Some(json!([{"last_step": 3}])),
        message_hub: Some(json!({"runtime_info": {"epoch": 3}})),
        extra: Map::new(),
        ema_state_dict: Some(EmaStateDict {
            steps: 74,
            module: vec![
                NamedTensor {
                    name: "layers.0.weight".into(),
                    shape: vec![2, 3],
                    values: vec![0.5, -1.0, 3.0, 0.125, 1e-30, 7.0],
                },
                NamedTensor {
                    name: "layers.0.bias".into(),
                    shape: vec![2],
                    values: vec![0.25, -0.75],
                },
            ],
        }),
    }
}

#[test]
fn a_checkpoint_round_trips_exactly() {
    let ck = sample();
    let bytes = ck.to_bytes().expect("serialises");
    let back = Checkpoint::from_bytes(&bytes).expect("parses");
    assert_eq!(back, ck);
    assert_eq!((back.epoch(), back.iter()), (3, 75));
}

#[test]
fn any_safetensors_reader_sees_pytorch_names_and_shapes() {
    let bytes = sample().to_bytes().expect("serialises");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("plain safetensors");
    let w = st
        .tensor("state_dict.layers.0.weight")
        .expect("named as PyTorch");
    assert_eq!(w.shape(), &[2, 3]);
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    assert!(st.tensor("optimizer.layers.0.weight.exp_avg").is_ok());
}

#[test]
fn bad_files_are_clear_errors() {
    let good = sample().to_bytes().expect("serialises");
    let expect = |bytes: &[u8], words: &str| {
        for read in read_both(bytes) {
            let err = read.expect_err("must fail").to_string();
            assert!(err.contains(words), "expected `{words}` in: {err}");
        }
    };
    expect(&[], "empty");
    expect(&good[..4], "not a readable checkpoint");
    expect(&0u64.to_le_bytes(), "not a readable checkpoint");
    // A header length of 2^60: refused before any allocation of that size.
    let mut huge = (1u64 << 60).to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    expect(&huge, "not a readable checkpoint");
    expect(&good[..good.len() - 3], "not a readable checkpoint");
    // One flipped bit in the data section: the CRC catches it.
    let mut flipped = good.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 0x10;
    expect(&flipped, "corrupt");
    // One flipped bit in the header JSON.
    let mut header_flip = good.clone();
    header_flip[12] ^= 0x40;
    assert!(read_both(&header_flip).iter().all(Result::is_err));
    // A newer format.
    let newer = replace_bytes(
        &good,
        "\"format_version\":\"1\"",
        "\"format_version\":\"9\"",
    );
    expect(&newer, "newer");
    // Not ours: a plain safetensors file.
    let plain = safetensors::serialize(
        vec![(
            "w",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], &[0u8; 4])
                .expect("view"),
        )],
        None,
    )
    .expect("plain file");
    expect(&plain, "not a Strategy Playground checkpoint");
    // A wrong dtype under our format.
    let f64_file = ours_with(vec![(
        "state_dict.w",
        safetensors::Dtype::F64,
        vec![1],
        vec![0u8; 8],
    )]);
    expect(&f64_file, "checkpoints hold f32 tensors");
}

#[test]
fn a_file_whose_tensors_are_not_in_name_order_reads_the_same_both_ways() {
    // safetensors puts wider dtypes first: `zz` (f64) lies before `state_dict.w` (f32),
    // so the streaming reader takes the CRC after reading, from memory.
    let values: Vec<u8> = [1.5f32, -2.0, 0.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let file = ours_with(vec![
        ("state_dict.w", safetensors::Dtype::F32, vec![3], values),
        ("zz", safetensors::Dtype::F64, vec![1], vec![7u8; 8]),
    ]);
    let st = safetensors::SafeTensors::deserialize(&file).expect("file");
    let (_, header) = safetensors::SafeTensors::read_metadata(&file).expect("header");
    assert_eq!(header.offset_keys(), ["zz", "state_dict.w"], "{st:?}");
    for read in read_both(&file) {
        let ck = read.expect("reads");
        assert_eq!(ck.state_dict.len(), 1);
        assert_eq!(ck.state_dict[0].values, [1.5, -2.0, 0.25]);
    }
    // A flipped bit in either tensor is caught in that order too.
    for at in [file.len() - 1, file.len() - 9] {
        let mut bad = file.clone();
        bad[at] ^= 0x04;
        for read in read_both(&bad) {
            let err = read.expect_err("corrupt").to_string();
            assert!(err.contains("corrupt"), "{err}");
        }
    }
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn a_file_written_to_disk_reads_back_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ck.safetensors");
    files::write_checkpoint(&path, &sample()).expect("writes");
    assert_eq!(files::read_checkpoint(&path).expect("reads"), sample());
    // Cut short on disk: an error naming the file.
    let bytes = std::fs::read(&path).expect("bytes");
    std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("truncates");
    let err = files::read_checkpoint(&path).expect_err("truncated");
    let text = format!("{err}: {}", std::error::Error::source(&err).expect("cause"));
    assert!(
        text.contains("ck.safetensors") && text.contains("not a readable checkpoint"),
        "{text}"
    );
}

#[test]
fn random_damage_never_panics() {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    let good = sample().to_bytes().expect("serialises");
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..2_000 {
        let mut bytes = good.clone();
        match rng.random_range(0..3) {
            0 => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 => bytes.truncate(rng.random_range(0..good.len())),
            _ => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
        }
        // Either an error or (for a change that cancels out) the same checkpoint, the
        // same from both readers.
        let reads = read_both(&bytes);
        for read in &reads {
            if let Ok(ck) = read {
                assert_eq!(ck, &sample());
            }
        }
        assert!(
            reads.iter().all(Result::is_ok) || reads.iter().all(Result::is_err),
            "the readers disagree: {:?}",
            reads
                .iter()
                .map(|r| r.as_ref().err().map(ToString::to_string))
                .collect::<Vec<_>>()
        );
    }
}
