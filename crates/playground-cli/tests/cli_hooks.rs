//! `custom_hooks` through the real binary: `EarlyStoppingHook` stops a run when its
//! metric passes a threshold or stops improving, and says why; a hook type we do not
//! have, or a strict hook on a metric validation does not compute, is exit 2 with the
//! key path.

mod common;

use std::path::Path;
use std::process::Output;

use common::{preset, run_cli};

/// The spiral preset, validated every epoch, with `hook` (a TOML inline table) as its
/// only custom hook, written to `dir/config.toml`.
fn config_with_hook(dir: &Path, hook: &str) -> String {
    let base = std::fs::read_to_string(preset("spiral_mlp.toml")).expect("preset");
    let text = format!("{base}\ncustom_hooks = [{hook}]\n")
        .replace("val_interval = 10", "val_interval = 1");
    // `custom_hooks = [...]` after a table would belong to that table: put it first.
    let (head, rest) = text.split_at(text.find("\ncustom_hooks").expect("appended"));
    let text = format!("{}\n{head}", rest.trim_start());
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("config written");
    path.to_string_lossy().into_owned()
}

fn train(config: &str, work_dir: &Path, extra: &[&str]) -> Output {
    let work_dir = work_dir.to_string_lossy().into_owned();
    let mut args = vec!["train", config, "--device", "cpu", "--work-dir", &work_dir];
    args.extend_from_slice(extra);
    run_cli(&args)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `N` of "stopped early at iteration N of M".
fn stop_iteration(stdout: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("stopped early at iteration"))
        .unwrap_or_else(|| panic!("no early-stop line in:\n{stdout}"));
    line["stopped early at iteration ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no iteration in `{line}`"))
}

/// The run's text log (the one `*.log` file under the timestamped dir).
fn run_log(work_dir: &Path) -> String {
    for entry in std::fs::read_dir(work_dir).expect("work dir").flatten() {
        if entry.path().is_dir() {
            let ts = entry.file_name().to_string_lossy().into_owned();
            if let Ok(text) = std::fs::read_to_string(entry.path().join(format!("{ts}.log"))) {
                return text;
            }
        }
    }
    panic!("no run log in {}", work_dir.display());
}

#[test]
fn a_stopping_threshold_ends_the_run_once_the_metric_passes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_hook(
        dir.path(),
        r#"{type = "EarlyStoppingHook", monitor = "accuracy/top1", stopping_threshold = 90.0, patience = 1000}"#,
    );
    let work = dir.path().join("work");
    let out = train(&config, &work, &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // 100 epochs of 25 iterations were planned; the spiral passes 90 % well before.
    let iter = stop_iteration(&stdout);
    assert!(iter < 2500 && iter % 25 == 0, "{stdout}");
    assert!(
        stdout.contains(
            "of 2500 by EarlyStoppingHook: Stopping threshold reached: `accuracy/top1` = "
        ),
        "{stdout}"
    );
    assert!(stdout.contains("is greater than 90.0."), "{stdout}");
    // The run did learn: the last validation passed the threshold.
    let log = run_log(&work);
    assert!(log.contains("Stopping threshold reached"), "{log}");
    let last_val = log
        .lines()
        .rfind(|l| l.contains("Epoch(val)"))
        .expect("a validation line");
    let acc: f64 = last_val
        .split("accuracy/top1: ")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in `{last_val}`"));
    assert!(acc > 90.0, "{last_val}");
    // No epoch after the stop: the last training line is of the stopping epoch.
    let epoch = iter / 25;
    let next = format!("[{}][", epoch + 1);
    assert!(
        log.lines()
            .any(|l| l.contains("Epoch(train)") && l.contains(&format!("[{epoch}]["))),
        "{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("Epoch(train)") && l.contains(&next)),
        "{log}"
    );
}

#[test]
fn patience_runs_out_when_the_metric_stops_improving() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An lr of 1e-9 leaves the network as it was initialised: the accuracy of the
    // first validation is never beaten by 0.1, so three more validations end the run.
    let config = config_with_hook(
        dir.path(),
        r#"{type = "EarlyStoppingHook", monitor = "accuracy/top1", patience = 3, priority = "LOWEST"}"#,
    );
    let work = dir.path().join("work");
    let out = train(
        &config,
        &work,
        &["--cfg-options", "optim_wrapper.optimizer.lr=1e-9"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stop_iteration(&stdout), 4 * 25, "{stdout}");
    assert!(
        stdout.contains("the monitored metric did not improve in the last 3 records. best score: "),
        "{stdout}"
    );
}

#[test]
fn unknown_hooks_and_missing_strict_metrics_exit_2_with_the_key_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_hook(
        dir.path(),
        r#"{type = "EarlyStopHook", monitor = "accuracy/top1"}"#,
    );
    let out = train(&config, &dir.path().join("w1"), &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("custom_hooks[0].type"), "{stderr}");
    assert!(stderr.contains("EarlyStoppingHook"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let config = config_with_hook(
        dir.path(),
        r#"{type = "EarlyStoppingHook", monitor = "accuracy/top1", patiense = 3}"#,
    );
    let out = train(&config, &dir.path().join("w2"), &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("custom_hooks[0].patiense") && stderr.contains("patience"),
        "{stderr}"
    );

    let config = config_with_hook(
        dir.path(),
        r#"{type = "EarlyStoppingHook", monitor = "accuracy/top5", strict = true}"#,
    );
    let out = train(&config, &dir.path().join("w3"), &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("custom_hooks[0].monitor") && stderr.contains("accuracy/top5"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
