//! The benchmark rows kept in the repository (`crates/bench/rows/<stage>.jsonl`), from
//! which `BENCHMARKS.md` is rendered: committed with the report, so a run of some stages
//! on any clone re-renders it with the other stages' rows.

use std::path::Path;

use anyhow::{Context as _, Result};

/// The folder of the kept rows, relative to the repository root.
pub const DIR: &str = "crates/bench/rows";

/// The kept rows of `stages` in `dir`, in that order, and the stages that have none
/// (no file, or an empty one).
pub fn gather(dir: &Path, stages: &[&'static str]) -> (String, Vec<&'static str>) {
    let mut text = String::new();
    let mut missing = Vec::new();
    for &stage in stages {
        match std::fs::read_to_string(dir.join(format!("{stage}.jsonl"))) {
            Ok(t) if !t.trim().is_empty() => {
                text.push_str(&t);
                if !t.ends_with('\n') {
                    text.push('\n');
                }
            }
            _ => missing.push(stage),
        }
    }
    (text, missing)
}

/// Replaces the rows in `kept` by those in `measured` (a finished stage's), atomically:
/// written to a temporary file beside `kept`, synced, then renamed over it. Returns
/// `false`, keeping `kept` as it was, when nothing was measured.
pub fn keep(measured: &Path, kept: &Path) -> Result<bool> {
    use std::io::Write as _;
    let rows =
        std::fs::read(measured).with_context(|| format!("reading {}", measured.display()))?;
    if rows.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let dir = kept.parent().context("the kept rows' folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let temp = kept.with_extension("jsonl.tmp");
    let mut file =
        std::fs::File::create(&temp).with_context(|| format!("creating {}", temp.display()))?;
    file.write_all(&rows)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.display()))?;
    drop(file);
    std::fs::rename(&temp, kept)
        .with_context(|| format!("renaming {} to {}", temp.display(), kept.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::{gather, keep};

    /// A fresh folder under the system's temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-kept-rows-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn rows_are_gathered_in_the_given_order_and_missing_stages_named() {
        let dir = scratch("gather");
        std::fs::write(dir.join("web.jsonl"), "{\"w\":1}\n").expect("write");
        std::fs::write(dir.join("native.jsonl"), "{\"n\":1}\n{\"n\":2}").expect("scratch file");
        std::fs::write(dir.join("scaling.jsonl"), "\n").expect("scratch file");
        let (text, missing) = gather(&dir, &["native", "fusion", "scaling", "web"]);
        assert_eq!(text, "{\"n\":1}\n{\"n\":2}\n{\"w\":1}\n");
        assert_eq!(missing, ["fusion", "scaling"]);
        std::fs::remove_dir_all(dir).expect("scratch file");
    }

    #[test]
    fn measured_rows_replace_the_kept_ones_and_an_empty_run_keeps_them() {
        let dir = scratch("keep");
        let kept = dir.join("rows").join("native.jsonl");
        let measured = dir.join("measured.jsonl");
        std::fs::write(&measured, "{\"a\":1}\n").expect("scratch file");
        assert!(keep(&measured, &kept).expect("keep"));
        assert_eq!(
            std::fs::read_to_string(&kept).expect("kept rows"),
            "{\"a\":1}\n"
        );
        std::fs::write(&measured, "{\"b\":2}\n").expect("scratch file");
        assert!(keep(&measured, &kept).expect("keep"));
        assert_eq!(
            std::fs::read_to_string(&kept).expect("kept rows"),
            "{\"b\":2}\n"
        );
        std::fs::write(&measured, "").expect("scratch file");
        assert!(!keep(&measured, &kept).expect("keep"));
        assert_eq!(
            std::fs::read_to_string(&kept).expect("kept rows"),
            "{\"b\":2}\n"
        );
        // No temporary file is left beside the kept rows.
        let names: Vec<_> = std::fs::read_dir(dir.join("rows"))
            .expect("rows folder")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["native.jsonl"]);
        let missing = keep(&dir.join("absent.jsonl"), &kept).expect_err("no measured rows");
        assert!(
            format!("{missing:#}").contains("absent.jsonl"),
            "{missing:#}"
        );
        std::fs::remove_dir_all(dir).expect("scratch file");
    }
}
