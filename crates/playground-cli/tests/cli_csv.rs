//! Your own tables through the real binary: a CSV classification and a CSV
//! regression train and evaluate from the presets with the model's sizes taken from
//! the data, every kind of bad file exits with code 2 naming file, row and column,
//! feature inputs let a linear model solve the circle, and `compare` puts runs side
//! by side.

use std::path::{Path, PathBuf};

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

fn train(config: &str, work_dir: &Path, options: &[&str]) -> std::process::Output {
    let wd = work_dir.to_string_lossy().into_owned();
    let mut args = vec!["train", config, "--device", "cpu", "--work-dir", &wd];
    if !options.is_empty() {
        args.push("--cfg-options");
        args.extend_from_slice(options);
    }
    run_cli(&args)
}

#[test]
fn a_csv_classification_trains_tests_and_prints_its_confusion_matrix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stdout = ok(&train(&preset("csv_example.toml"), dir.path(), &[]));
    // The sizes came from the data, and the log says so.
    assert!(
        stdout.contains("in_features = 4, num_classes = 3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 classes [apple, orange, lemon]"),
        "{stdout}"
    );
    let acc = final_metric(&stdout, "accuracy/top1");
    assert!(acc >= 85.0, "accuracy {acc}\n{stdout}");
    let ck = dir.path().join("epoch_40.safetensors");
    let ck = if ck.is_file() {
        ck
    } else {
        std::fs::read_to_string(dir.path().join("last_checkpoint"))
            .map(|p| PathBuf::from(p.trim()))
            .expect("a checkpoint")
    };
    let out = run_cli(&[
        "test",
        &preset("csv_example.toml"),
        "--checkpoint",
        &ck.to_string_lossy(),
        "--device",
        "cpu",
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("confusion matrix"), "{stdout}");
    for class in ["apple", "orange", "lemon"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(class)),
            "{class}: {stdout}"
        );
    }
    // 60 validation fruits (a quarter of 240, stratified).
    assert!(stdout.contains("of 60 samples"), "{stdout}");
    // The checkpoint keeps what the data meant; other classes are refused.
    let inspect = ok(&run_cli(&["inspect", &ck.to_string_lossy()]));
    assert!(
        inspect.contains("dataset: classification of fruit from [weight_g, diameter_cm, sugar_pct, acidity_ph], classes [apple, orange, lemon], standardised"),
        "{inspect}"
    );
}

#[test]
fn a_csv_regression_learns_the_price() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stdout = ok(&train(&preset("csv_regression.toml"), dir.path(), &[]));
    assert!(
        stdout.contains("regression of a value (`price_k`)"),
        "{stdout}"
    );
    assert!(stdout.contains("loss MseLoss"), "{stdout}");
    let r2 = final_metric(&stdout, "regression/r2");
    let rmse = final_metric(&stdout, "regression/rmse");
    // Predicting the mean gives R² = 0 and an RMSE of the prices' spread (~90 k).
    assert!(r2 >= 0.85, "R² {r2}\n{stdout}");
    assert!(rmse < 40.0, "RMSE {rmse} (thousands)\n{stdout}");
}

#[test]
fn every_bad_csv_exits_2_naming_file_row_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wide: String = (0..10_001)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let corpus: Vec<(&str, String, &str)> = vec![
        (
            "ragged.csv",
            "a,b,y\n1,2,x\n3,y\n".into(),
            "ragged.csv, row 3: 2 fields where the header has 3 columns",
        ),
        (
            "text.csv",
            "a,b,y\n1,2,x\n3,four,y\n".into(),
            "text.csv, row 3, column 2 (`b`): expected a number, found `four`",
        ),
        ("empty.csv", "".into(), "empty.csv: the file is empty"),
        (
            "nan.csv",
            "a,b,y\n1,NaN,x\n3,4,y\n".into(),
            "nan.csv, row 2, column 2 (`b`): expected a finite number",
        ),
        (
            "inf.csv",
            "a,b,y\n1,2,x\n-inf,4,y\n".into(),
            "inf.csv, row 3, column 1 (`a`): expected a finite number",
        ),
        (
            "one_class.csv",
            "a,b,y\n1,2,x\n3,4,x\n".into(),
            "a single class `x`",
        ),
        (
            "wide.csv",
            format!("{wide}\n"),
            "a CSV dataset may have at most 10000",
        ),
    ];
    for (name, text, _) in &corpus {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    // Over the size limit: refused before it is read (a sparse file).
    let big = std::fs::File::create(dir.path().join("big.csv")).expect("create");
    big.set_len((64 << 20) + 1).expect("size");
    let mut cases: Vec<(String, String)> = corpus
        .iter()
        .map(|(n, _, w)| {
            (
                dir.path().join(n).to_string_lossy().into_owned(),
                w.to_string(),
            )
        })
        .collect();
    cases.push((
        dir.path().join("big.csv").to_string_lossy().into_owned(),
        "over the 64 MiB".into(),
    ));
    cases.push((
        dir.path().join("absent.csv").to_string_lossy().into_owned(),
        "cannot read".into(),
    ));
    let work = dir.path().join("work");
    for (path, words) in &cases {
        let (train_opt, val_opt) = (
            format!("train_dataloader.dataset.path={path}"),
            format!("val_dataloader.dataset.path={path}"),
        );
        let out = train(
            &preset("csv_example.toml"),
            &work,
            &[
                &train_opt,
                &val_opt,
                "train_dataloader.dataset.label_column=y",
                "val_dataloader.dataset.label_column=y",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains("train_dataloader.dataset.path"), "{stderr}");
        assert!(
            stderr.contains(words.as_str()),
            "{path}: expected `{words}` in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A label column that is not there, with the closest name.
    let out = train(
        &preset("csv_example.toml"),
        &work,
        &["train_dataloader.dataset.label_column=fruits"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no label column `fruits`") && stderr.contains("Did you mean `fruit`?"),
        "{stderr}"
    );
}

#[test]
fn sizes_that_do_not_fit_the_data_name_both_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (opt, words) in [
        (
            "model.in_features=3",
            "the model takes 3 input features, but the training data (CSVDataset `../data/csv/fruit.csv`) gives 4",
        ),
        (
            "model.num_classes=2",
            "the model has 2 outputs, but the training data (CSVDataset `../data/csv/fruit.csv`) has 3 classes",
        ),
        (
            "val_evaluator.type=RegressionMetric",
            "RegressionMetric measures regression, but the data is classification",
        ),
    ] {
        let out = train(&preset("csv_example.toml"), dir.path(), &[opt]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{opt}: {stderr}");
        assert!(stderr.contains(words), "{opt}: {stderr}");
    }
}

#[test]
fn feature_inputs_let_a_linear_model_solve_the_circle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stdout = ok(&train(
        &preset("features_linear.toml"),
        &dir.path().join("a"),
        &[],
    ));
    let acc = final_metric(&stdout, "accuracy/top1");
    assert!(acc >= 97.0, "with x1^2, x2^2: {acc}\n{stdout}");
    // Negative control: the same linear model on the raw point cannot.
    let stdout = ok(&train(
        &preset("features_linear.toml"),
        &dir.path().join("b"),
        &[
            "train_dataloader.dataset.features=['x1','x2']",
            "val_dataloader.dataset.features=['x1','x2']",
        ],
    ));
    let acc = final_metric(&stdout, "accuracy/top1");
    assert!(
        acc < 80.0,
        "a line through the raw plane cannot separate a circle: {acc}"
    );
}

#[test]
fn compare_shows_runs_side_by_side_with_their_config_difference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&train(
        &preset("csv_example.toml"),
        &a,
        &["train_cfg.max_epochs=5"],
    ));
    ok(&train(
        &preset("csv_example.toml"),
        &b,
        &["train_cfg.max_epochs=5", "optim_wrapper.optimizer.lr=0.05"],
    ));
    let svg = dir.path().join("curves.svg");
    let out = run_cli(&[
        "compare",
        &a.to_string_lossy(),
        &b.to_string_lossy(),
        "--out",
        &svg.to_string_lossy(),
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("val accuracy/top1"), "{stdout}");
    assert!(
        stdout.contains("optim_wrapper.optimizer.lr: 0.01 → 0.05"),
        "{stdout}"
    );
    assert!(stdout.contains("(reference)"), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    // 180 train rows in batches of 16: 12 iterations an epoch, 60 in 5 epochs; the
    // logger (every 5, MMEngine's ignore_last) wrote its last record at iteration 58.
    assert!(lines[1].contains(" 58 "), "{stdout}");
    let svg = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        svg.contains("<svg") && svg.contains("training loss"),
        "{svg:.200}"
    );
    // A folder with no run is a clear error.
    let out = run_cli(&["compare", &dir.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run here"));
}
