//! CSV ingestion: a generated table (a header, numeric feature columns, a class-name
//! label column) read into samples by the strategy crate's `read_csv` (the dataset's
//! reader, natively and in the browser: parse, check every cell, infer the task, map
//! class names to indices, features to f32) against `pandas.read_csv` followed by the
//! same conversions (`pd.factorize` of the labels in order of appearance, the features
//! to one row-major float32 array), as a PyTorch user would load such a file. Both
//! sides read the same file from the page cache, interleaved.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use playground_strategy::data::{CsvOptions, read_csv};
use serde_json::json;

use crate::peer::Peer;
use crate::rows::Row;
use crate::stats::interleaved;

/// Data rows of the generated file.
const ROWS: usize = 200_000;
/// Feature columns (the label is one more).
const FEATURES: usize = 16;
/// Class names of the label column.
const CLASSES: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// The generated table: values with a few digits each, as measured data has.
fn table() -> String {
    let mut text = String::with_capacity(ROWS * FEATURES * 8);
    for f in 0..FEATURES {
        let _ = write!(text, "x{f},");
    }
    text.push_str("species\n");
    // A small LCG: the same file every run, without a dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for _ in 0..ROWS {
        for _ in 0..FEATURES {
            let _ = write!(text, "{:.4},", next() * 20.0 - 10.0);
        }
        let class = ((next() * CLASSES.len() as f64) as usize).min(CLASSES.len() - 1);
        text.push_str(CLASSES[class]);
        text.push('\n');
    }
    text
}

/// The CSV ingestion row against pandas.
pub fn run(peer: &mut Peer, rounds: usize, machine: &str) -> Result<Vec<Row>> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let path = dir.path().join("table.csv");
    let text = table();
    let mb = text.len() as f64 / 1e6;
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    drop(text);
    let setup = peer.call(json!({"cmd": "csv_setup", "path": path}))?;
    let pandas = setup["pandas"].as_str().unwrap_or("?").to_string();
    let ours = || -> Result<f64> {
        let t = Instant::now();
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let data = read_csv(&bytes, "table.csv", &CsvOptions::default())?;
        let secs = t.elapsed().as_secs_f64();
        ensure!(
            data.rows() == ROWS
                && data.features.len() == ROWS * FEATURES
                && data.class_names.len() == CLASSES.len(),
            "read_csv returned {data:?}"
        );
        Ok(secs)
    };
    let theirs = || -> Result<f64> {
        let answer = peer.call(json!({"cmd": "csv_read"}))?;
        ensure!(
            answer["rows"] == ROWS && answer["features"] == FEATURES && answer["classes"] == 3,
            "pandas read {answer}"
        );
        answer["seconds"].as_f64().context("no seconds")
    };
    eprintln!("bench: [CSV ingestion] {mb:.0} MB");
    let (ours, theirs) = interleaved(rounds, ours, theirs)?;
    Ok(vec![Row {
        group: "CSV ingestion".into(),
        workload: format!(
            "{ROWS} rows × {FEATURES} numeric features + a class-name label ({mb:.0} MB): read the file, parse, infer the task, labels to class indices, features to f32"
        ),
        ours: mb / ours,
        peer: format!(
            "pandas {pandas} `read_csv`, then `pd.factorize` of the labels and the features to a float32 array"
        ),
        peer_value: Some(mb / theirs),
        unit: "MB/s".into(),
        higher_is_better: true,
        machine: machine.into(),
        note: format!(
            "median of {rounds} interleaved rounds after a warm-up round; the file in the page cache; ours checks every cell and names the row and column of a bad one (the dataset's reader, also in the browser); pandas's C parser on one thread"
        ),
    }])
}
