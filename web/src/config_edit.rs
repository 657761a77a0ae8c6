//! Config edits the data panel makes, through `toml_edit` so the rest of the text
//! (comments, layout, every other key) stays as the person wrote it: pointing the
//! dataloaders at a table, fitting the model to it, and the evaluator to its task.

use playground_strategy::data::Task;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value, value};

/// What a table-driven run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct TableChoice {
    /// The file's name (the dataset's `path`).
    pub path: String,
    /// The label column.
    pub label_column: String,
    /// Classes or values.
    pub task: Task,
}

fn dataset(choice: &TableChoice, split: &str) -> Item {
    let mut t = InlineTable::new();
    t.insert("type", Value::from("CSVDataset"));
    t.insert("path", Value::from(choice.path.as_str()));
    t.insert("label_column", Value::from(choice.label_column.as_str()));
    t.insert("split", Value::from(split));
    t.insert("seed", Value::from(0));
    value(t)
}

fn loader(choice: &TableChoice, split: &str, batch: i64) -> Item {
    let mut t = Table::new();
    t.insert("batch_size", value(batch));
    t.insert("dataset", dataset(choice, split));
    Item::Table(t)
}

/// The config `text` training on `choice`: the train, val (and test) dataloaders read
/// its splits (a val loader is added when missing), the model is an MLP whose input
/// and output sizes come from the data (hidden layers and activation kept), and the
/// evaluators fit the task.
pub fn use_table(text: &str, choice: &TableChoice) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the form edits TOML configs; this one does not parse: {e}"))?;
    for (key, split, batch) in [
        ("train_dataloader", "train", 16),
        ("val_dataloader", "val", 64),
        ("test_dataloader", "test", 64),
    ] {
        match doc.get_mut(key).and_then(Item::as_table_like_mut) {
            Some(t) => {
                t.insert("dataset", dataset(choice, split));
            }
            None if key != "test_dataloader" => {
                doc.insert(key, loader(choice, split, batch));
            }
            None => {}
        }
    }
    let metric = match choice.task {
        Task::Classification => "Accuracy",
        Task::Regression => "RegressionMetric",
        Task::Sequence => "TokenAccuracy",
    };
    for key in ["val_evaluator", "test_evaluator"] {
        if key == "val_evaluator" || doc.get(key).is_some() {
            let mut t = InlineTable::new();
            t.insert("type", Value::from(metric));
            doc.insert(key, value(t));
        }
    }
    let model = doc
        .entry("model")
        .or_insert(Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or("`model` is not a table")?;
    let is_mlp = model.get("type").and_then(Item::as_str) == Some("MLP");
    if !is_mlp {
        let keep: Vec<String> = model.iter().map(|(k, _)| k.to_string()).collect();
        for k in keep {
            model.remove(&k);
        }
        model.insert("type", value("MLP"));
        model.insert(
            "hidden_sizes",
            value(toml_edit::Array::from_iter([16i64, 16])),
        );
        model.insert("activation", value("relu"));
    }
    for k in ["in_features", "num_classes", "loss"] {
        model.remove(k);
    }
    Ok(doc.to_string())
}

/// Drawn points as a CSV table: `x1,x2,label`, one row a point, sorted by class so
/// the classes keep their numbers (class names follow first appearance).
pub fn points_csv(points: &[(f64, f64, usize)]) -> String {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| p.2);
    let mut out = String::from("x1,x2,label\n");
    for (x, y, c) in &sorted {
        out.push_str(&format!("{x:.3},{y:.3},{c}\n"));
    }
    out
}
