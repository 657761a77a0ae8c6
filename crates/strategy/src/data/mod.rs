//! Datasets, built from config tables and never downloaded:
//!
//! - [`dataset_len`]: how many samples a configured dataset has, so the number of
//!   iterations per epoch follows from the config (`len(train_dataloader)` in MMEngine);
//! - [`toy2d`]: TensorFlow Playground's 2-D sets; [`digits`]: the UCI 8×8 digits,
//!   shipped in `public/data/digits/`;
//! - [`samples`]: the dataset registry and host-side [`Samples`];
//! - [`loader`]: seeded shuffling and batches on a device (with a tensor backend).

pub mod digits;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod loader;
pub mod samples;
pub mod toy2d;

pub use samples::{Samples, dataset_registry, split_indices};

use serde_json::Value;

use crate::config::{ConfigError, KeyPath};

/// The UCI 8×8 handwritten digits: 1,797 images.
pub const DIGITS_SAMPLES: u64 = 1_797;

/// Share of samples held out for validation when a dataset does not say (`val_ratio`).
pub const DEFAULT_VAL_RATIO: f64 = 0.2;

/// Samples in the split a dataset config selects, for the built-in types (`Circle`,
/// `Xor`, `Gauss`, `Spiral`, `FakeData` with `num_samples`; `Digits`); `None` for a type this
/// crate does not know (a user-registered one).
///
/// A split holds `floor(n × val_ratio)` samples for `val` and the rest for `train`.
pub fn dataset_len(cfg: &Value, path: &KeyPath) -> Result<Option<u64>, ConfigError> {
    let Some(kind) = cfg.get("type").and_then(Value::as_str) else {
        return Ok(None);
    };
    let total = match kind {
        "Circle" | "Xor" | "Gauss" | "Spiral" | "FakeData" => match cfg.get("num_samples") {
            None => {
                return Err(path
                    .key("num_samples")
                    .error(format!("missing: {kind} needs num_samples")));
            }
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 => n,
                _ => {
                    return Err(path
                        .key("num_samples")
                        .error(format!("expected a positive integer, got {v}")));
                }
            },
        },
        "Digits" => DIGITS_SAMPLES,
        _ => return Ok(None),
    };
    let val_ratio = match cfg.get("val_ratio") {
        None => DEFAULT_VAL_RATIO,
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..1.0).contains(&r) => r,
            _ => {
                return Err(path
                    .key("val_ratio")
                    .error(format!("expected 0 <= val_ratio < 1, got {v}")));
            }
        },
    };
    let val = (total as f64 * val_ratio).floor() as u64;
    Ok(Some(match cfg.get("split").and_then(Value::as_str) {
        Some("val") | Some("test") => val,
        Some("train") | None => total - val,
        Some(other) => {
            return Err(path
                .key("split")
                .error(format!("expected \"train\" or \"val\", got \"{other}\"")));
        }
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn splits_hold_out_a_fifth_by_default() {
        let p = KeyPath::root();
        assert_eq!(
            dataset_len(
                &json!({"type": "Spiral", "num_samples": 500, "split": "train"}),
                &p
            ),
            Ok(Some(400))
        );
        assert_eq!(
            dataset_len(
                &json!({"type": "Spiral", "num_samples": 500, "split": "val"}),
                &p
            ),
            Ok(Some(100))
        );
        assert_eq!(
            dataset_len(&json!({"type": "Digits", "split": "train"}), &p),
            Ok(Some(1438))
        );
        assert_eq!(
            dataset_len(
                &json!({"type": "Xor", "num_samples": 10, "val_ratio": 0.5}),
                &p
            ),
            Ok(Some(5))
        );
        assert_eq!(dataset_len(&json!({"type": "MyData"}), &p), Ok(None));
    }

    #[test]
    fn bad_sizes_are_named() {
        let p = KeyPath::root().key("train_dataloader").key("dataset");
        let err = dataset_len(&json!({"type": "Circle"}), &p).unwrap_err();
        assert_eq!(err.path, "train_dataloader.dataset.num_samples");
        let err = dataset_len(
            &json!({"type": "Circle", "num_samples": 10, "split": "dev"}),
            &p,
        )
        .unwrap_err();
        assert_eq!(err.path, "train_dataloader.dataset.split");
    }
}
