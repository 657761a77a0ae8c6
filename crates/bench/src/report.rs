//! Renders the rows of a benchmark run into `BENCHMARKS.md`: one table per group
//! (workload, ours, peer, ratio, machine), the groups' notes, and the hand-written
//! analysis below [`KEEP_MARKER`], which a new run keeps.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::rows::{self, Row};

/// The report's command-line arguments, shared by `playground-bench report` and the
/// tests' `bench_report` example.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The rows (JSON lines, from every run).
    #[arg(long)]
    pub rows: std::path::PathBuf,
    /// The report; its hand-written part (after the marker line) is kept.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// The command named in the report's header.
    #[arg(long, default_value = "cargo xtask bench")]
    pub command: String,
}

/// Renders the rows of `rows_path` (JSON lines) into `out`, keeping its hand-written
/// part and, for groups without rows here, its earlier tables; written atomically.
pub fn write(rows_path: &Path, out: &Path, command: &str) -> Result<()> {
    let text = std::fs::read_to_string(rows_path)
        .with_context(|| format!("reading {}", rows_path.display()))?;
    let rows = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<Row>(l)
                .with_context(|| format!("{}:{}: not a benchmark row", rows_path.display(), i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    let existing = std::fs::read_to_string(out).unwrap_or_default();
    let when = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let previous = previous_sections(&existing);
    let md = render(&rows, &when, command, kept_part(&existing), &previous);
    rows::write_atomic(out, md.as_bytes())?;
    eprintln!("bench: wrote {} ({} rows)", out.display(), rows.len());
    Ok(())
}

/// Everything after this line in an existing `BENCHMARKS.md` is kept as it is.
pub const KEEP_MARKER: &str =
    "<!-- Everything below is written by hand and kept by `cargo xtask bench`. -->";

/// The group of the wgpu training rows measured against PyTorch on CUDA (the GPU kit's,
/// `crates/bench/gpu/run.sh`), apart from the software adapter's `native wgpu training`.
pub const GPU_GROUP: &str = "wgpu training on a GPU, against PyTorch on CUDA";

/// The order groups appear in; unknown groups follow in the order met.
const ORDER: [&str; 11] = [
    "CPU training",
    "CPU training, PyTorch on every core",
    "native wgpu training",
    GPU_GROUP,
    "browser training",
    "browser sequence training",
    "checkpoint I/O",
    "schedules",
    "strategy overhead",
    "data-parallel scaling",
    "web bundle",
];

/// Said under a group's table that this run did not measure again (a run of some
/// stages only keeps the other groups' latest tables).
pub const EARLIER_RUN: &str = "- (measured by an earlier run; this run did not repeat this group)";

fn value(v: f64, unit: &str) -> String {
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// The whole file: a header saying how and when, the tables, then `kept` (the
/// hand-written part of the previous file, if any). A group with no rows in this run
/// keeps its table from `previous` (the previous file's generated part, see
/// [`previous_sections`]), marked as measured earlier.
pub fn render(
    rows: &[Row],
    when: &str,
    command: &str,
    kept: Option<&str>,
    previous: &[(String, String)],
) -> String {
    let mut groups: Vec<&str> = ORDER.to_vec();
    for g in rows
        .iter()
        .map(|r| r.group.as_str())
        .chain(previous.iter().map(|(g, _)| g.as_str()))
    {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `{command}` on {when}. Each pair ran interleaved in one run (ours, then \
         the peer, then the other way round), medians of several rounds after a \
         warm-up. **Ratio** is how many times better ours is than the peer: above 1 ours \
         is faster (or smaller), below 1 the peer is. Ratios are the headline; absolute \
         numbers depend on the machine, which is named on every row.\n"
    );
    for group in groups {
        let in_group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        if in_group.is_empty() {
            if let Some((_, text)) = previous.iter().find(|(g, _)| g == group) {
                out.push_str(text.trim_end());
                if !text.contains(EARLIER_RUN) {
                    let _ = write!(out, "\n{EARLIER_RUN}");
                }
                let _ = writeln!(out, "\n");
            }
            continue;
        }
        let _ = writeln!(out, "## {group}\n");
        let _ = writeln!(out, "| workload | ours | peer | peer's | ratio | machine |");
        let _ = writeln!(out, "|---|---:|---|---:|---:|---|");
        for r in &in_group {
            let (theirs, ratio) = match (r.peer_value, r.ratio()) {
                (Some(p), Some(q)) => (value(p, &r.unit), format!("**{q:.2}×**")),
                _ => ("—".to_string(), "—".to_string()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r.workload,
                value(r.ours, &r.unit),
                r.peer,
                theirs,
                ratio,
                r.machine
            );
        }
        // One note for the whole table; where the rows' notes differ, each note names
        // the workloads it is about.
        let mut notes: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in in_group.iter().filter(|r| !r.note.is_empty()) {
            match notes.iter_mut().find(|(n, _)| *n == r.note) {
                Some((_, about)) if about.contains(&r.workload.as_str()) => {}
                Some((_, about)) => about.push(&r.workload),
                None => notes.push((&r.note, vec![&r.workload])),
            }
        }
        if !notes.is_empty() {
            let _ = writeln!(out);
            let several = notes.len() > 1;
            for (n, about) in notes {
                if several {
                    let _ = writeln!(out, "- {}: {n}", about.join("; "));
                } else {
                    let _ = writeln!(out, "- {n}");
                }
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{KEEP_MARKER}");
    if let Some(kept) = kept {
        out.push_str(kept);
    }
    out
}

/// The generated part of an existing file, by group: `(group, its "## group" section
/// up to the next one)`.
pub fn previous_sections(existing: &str) -> Vec<(String, String)> {
    let generated = existing
        .split_once(KEEP_MARKER)
        .map_or(existing, |(g, _)| g);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in generated.lines() {
        if let Some(group) = line.strip_prefix("## ") {
            out.push((group.trim().to_string(), String::new()));
        }
        if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// The hand-written part of an existing file: what follows [`KEEP_MARKER`].
pub fn kept_part(existing: &str) -> Option<&str> {
    existing
        .split_once(KEEP_MARKER)
        .map(|(_, rest)| rest.strip_prefix('\n').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, workload: &str, ours: f64, peer: Option<f64>) -> Row {
        Row {
            group: group.into(),
            workload: workload.into(),
            ours,
            peer: "PyTorch".into(),
            peer_value: peer,
            unit: "it/s".into(),
            higher_is_better: true,
            machine: "box".into(),
            note: "median of 5".into(),
        }
    }

    #[test]
    fn groups_come_in_order_with_ratios_and_notes() {
        let rows = [
            row("schedules", "preview", 10.0, Some(5.0)),
            row("CPU training", "spiral", 1500.0, Some(500.0)),
            row("web bundle", "first render", 1.5, None),
        ];
        let md = render(&rows, "today", "cargo xtask bench", None, &[]);
        let cpu = md.find("## CPU training").expect("cpu group");
        let sched = md.find("## schedules").expect("schedules group");
        assert!(cpu < sched, "{md}");
        assert!(
            md.contains("| spiral | 1500 it/s | PyTorch | 500 it/s | **3.00×** | box |"),
            "{md}"
        );
        assert!(
            md.contains("| first render | 1.50 it/s | PyTorch | — | — | box |"),
            "{md}"
        );
        assert!(md.contains("- median of 5"));
        assert!(!md.contains("## native wgpu"), "empty groups are left out");
    }

    #[test]
    fn gpu_rows_have_their_own_section_after_the_software_adapters() {
        let rows = [
            row(GPU_GROUP, "spiral", 9000.0, Some(3000.0)),
            row("checkpoint I/O", "load", 2.0, Some(1.0)),
            row("native wgpu training", "spiral", 300.0, Some(1700.0)),
        ];
        let md = render(&rows, "today", "cargo xtask bench", None, &[]);
        let lavapipe = md
            .find("## native wgpu training\n")
            .expect("software adapter");
        let gpu = md.find(&format!("## {GPU_GROUP}\n")).expect("GPU section");
        let ckpt = md.find("## checkpoint I/O").expect("checkpoint section");
        assert!(lavapipe < gpu && gpu < ckpt, "{md}");
        let section = &md[gpu..ckpt];
        assert!(section.contains("| spiral | 9000 it/s |") && !section.contains("300 it/s"));
    }

    #[test]
    fn a_file_that_is_not_rows_is_refused_with_its_line_and_nothing_written() {
        let dir = tempfile::tempdir().expect("scratch folder");
        let out = dir.path().join("report.md");
        let good = serde_json::to_string(&row("CPU training", "a", 1.0, Some(1.0))).expect("row");
        // A line that is not JSON (a log line), and a row without its measurement.
        for (name, bad) in [
            ("log.jsonl", "gpu-kit: no torch".to_string()),
            (
                "partial.jsonl",
                r#"{"group":"g","workload":"w"}"#.to_string(),
            ),
        ] {
            let rows = dir.path().join(name);
            std::fs::write(&rows, format!("{good}\n\n{bad}\n")).expect("scratch file");
            let e = format!("{:#}", write(&rows, &out, "c").expect_err("not rows"));
            assert!(e.contains(&format!("{name}:3: not a benchmark row")), "{e}");
            assert!(!out.exists(), "nothing rendered from {name}");
        }
        let rows = dir.path().join("good.jsonl");
        std::fs::write(&rows, format!("{good}\n")).expect("scratch file");
        write(&rows, &out, "c").expect("rows");
        assert!(
            std::fs::read_to_string(&out)
                .expect("report")
                .contains("| a | 1.00 it/s |")
        );
    }

    #[test]
    fn differing_notes_name_their_workloads() {
        let mut slow = row(
            "browser training",
            "spiral: ours on WebGPU",
            30.0,
            Some(35.0),
        );
        slow.note = "first report after 21 s".into();
        let rows = [
            row(
                "browser training",
                "spiral: ours on the CPU",
                1200.0,
                Some(230.0),
            ),
            row(
                "browser training",
                "spiral: ours on the CPU",
                1200.0,
                Some(460.0),
            ),
            slow,
        ];
        let md = render(&rows, "today", "cargo xtask bench", None, &[]);
        assert!(
            md.contains("- spiral: ours on the CPU: median of 5\n"),
            "{md}"
        );
        assert!(
            md.contains("- spiral: ours on WebGPU: first report after 21 s\n"),
            "{md}"
        );
    }

    #[test]
    fn the_hand_written_part_survives_a_new_run() {
        let first = render(
            &[row("CPU training", "a", 1.0, Some(1.0))],
            "d1",
            "c",
            None,
            &[],
        );
        let edited = format!("{first}## Analysis\n\nprofile notes\n");
        let kept = kept_part(&edited).expect("marker present");
        assert_eq!(kept, "## Analysis\n\nprofile notes\n");
        let second = render(
            &[row("CPU training", "b", 2.0, Some(1.0))],
            "d2",
            "c",
            Some(kept),
            &previous_sections(&edited),
        );
        assert!(
            second.ends_with("## Analysis\n\nprofile notes\n"),
            "{second}"
        );
        assert!(second.contains("| b |") && !second.contains("| a |"));
        assert_eq!(kept_part("no marker"), None);
    }

    #[test]
    fn a_partial_run_keeps_the_other_groups_tables_marked_as_earlier() {
        let first = render(
            &[
                row("CPU training", "a", 1.0, Some(1.0)),
                row("schedules", "s", 3.0, Some(1.0)),
            ],
            "d1",
            "c",
            None,
            &[],
        );
        let previous = previous_sections(&first);
        assert_eq!(previous.len(), 2);
        let second = render(
            &[row("schedules", "t", 2.0, Some(1.0))],
            "d2",
            "c",
            kept_part(&first),
            &previous,
        );
        assert!(second.contains("| a |"), "kept: {second}");
        assert!(
            second.contains("| t |") && !second.contains("| s |"),
            "{second}"
        );
        assert_eq!(second.matches(EARLIER_RUN).count(), 1, "{second}");
        // A third run keeps it once more without a second mark.
        let third = render(
            &[],
            "d3",
            "c",
            kept_part(&second),
            &previous_sections(&second),
        );
        assert_eq!(third.matches(EARLIER_RUN).count(), 2, "{third}");
        assert_eq!(third.matches("## CPU training").count(), 1, "{third}");
    }
}
