//! Datasets, built from config tables and never downloaded:
//!
//! - [`spec`]: dataset configs, typed and checked, and how many samples each has, so
//!   the number of iterations per epoch follows from the config
//!   (`len(train_dataloader)` in MMEngine);
//! - [`toy2d`]: TensorFlow Playground's 2-D sets; [`digits`]: the UCI 8×8 digits,
//!   shipped in `public/data/digits/`;
//! - [`csv_table`]: reading a CSV file (errors name file, row and column);
//!   [`csv_dataset`]: `CSVDataset`, its stratified split and standardisation;
//! - [`sequence_task`]: `SequenceTask` (sort, reverse, addition, modular addition);
//!   [`text_dataset`]: `TextDataset` (characters of a text file);
//! - [`schema`]: what the columns mean ([`DataSchema`]: task, names, feature inputs,
//!   standardisation), kept in checkpoints;
//! - [`samples`]: the dataset registry and host-side [`Samples`];
//! - [`sampler`]: MMEngine's `DefaultSampler` (torch's `randperm`, padding, shards);
//! - [`loader`]: a rank's batches on a device (with a tensor backend).

pub mod csv_dataset;
pub mod csv_preview;
pub mod csv_table;
pub mod digits;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod loader;
pub mod sampler;
pub mod samples;
pub mod schema;
pub mod sequence_task;
pub mod spec;
pub mod text_dataset;
pub mod toy2d;

pub use csv_dataset::CsvCfg;
pub use csv_preview::{CsvPreview, preview_csv};
pub use csv_table::{CsvData, CsvError, CsvOptions, read_csv};
pub use samples::{Samples, dataset_registry, split_indices};
pub use schema::{DataSchema, FeatureInput, Normalization, SequenceLayout, Task};
pub use sequence_task::SequenceTaskCfg;
pub use spec::{
    DEFAULT_VAL_RATIO, DIGITS_SAMPLES, DatasetSpec, Split, dataset_keys, dataset_spec_registry,
};
pub use text_dataset::{TextCfg, TextData, TextError, read_text};
