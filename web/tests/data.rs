//! Your own data in the browser (`wasm-pack test web`): a CSV handed to the worker's
//! session trains three classes with their regions, every hidden unit's map and a
//! confusion matrix; a missing file is named; the data panel's config edits and its
//! page-side samples.

use playground_strategy::data::Task;
use playground_strategy::device::DeviceChoice;
use playground_web::components::data_panel::train_samples;
use playground_web::config_edit::{TableChoice, points_csv, use_table};
use playground_web::presets::PRESETS;
use playground_web::worker::session::Session;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Three blobs in the plane, 30 points each.
fn blobs() -> String {
    let mut points = Vec::new();
    for (c, (cx, cy)) in [(-2.0, 0.0), (2.0, 0.0), (0.0, 3.0)]
        .into_iter()
        .enumerate()
    {
        for i in 0..30 {
            let a = f64::from(i) * 2.399;
            let r = 0.8 * f64::from(i % 7) / 7.0;
            points.push((cx + r * a.cos(), cy + r * a.sin(), c));
        }
    }
    points_csv(&points)
}

fn preset(file: &str) -> &'static str {
    PRESETS
        .iter()
        .find(|p| p.file == file)
        .map(|p| p.text)
        .expect("a preset")
}

/// The spiral preset pointed at `blobs.csv` by the data panel's edit, shortened.
fn blobs_config() -> String {
    let choice = TableChoice {
        path: "blobs.csv".into(),
        label_column: "label".into(),
        task: Task::Classification,
    };
    use_table(preset("spiral_mlp.toml"), &choice)
        .expect("the edit applies")
        .replace("hidden_sizes = [64, 64]", "hidden_sizes = [6]")
        .replace("max_epochs = 100", "max_epochs = 12")
        .replace("val_interval = 10", "val_interval = 4")
}

#[wasm_bindgen_test]
async fn a_csv_trains_three_classes_with_regions_units_and_a_confusion_matrix() {
    let mut s = Session::new(DeviceChoice::Cpu);
    let e = s.ensure(&blobs_config()).await.expect_err("no file yet");
    assert!(e.contains("no file named `blobs.csv`"), "{e}");
    s.set_files(vec![("blobs.csv".into(), blobs())]);
    s.ensure(&blobs_config())
        .await
        .expect("builds from the table");
    while !s.is_finished() {
        s.chunk(50).await.expect("trains");
    }
    let p = s.progress(true, false).await;
    assert_eq!(p.metric_name, "accuracy/top1");
    let acc = p.metric.last().expect("validated").1;
    assert!(acc >= 90.0, "three blobs apart: {acc}");
    let b = p.boundary.expect("2-D classes");
    let mut seen = b.classes.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, [0, 1, 2], "three regions");
    assert_eq!(b.class_names, ["0", "1", "2"]);
    let m = p.confusion.expect("a confusion matrix after validation");
    assert_eq!(m.class_names.len(), 3);
    assert_eq!(m.total(), 18, "a fifth of 90 rows");
    let n = p.neurons.expect("an MLP on a plane");
    assert_eq!(n.layers.len(), 2);
    assert_eq!(n.layers[1].len(), 6, "one map per hidden unit");
    assert!(p.train_seconds > 0.0);
}

#[wasm_bindgen_test]
fn the_data_edits_fit_the_model_and_the_evaluator_to_the_table() {
    let regression = TableChoice {
        path: "houses.csv".into(),
        label_column: "price".into(),
        task: Task::Regression,
    };
    let text = use_table(preset("gan_2d.toml"), &regression).expect("applies");
    let doc: toml_edit::DocumentMut = text.parse().expect("still TOML");
    assert_eq!(doc["model"]["type"].as_str(), Some("MLP"));
    assert!(doc["model"].get("in_features").is_none());
    assert_eq!(
        doc["val_evaluator"]["type"].as_str(),
        Some("RegressionMetric")
    );
    assert_eq!(
        doc["train_dataloader"]["dataset"]["path"].as_str(),
        Some("houses.csv")
    );
    assert_eq!(
        doc["val_dataloader"]["dataset"]["split"].as_str(),
        Some("val")
    );
    let text = blobs_config();
    assert!(
        text.contains("# TensorFlow Playground's spiral"),
        "comments kept"
    );
    assert!(!text.contains("in_features"), "{text}");
    // Drawn points are a table sorted by class.
    assert_eq!(
        points_csv(&[(1.0, 2.0, 1), (0.5, -1.0, 0)]),
        "x1,x2,label\n0.500,-1.000,0\n1.000,2.000,1\n"
    );
}

#[wasm_bindgen_test]
fn the_page_builds_the_training_data_it_shows() {
    let (s, what) = train_samples(preset("features_linear.toml"), &Vec::new()).expect("builds");
    assert_eq!(what, "Circle");
    assert_eq!(s.sample_shape, [2], "the raw plane is shown");
    assert_eq!(s.input_size(), 4, "the model sees x1, x2, x1^2, x2^2");
    let files = vec![("blobs.csv".to_string(), blobs())];
    let (s, what) = train_samples(&blobs_config(), &files).expect("builds");
    assert_eq!((s.len(), what.as_str()), (72, "CSVDataset blobs.csv"));
    let e = train_samples(&blobs_config(), &Vec::new()).expect_err("no file");
    assert!(e.contains("blobs.csv"), "{e}");
}
