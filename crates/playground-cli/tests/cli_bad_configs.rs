//! The bad-config suite: every file in `tests/fixtures/bad_configs/` must make
//! `playground-cli schedule --strict` exit with code 2 and a clear message naming the
//! file and what is wrong (the substring in `expect.toml`: the key path, and the
//! closest known name for a misspelt one), never a panic. Without `--strict`, errors in
//! parts the schedule does not use are warnings and the curves still come out.

use std::path::PathBuf;

mod common;

use common::run_cli;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_configs")
}

#[test]
fn every_bad_config_is_a_clear_error_with_exit_code_2() {
    let expect: toml::Table = toml::from_str(
        &std::fs::read_to_string(fixtures().join("expect.toml")).expect("expect.toml is readable"),
    )
    .expect("expect.toml parses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "expect.toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 85,
        "the suite needs at least 85 bad configs, has {}",
        files.len()
    );
    let mut problems = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(wanted) = expect.get(&name).and_then(|v| v.as_str()) else {
            problems.push(format!("{name}: no expectation in expect.toml"));
            continue;
        };
        let path = file.to_str().expect("utf-8 path");
        let out = run_cli(&[
            "schedule",
            path,
            "--strict",
            "--iters-per-epoch",
            "4",
            "--format",
            "json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            problems.push(format!(
                "{name}: exit code {:?}, expected 2; stderr: {stderr}",
                out.status.code()
            ));
        }
        if stderr.contains("panicked") {
            problems.push(format!("{name}: panicked: {stderr}"));
        }
        if !stderr.contains(wanted) {
            problems.push(format!("{name}: stderr lacks {wanted:?}: {stderr}"));
        }
        if !out.stdout.is_empty() {
            problems.push(format!("{name}: printed to stdout although it failed"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn errors_name_the_config_file() {
    let file = fixtures().join("06_unknown_key.toml");
    let out = run_cli(&[
        "schedule",
        file.to_str().expect("utf-8"),
        "--iters-per-epoch",
        "4",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("06_unknown_key.toml: param_scheduler[0].T_mx: unknown field `T_mx`"),
        "{stderr}"
    );
}

#[test]
fn without_strict_errors_outside_the_schedule_are_warnings() {
    let file = fixtures().join("64_model_unknown_type.toml");
    let out = run_cli(&[
        "schedule",
        file.to_str().expect("utf-8"),
        "--iters-per-epoch",
        "4",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("model.type: unknown model type `ResNet`"),
        "{stderr}"
    );
    let curves: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the curves are printed as JSON");
    assert_eq!(curves["iterations"], 20);
    // An error in a section the schedule uses stays fatal without --strict too.
    let file = fixtures().join("36_top_level_typo_scheduler.toml");
    let out = run_cli(&[
        "schedule",
        file.to_str().expect("utf-8"),
        "--iters-per-epoch",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
