//! The hook data parallelism needs in the optimizer wrapper: after every backward,
//! before accumulation, clipping and the step, each rank's gradients are replaced by
//! their mean over the ranks (DDP's all-reduce). The strategy provides the reducer
//! ([`crate::strategy::ddp`]); the wrapper only calls it.

use std::sync::Arc;

use burn::module::ParamId;
use burn::tensor::Tensor;

/// Gradients by parameter, flattened, in the module's visiting order.
pub type ParamGrads = Vec<(ParamId, Tensor<1>)>;

/// Averages gradients across data-parallel ranks. Every rank calls
/// [`all_reduce_mean`](GradReducer::all_reduce_mean) once per backward, in the same
/// order; each gets the same mean, on its own device.
pub trait GradReducer: Send + Sync + std::fmt::Debug {
    /// Rank `rank`'s gradients in, the mean over every rank's out (on `rank`'s
    /// device). Blocks until every rank has brought its share.
    fn all_reduce_mean(&self, rank: usize, grads: ParamGrads) -> ParamGrads;
}

/// A wrapper's place in a data-parallel group: its rank and the group's reducer.
#[derive(Debug, Clone)]
pub struct RankReducer {
    /// This wrapper's rank.
    pub rank: usize,
    /// The group's reducer.
    pub reducer: Arc<dyn GradReducer>,
}
