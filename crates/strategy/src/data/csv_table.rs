//! Reading a CSV file into samples: a header row, numeric feature columns and one
//! label column (class names or numbers). Every problem is a [`CsvError`] naming the
//! file, the row (the file's line number, the header being line 1) and the column;
//! no byte string makes it panic.

use std::collections::HashMap;

use thiserror::Error;

use super::schema::Task;
use crate::base::did_you_mean;
use labels::{LabelTexts, class_name, infer_task};

/// The largest CSV file a dataset reads (64 MiB): the samples live in memory, in the
/// browser too.
pub const MAX_CSV_BYTES: usize = 64 << 20;
/// After this many rows the reader sizes its arrays for the whole file.
const SIZING_ROWS: usize = 64;
/// The most columns a CSV file may have.
pub const MAX_CSV_COLUMNS: usize = 10_000;
/// The most classes a classification label column may have.
pub const MAX_CLASSES: usize = 1_000;
/// Integer labels with at most this many distinct values are classes when `task` is
/// not given; more distinct values (or any fraction) make a regression target.
pub const MAX_INFERRED_CLASSES: usize = 20;

/// A problem in a CSV file, with where it is.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{file}{}: {message}", place(*.row, .column.as_ref()))]
pub struct CsvError {
    /// The file's name as the config gives it.
    pub file: String,
    /// The line (1 is the header), when the problem is in one row.
    pub row: Option<u64>,
    /// The column's 1-based index and name, when the problem is in one column.
    pub column: Option<(usize, String)>,
    /// What is wrong, and what was expected.
    pub message: String,
}

fn place(row: Option<u64>, column: Option<&(usize, String)>) -> String {
    let mut s = String::new();
    if let Some(r) = row {
        s.push_str(&format!(", row {r}"));
    }
    if let Some((i, name)) = column {
        s.push_str(&format!(", column {i} (`{name}`)"));
    }
    s
}

/// How to read the file: from the dataset config (the default: comma-separated, the
/// last column the label, every other column a feature, the task inferred).
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// The label column; the last one when `None`.
    pub label_column: Option<String>,
    /// The feature columns; every other column when `None`.
    pub feature_columns: Option<Vec<String>>,
    /// Classes or values; inferred from the labels when `None`.
    pub task: Option<Task>,
    /// The field separator.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            label_column: None,
            feature_columns: None,
            task: None,
            delimiter: b',',
        }
    }
}

/// A CSV file's samples, all rows, raw (in the file's units).
#[derive(Clone, PartialEq)]
pub struct CsvData {
    /// The file's name as the config gives it.
    pub file: String,
    /// Feature column names, in model input order.
    pub feature_names: Vec<String>,
    /// The label column's name.
    pub target_name: String,
    /// Classes or values, as given or inferred.
    pub task: Task,
    /// Whether the task was inferred (the run says so in its log).
    pub task_inferred: bool,
    /// Row-major features, `feature_names.len()` per row.
    pub features: Vec<f32>,
    /// Class index per row (classification).
    pub labels: Vec<i64>,
    /// Target per row (regression).
    pub values: Vec<f32>,
    /// Class names in order of first appearance (classification).
    pub class_names: Vec<String>,
}

impl std::fmt::Debug for CsvData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CsvData({}: {} rows × {} features, {}, label `{}`)",
            self.file,
            self.rows(),
            self.feature_names.len(),
            self.task.name(),
            self.target_name
        )
    }
}

impl CsvData {
    /// Data rows.
    pub fn rows(&self) -> usize {
        self.labels.len().max(self.values.len())
    }

    /// Rows per class (classification).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }
}

/// A finite number, as std's `f64` parser reads `text` trimmed.
pub(crate) fn finite(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    // fast_float2 reads the grammar of std's parser, to the same value (its tests).
    fast_float2::parse::<f64, _>(trimmed.as_bytes())
        .ok()
        .filter(|v| v.is_finite())
}

/// Reads `bytes` (the contents of `file`) into samples.
pub fn read_csv(bytes: &[u8], file: &str, opts: &CsvOptions) -> Result<CsvData, CsvError> {
    let err = |row: Option<u64>, column: Option<(usize, String)>, message: String| CsvError {
        file: file.to_string(),
        row,
        column,
        message,
    };
    if bytes.len() > MAX_CSV_BYTES {
        return Err(err(
            None,
            None,
            format!(
                "{} bytes is over the {} MiB a CSV dataset may have",
                bytes.len(),
                MAX_CSV_BYTES >> 20
            ),
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(err(
            None,
            None,
            "the file is empty: expected a header row and data rows".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(opts.delimiter)
        .from_reader(bytes);
    let text = |field: &[u8], row: u64, col: usize, name: &str| {
        std::str::from_utf8(field).map(str::to_string).map_err(|_| {
            err(
                Some(row),
                Some((col + 1, name.to_string())),
                "not UTF-8 text".into(),
            )
        })
    };
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(err(None, None, "the file is empty".into())),
        Err(e) => return Err(err(Some(1), None, format!("unreadable header: {e}"))),
    }
    if header.len() > MAX_CSV_COLUMNS {
        return Err(err(
            Some(1),
            None,
            format!(
                "{} columns; a CSV dataset may have at most {MAX_CSV_COLUMNS}",
                header.len()
            ),
        ));
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, field) in header.iter().enumerate() {
        let name = text(field, 1, i, "header")?.trim().to_string();
        if name.is_empty() {
            return Err(err(
                Some(1),
                Some((i + 1, String::new())),
                "an empty column name: every column needs a name in the header".into(),
            ));
        }
        if let Some(j) = names.iter().position(|n| n == &name) {
            return Err(err(
                Some(1),
                Some((i + 1, name)),
                format!(
                    "the same name as column {}: column names must differ",
                    j + 1
                ),
            ));
        }
        names.push(name);
    }
    if names.len() < 2 {
        return Err(err(
            Some(1),
            None,
            format!(
                "{} column: expected at least one feature column and a label column",
                names.len()
            ),
        ));
    }
    let col_of = |name: &str, what: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            err(
                Some(1),
                None,
                format!(
                    "no {what} column `{name}` in the header [{}].{}",
                    names.join(", "),
                    did_you_mean(name, names.iter().map(String::as_str))
                ),
            )
        })
    };
    let label_col = match &opts.label_column {
        Some(name) => col_of(name, "label")?,
        None => names.len() - 1,
    };
    let feature_cols: Vec<usize> = match &opts.feature_columns {
        Some(list) => {
            let mut cols = Vec::with_capacity(list.len());
            for name in list {
                let c = col_of(name, "feature")?;
                if c == label_col {
                    return Err(err(
                        Some(1),
                        Some((c + 1, name.clone())),
                        "the label column cannot also be a feature".into(),
                    ));
                }
                cols.push(c);
            }
            cols
        }
        None => (0..names.len()).filter(|&c| c != label_col).collect(),
    };
    if feature_cols.is_empty() {
        return Err(err(None, None, "no feature column".into()));
    }
    let mut features = Vec::new();
    let mut labels = LabelTexts::default();
    // One record, refilled row by row; cells are read where they lie, not copied.
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let row = e.position().map(|p| p.line());
                return Err(err(row, None, format!("unreadable row: {e}")));
            }
        }
        let row = record.position().map_or(0, |p| p.line());
        if labels.rows.len() == SIZING_ROWS {
            // Room for the whole file at once, from the first rows' mean length (and a
            // sixteenth): growing the arrays row by row copied them and faulted their
            // pages in again. A cell and its separator take two bytes at least, so no
            // file has more features than half its bytes: the reserve never passes that.
            let per_row = record.position().map_or(0, |p| p.byte()) as usize / SIZING_ROWS;
            if let Some(rows) = bytes.len().checked_div(per_row).map(|r| r * 17 / 16) {
                features.reserve(rows.saturating_mul(feature_cols.len()).min(bytes.len() / 2));
                labels.rows.reserve(rows.min(bytes.len() / 2));
            }
        }
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            continue; // a blank line
        }
        if record.len() != names.len() {
            return Err(err(
                Some(row),
                None,
                format!(
                    "{} fields where the header has {} columns",
                    record.len(),
                    names.len()
                ),
            ));
        }
        for &c in &feature_cols {
            let field = record.get(c).unwrap_or_default();
            // The fast path reads what std's `f64` parser reads, to the same value;
            // anything else (a bad cell, Unicode spaces) takes the careful path.
            let v = match fast_float2::parse::<f64, _>(field.trim_ascii()) {
                Ok(v) => v,
                Err(_) => {
                    let at = || Some((c + 1, names[c].clone()));
                    let trimmed = text(field, row, c, &names[c])?.trim().to_string();
                    if trimmed.is_empty() {
                        return Err(err(
                            Some(row),
                            at(),
                            "an empty value: expected a number (missing values are not filled in; fill or drop the row)".into(),
                        ));
                    }
                    trimmed.parse().map_err(|_| {
                        err(
                            Some(row),
                            at(),
                            format!("expected a number, found `{}`", shorten(&trimmed)),
                        )
                    })?
                }
            };
            if !v.is_finite() || !(v as f32).is_finite() {
                let shown = String::from_utf8_lossy(field);
                return Err(err(
                    Some(row),
                    Some((c + 1, names[c].clone())),
                    format!(
                        "expected a finite number, found `{}`",
                        shorten(shown.trim())
                    ),
                ));
            }
            features.push(v as f32);
        }
        let field = record.get(label_col).unwrap_or_default();
        if !labels.seen(field) {
            // A label text not seen before: checked once, kept once.
            let label = text(field, row, label_col, &names[label_col])?;
            if label.trim().is_empty() {
                return Err(err(
                    Some(row),
                    Some((label_col + 1, names[label_col].clone())),
                    "an empty label".into(),
                ));
            }
            labels.add(field, row, label);
        }
    }
    if labels.rows.is_empty() {
        return Err(err(None, None, "a header but no data rows".into()));
    }
    let label_text = &labels.distinct;
    let label_at = || Some((label_col + 1, names[label_col].clone()));
    let (task, task_inferred) = match opts.task {
        Some(t) => (t, false),
        None => (infer_task(label_text), true),
    };
    let mut data = CsvData {
        file: file.to_string(),
        feature_names: feature_cols.iter().map(|&c| names[c].clone()).collect(),
        target_name: names[label_col].clone(),
        task,
        task_inferred,
        features,
        labels: Vec::new(),
        values: Vec::new(),
        class_names: Vec::new(),
    };
    match task {
        Task::Regression => {
            // Each distinct text's value; the first bad one (in file order) is the error.
            let mut value = Vec::with_capacity(label_text.len());
            for (row, l) in label_text {
                match finite(l) {
                    Some(v) if (v as f32).is_finite() => value.push(v as f32),
                    _ => {
                        return Err(err(
                            Some(*row),
                            label_at(),
                            format!(
                                "a regression target must be a finite number, found `{}`",
                                shorten(l.trim())
                            ),
                        ));
                    }
                }
            }
            data.values = labels.rows.iter().map(|&i| value[i as usize]).collect();
        }
        // `Sequence` is refused by `CsvCfg::check` before a table is read.
        Task::Classification | Task::Sequence => {
            // Class names in order of first appearance: `1` and `1.0` are one class.
            let mut index: HashMap<String, i64> = HashMap::new();
            let mut class_of = Vec::with_capacity(label_text.len());
            for (row, l) in label_text {
                let name = class_name(l);
                let next = index.len() as i64;
                let id = *index.entry(name.clone()).or_insert(next);
                if id == next {
                    if data.class_names.len() == MAX_CLASSES {
                        return Err(err(
                            Some(*row),
                            label_at(),
                            format!(
                                "more than {MAX_CLASSES} classes: is this a regression target? (task = \"regression\")"
                            ),
                        ));
                    }
                    data.class_names.push(name);
                }
                class_of.push(id);
            }
            data.labels = labels.rows.iter().map(|&i| class_of[i as usize]).collect();
            if data.class_names.len() < 2 {
                return Err(err(
                    None,
                    Some((label_col + 1, names[label_col].clone())),
                    format!(
                        "a single class `{}`: classification needs at least two",
                        data.class_names[0]
                    ),
                ));
            }
        }
    }
    Ok(data)
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

mod labels;

#[cfg(test)]
mod tests;
