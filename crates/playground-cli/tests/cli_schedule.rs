//! `playground-cli schedule` end to end: every MMEngine reference case through the
//! CLI's JSON interface, the presets, overrides, `_base_`, several optimizers, and the
//! table/SVG/PNG outputs.

use std::path::{Path, PathBuf};

mod common;

use common::run_cli;
use serde_json::Value;

fn reference_dir() -> PathBuf {
    std::env::var_os("PLAYGROUND_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
        })
}

fn presets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../public/configs")
}

fn schedule_json(config: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "schedule",
        config.to_str().expect("utf-8"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    assert!(
        out.status.success(),
        "{}: {}",
        config.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn every_reference_case_through_the_cli_json() {
    every_case_through_the_cli_json("schedules", 60);
}

/// The 106 schedules written by the OpenMMLab projects (mixed precision, LARS, Lamb,
/// Adadelta included), as users paste them: every lr and momentum as MMEngine's.
#[test]
fn every_real_openmmlab_schedule_through_the_cli_json() {
    every_case_through_the_cli_json("real_schedules", 106);
}

fn every_case_through_the_cli_json(kind: &str, at_least: usize) {
    let dir = reference_dir().join(kind);
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    cases.sort();
    assert!(cases.len() >= at_least, "{} cases in {kind}", cases.len());
    for case_file in cases {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&case_file).expect("read"))
            .expect("json");
        // The case's config is a JSON dump of an MMEngine config dict: feed it as is.
        let cfg = tmp.path().join("config.json");
        std::fs::write(&cfg, case["config"].to_string()).expect("write config");
        let l = case["iters_per_epoch"].to_string();
        let got = schedule_json(&cfg, &["--iters-per-epoch", &l]);
        assert_eq!(
            got["iterations"],
            case["iterations"],
            "{}",
            case_file.display()
        );
        for key in ["lr", "momentum"] {
            let Some(want) = case["expected"][key].as_array() else {
                continue;
            };
            let have = got[key]
                .as_array()
                .unwrap_or_else(|| panic!("{}: no {key}", case_file.display()));
            assert_eq!(want.len(), have.len());
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                let (w, h) = (w.as_f64().expect("f64"), h.as_f64().expect("f64"));
                assert!(
                    close(w, h),
                    "{} {key}[{i}]: {h} vs MMEngine {w}",
                    case_file.display()
                );
            }
        }
    }
}

#[test]
fn presets_simulate_and_several_optimizers_get_named_keys() {
    let spiral = schedule_json(
        &presets().join("spiral_mlp.toml"),
        &["--iters-per-epoch", "25"],
    );
    assert_eq!(spiral["iterations"], 100 * 25);
    let lr = spiral["lr"].as_array().expect("lr");
    assert!(
        close(lr[0].as_f64().expect("f64"), 0.001),
        "warm-up starts at 0.1 × 0.01"
    );
    let gan = schedule_json(&presets().join("gan_2d.toml"), &[]);
    assert_eq!(gan["iterations"], 2000);
    for key in [
        "generator.lr",
        "generator.momentum",
        "discriminator.lr",
        "discriminator.momentum",
    ] {
        assert_eq!(gan[key].as_array().map(Vec::len), Some(2000), "{key}");
    }
    let g = gan["generator.lr"].as_array().expect("lr");
    assert!(close(g[0].as_f64().expect("f64"), 0.0002));
    assert!(
        g[1999].as_f64().expect("f64") < 0.0002 * 0.11,
        "linear decay to 0.1×"
    );
}

#[test]
fn cfg_options_and_base_inheritance() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        tmp.path().join("base.toml"),
        "[optim_wrapper.optimizer]\ntype = 'SGD'\nlr = 0.1\nmomentum = 0.9\n[train_cfg]\nby_epoch = false\nmax_iters = 10\n",
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("child.json"),
        r#"{"_base_": "base.toml", "param_scheduler": [{"type": "StepLR", "step_size": 2, "gamma": 0.5, "by_epoch": false}]}"#,
    )
    .expect("write");
    let child = tmp.path().join("child.json");
    let got = schedule_json(
        &child,
        &[
            "--cfg-options",
            "optim_wrapper.optimizer.lr=0.2",
            "param_scheduler.0.gamma=0.1",
        ],
    );
    let lr: Vec<f64> = got["lr"]
        .as_array()
        .expect("lr")
        .iter()
        .map(|v| v.as_f64().expect("f64"))
        .collect();
    let want = [
        0.2, 0.2, 0.02, 0.02, 0.002, 0.002, 0.0002, 0.0002, 0.00002, 0.00002,
    ];
    assert!(lr.iter().zip(want).all(|(a, b)| close(*a, b)), "{lr:?}");
    assert!(
        got["momentum"]
            .as_array()
            .expect("momentum")
            .iter()
            .all(|m| m.as_f64() == Some(0.9))
    );
}

/// Runs `schedule --format <format> --out <dir>/chart.<format>` and returns the path.
fn chart_file(cfg: &str, format: &str, dir: &Path) -> PathBuf {
    let out_path = dir.join(format!("chart.{format}"));
    let out = run_cli(&[
        "schedule",
        cfg,
        "--iters-per-epoch",
        "25",
        "--format",
        format,
        "--out",
        out_path.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_path
}

#[test]
fn table_svg_and_png_outputs() {
    let cfg = presets().join("spiral_mlp.toml");
    let cfg = cfg.to_str().expect("utf-8");
    let out = run_cli(&["schedule", cfg, "--iters-per-epoch", "25"]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("2500 iterations (100 epochs of 25)"),
        "{table}"
    );
    assert!(
        table.contains("lr min") && table.contains("momentum min"),
        "{table}"
    );

    let tmp = tempfile::tempdir().expect("temp dir");
    let svg = chart_file(cfg, "svg", tmp.path());
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        text.starts_with("<svg") && text.contains("learning rate") && text.contains("iteration")
    );

    let png = chart_file(cfg, "png", tmp.path());
    let bytes = std::fs::read(&png).expect("png written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    if let Some(dir) = std::env::var_os("PLAYGROUND_TEST_OUTPUT") {
        let _ = std::fs::copy(&png, PathBuf::from(dir).join("schedule_spiral.png"));
    }
    let out = run_cli(&[
        "schedule",
        cfg,
        "--iters-per-epoch",
        "25",
        "--format",
        "png",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
}

#[test]
fn the_epoch_length_follows_from_the_dataset_or_must_be_given() {
    // spiral: 500 samples, a fifth held out, batches of 16: ceil(400 / 16) = 25.
    let spiral = presets().join("spiral_mlp.toml");
    let derived = schedule_json(&spiral, &[]);
    let explicit = schedule_json(&spiral, &["--iters-per-epoch", "25"]);
    assert_eq!(derived, explicit);
    // digits: 1,797 images, 1,438 for training, batches of 64: 23 a epoch, 20 epochs.
    let digits = schedule_json(&presets().join("digits_cnn.toml"), &[]);
    assert_eq!(digits["iterations"], 23 * 20);

    let tmp = tempfile::tempdir().expect("temp dir");
    let cfg = tmp.path().join("custom.toml");
    std::fs::write(
        &cfg,
        "[optim_wrapper.optimizer]\ntype = 'SGD'\nlr = 0.1\n[train_cfg]\nmax_epochs = 2\n\
         [train_dataloader]\nbatch_size = 8\n[train_dataloader.dataset]\ntype = 'MyOwnData'\n",
    )
    .expect("write");
    let out = run_cli(&["schedule", cfg.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--iters-per-epoch"));
}

/// `--world-size N`: each rank's epoch is its share of the data, and `auto_scale_lr`
/// scales by the global batch; SingleDeviceStrategy with several ranks is exit 2.
#[test]
fn world_size_changes_the_epoch_and_the_scaled_lr() {
    let spiral = presets().join("spiral_mlp.toml");
    let scaled = ["--cfg-options", "auto_scale_lr.enable=true"];
    let one = schedule_json(&spiral, &scaled);
    let two = schedule_json(&spiral, &[&scaled[..], &["--world-size", "2"]].concat());
    // 400 training samples, batch 16: 25 batches per epoch, 13 per rank with two.
    assert_eq!(one["iterations"], 2500);
    assert_eq!(two["iterations"], 1300);
    let lr = |v: &Value| v["lr"][0].as_f64().expect("lr");
    // base_batch_size 16: one rank keeps the lr, two double it.
    assert!(close(lr(&two), 2.0 * lr(&one)), "{} {}", lr(&one), lr(&two));
    let out = run_cli(&[
        "schedule",
        spiral.to_str().expect("utf-8"),
        "--world-size",
        "2",
        "--cfg-options",
        "strategy.type=SingleDeviceStrategy",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("strategy.type"));
}
