//! Reading the files a config's datasets name (`CSVDataset.path`, `TextDataset.path`) once, when the
//! config is loaded, so the schedule preview knows the epoch length and training
//! reads the same rows. Natively a path is relative to the config file; the web app
//! hands in its uploaded files.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::experiment::ExperimentConfig;
use crate::base::{ConfigError, KeyPath};
use crate::data::{DatasetSpec, read_csv, read_text};

/// How many bytes a file read for a dataset may have (the CSV limit).
pub use crate::data::csv_table::MAX_CSV_BYTES;

/// Reads a dataset file by the path the config gives: its bytes, or why not.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<Vec<u8>, String>;

impl ExperimentConfig {
    /// Reads every `CSVDataset` and `TextDataset` file not read yet through `read`. A file that cannot
    /// be read or parsed becomes a problem at `<loader>.dataset.path` (file, row and
    /// column in its message), and that dataset is dropped, as a lenient check does;
    /// a strict caller then fails with it ([`ExperimentConfig::strict`]).
    pub fn read_data_files(&mut self, read: ReadFile<'_>) {
        let mut cache: HashMap<String, Result<Vec<u8>, String>> = HashMap::new();
        let mut problems: Vec<ConfigError> = Vec::new();
        for (key, loader) in [
            ("train_dataloader", &mut self.train_dataloader),
            ("val_dataloader", &mut self.val_dataloader),
            ("test_dataloader", &mut self.test_dataloader),
        ] {
            let Some(loader) = loader.as_mut() else {
                continue;
            };
            let at = KeyPath::root().key(key).key("dataset");
            let outcome: Result<(), ConfigError> = match loader.dataset.as_mut() {
                Some(DatasetSpec::Csv(cfg, data)) if data.is_none() => {
                    let bytes = cache
                        .entry(cfg.path.clone())
                        .or_insert_with(|| read(&cfg.path));
                    match bytes {
                        Err(why) => Err(at.key("path").error(why.clone())),
                        Ok(bytes) => cfg.options(&at).and_then(|opts| {
                            read_csv(bytes, &cfg.path, &opts)
                                .map_err(|e| at.key("path").error(e.to_string()))
                        }),
                    }
                    .map(|d| *data = Some(Arc::new(d)))
                }
                Some(DatasetSpec::Text(cfg, data)) if data.is_none() => {
                    let bytes = cache
                        .entry(cfg.path.clone())
                        .or_insert_with(|| read(&cfg.path));
                    match bytes {
                        Err(why) => Err(at.key("path").error(why.clone())),
                        Ok(bytes) => read_text(bytes, &cfg.path)
                            .map_err(|e| at.key("path").error(e.to_string())),
                    }
                    .and_then(|d| {
                        if cfg.is_empty(&d) {
                            Err(at.key("block_size").error(format!(
                                "the {:?} part of `{}` has no window of {} + 1 characters",
                                cfg.split, cfg.path, cfg.block_size
                            )))
                        } else {
                            *data = Some(Arc::new(d));
                            Ok(())
                        }
                    })
                }
                _ => Ok(()),
            };
            if let Err(e) = outcome {
                problems.push(e);
                loader.dataset = None;
            }
        }
        self.problems.extend(problems);
    }

    /// [`read_data_files`](Self::read_data_files) from the disk, paths relative to
    /// `dir` (the config file's folder); a file over [`MAX_CSV_BYTES`] is refused
    /// before it is read.
    pub fn read_data_files_from(&mut self, dir: &Path) {
        self.read_data_files(&|p: &str| read_limited(&dir.join(p)));
    }
}

/// A file's bytes, refusing one over the size limit before reading it.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_CSV_BYTES as u64 {
        return Err(format!(
            "{}: {size} bytes is over the {} MiB a dataset file may have",
            path.display(),
            MAX_CSV_BYTES >> 20
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
