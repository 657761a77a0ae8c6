//! One measured comparison: the row `cargo xtask bench` writes into `BENCHMARKS.md`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One workload measured on our side and on a peer's, in the same run.
///
/// The file format (one JSON object per line) is written by the browser benchmarks
/// (`tests/examples/web_bench/`) too, kept by the xtask in `crates/bench/rows/` and
/// rendered into tables by [`crate::report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The group (`CPU training`, `checkpoint I/O`, …).
    pub group: String,
    /// What ran, with its shapes.
    pub workload: String,
    /// Our measurement, in `unit`.
    pub ours: f64,
    /// The peer, with its version and settings.
    pub peer: String,
    /// The peer's measurement, in `unit`; `None` where there is no peer to compare with.
    pub peer_value: Option<f64>,
    /// `it/s`, `ms`, `MB/s`, `MB`, `ns/iter`, …
    pub unit: String,
    /// Whether a larger value is better (throughput) or a smaller one (time, size).
    pub higher_is_better: bool,
    /// The machine (CPU, cores, adapter).
    pub machine: String,
    /// How it was measured (rounds, threads, caveats).
    pub note: String,
}

impl Row {
    /// How many times better ours is than the peer's (above 1: ours is better), from
    /// the two medians.
    pub fn ratio(&self) -> Option<f64> {
        let peer = self.peer_value?;
        Some(if self.higher_is_better {
            self.ours / peer
        } else {
            peer / self.ours
        })
    }
}

/// Appends rows to a JSON-lines file (created when missing) and prints them.
pub fn append(path: Option<&Path>, rows: &[Row]) -> Result<()> {
    for row in rows {
        match row.ratio() {
            Some(r) => println!(
                "{} | {}: ours {:.4} {}, {} {:.4} {} → {:.2}× {}",
                row.group,
                row.workload,
                row.ours,
                row.unit,
                row.peer,
                row.peer_value.unwrap_or(f64::NAN),
                row.unit,
                r,
                if r >= 1.0 {
                    "(ours better)"
                } else {
                    "(peer better)"
                }
            ),
            None => println!(
                "{} | {}: ours {:.4} {} ({})",
                row.group, row.workload, row.ours, row.unit, row.peer
            ),
        }
    }
    let Some(path) = path else { return Ok(()) };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    for row in rows {
        let line = serde_json::to_string(row).context("serialising a row")?;
        writeln!(file, "{line}").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))
        .with_context(|| format!("a temporary file beside {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ours: f64, peer: Option<f64>, higher_is_better: bool) -> Row {
        Row {
            group: "g".into(),
            workload: "w".into(),
            ours,
            peer: "p".into(),
            peer_value: peer,
            unit: "u".into(),
            higher_is_better,
            machine: "m".into(),
            note: String::new(),
        }
    }

    #[test]
    fn ratio_is_above_one_when_ours_is_better() {
        assert_eq!(row(200.0, Some(100.0), true).ratio(), Some(2.0));
        assert_eq!(row(50.0, Some(100.0), false).ratio(), Some(2.0));
        assert_eq!(row(100.0, Some(200.0), false).ratio(), Some(2.0));
        assert_eq!(row(100.0, Some(200.0), true).ratio(), Some(0.5));
        assert_eq!(row(1.0, None, true).ratio(), None);
    }

    #[test]
    fn rows_append_as_json_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rows.jsonl");
        append(Some(&path), &[row(1.0, Some(2.0), true)]).expect("writes");
        append(Some(&path), &[row(3.0, None, false)]).expect("appends");
        let text = std::fs::read_to_string(&path).expect("reads");
        let back: Vec<Row> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a row"))
            .collect();
        assert_eq!(back, vec![row(1.0, Some(2.0), true), row(3.0, None, false)]);
    }
}
