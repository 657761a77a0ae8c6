//! Evaluators (`val_evaluator`, `test_evaluator`): metrics that consume a model's
//! outputs batch by batch on the device and report named values at the end.
//!
//! - [`spec`]: the evaluator configs, typed and checked without a tensor backend.
//! - `Accuracy` (`topk`, default `[1]`): `accuracy/top1`, … in percent, MMEngine's keys.
//! - `SampleDistance`: for generative models, the symmetric Chamfer distance between
//!   generated and real points (`chamfer`, lower is better): the mean distance from
//!   each fake to its nearest real point plus from each real point to its nearest fake.
//! - `RegressionMetric` ([`regression`]): MAE and RMSE in the target's own units, and R².
//! - `TokenAccuracy`, `ExactMatch`, `Perplexity` (`sequence`): next-token metrics
//!   over the scored (answer) positions of token sequences.
//! - [`confusion`]: the confusion matrix of a classifier (the CLI's `test`, the web app).

pub mod confusion;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
mod evaluate;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod regression;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub mod sequence;
pub mod spec;

pub use confusion::ConfusionMatrix;
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub use evaluate::*;
pub use spec::{MetricSpec, metric_spec_registry, parse_evaluator};
