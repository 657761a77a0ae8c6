//! A label column: its distinct texts, the class name each one stands for, and the
//! task they suggest when the config names none.

use std::collections::HashMap;

use super::{MAX_INFERRED_CLASSES, finite};
use crate::data::schema::Task;

/// A label column's texts: each distinct one once, in order of first appearance with
/// the line it first appears on, and every row's index into them.
#[derive(Default)]
pub(super) struct LabelTexts {
    /// The distinct texts' bytes, in order of first appearance.
    keys: Vec<Vec<u8>>,
    /// The same, hashed, once there are more than [`SCANNED`].
    index: HashMap<Vec<u8>, u32>,
    pub(super) distinct: Vec<(u64, String)>,
    pub(super) rows: Vec<u32>,
}

/// Up to this many distinct texts a row's label is looked up by comparing it with each
/// (a class column has a handful: cheaper than hashing it); beyond, in a hash map.
const SCANNED: usize = 16;

impl LabelTexts {
    /// Records a row whose label is `field` when that text was seen before.
    pub(super) fn seen(&mut self, field: &[u8]) -> bool {
        let found = if self.keys.len() <= SCANNED {
            self.keys
                .iter()
                .position(|k| k.as_slice() == field)
                .map(|i| i as u32)
        } else {
            self.index.get(field).copied()
        };
        match found {
            Some(i) => {
                self.rows.push(i);
                true
            }
            None => false,
        }
    }

    /// Records a row whose label is a text not seen before.
    pub(super) fn add(&mut self, field: &[u8], row: u64, text: String) {
        let i = self.distinct.len() as u32;
        self.keys.push(field.to_vec());
        if self.keys.len() > SCANNED {
            if self.index.is_empty() {
                // Past the scanned few: every text so far goes into the map.
                for (j, k) in self.keys.iter().enumerate() {
                    self.index.insert(k.clone(), j as u32);
                }
            } else {
                self.index.insert(field.to_vec(), i);
            }
        }
        self.distinct.push((row, text));
        self.rows.push(i);
    }
}

/// A class name for a label: integers are written one way (`1.0` and `1` are class
/// `1`), anything else as trimmed text.
pub(super) fn class_name(text: &str) -> String {
    match finite(text) {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => text.trim().to_string(),
    }
}

/// Classes when any label is not a number, or when the numbers are few integers.
pub(super) fn infer_task(labels: &[(u64, String)]) -> Task {
    let mut distinct: Vec<i64> = Vec::new();
    for (_, l) in labels {
        match finite(l) {
            Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => {
                if !distinct.contains(&(v as i64)) {
                    if distinct.len() == MAX_INFERRED_CLASSES {
                        return Task::Regression;
                    }
                    distinct.push(v as i64);
                }
            }
            Some(_) => {
                // A fraction: a value, unless another label is text.
                return if labels.iter().any(|(_, l)| finite(l).is_none()) {
                    Task::Classification
                } else {
                    Task::Regression
                };
            }
            None => return Task::Classification,
        }
    }
    Task::Classification
}
