//! Checkpoint I/O: saving and loading a ~105 MB model (25 f32 tensors of 1M elements)
//! as a playground checkpoint (safetensors, atomic: temp file, fsync, rename; loading
//! checks the CRC) against `torch.save`/`torch.load` of the same state dict, saving
//! against a plain copy of the same file with fsync, and loading against a plain read of
//! it (the limits of the disk and the page cache).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::checkpoint::files::{read_checkpoint, write_checkpoint};
use playground_strategy::model::NamedTensor;
use serde_json::json;

use crate::peer::{Peer, Versions};
use crate::rows::Row;
use crate::stats::interleaved;

const TENSORS: usize = 25;
const ELEMENTS: usize = 1 << 20;

fn copy_synced(from: &Path, to: &Path) -> Result<f64> {
    let t = Instant::now();
    std::fs::copy(from, to).with_context(|| format!("copying to {}", to.display()))?;
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", to.display()))?;
    Ok(t.elapsed().as_secs_f64())
}

fn plain_read(path: &Path) -> Result<f64> {
    let t = Instant::now();
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(!bytes.is_empty(), "an empty file");
    Ok(secs)
}

/// Save and load rows against torch and against a file copy.
pub fn run(peer: &mut Peer, versions: &Versions, rounds: usize, machine: &str) -> Result<Vec<Row>> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let ck = Checkpoint {
        state_dict: (0..TENSORS)
            .map(|i| NamedTensor {
                name: format!("layer{i}.weight"),
                shape: vec![ELEMENTS],
                values: (0..ELEMENTS)
                    .map(|j| (i * ELEMENTS + j) as f32 * 1e-7)
                    .collect(),
            })
            .collect(),
        ..Checkpoint::default()
    };
    let mb = (TENSORS * ELEMENTS * 4) as f64 / 1e6;
    let path = dir.path().join("ours.safetensors");
    let copy = dir.path().join("copy.safetensors");
    peer.call(
        json!({"cmd": "ckpt_setup", "tensors": TENSORS, "numel": ELEMENTS, "dir": dir.path()}),
    )?;
    eprintln!("bench: [checkpoint I/O] save");
    let save = || -> Result<f64> {
        let t = Instant::now();
        write_checkpoint(&path, &ck).context("saving our checkpoint")?;
        Ok(t.elapsed().as_secs_f64())
    };
    let load = || -> Result<f64> {
        let t = Instant::now();
        let back = read_checkpoint(&path).context("loading our checkpoint")?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            back.state_dict.len() == TENSORS,
            "the checkpoint lost tensors"
        );
        Ok(secs)
    };
    let (ours_save, torch_save) =
        interleaved(rounds, save, || peer.seconds(json!({"cmd": "ckpt_save"})))?;
    eprintln!("bench: [checkpoint I/O] load");
    let (ours_load, torch_load) =
        interleaved(rounds, load, || peer.seconds(json!({"cmd": "ckpt_load"})))?;
    eprintln!("bench: [checkpoint I/O] file copy");
    let (ours_save2, copy_time) = interleaved(rounds, save, || copy_synced(&path, &copy))?;
    eprintln!("bench: [checkpoint I/O] plain read");
    let (ours_load2, read_time) = interleaved(rounds, load, || plain_read(&path))?;
    let torch = format!(
        "PyTorch {} `torch.save` / `torch.load` (no fsync)",
        versions.torch
    );
    let copy_peer = "a plain file copy of the same file, with fsync".to_string();
    let read_peer = "a plain read of the same file into one buffer (`std::fs::read`)".to_string();
    let note = format!(
        "{mb:.0} MB ({TENSORS} f32 tensors of {ELEMENTS}); median of {rounds} interleaved rounds; this machine's disk"
    );
    let row = |workload: &str, ours: f64, peer: &str, theirs: f64| Row {
        group: "checkpoint I/O".into(),
        workload: workload.into(),
        ours: mb / ours,
        peer: peer.into(),
        peer_value: Some(mb / theirs),
        unit: "MB/s".into(),
        higher_is_better: true,
        machine: machine.into(),
        note: note.clone(),
    };
    Ok(vec![
        row(
            "save (atomic: temp file, fsync, rename)",
            ours_save,
            &torch,
            torch_save,
        ),
        row(
            "load (parse, CRC check, to f32)",
            ours_load,
            &torch,
            torch_load,
        ),
        row(
            "save (atomic: temp file, fsync, rename)",
            ours_save2,
            &copy_peer,
            copy_time,
        ),
        row(
            "load (parse, CRC check, to f32)",
            ours_load2,
            &read_peer,
            read_time,
        ),
    ])
}
