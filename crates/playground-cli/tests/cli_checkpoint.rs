//! Checkpoints through `playground-cli`: train writes them, `inspect` reads them,
//! `--resume` continues, `test` evaluates, `convert` exports plain safetensors, and
//! bad files are clear errors.

use std::path::Path;

mod common;

use common::{preset, run_cli};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn train_inspect_resume_test_and_convert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wd = s(dir.path());
    let spiral = preset("spiral_mlp.toml");
    let out = run_cli(&[
        "train",
        &spiral,
        "--device",
        "cpu",
        "--work-dir",
        &wd,
        "--cfg-options",
        "train_cfg.max_epochs=4",
        "default_hooks.checkpoint.interval=2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ck = dir.path().join("epoch_4.safetensors");
    assert!(ck.is_file());

    let out = run_cli(&["inspect", &s(&ck), "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["meta"]["epoch"], 4);
    assert_eq!(info["meta"]["iter"], 100);
    assert_eq!(info["tensors"][0]["name"], "state_dict.layers.0.weight");
    assert_eq!(info["tensors"][0]["shape"], serde_json::json!([64, 2]));
    assert_eq!(info["optimizer"][0]["steps"], 100);
    let text = run_cli(&["inspect", &s(&ck)]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("state_dict.layers.2.bias"));

    // Resume from the work dir's last_checkpoint and carry on to 6 epochs.
    let out = run_cli(&[
        "train",
        &spiral,
        "--device",
        "cpu",
        "--work-dir",
        &wd,
        "--resume",
        "--cfg-options",
        "train_cfg.max_epochs=6",
        "default_hooks.checkpoint.interval=2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("resumed epoch: 4, iter: 100"), "{stdout}");
    assert!(!stdout.contains("Epoch(train) [1]"), "{stdout}");
    assert!(dir.path().join("epoch_6.safetensors").is_file());

    let out = run_cli(&[
        "test",
        &spiral,
        "--checkpoint",
        &s(&dir.path().join("epoch_6.safetensors")),
        "--device",
        "cpu",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("accuracy/top1: "), "{stdout}");

    let plain = dir.path().join("weights.safetensors");
    let out = run_cli(&[
        "convert",
        &s(&ck),
        &s(&plain),
        "--revise-keys",
        "^layers=net.layers",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&plain).expect("written");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("plain safetensors");
    let mut names: Vec<&str> = st.names();
    names.sort();
    assert_eq!(names[0], "net.layers.0.bias");
    assert_eq!(
        st.tensor("net.layers.0.weight").expect("weight").shape(),
        &[64, 2]
    );
}

#[test]
fn bad_checkpoint_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.safetensors");
    std::fs::write(&empty, b"").expect("write");
    let garbage = dir.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"this is not a checkpoint at all").expect("write");
    for (file, words) in [
        (empty, "empty"),
        (garbage, "not a readable checkpoint"),
        (
            dir.path().join("missing.safetensors"),
            "missing.safetensors",
        ),
    ] {
        let out = run_cli(&["inspect", &s(&file)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_finishes_the_iteration_saves_and_exits_cleanly() {
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("temp dir");
    let wd = s(dir.path());
    let child = Command::new(env!("CARGO_BIN_EXE_playground-cli"))
        .args([
            "train",
            &preset("digits_cnn.toml"),
            "--device",
            "cpu",
            "--work-dir",
            &wd,
            "--cfg-options",
            "train_cfg.max_epochs=500",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Wait until training is under way (the first log line is written).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(dir.path())
        .map(|d| d.count())
        .unwrap_or(0)
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "training never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exits");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("interrupted: saved"), "{stdout}");
    let latest = std::fs::read_to_string(dir.path().join("last_checkpoint")).expect("pointer");
    assert!(latest.contains("iter_"), "{latest}");
    // The saved checkpoint is complete and resumable.
    let out = run_cli(&["inspect", &latest, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(info["meta"]["iter"].as_i64().expect("iter") > 0);
}
