//! Visualizer backends beyond the text log and `scalars.json`: TensorBoard's event
//! files (the encoding, for every target; the file sink, natively).

#[cfg(not(target_family = "wasm"))]
pub mod sink;
pub mod tensorboard;

#[cfg(not(target_family = "wasm"))]
pub use sink::TensorboardSink;
