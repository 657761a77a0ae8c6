//! Sequence models through the real binary: the sorting preset (shortened) learns and
//! `test` prints the model's answers, a text model's checkpoint continues a prompt
//! with `generate`, and what cannot work is refused with the key or flag named.

use std::path::Path;

mod common;

use common::{preset, run_cli};

fn ok(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn refused(out: &std::process::Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    stderr
}

fn train(config: &str, work_dir: &Path, options: &[&str]) -> std::process::Output {
    let wd = work_dir.to_string_lossy().into_owned();
    let mut args = vec!["train", config, "--device", "cpu", "--work-dir", &wd];
    if !options.is_empty() {
        args.push("--cfg-options");
        args.extend_from_slice(options);
    }
    run_cli(&args)
}

/// The value of `key` on the `final validation:` line.
fn final_metric(stdout: &str, key: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("final validation:"))
        .unwrap_or_else(|| panic!("no final validation line in:\n{stdout}"));
    line.split(&format!("{key}:"))
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in `{line}`"))
}

#[test]
fn sorting_learns_and_test_prints_the_models_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = [
        "train_dataloader.dataset.length=4",
        "val_dataloader.dataset.length=4",
        "train_cfg.max_iters=300",
        "train_cfg.val_interval=300",
        "param_scheduler.1.end=300",
        "default_hooks.checkpoint.interval=300",
        "default_hooks.logger.interval=10",
    ];
    let stdout = ok(&train(&preset("sort_gpt.toml"), dir.path(), &options));
    assert!(
        stdout.contains("vocab_size = 11, block_size = 8 (from the training data)"),
        "{stdout}"
    );
    let exact = final_metric(&stdout, "exact_match/accuracy");
    assert!(exact > 25.0, "exact match {exact}\n{stdout}");

    // The training step logs the batch's token accuracy as `acc` (the latest batch's,
    // as MMEngine's LogProcessor shows a key outside `mean_pattern`), which rises from
    // near chance; the `curves` command draws it with the validation's token accuracy.
    let wd = dir.path().to_string_lossy().into_owned();
    let accs: Vec<f64> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("vis_data/scalars.json"))
        .filter(|p| p.is_file())
        .map(|p| std::fs::read_to_string(p).expect("scalars"))
        .collect::<String>()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|r| r.get("acc").and_then(serde_json::Value::as_f64))
        .collect();
    assert!(accs.len() >= 5, "{accs:?}");
    assert!(accs[accs.len() - 1] > accs[0] + 20.0, "{accs:?}");
    let svg_path = dir.path().join("curves.svg");
    let svg_arg = svg_path.to_string_lossy().into_owned();
    ok(&run_cli(&[
        "curves",
        &wd,
        "--key",
        "acc",
        "--key",
        "token_accuracy/top1",
        "--log-x",
        "--out",
        &svg_arg,
    ]));
    let svg = std::fs::read_to_string(&svg_path).expect("the SVG");
    let labels: Vec<&str> = svg.lines().map(str::trim).collect();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(labels.contains(&"acc") && labels.contains(&"token_accuracy/top1"));
    let err = refused(
        &run_cli(&["curves", &wd, "--key", "acc_top5", "--out", &svg_arg]),
        2,
    );
    assert!(
        err.contains("--key acc_top5") && err.contains("acc, "),
        "{err}"
    );

    let ck = dir.path().join("iter_300.safetensors");
    let ck = ck.to_string_lossy();
    let config = preset("sort_gpt.toml");
    let mut args = vec![
        "test",
        &config[..],
        "--checkpoint",
        &ck,
        "--device",
        "cpu",
        "--cfg-options",
    ];
    args.extend_from_slice(&options);
    let out = ok(&run_cli(&args));
    assert!(out.contains("exact_match/accuracy:"), "{out}");
    let header = out
        .lines()
        .find(|l| l.starts_with("samples ("))
        .unwrap_or_else(|| panic!("no samples in\n{out}"));
    let right: usize = header["samples (".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(right >= 1, "{header}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("  ok ")).count(),
        right,
        "{out}"
    );

    // A task's prompt goes token by token; the answer is greedy at temperature 0.
    let generated = ok(&run_cli(&[
        "generate",
        &ck,
        "--prompt",
        "3 1 2 0 |",
        "--max-new-tokens",
        "4",
        "--temperature",
        "0",
        "--device",
        "cpu",
    ]));
    let tokens: Vec<&str> = generated.split_whitespace().collect();
    assert_eq!(tokens.len(), 9, "{generated}");
    assert_eq!(&tokens[..5], ["3", "1", "2", "0", "|"], "{generated}");
}

#[test]
fn a_text_model_continues_a_prompt_and_bad_requests_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = [
        "train_cfg.max_iters=60",
        "train_cfg.val_interval=60",
        "param_scheduler.0.end=60",
        "default_hooks.checkpoint.interval=60",
        "model.hidden_size=64",
    ];
    ok(&train(&preset("text_gru.toml"), dir.path(), &options));
    let ck = dir.path().join("iter_60.safetensors");
    let ck = ck.to_string_lossy();
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", &ck[..], "--device", "cpu"];
        args.extend_from_slice(extra);
        run_cli(&args)
    };
    let a = ok(&generate(&[
        "--prompt",
        "Alice ",
        "--max-new-tokens",
        "30",
        "--seed",
        "3",
    ]));
    let b = ok(&generate(&[
        "--prompt",
        "Alice ",
        "--max-new-tokens",
        "30",
        "--seed",
        "3",
    ]));
    assert!(a.starts_with("Alice "), "{a}");
    assert_eq!(a.trim_end_matches('\n').chars().count(), 36, "{a:?}");
    assert_eq!(a, b, "the same seed writes the same text");

    let e = refused(&generate(&["--prompt", "Alice ~"]), 2);
    assert!(e.contains("--prompt") && e.contains('~'), "{e}");
    let e = refused(&generate(&["--top-k", "0"]), 2);
    assert!(e.contains("--top-k"), "{e}");
    let e = refused(&generate(&["--temperature", "-1"]), 2);
    assert!(e.contains("--temperature"), "{e}");
}

#[test]
fn configs_that_cannot_work_are_refused_with_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sort = preset("sort_gpt.toml");
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["val_evaluator={type='Accuracy'}"],
            "val_evaluator",
            "TokenAccuracy",
        ),
        (&["model.n_head=5"], "model.n_head", "divide"),
        (&["model.block_size=4"], "model.block_size", "12"),
        (&["model.vocab_size=7"], "model.vocab_size", "11"),
        (
            &["train_dataloader.dataset.task=sorting"],
            "train_dataloader.dataset.task",
            "Did you mean `sort`",
        ),
        (
            &["train_dataloader.dataset.modulus=7"],
            "train_dataloader.dataset.modulus",
            "does not read",
        ),
        (
            &["train_dataloader.dataset={type='Spiral',num_samples=100}"],
            "model",
            "TinyGPT predicts the next token",
        ),
    ];
    for (options, key, words) in cases {
        let e = refused(&train(&sort, dir.path(), options), 2);
        assert!(e.contains(key) && e.contains(words), "{options:?}: {e}");
    }
    let e = refused(
        &train(
            &preset("text_gpt.toml"),
            dir.path(),
            &["train_dataloader.dataset.path='../data/text/missing.txt'"],
        ),
        2,
    );
    assert!(
        e.contains("train_dataloader.dataset.path") && e.contains("missing.txt"),
        "{e}"
    );
}
