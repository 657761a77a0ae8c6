//! The tensor side of `AmpOptimWrapper`'s step: unscaling the gradients and asking
//! whether any is inf or NaN (one read-back per optimizer step, as PyTorch's
//! `GradScaler.step` reads `found_inf`).
//!
//! Natively the flag is read synchronously inside the step. A page cannot read
//! WebGPU synchronously, so in the browser the step is *deferred*: the wrapper keeps
//! the unscaled (and clipped) gradients with the flag still on the device
//! ([`PendingStep`]), the model's `train_step` returns, the runner awaits the flag
//! and only then skips the step or applies it. Nothing reads or changes the weights in
//! between, so the result is the same, bit for bit (tested natively in `tests/amp.rs`).

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::Tensor;

/// An optimizer step waiting for its inf/NaN flag to come back from the device.
#[derive(Debug, Clone)]
pub(crate) struct PendingStep {
    /// The gradients, unscaled and clipped: what the update will use.
    pub grads: HashMap<ParamId, Tensor<1>>,
    /// One element: above 0 when any gradient holds an inf or a NaN.
    pub flag: Tensor<1>,
}

/// Multiplies every gradient by `inv_scale` (PyTorch's `unscale_`).
pub(crate) fn unscale(grads: &mut HashMap<ParamId, Tensor<1>>, inv_scale: f64) {
    for g in grads.values_mut() {
        *g = g.clone().mul_scalar(inv_scale);
    }
}

/// Whether any gradient holds an inf or a NaN, still on the device: one element,
/// above 0 when some does (None without gradients).
pub(crate) fn non_finite_flag(
    grads: &HashMap<ParamId, Tensor<1>>,
    order: &[ParamId],
) -> Option<Tensor<1>> {
    let flags: Vec<Tensor<1>> = order
        .iter()
        .filter_map(|id| grads.get(id))
        .map(|g| g.clone().is_finite().bool_not().any().float())
        .collect();
    (!flags.is_empty()).then(|| Tensor::cat(flags, 0).max())
}

/// Reads a [`non_finite_flag`] synchronously (native backends).
pub(crate) fn flag_is_set(flag: Tensor<1>) -> bool {
    flag.into_scalar::<f32>() > 0.0
}
