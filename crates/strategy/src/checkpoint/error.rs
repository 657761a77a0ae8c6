//! What can be wrong with a checkpoint.

/// A checkpoint that cannot be written, read or applied.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not a safetensors file, or a damaged one.
    #[error("not a readable checkpoint: {0}")]
    Malformed(String),
    /// A safetensors file, but not one of ours (or missing a part).
    #[error("not a Strategy Playground checkpoint: {0}")]
    NotOurs(String),
    /// Written by a newer version of this format.
    #[error(
        "checkpoint format version {found} is newer than this build reads (up to {supported}); upgrade playground"
    )]
    TooNew {
        /// The file's version.
        found: u64,
        /// The newest this build reads.
        supported: u64,
    },
    /// The data does not match its checksum (a flipped bit, a partial copy).
    #[error("checkpoint data is corrupt: CRC-32 {found:08x}, the header says {expected:08x}")]
    Corrupt {
        /// The checksum of the bytes read.
        found: u32,
        /// The checksum the header records.
        expected: u32,
    },
    /// A tensor of a dtype this format never writes.
    #[error("tensor `{name}` is {dtype}; checkpoints hold f32 tensors")]
    WrongDtype {
        /// Tensor key.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// A `meta` field of the wrong kind.
    #[error("meta.{field}: {message}")]
    Meta {
        /// The field (`iter`).
        field: String,
        /// What serde said.
        message: String,
    },
    /// Resuming asked for a part the checkpoint does not hold.
    #[error(
        "the checkpoint holds no {part} (it was saved with {saved_with}); resuming needs it: pass {hint}, or resume from a checkpoint that has it"
    )]
    MissingPart {
        /// `optimizer state`, `scheduler states`.
        part: &'static str,
        /// The setting that left it out.
        saved_with: &'static str,
        /// How to resume without it.
        hint: &'static str,
    },
    /// A regular expression of `revise_keys` does not compile.
    #[error("revise_keys pattern `{pattern}`: {message}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a readable checkpoint (the cause says why).
    #[error("{}", path.display())]
    InFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with its contents.
        #[source]
        source: Box<CheckpointError>,
    },
    /// A file larger than any checkpoint may be.
    #[error("{}: {len} bytes is more than the {max} a checkpoint may have", path.display())]
    TooLarge {
        /// The file.
        path: std::path::PathBuf,
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// safetensors could not write the file.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// What safetensors said.
        #[source]
        source: safetensors::SafeTensorError,
    },
    /// A PyTorch file that cannot be imported.
    #[error("{}: {message}", path.display())]
    PyTorch {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl CheckpointError {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}
