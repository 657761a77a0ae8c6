//! The pure (burn-free) part of the crate's reference checks, so that the scheduler
//! code is held to them by `cargo test --lib` too: MMEngine's own curves
//! (`../shared/reference/schedules`) and the CLI's bad-config expectations.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::simulate;
use crate::config::{ExperimentConfig, Registries};

use crate::base::reference_dir;

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| {
            panic!(
                "reading {}: {e} (set PLAYGROUND_REFERENCE_DIR)",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Simulates a reference case; the first difference from MMEngine's values, if any.
fn compare(case: &Value) -> Result<(), String> {
    let cfg = ExperimentConfig::from_tree(case["config"].clone(), &Registries::default())
        .map_err(|e| format!("config rejected: {e}"))?;
    let curves = simulate(&cfg, case["iters_per_epoch"].as_i64())
        .map_err(|e| format!("simulation failed: {e}"))?;
    let n = case["iterations"].as_u64().unwrap_or(0) as usize;
    if curves.iterations != n {
        return Err(format!("{} iterations, expected {n}", curves.iterations));
    }
    let series = &curves.series[0];
    for (key, got) in [
        ("lr", Some(&series.lr)),
        ("momentum", series.momentum.as_ref()),
    ] {
        let Some(expected) = case["expected"][key].as_array() else {
            continue;
        };
        let Some(got) = got else {
            return Err(format!("no {key} curve"));
        };
        for (i, want) in expected.iter().enumerate() {
            let want = want.as_f64().unwrap_or(f64::NAN);
            if !close(got[i], want) {
                return Err(format!("{key}[{i}] = {} but MMEngine has {want}", got[i]));
            }
        }
    }
    Ok(())
}

#[test]
fn every_reference_schedule_matches_mmengine() {
    let files = json_files(&reference_dir().join("schedules"));
    assert!(files.len() >= 60, "found {} reference cases", files.len());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(file).expect("readable");
            let case: Value = serde_json::from_str(&text).expect("json");
            compare(&case)
                .err()
                .map(|e| format!("{}: {e}", file.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every one of the 106 schedules written by the OpenMMLab projects (mixed precision,
/// LARS, Lamb and Adadelta included): MMEngine's curves, every iteration.
#[test]
fn every_real_openmmlab_schedule_matches_mmengine() {
    let files = json_files(&reference_dir().join("real_schedules"));
    assert!(files.len() >= 100, "{} real schedules", files.len());
    let mut matched = 0;
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let case: Value = serde_json::from_str(&text).expect("json");
        match compare(&case) {
            Ok(()) => matched += 1,
            Err(e) => problems.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(matched, files.len());
}

#[test]
fn a_real_schedule_with_fractional_epoch_bounds_matches_mmengine() {
    // BEVFusion's cyclic momentum: `end = 0.4 * max_epochs` = 2.4 epochs, converted
    // to int(2.4 × 167) = 400 iterations.
    let file = reference_dir().join(
        "real_schedules/mmdetection3d__bevfusion_lidar-cam_voxel0075_second_secfpn_8xb4-cyclic-20e_nus-3d.json",
    );
    let text = std::fs::read_to_string(&file).expect("the reference case is readable");
    let case: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        case["config"]["param_scheduler"][2]["end"],
        serde_json::json!(2.4)
    );
    if let Err(e) = compare(&case) {
        panic!("{}: {e}", file.display());
    }
}

#[test]
fn every_bad_config_says_what_the_cli_suite_expects() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../playground-cli/tests/fixtures/bad_configs");
    let expect: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).expect("expect.toml"))
            .expect("expect.toml parses");
    let mut problems = Vec::new();
    for (name, wanted) in &expect {
        let wanted = wanted.as_str().expect("a substring");
        let result = ExperimentConfig::load(&dir.join(name), &[], &Registries::default())
            .and_then(|cfg| simulate(&cfg, Some(4)).map(|_| ()));
        match result {
            Ok(()) => problems.push(format!("{name}: accepted")),
            Err(e) if !e.to_string().contains(wanted) => {
                problems.push(format!("{name}: {e:?} lacks {wanted:?}"));
            }
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
