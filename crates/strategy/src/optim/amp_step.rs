//! The tensor side of `AmpOptimWrapper`'s step: unscaling the gradients and asking
//! whether any is inf or NaN (one read-back per optimizer step, as PyTorch's
//! `GradScaler.step` reads `found_inf`).

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::Tensor;

/// Multiplies every gradient by `inv_scale` (PyTorch's `unscale_`).
pub(crate) fn unscale(grads: &mut HashMap<ParamId, Tensor<1>>, inv_scale: f64) {
    for g in grads.values_mut() {
        *g = g.clone().mul_scalar(inv_scale);
    }
}

/// Whether any gradient holds an inf or a NaN: one flag per tensor on the device,
/// then one read-back.
pub(crate) fn any_non_finite(grads: &HashMap<ParamId, Tensor<1>>, order: &[ParamId]) -> bool {
    let flags: Vec<Tensor<1>> = order
        .iter()
        .filter_map(|id| grads.get(id))
        .map(|g| g.clone().is_finite().bool_not().any().float())
        .collect();
    if flags.is_empty() {
        return false;
    }
    let any: f32 = Tensor::cat(flags, 0).max().into_scalar();
    any > 0.0
}
