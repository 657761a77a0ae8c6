//! `meta`, typed: what the loop and the strategy read back when they resume. A field
//! of the wrong kind is an error naming it (`meta.iter: invalid type …`), never a
//! silent zero.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::CheckpointError;

/// The `meta` of a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Completed epochs.
    #[serde(default)]
    pub epoch: u64,
    /// Completed iterations.
    #[serde(default)]
    pub iter: u64,
    /// Iterations completed inside the current epoch.
    #[serde(default)]
    pub inner_iter: Option<u64>,
    /// The epoch the data order was drawn for (the loop's position in the data).
    #[serde(default)]
    pub data_epoch: Option<u64>,
    /// Batches of that epoch already used.
    #[serde(default)]
    pub data_index: Option<u64>,
    /// The run's seed (every random stream derives from it and the iteration).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The number of data-parallel ranks it was trained with (1 when absent).
    #[serde(default)]
    pub world_size: Option<u64>,
    /// `<name>_<timestamp>` of the run that saved it.
    #[serde(default)]
    pub experiment_name: Option<String>,
    /// When it was saved (`%Y%m%d_%H%M%S`).
    #[serde(default)]
    pub time: Option<String>,
    /// The playground version that saved it.
    #[serde(default)]
    pub playground: Option<String>,
    /// The whole config of the run.
    #[serde(default)]
    pub cfg: Option<Value>,
    /// What the training data meant: task, feature and class names, and the train
    /// split's standardisation, which evaluation and prediction reuse.
    #[serde(default)]
    pub dataset: Option<crate::data::DataSchema>,
    /// Anything else (`imported_from`, `skipped`, `param_order`, a caller's keys).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CheckpointMeta {
    /// Reads `meta`; an ill-typed field is a [`CheckpointError::Meta`] naming it.
    pub fn from_map(meta: &Map<String, Value>) -> Result<Self, CheckpointError> {
        serde_path_to_error::deserialize(Value::Object(meta.clone())).map_err(|e| {
            CheckpointError::Meta {
                field: e.path().to_string(),
                message: e.inner().to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_fields_are_typed_and_the_rest_kept() {
        let m = json!({"epoch": 2, "iter": 50, "seed": 42, "imported_from": "x.pth"});
        let meta = CheckpointMeta::from_map(m.as_object().expect("table")).expect("reads");
        assert_eq!((meta.epoch, meta.iter, meta.seed), (2, 50, Some(42)));
        assert_eq!(meta.other.get("imported_from"), Some(&json!("x.pth")));
    }

    #[test]
    fn an_ill_typed_field_is_named() {
        for (m, field) in [
            (json!({"iter": "12"}), "iter"),
            (json!({"iter": -3}), "iter"),
            (json!({"seed": 1.5}), "seed"),
            (json!({"data_index": [1]}), "data_index"),
        ] {
            let err = CheckpointMeta::from_map(m.as_object().expect("table")).unwrap_err();
            let CheckpointError::Meta { field: f, .. } = &err else {
                panic!("{err}")
            };
            assert_eq!(f, field, "{err}");
            assert!(err.to_string().contains(&format!("meta.{field}")), "{err}");
        }
    }
}
