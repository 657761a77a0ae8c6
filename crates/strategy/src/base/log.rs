//! The run's log, laid out as MMEngine lays it out:
//!
//! - `work_dir/<timestamp>/<timestamp>.log`: text lines
//!   (`2026/11/28 21:40:00 - playground - INFO - Epoch(train) [1][10/25] …`);
//! - `work_dir/<timestamp>/vis_data/scalars.json`: one JSON object a line (`lr`,
//!   `loss`, `epoch`, `iter`, `step` for training; `accuracy/top1`, `step` for
//!   validation).
//!
//! Every record also goes to the [`LogSink`]s the caller adds (the CLI's terminal,
//! the web app's charts). Files are appended a whole record at a time with one
//! `write_all` (`O_APPEND`), and synced to disk at every epoch end and when the run
//! ends, so a crash leaves complete lines behind.

use std::fmt;

use serde_json::Value;

/// The levels' older name (`runner::log::Level`).
pub use LogLevel as Level;

/// Log levels, MMEngine's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Details.
    Debug,
    /// Progress.
    Info,
    /// Something the user should look at.
    Warning,
    /// Something failed.
    Error,
}

impl LogLevel {
    /// Parses `log_level` (`DEBUG`, `INFO`, `WARNING`, `ERROR`, any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "DEBUG" => Some(Self::Debug),
            "INFO" => Some(Self::Info),
            "WARNING" | "WARN" => Some(Self::Warning),
            "ERROR" => Some(Self::Error),
            _ => None,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        })
    }
}

/// Where log records go besides the files.
pub trait LogSink: Send {
    /// A text line (already formatted, without the time/level prefix).
    fn line(&mut self, level: Level, text: &str);
    /// A `scalars.json` record.
    fn scalars(&mut self, _record: &Value) {}
    /// Progress after every training iteration (for progress bars and live charts).
    fn progress(&mut self, _progress: &Progress) {}
    /// Flush whatever is buffered (epoch ends, run end).
    fn sync(&mut self) {}
}

/// Where training stands, after an iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Iterations done.
    pub iter: i64,
    /// Iterations in the run.
    pub max_iters: i64,
    /// Epoch (1-based while in it) for epoch-based runs.
    pub epoch: i64,
    /// The lr of the first group of each optimizer (`lr` or `<name>.lr`).
    pub lr: Vec<(String, f64)>,
    /// The latest read-back loss, if one has been read.
    pub loss: Option<f64>,
    /// Estimated seconds left.
    pub eta_s: Option<f64>,
}

/// Keeps every record in memory (the browser's log, and tests).
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    /// Text lines with their levels.
    pub lines: Vec<(Level, String)>,
    /// `scalars.json` records.
    pub scalars: Vec<Value>,
}

impl LogSink for MemorySink {
    fn line(&mut self, level: Level, text: &str) {
        self.lines.push((level, text.to_string()));
    }

    fn scalars(&mut self, record: &Value) {
        self.scalars.push(record.clone());
    }
}

/// A sink shared with the caller (who reads it while the run goes on).
impl<S: LogSink> LogSink for std::sync::Arc<std::sync::Mutex<S>> {
    fn line(&mut self, level: Level, text: &str) {
        if let Ok(mut s) = self.lock() {
            s.line(level, text);
        }
    }

    fn scalars(&mut self, record: &Value) {
        if let Ok(mut s) = self.lock() {
            s.scalars(record);
        }
    }

    fn progress(&mut self, progress: &Progress) {
        if let Ok(mut s) = self.lock() {
            s.progress(progress);
        }
    }

    fn sync(&mut self) {
        if let Ok(mut s) = self.lock() {
            s.sync();
        }
    }
}

#[cfg(not(target_family = "wasm"))]
mod files {
    use std::fs::{File, OpenOptions};
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    use super::{Level, LogSink};

    /// The two log files of a run.
    #[derive(Debug)]
    pub struct FileSink {
        log_path: PathBuf,
        log: File,
        scalars_path: PathBuf,
        scalars: File,
        /// The first write error, reported once (logging never stops training).
        pub error: Option<String>,
    }

    fn open(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().create(true).append(true).open(path)
    }

    impl FileSink {
        /// Opens (appending) `log_file` and `<log_dir>/vis_data/scalars.json`.
        pub fn open(log_file: &Path, log_dir: &Path) -> std::io::Result<Self> {
            let vis = log_dir.join("vis_data");
            std::fs::create_dir_all(&vis)?;
            if let Some(parent) = log_file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let scalars_path = vis.join("scalars.json");
            Ok(Self {
                log: open(log_file)?,
                log_path: log_file.to_path_buf(),
                scalars: open(&scalars_path)?,
                scalars_path,
                error: None,
            })
        }

        fn write(&mut self, which: bool, text: String) {
            let (file, path) = if which {
                (&mut self.log, &self.log_path)
            } else {
                (&mut self.scalars, &self.scalars_path)
            };
            if let Err(e) = file.write_all(text.as_bytes())
                && self.error.is_none()
            {
                self.error = Some(format!("writing {}: {e}", path.display()));
            }
        }
    }

    impl LogSink for FileSink {
        fn line(&mut self, level: Level, text: &str) {
            let stamp = chrono::Local::now().format("%Y/%m/%d %H:%M:%S");
            self.write(true, format!("{stamp} - playground - {level} - {text}\n"));
        }

        fn scalars(&mut self, record: &Value) {
            self.write(false, format!("{record}\n"));
        }

        fn sync(&mut self) {
            for (file, path) in [
                (&self.log, &self.log_path),
                (&self.scalars, &self.scalars_path),
            ] {
                if let Err(e) = file.sync_data()
                    && self.error.is_none()
                {
                    self.error = Some(format!("syncing {}: {e}", path.display()));
                }
            }
        }
    }
}

#[cfg(not(target_family = "wasm"))]
pub use files::FileSink;

/// The run's logger: a level and the sinks records go to.
pub struct RunLog {
    /// Records below this level are dropped.
    pub level: Level,
    sinks: Vec<Box<dyn LogSink>>,
}

impl fmt::Debug for RunLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunLog")
            .field("level", &self.level)
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl RunLog {
    /// A logger with no sink yet.
    pub fn new(level: Level) -> Self {
        Self {
            level,
            sinks: Vec::new(),
        }
    }

    /// Adds a sink.
    pub fn add_sink(&mut self, sink: Box<dyn LogSink>) {
        self.sinks.push(sink);
    }

    /// Logs a line at `level`.
    pub fn log(&mut self, level: Level, text: impl AsRef<str>) {
        if level >= self.level {
            for s in &mut self.sinks {
                s.line(level, text.as_ref());
            }
        }
    }

    /// Logs an info line.
    pub fn info(&mut self, text: impl AsRef<str>) {
        self.log(Level::Info, text);
    }

    /// Logs a warning.
    pub fn warning(&mut self, text: impl AsRef<str>) {
        self.log(Level::Warning, text);
    }

    /// Writes a `scalars.json` record.
    pub fn scalars(&mut self, record: &Value) {
        for s in &mut self.sinks {
            s.scalars(record);
        }
    }

    /// Reports progress.
    pub fn progress(&mut self, progress: &Progress) {
        for s in &mut self.sinks {
            s.progress(progress);
        }
    }

    /// Syncs every sink.
    pub fn sync(&mut self) {
        for s in &mut self.sinks {
            s.sync();
        }
    }
}

/// Formats seconds as MMEngine's `eta` (`1 day, 2:03:04` or `0:00:30`), rounded.
pub fn format_eta(seconds: f64) -> String {
    timedelta(seconds.max(0.0).round() as u64)
}

/// Python's `str(timedelta(seconds=total))`: `1:02:05`, `1 day, 1:01:01`.
pub fn timedelta(total: u64) -> String {
    let (d, rest) = (total / 86_400, total % 86_400);
    let hms = format!("{}:{:02}:{:02}", rest / 3600, (rest % 3600) / 60, rest % 60);
    match d {
        0 => hms,
        1 => format!("1 day, {hms}"),
        _ => format!("{d} days, {hms}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_reads_like_python_timedelta() {
        assert_eq!(format_eta(30.4), "0:00:30");
        assert_eq!(format_eta(3_725.0), "1:02:05");
        assert_eq!(format_eta(90_061.0), "1 day, 1:01:01");
    }

    #[test]
    fn records_below_the_level_are_dropped() {
        let shared = std::sync::Arc::new(std::sync::Mutex::new(MemorySink::default()));
        let mut log = RunLog::new(Level::Info);
        log.add_sink(Box::new(shared.clone()));
        log.log(Level::Debug, "hidden");
        log.info("shown");
        log.scalars(&serde_json::json!({"loss": 1.0, "step": 1}));
        let sink = shared.lock().expect("not poisoned");
        assert_eq!(sink.lines, vec![(Level::Info, "shown".to_string())]);
        assert_eq!(sink.scalars.len(), 1);
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn files_get_whole_lines_in_mmengine_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log_dir = dir.path().join("20261128_120000");
        let log_file = log_dir.join("20261128_120000.log");
        let mut sink = FileSink::open(&log_file, &log_dir).expect("opens");
        sink.line(Level::Info, "Epoch(train) [1][10/25]  loss: 0.5");
        sink.scalars(&serde_json::json!({"loss": 0.5, "step": 10}));
        sink.sync();
        assert!(sink.error.is_none());
        let text = std::fs::read_to_string(&log_file).expect("log");
        assert!(
            text.ends_with(" - playground - INFO - Epoch(train) [1][10/25]  loss: 0.5\n"),
            "{text}"
        );
        let scalars =
            std::fs::read_to_string(log_dir.join("vis_data/scalars.json")).expect("scalars");
        assert_eq!(scalars, "{\"loss\":0.5,\"step\":10}\n");
    }
}
