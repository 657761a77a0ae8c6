//! Checkpoint I/O throughput: saving and loading a ~100 MB model (25 f32 tensors of
//! 1M elements) as a playground checkpoint, against a plain file copy of the same bytes
//! (the disk's limit) and, when `PLAYGROUND_PYTHON` names a Python with `safetensors`
//! and `numpy` (as `cargo xtask test` sets up), against Python saving and loading the
//! same arrays with `safetensors.numpy`. Medians of 5 rounds, interleaved, in one run.
//!
//! `cargo bench --profile dev -p playground-strategy --bench checkpoint_io`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::checkpoint::files::{read_checkpoint, write_checkpoint};
use playground_strategy::model::NamedTensor;

const TENSORS: usize = 25;
const ELEMENTS: usize = 1 << 20;
const ROUNDS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn python_peer(python: &str, dir: &Path) -> Option<(f64, f64)> {
    let script = format!(
        r#"
import time, numpy as np
from safetensors.numpy import save_file, load_file
arrays = {{f"layers.{{i}}.weight": np.full(({ELEMENTS},), i, dtype=np.float32) for i in range({TENSORS})}}
path = r"{}/peer.safetensors"
saves, loads = [], []
for _ in range({ROUNDS}):
    t = time.perf_counter(); save_file(arrays, path); saves.append(time.perf_counter() - t)
    t = time.perf_counter(); loaded = load_file(path); _ = sum(float(a[0]) for a in loaded.values()); loads.append(time.perf_counter() - t)
saves.sort(); loads.sort()
print(saves[len(saves) // 2], loads[len(loads) // 2])
"#,
        dir.display()
    );
    let out = Command::new(python).args(["-c", &script]).output().ok()?;
    if !out.status.success() {
        eprintln!(
            "python peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().filter_map(|v| v.parse().ok());
    Some((it.next()?, it.next()?))
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ck = Checkpoint {
        state_dict: (0..TENSORS)
            .map(|i| NamedTensor {
                name: format!("layers.{i}.weight"),
                shape: vec![ELEMENTS],
                values: vec![i as f32; ELEMENTS],
            })
            .collect(),
        ..Checkpoint::default()
    };
    let mb = (TENSORS * ELEMENTS * 4) as f64 / 1e6;
    let path = dir.path().join("ours.safetensors");
    let copy = dir.path().join("copy.safetensors");
    let (mut save, mut load, mut cp) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        write_checkpoint(&path, &ck).expect("saves");
        save.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let back = read_checkpoint(&path).expect("loads");
        load.push(t.elapsed().as_secs_f64());
        assert_eq!(back.state_dict.len(), TENSORS);
        let t = Instant::now();
        std::fs::copy(&path, &copy).expect("copies");
        std::fs::File::open(&copy)
            .and_then(|f| f.sync_all())
            .expect("syncs");
        cp.push(t.elapsed().as_secs_f64());
    }
    let (save, load, cp) = (median(save), median(load), median(cp));
    println!("| operation ({mb:.0} MB) | ours (MB/s) | peer | peer (MB/s) | ours / peer |");
    println!("|---|---:|---|---:|---:|");
    println!(
        "| save | {:.0} | file copy + fsync | {:.0} | {:.2} |",
        mb / save,
        mb / cp,
        cp / save
    );
    println!(
        "| load | {:.0} | file copy + fsync | {:.0} | {:.2} |",
        mb / load,
        mb / cp,
        cp / load
    );
    match std::env::var("PLAYGROUND_PYTHON")
        .ok()
        .and_then(|p| python_peer(&p, dir.path()))
    {
        Some((ps, pl)) => {
            println!(
                "| save | {:.0} | Python safetensors.numpy save_file | {:.0} | {:.2} |",
                mb / save,
                mb / ps,
                ps / save
            );
            println!(
                "| load | {:.0} | Python safetensors.numpy load_file | {:.0} | {:.2} |",
                mb / load,
                mb / pl,
                pl / load
            );
        }
        None => println!(
            "(no Python peer: set PLAYGROUND_PYTHON to a Python with safetensors and numpy)"
        ),
    }
}
