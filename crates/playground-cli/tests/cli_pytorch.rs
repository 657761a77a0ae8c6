//! PyTorch interoperability with real files: an MMEngine checkpoint in `torch.save`'s
//! format (`tests/fixtures/pytorch/mmengine_mlp.pth`, made by the script beside it) is
//! imported into a playground model, and a playground checkpoint's weights are exported
//! as safetensors that Python's `safetensors` + `numpy` read back.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::run_cli;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch/mmengine_mlp.pth")
}

fn preset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/configs")
        .join(name)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The fixture's values: `0.01 (i + 1) (-1)^i` in PyTorch's row-major order.
fn expected(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.01 * (i as f64 + 1.0) * if i % 2 == 0 { 1.0 } else { -1.0 }) as f32)
        .collect()
}

#[test]
fn an_mmengine_pth_imports_into_a_playground_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_ck = dir.path().join("imported.safetensors");
    let out = run_cli(&["convert", &s(&fixture()), &s(&out_ck)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Names lost their `module.` prefix; shapes are PyTorch's.
    let out = run_cli(&["inspect", &s(&out_ck), "--format", "json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = info["tensors"]
        .as_array()
        .expect("tensors")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "state_dict.layers.0.bias",
            "state_dict.layers.0.weight",
            "state_dict.layers.1.bias",
            "state_dict.layers.1.weight"
        ]
    );
    assert_eq!(info["meta"]["epoch"], 12, "MMEngine's meta came along");

    // Loaded strictly into MLP(2 → 4 → 2) through `load_from` (the .pth directly),
    // every element lands where PyTorch had it.
    let mut cfg = ExperimentConfig::load(
        &preset("spiral_mlp.toml"),
        &["model.hidden_sizes=[4]".to_string()],
        &Registries::default(),
    )
    .expect("config");
    cfg.load_from = Some(s(&fixture()));
    let state = pollster::block_on(async {
        let mut r = Runner::from_config(
            cfg,
            RunnerOptions {
                device: DeviceChoice::Cpu,
                write_files: false,
                ..RunnerOptions::default()
            },
        )
        .await
        .expect("runner");
        r.load_or_resume().expect("loads the .pth");
        r.model_state_dict().await.expect("weights")
    });
    for t in &state {
        let n = t.values.len();
        assert_eq!(t.values, expected(n), "{} {:?}", t.name, t.shape);
    }
    assert_eq!(state[0].shape, vec![4, 2]);

    // A playground-layout mismatch is refused with every problem named.
    let out = run_cli(&[
        "test",
        &s(&preset("spiral_mlp.toml")),
        "--checkpoint",
        &s(&out_ck),
        "--device",
        "cpu",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("layers.0.weight") && stderr.contains("missing key `layers.2.weight`"),
        "{stderr}"
    );
}

#[test]
fn a_file_that_is_not_pytorch_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("model.pth");
    std::fs::write(&bad, b"definitely not a zip or a pickle").expect("write");
    let out = run_cli(&["convert", &s(&bad), &s(&dir.path().join("x.safetensors"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("model.pth") && stderr.contains("not a readable PyTorch file"),
        "{stderr}"
    );
}

/// Needs Python with `safetensors` and `numpy`: `cargo xtask test` makes a virtual
/// environment with both and runs this with `PLAYGROUND_PYTHON` pointing at it.
#[test]
#[ignore = "needs Python with safetensors and numpy; run by `cargo xtask test`"]
fn exported_weights_read_back_in_python() {
    let python =
        std::env::var("PLAYGROUND_PYTHON").expect("PLAYGROUND_PYTHON (set by cargo xtask test)");
    let dir = tempfile::tempdir().expect("temp dir");
    let wd = s(dir.path());
    let out = run_cli(&[
        "train",
        &s(&preset("spiral_mlp.toml")),
        "--device",
        "cpu",
        "--work-dir",
        &wd,
        "--cfg-options",
        "train_cfg.max_epochs=1",
        "default_hooks.checkpoint.interval=1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ck = dir.path().join("epoch_1.safetensors");
    let plain = dir.path().join("weights.safetensors");
    let out = run_cli(&["convert", &s(&ck), &s(&plain)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = r#"
import json, sys
from safetensors.numpy import load_file
w = load_file(sys.argv[1])
full = load_file(sys.argv[2])
print(json.dumps({
    "names": sorted(w),
    "shapes": {k: list(v.shape) for k, v in w.items()},
    "dtype": str(w["layers.0.weight"].dtype),
    "w00": float(w["layers.0.weight"][0, 0]),
    "w01": float(w["layers.0.weight"][0, 1]),
    "same": all((w[k] == full["state_dict." + k]).all() for k in w),
    "optimizer_keys": len([k for k in full if k.startswith("optimizer.")]),
}))
"#;
    let out = Command::new(&python)
        .args(["-c", script, &s(&plain), &s(&ck)])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(got["shapes"]["layers.0.weight"], serde_json::json!([64, 2]));
    assert_eq!(got["dtype"], "float32");
    assert_eq!(
        got["same"], true,
        "the full checkpoint also opens in Python"
    );
    assert!(got["optimizer_keys"].as_u64().expect("count") >= 12);
    // The same element Rust sees at PyTorch's [0][1].
    let rust = playground_strategy::checkpoint::files::read_checkpoint(&ck).expect("reads");
    let w = rust
        .state_dict
        .iter()
        .find(|t| t.name == "layers.0.weight")
        .expect("weight");
    assert_eq!(got["w01"].as_f64().expect("f64") as f32, w.values[1]);
    assert_eq!(got["w00"].as_f64().expect("f64") as f32, w.values[0]);
}

/// `TensorboardVisBackend`: the event file a real run writes is read by TensorBoard's
/// own event reader (the `tensorboard` package, which checks every record's CRC),
/// with every scalar the run logged at its step and the config as text. `cargo xtask
/// test` runs this with `PLAYGROUND_PYTHON` pointing at its venv.
#[test]
#[ignore = "needs Python with tensorboard; run by `cargo xtask test`"]
fn tensorboard_reads_the_event_file_of_a_run() {
    let python =
        std::env::var("PLAYGROUND_PYTHON").expect("PLAYGROUND_PYTHON (set by cargo xtask test)");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_cli(&[
        "train",
        &s(&preset("spiral_mlp.toml")),
        "--device",
        "cpu",
        "--work-dir",
        &s(dir.path()),
        "--cfg-options",
        "train_cfg.max_epochs=20",
        "visualizer={type='Visualizer',vis_backends=[{type='LocalVisBackend'},{type='TensorboardVisBackend'}]}",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_dir = std::fs::read_dir(dir.path())
        .expect("work dir")
        .flatten()
        .find(|e| e.path().is_dir())
        .expect("the run's log dir")
        .path();
    let vis = log_dir.join("vis_data");
    let events: Vec<PathBuf> = std::fs::read_dir(&vis)
        .expect("vis_data")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("events.out.tfevents."))
        })
        .collect();
    assert_eq!(events.len(), 1, "one event file in {}", vis.display());
    let script = r#"
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
acc.Reload()
tags = acc.Tags()
out = {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]}
text = [t for t in tags["tensors"]]
print(json.dumps({"scalars": out, "tensors": text}))
"#;
    let run = Command::new(&python)
        .args(["-c", script])
        .arg(&events[0])
        .output()
        .expect("python starts");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    // Every scalar of scalars.json is there, at its step, with its value (f32).
    let scalars = std::fs::read_to_string(vis.join("scalars.json")).expect("scalars.json");
    let mut expected = 0;
    for line in scalars.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("a record");
        let step = record["step"].as_i64().expect("step");
        for (tag, v) in record.as_object().expect("object") {
            if tag == "step" {
                continue;
            }
            let Some(x) = v.as_f64() else { continue };
            expected += 1;
            let points = read["scalars"][tag]
                .as_array()
                .unwrap_or_else(|| panic!("tag {tag}: {read}"));
            assert!(
                points.iter().any(|p| p[0].as_i64() == Some(step)
                    && (p[1].as_f64().expect("value") - x).abs() <= 1e-6 * (1.0 + x.abs())),
                "{tag} at {step} = {x}"
            );
        }
    }
    let total: usize = read["scalars"]
        .as_object()
        .expect("tags")
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, expected, "nothing more, nothing less");
    assert!(
        read["scalars"]["loss"]
            .as_array()
            .is_some_and(|l| l.len() >= 20)
    );
    assert!(
        read["scalars"]["accuracy/top1"]
            .as_array()
            .is_some_and(|l| l.len() == 2)
    );
    assert_eq!(read["tensors"], serde_json::json!(["config/text_summary"]));
}
