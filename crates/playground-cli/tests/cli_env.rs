//! `playground-cli env` end to end: the real binary, its text and JSON reports, the
//! backend check, and a clear error for bad arguments.

use playground_strategy::env::{EnvReport, WgpuReport};
mod common;

use common::run_cli;

#[test]
fn env_json_is_a_full_report_with_an_adapter() {
    let out = run_cli(&["env", "--format", "json"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: EnvReport = serde_json::from_slice(&out.stdout).expect("stdout is an EnvReport");
    assert_eq!(report.crate_version, env!("CARGO_PKG_VERSION"));
    assert!(report.browser.is_none());
    assert!(matches!(report.wgpu, WgpuReport::Found { .. }), "{report}");
}

#[test]
fn env_text_names_every_section() {
    let out = run_cli(&["env"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "playground-strategy",
        "platform",
        "backends compiled    cpu, wgpu",
        // The default build: burn without fusion and autotune.
        "wgpu kernel options  none",
        "cpu backend",
        "wgpu adapters",
        "device auto",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn env_check_runs_both_backends_for_real() {
    let out = run_cli(&["env", "--check", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let checks = value["checks"].as_array().expect("checks array");
    let backends: Vec<&str> = checks
        .iter()
        .filter_map(|c| c["backend"].as_str())
        .collect();
    assert_eq!(backends, ["cpu", "wgpu"], "{stdout}");
    assert!(checks.iter().all(|c| c["ok"] == true), "{stdout}");
}

#[test]
fn bad_format_is_a_clear_error() {
    let out = run_cli(&["env", "--format", "yaml"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--format") && stderr.contains("text") && stderr.contains("json"),
        "{stderr}"
    );
}
