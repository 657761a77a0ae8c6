//! Every case of `../shared/reference/schedules/*.json` (MMEngine 0.10.7's own
//! numbers) through the public API: parse the config, simulate the run, compare each
//! iteration's lr and momentum with relative error ≤ 1e-9.

mod common;

use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::plan::simulate;
use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn every_reference_schedule_matches_mmengine() {
    let files = common::reference_cases("schedules", 60);
    let mut failures = Vec::new();
    for file in &files {
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("json");
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let cfg = match ExperimentConfig::from_tree(case["config"].clone(), &Registries::default())
        {
            Ok(cfg) => cfg,
            Err(e) => {
                failures.push(format!("{name}: config rejected: {e}"));
                continue;
            }
        };
        let l = case["iters_per_epoch"].as_i64();
        let curves = match simulate(&cfg, l) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: simulation failed: {e}"));
                continue;
            }
        };
        let n = case["iterations"].as_u64().expect("iterations") as usize;
        if curves.iterations != n {
            failures.push(format!(
                "{name}: {} iterations, expected {n}",
                curves.iterations
            ));
            continue;
        }
        let series = &curves.series[0];
        for (key, got) in [
            ("lr", Some(&series.lr)),
            ("momentum", series.momentum.as_ref()),
        ] {
            let expected: Vec<f64> = case["expected"][key]
                .as_array()
                .expect("expected values")
                .iter()
                .map(|v| v.as_f64().expect("number"))
                .collect();
            let Some(got) = got else {
                failures.push(format!("{name}: no {key} curve"));
                continue;
            };
            if let Some(i) = (0..n).find(|&i| !close(got[i], expected[i])) {
                failures.push(format!(
                    "{name}: {key}[{i}] = {} but MMEngine has {}",
                    got[i], expected[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
