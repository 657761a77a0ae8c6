//! Your own tables through the runner: the model's sizes come from the data, a
//! checkpoint carries the data's meaning (classes, the train split's
//! standardisation) so evaluation reuses it and other classes are refused, and the
//! views of a 2-D table show k classes and every hidden unit.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

use std::path::Path;

use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::error::Error;
use playground_strategy::runner::{Runner, RunnerOptions};

/// Three blobs in the plane, `n` points each, listed class by class in `order`,
/// shifted by `shift`.
fn blobs(order: [&str; 3], n: usize, shift: f32) -> String {
    let centres = [
        ("red", (-2.0, 0.0)),
        ("green", (2.0, 0.0)),
        ("blue", (0.0, 3.0)),
    ];
    let mut t = String::from("x,y,colour\n");
    for name in order {
        let (_, (cx, cy)) = centres.iter().find(|c| c.0 == name).expect("a colour");
        for i in 0..n {
            let a = i as f32 * 2.399;
            let r = 0.8 * ((i % 7) as f32 / 7.0);
            let _ = std::fmt::Write::write_fmt(
                &mut t,
                format_args!(
                    "{:.3},{:.3},{name}\n",
                    cx + r * a.cos() + shift,
                    cy + r * a.sin() + shift
                ),
            );
        }
    }
    t
}

const CONFIG: &str = r#"
[model]
type = "MLP"
hidden_sizes = [8]
activation = "tanh"
[train_dataloader]
batch_size = 16
dataset = {type = "CSVDataset", path = "blobs.csv", split = "train"}
[val_dataloader]
batch_size = 30
dataset = {type = "CSVDataset", path = "blobs.csv", split = "val"}
[val_evaluator]
type = "Accuracy"
[train_cfg]
by_epoch = true
max_epochs = 15
[optim_wrapper.optimizer]
type = "Adam"
lr = 0.05
[randomness]
seed = 1
"#;

fn runner_in(dir: &Path, csv: &str) -> Runner {
    std::fs::write(dir.join("blobs.csv"), csv).expect("csv");
    std::fs::write(dir.join("cfg.toml"), CONFIG).expect("config");
    let cfg = ExperimentConfig::load(&dir.join("cfg.toml"), &[], &Registries::default())
        .expect("loads, reading the CSV beside it");
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .expect("builds")
}

async fn trained_checkpoint(r: &mut Runner) -> Checkpoint {
    r.train().await.expect("trains");
    r.checkpoint(true, true).await.expect("checkpoint")
}

#[test]
fn a_checkpoint_carries_the_data_meaning_and_refuses_other_classes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = runner_in(dir.path(), &blobs(["red", "green", "blue"], 40, 0.0));
    let ck = pollster::block_on(trained_checkpoint(&mut r));
    let acc = r.last_val["accuracy/top1"];
    assert!(acc >= 95.0, "three separate blobs: {acc}");
    let meta = ck.typed_meta().expect("meta");
    let saved = meta.dataset.clone().expect("the data's meaning is saved");
    assert_eq!(saved.class_names, ["red", "green", "blue"]);
    assert_eq!(saved.feature_names, ["x", "y"]);
    let norm = saved.normalization.clone().expect("standardised");
    // The checkpoint survives its byte form.
    let ck = Checkpoint::from_bytes(&ck.to_bytes().expect("bytes")).expect("reads back");

    // The same classes listed in another order would swap their meaning: refused.
    let other = tempfile::tempdir().expect("tempdir");
    let mut swapped = runner_in(other.path(), &blobs(["green", "red", "blue"], 40, 0.0));
    let err = swapped
        .load_weights(ck.clone(), true)
        .expect_err("other class order");
    assert!(matches!(err, Error::DataMismatch(_)), "{err}");
    assert!(err.to_string().contains("[red, green, blue]"), "{err}");

    // Same classes, other values: evaluation standardises with the checkpoint's
    // statistics, not with this file's.
    let shifted_dir = tempfile::tempdir().expect("tempdir");
    let mut shifted = runner_in(
        shifted_dir.path(),
        &blobs(["red", "green", "blue"], 40, 5.0),
    );
    let own = shifted
        .data_schema()
        .and_then(|s| s.normalization.clone())
        .expect("own stats");
    assert_ne!(own, norm);
    shifted.load_weights(ck, true).expect("fits");
    assert_eq!(
        shifted.data_schema().and_then(|s| s.normalization.clone()),
        Some(norm.clone())
    );
    let val = shifted
        .val_samples()
        .and_then(|s| s.schema.clone())
        .expect("val schema");
    assert_eq!(val.normalization, Some(norm));
}

#[test]
fn k_class_regions_and_every_hidden_unit_are_drawn_from_the_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = runner_in(dir.path(), &blobs(["red", "green", "blue"], 40, 0.0));
    pollster::block_on(r.train()).expect("trains");
    let b = pollster::block_on(r.decision_boundary(24)).expect("2-D classes");
    assert_eq!(b.class_names, ["red", "green", "blue"]);
    assert_eq!(b.axes, ["x".to_string(), "y".to_string()]);
    assert_eq!(b.classes.len(), 24 * 24);
    let mut seen = b.classes.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, [0, 1, 2], "three regions");
    // The regions are where the blobs are: a cell near each centre has its class.
    let cell = |x: f32, y: f32| {
        let [x0, x1, y0, y1] = b.range;
        let col = (((x - x0) / (x1 - x0)) * 24.0) as usize;
        let row = (((y1 - y) / (y1 - y0)) * 24.0) as usize;
        b.classes[row * 24 + col]
    };
    assert_eq!([cell(-2.0, 0.0), cell(2.0, 0.0), cell(0.0, 3.0)], [0, 1, 2]);
    let v = pollster::block_on(r.neuron_views(12)).expect("an MLP on a plane");
    assert_eq!(v.widths, [2, 8, 3]);
    assert_eq!(v.layers.len(), 2);
    assert_eq!(v.layers[1].len(), 8, "one map per hidden unit");
    assert!(v.layers[1].iter().all(|u| u.cells.len() == 144));
    assert_eq!(v.weights.iter().map(Vec::len).collect::<Vec<_>>(), [16, 24]);
    assert_eq!(v.input_names, ["x", "y"]);
    // The confusion matrix agrees with the accuracy.
    let m = pollster::block_on(r.confusion_matrix("val"))
        .expect("runs")
        .expect("classes");
    assert_eq!(m.total(), 24);
    assert!(
        (m.accuracy() * 100.0 - r.last_val.get("accuracy/top1").copied().unwrap_or(-1.0)).abs()
            < 1e-6
            || r.last_val.is_empty()
    );
}

#[test]
fn a_csv_not_read_is_a_clear_error() {
    let cfg = ExperimentConfig::from_text(CONFIG, &Registries::default())
        .expect("parses without the file");
    let err = pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .err()
    .expect("no file");
    let text = err.to_string();
    assert!(
        text.contains("train_dataloader.dataset.path") && text.contains("`blobs.csv` was not read"),
        "{text}"
    );
    // The browser hands its uploads in by name.
    let mut cfg =
        ExperimentConfig::from_text_checked(CONFIG, &Registries::default()).expect("parses");
    let csv = blobs(["red", "green", "blue"], 10, 0.0);
    cfg.read_data_files(&|name: &str| {
        if name == "blobs.csv" {
            Ok(csv.clone().into_bytes())
        } else {
            Err(format!("no upload named {name}"))
        }
    });
    let cfg = cfg.strict().expect("read");
    let plan =
        playground_strategy::plan::RunPlan::new(&cfg, None).expect("the epoch length is known");
    // 30 rows, 6 held out, 24 in batches of 16: 2 iterations an epoch.
    assert_eq!(plan.max_iters, 30);
}
