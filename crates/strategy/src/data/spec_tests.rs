//! Tests of the dataset specs: keys, sizes and refusals.

use serde_json::json;

use super::*;

fn spec(v: Value) -> Result<DatasetSpec, ConfigError> {
    dataset_spec_registry().build(&v, &KeyPath::root().key("train_dataloader").key("dataset"))
}

#[test]
fn splits_hold_out_a_fifth_by_default() {
    let len = |v| spec(v).expect("parses").len();
    assert_eq!(
        len(json!({"type": "Spiral", "num_samples": 500, "split": "train"})),
        Some(400)
    );
    assert_eq!(
        len(json!({"type": "Spiral", "num_samples": 500, "split": "val"})),
        Some(100)
    );
    assert_eq!(len(json!({"type": "Digits", "split": "train"})), Some(1438));
    assert_eq!(
        len(json!({"type": "Xor", "num_samples": 10, "val_ratio": 0.5})),
        Some(5)
    );
}

#[test]
fn every_registered_type_lists_the_keys_it_parses() {
    use crate::data::sequence_task::{TASKS, task_keys};
    for name in dataset_spec_registry().names() {
        let (keys, samples) = dataset_keys(name).expect("a built-in type");
        // A SequenceTask reads some keys for one task and refuses them for another.
        let tasks: Vec<Option<&str>> = if name == "SequenceTask" {
            TASKS.iter().map(|t| Some(*t)).collect()
        } else {
            vec![None]
        };
        for task in tasks {
            let mut table = serde_json::Map::new();
            for k in keys {
                if let Some(t) = task
                    && !["type", "task", "seed", "split"].contains(k)
                    && !task_keys(t).contains(k)
                {
                    continue;
                }
                let v = match *k {
                    "type" => json!(name),
                    "num_samples" => json!(samples.expect("needs samples")),
                    "split" => json!("val"),
                    "sample_shape" => json!([2]),
                    "num_classes" => json!(3),
                    "seed" => json!(1),
                    "features" => json!(["x1^2", "x2^2"]),
                    "path" => json!("t.csv"),
                    "label_column" => json!("y"),
                    "feature_columns" => json!(["a", "b"]),
                    "task" => json!(task.unwrap_or("regression")),
                    "normalize" => json!(false),
                    "delimiter" => json!(";"),
                    "length" | "vocab" | "digits" | "modulus" | "block_size" | "stride" => {
                        json!(5)
                    }
                    _ => json!(0.25),
                };
                table.insert(k.to_string(), v);
            }
            spec(Value::Object(table)).unwrap_or_else(|e| panic!("{name} {task:?}: {e}"));
        }
    }
}

#[test]
fn bad_fields_are_named_with_a_suggestion() {
    let err = spec(json!({"type": "Circle"})).unwrap_err();
    assert_eq!(err.path, "train_dataloader.dataset.num_samples");
    let err = spec(json!({"type": "Circle", "num_samples": 10, "split": "dev"})).unwrap_err();
    assert_eq!(err.path, "train_dataloader.dataset.split");
    let err = spec(json!({"type": "Circle", "num_samples": 10, "nosie": 0.3})).unwrap_err();
    assert_eq!(err.path, "train_dataloader.dataset.nosie");
    assert!(err.message.contains("Did you mean `noise`?"), "{err}");
    let err = spec(json!({"type": "Circle", "num_samples": 10, "noise": 2})).unwrap_err();
    assert_eq!(err.path, "train_dataloader.dataset.noise");
}
