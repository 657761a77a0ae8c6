//! `TensorboardVisBackend` natively: a log sink appending every `scalars.json`
//! record to `vis_data/events.out.tfevents.<unix time>.<host>` as TensorBoard events.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::tensorboard;
use crate::base::log::{Level, LogSink};

/// The event file of a run.
#[derive(Debug)]
pub struct TensorboardSink {
    /// Where it is.
    pub path: PathBuf,
    file: File,
    /// The first write error, reported once (logging never stops training).
    pub error: Option<String>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The machine's name, as `SummaryWriter` puts it into the file name.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(['/', '\\']))
        .unwrap_or_else(|| "localhost".into())
}

impl TensorboardSink {
    /// Creates the event file in `vis_dir` with the file-version event and, when
    /// given, the config as a text summary (`config/text_summary`).
    pub fn open(vis_dir: &Path, config: Option<&str>) -> std::io::Result<Self> {
        std::fs::create_dir_all(vis_dir)?;
        let wall = now();
        let path = vis_dir.join(tensorboard::file_name(wall as u64, &host()));
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut head = tensorboard::file_version(wall);
        if let Some(c) = config {
            head.extend(tensorboard::text("config", c, 0, wall));
        }
        file.write_all(&head)?;
        Ok(Self {
            path,
            file,
            error: None,
        })
    }
}

impl LogSink for TensorboardSink {
    fn line(&mut self, _level: Level, _text: &str) {}

    fn scalars(&mut self, record: &Value) {
        let bytes = tensorboard::scalars_record(record, now());
        if let Err(e) = self.file.write_all(&bytes)
            && self.error.is_none()
        {
            self.error = Some(format!("writing {}: {e}", self.path.display()));
        }
    }

    fn sync(&mut self) {
        if let Err(e) = self.file.sync_data()
            && self.error.is_none()
        {
            self.error = Some(format!("syncing {}: {e}", self.path.display()));
        }
    }
}
