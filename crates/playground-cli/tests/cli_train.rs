//! `playground-cli train`: the presets train to their accuracy through the real
//! binary, the logs land in the work dir, and bad configs exit with code 2.

mod common;

use common::{preset, run_cli};

fn final_accuracy(stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("final validation:"))
        .unwrap_or_else(|| panic!("no final validation line in:\n{stdout}"));
    line.split("accuracy/top1:")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in `{line}`"))
}

#[test]
fn the_spiral_preset_trains_to_97_percent_on_the_cpu_backend() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work_dir = dir.path().to_string_lossy().into_owned();
    let started = std::time::Instant::now();
    let out = run_cli(&[
        "train",
        &preset("spiral_mlp.toml"),
        "--device",
        "cpu",
        "--work-dir",
        &work_dir,
    ]);
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acc = final_accuracy(&stdout);
    assert!(acc >= 97.0, "accuracy {acc}\n{stdout}");
    eprintln!("spiral via the CLI: {acc} % in {elapsed:?}");
    // Not a terminal: plain MMEngine-style lines, no progress bar.
    assert!(stdout.contains("Epoch(train) [100][20/25]"), "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\r'));
    // One timestamped log dir with the text log and scalars.json, beside the
    // checkpoints (every 25 epochs, the last 3 kept) and `last_checkpoint`.
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .filter_map(|e| e.ok())
        .collect();
    let dirs: Vec<_> = entries.iter().filter(|e| e.path().is_dir()).collect();
    assert_eq!(dirs.len(), 1);
    let mut ckpts: Vec<String> = entries
        .iter()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    ckpts.sort();
    assert_eq!(
        ckpts,
        [
            "epoch_100.safetensors",
            "epoch_50.safetensors",
            "epoch_75.safetensors"
        ]
    );
    assert!(dir.path().join("last_checkpoint").is_file());
    let ts = dirs[0].file_name().to_string_lossy().into_owned();
    assert!(dirs[0].path().join(format!("{ts}.log")).is_file());
    let scalars = std::fs::read_to_string(dirs[0].path().join("vis_data/scalars.json"))
        .expect("scalars.json");
    assert!(scalars.lines().count() >= 200);
}

#[test]
fn the_digits_preset_trains_to_95_percent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work_dir = dir.path().to_string_lossy().into_owned();
    let out = run_cli(&[
        "train",
        &preset("digits_cnn.toml"),
        "--device",
        "cpu",
        "--work-dir",
        &work_dir,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acc = final_accuracy(&stdout);
    assert!(acc >= 95.0, "accuracy {acc}\n{stdout}");
    // The preset averages its weights (EMAHook) and keeps its best checkpoint
    // (save_best = "auto"): the last two periodic files and one best file.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    files.sort();
    let best: Vec<&String> = files.iter().filter(|f| f.starts_with("best_")).collect();
    assert_eq!(best.len(), 1, "{files:?}");
    assert!(
        best[0].starts_with("best_accuracy_top1_epoch_"),
        "{files:?}"
    );
    assert!(
        files.contains(&"epoch_20.safetensors".to_string()),
        "{files:?}"
    );
    assert_eq!(files.len(), 3, "{files:?}");
    let out = run_cli(&[
        "inspect",
        &dir.path().join("epoch_20.safetensors").to_string_lossy(),
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // One average per iteration, from the first.
    assert_eq!(
        info["ema_state_dict"]["steps"].as_u64(),
        info["meta"]["iter"].as_u64(),
        "{info}"
    );
    let best_score = info["best"]["best_score"].as_f64().expect("best score");
    assert!(best_score >= acc, "{info}");
}

#[test]
fn bad_configs_and_devices_exit_with_code_2_and_name_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work_dir = dir.path().to_string_lossy().into_owned();
    for (opt, words) in [
        ("model.type=Resnet", "model.type"),
        ("model.in_features=0", "model.in_features"),
        (
            "train_dataloader.batch_size=0",
            "train_dataloader.batch_size",
        ),
        ("val_evaluator=None", "val_evaluator"),
        (
            "optim_wrapper.optimizer.lr=-1",
            "optim_wrapper.optimizer.lr",
        ),
    ] {
        let out = run_cli(&[
            "train",
            &preset("spiral_mlp.toml"),
            "--device",
            "cpu",
            "--work-dir",
            &work_dir,
            "--cfg-options",
            opt,
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{opt}: {stderr}");
        assert!(
            stderr.contains(words) && stderr.contains("spiral_mlp.toml"),
            "{opt}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{opt}: {stderr}");
    }
    let out = run_cli(&["train", &preset("spiral_mlp.toml"), "--device", "tpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tpu"));
}

/// `--devices cpu,cpu`: DDPStrategy over two CPU devices trains the presets and
/// writes one work dir (rank 0 writes), with the strategy named in the log.
#[test]
fn the_presets_train_data_parallel_on_two_cpu_devices() {
    // Two ranks of the preset's batch: a global batch twice the preset's at the
    // preset's lr (auto_scale_lr is off in the presets), so the digits CNN ends a
    // little lower than on one device.
    for (name, floor) in [("spiral_mlp.toml", 97.0), ("digits_cnn.toml", 93.0)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let work_dir = dir.path().to_string_lossy().into_owned();
        let out = run_cli(&[
            "train",
            &preset(name),
            "--devices",
            "cpu,cpu",
            "--work-dir",
            &work_dir,
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let acc = final_accuracy(&stdout);
        assert!(acc >= floor, "{name}: accuracy {acc}\n{stdout}");
        assert!(stdout.contains("DDPStrategy: 2 ranks"), "{stdout}");
        let dirs: Vec<_> = std::fs::read_dir(dir.path())
            .expect("work dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .collect();
        assert_eq!(dirs.len(), 1, "{name}: one log dir");
        let logs = std::fs::read_dir(dirs[0].path())
            .expect("log dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .count();
        assert_eq!(logs, 1, "{name}: one log file");
    }
    // Devices that do not parse, and a SingleDeviceStrategy given two, are exit 2.
    let out = run_cli(&["train", &preset("spiral_mlp.toml"), "--devices", "cpu,tpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown device `tpu`"));
    let out = run_cli(&[
        "train",
        &preset("spiral_mlp.toml"),
        "--devices",
        "cpu,cpu",
        "--cfg-options",
        "strategy.type=SingleDeviceStrategy",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("strategy.type"));
}
