//! Checkpoint files on disk: atomic writes, reads that refuse absurd sizes, and
//! MMEngine's `last_checkpoint` pointer.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Checkpoint, CheckpointError, MAX_CHECKPOINT_BYTES};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory,
/// fsync, rename over `path`, fsync of the directory. A crash at any moment leaves
/// either the old file or the new one, never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| CheckpointError::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| CheckpointError::io(dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| CheckpointError::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| CheckpointError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| CheckpointError::io(path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename itself durable (not possible on every platform).
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads and parses a checkpoint file: the header first, then every tensor straight
/// into its own vector (no file-sized buffer; see `stream`).
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let mut file = std::fs::File::open(path).map_err(|e| CheckpointError::io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| CheckpointError::io(path, e))?
        .len();
    if len > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::TooLarge {
            path: path.to_path_buf(),
            len,
            max: MAX_CHECKPOINT_BYTES,
        });
    }
    super::stream::read(&mut file, len).map_err(|e| CheckpointError::InFile {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

/// Writes a checkpoint file atomically, streamed: the tensors go from the checkpoint to
/// a temporary file in the same directory without a file-sized buffer, then fsync,
/// rename over `path`, fsync of the directory (as [`write_atomic`]).
pub fn write_checkpoint(path: &Path, ck: &Checkpoint) -> Result<(), CheckpointError> {
    let encoded = super::format::encode(ck)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| CheckpointError::io(dir, e))?;
    // A reserved name, deleted again if anything below fails.
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| CheckpointError::io(dir, e))?
        .into_temp_path();
    encoded.write_to(&tmp)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| CheckpointError::io(&tmp, e))?;
    tmp.persist(path)
        .map_err(|e| CheckpointError::io(path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `work_dir/last_checkpoint`.
pub fn last_checkpoint_file(work_dir: &Path) -> PathBuf {
    work_dir.join("last_checkpoint")
}

/// Records `checkpoint` as the latest (no trailing newline, as MMEngine), atomically.
pub fn write_last_checkpoint(work_dir: &Path, checkpoint: &Path) -> Result<(), CheckpointError> {
    write_atomic(
        &last_checkpoint_file(work_dir),
        checkpoint.to_string_lossy().as_bytes(),
    )
}

/// MMEngine's `find_latest_checkpoint`: the path in `work_dir/last_checkpoint`, if the
/// pointer exists (the path itself is not checked, as upstream).
pub fn find_latest_checkpoint(work_dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(last_checkpoint_file(work_dir)).ok()?;
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| PathBuf::from(trimmed))
}
