//! mmpretrain's LARS and Lamb (timm's) and lion-pytorch's Lion, after their code.
//! Per-parameter norms are one-element tensors on the device (the references read
//! LARS' norms back with `.item()`; the arithmetic is the same, in f32).

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::Tensor;

use super::{ParamState, hp};
use crate::base::ParamGroup;
use crate::optim::config::{LambSpec, LarsSpec, LionSpec};

/// The L2 norm of `t`, as a one-element tensor.
fn norm(t: &Tensor<1>) -> Tensor<1> {
    t.clone().powi_scalar(2).sum().sqrt()
}

/// mmpretrain's `LARS`: `local_lr = eta·‖p‖ / (‖g‖ + wd·‖p‖ + eps)` (1 when either norm
/// is 0 or the group has `lars_exclude`, set through `paramwise_cfg.custom_keys`),
/// then SGD with momentum on `(g + wd·p) · local_lr · lr`.
pub fn lars(
    l: &LarsSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", l.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let momentum = hp(group, "momentum", l.momentum);
    let excluded = hp(group, "lars_exclude", 0.0) != 0.0;
    let d_p = grad.clone() + param.clone().mul_scalar(wd);
    let d_p = if excluded {
        d_p.mul_scalar(lr)
    } else {
        let w = norm(&param);
        let g = norm(&grad);
        let local = w
            .clone()
            .mul_scalar(l.eta)
            .div(g.clone() + w.clone().mul_scalar(wd).add_scalar(l.eps));
        let either_zero = w.equal_elem(0.0).bool_or(g.equal_elem(0.0));
        let local = local.mask_fill(either_zero, 1.0);
        d_p.mul(local).mul_scalar(lr)
    };
    let d_p = if momentum != 0.0 {
        let buf = match state.take("momentum_buffer") {
            None => d_p.clone(),
            Some(buf) => buf.mul_scalar(momentum) + d_p.clone().mul_scalar(1.0 - l.dampening),
        };
        state.put("momentum_buffer", buf.clone());
        if l.nesterov {
            d_p + buf.mul_scalar(momentum)
        } else {
            buf
        }
    } else {
        d_p
    };
    param - d_p
}

/// Lamb's global clip, before its step: every gradient divided by
/// `‖all gradients‖ / max_grad_norm` when that norm is above `max_grad_norm`.
/// `order`: the module's parameter order (the sum's order, as in timm's loop).
pub fn lamb_clip(grads: &mut HashMap<ParamId, Tensor<1>>, max_grad_norm: f64, order: &[ParamId]) {
    let squares: Vec<Tensor<1>> = order
        .iter()
        .filter_map(|id| grads.get(id))
        .map(|g| g.clone().powi_scalar(2).sum())
        .collect();
    if squares.is_empty() {
        return;
    }
    let global = Tensor::cat(squares, 0).sum().sqrt();
    let over = global.clone().greater_elem(max_grad_norm);
    let divisor = global
        .clone()
        .div_scalar(max_grad_norm)
        .mask_fill(over.bool_not(), 1.0);
    for g in grads.values_mut() {
        *g = g.clone().div(divisor.clone());
    }
}

/// timm's `Lamb` (as mmpretrain ships it), on a gradient already through
/// [`lamb_clip`]. The step count is per parameter here (timm keeps it per group:
/// the same number whenever every parameter of a group has a gradient each step).
pub fn lamb(
    l: &LambSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", l.lr);
    let wd = hp(group, "weight_decay", l.weight_decay);
    let beta1 = hp(group, "momentum", l.betas.0);
    let beta2 = l.betas.1;
    let beta3 = if l.grad_averaging { 1.0 - beta1 } else { 1.0 };
    state.step += 1;
    let (bias_correction1, bias_correction2) = if l.bias_correction {
        let step = state.step as i32;
        (1.0 - beta1.powi(step), 1.0 - beta2.powi(step))
    } else {
        (1.0, 1.0)
    };
    let zeros = || grad.zeros_like();
    let exp_avg = state
        .take("exp_avg")
        .unwrap_or_else(zeros)
        .mul_scalar(beta1)
        + grad.clone().mul_scalar(beta3);
    let exp_avg_sq = state
        .take("exp_avg_sq")
        .unwrap_or_else(zeros)
        .mul_scalar(beta2)
        + grad.clone().mul(grad).mul_scalar(1.0 - beta2);
    let denom = exp_avg_sq
        .clone()
        .sqrt()
        .div_scalar(bias_correction2.sqrt())
        .add_scalar(l.eps);
    let mut update = exp_avg.clone().div_scalar(bias_correction1).div(denom);
    if wd != 0.0 {
        update = update + param.clone().mul_scalar(wd);
    }
    if wd != 0.0 || l.always_adapt {
        let w = norm(&param);
        let g = norm(&update);
        let not_positive = w
            .clone()
            .lower_equal_elem(0.0)
            .bool_or(g.clone().lower_equal_elem(0.0));
        let mut ratio = w.div(g).mask_fill(not_positive, 1.0);
        if l.trust_clip {
            ratio = ratio.clamp_max(1.0);
        }
        update = update.mul(ratio);
    }
    state.put("exp_avg", exp_avg);
    state.put("exp_avg_sq", exp_avg_sq);
    param - update.mul_scalar(lr)
}

/// lion-pytorch's `Lion`: `p ← p(1 − lr·wd) − lr·sign(β1·m + (1 − β1)·g)`, then
/// `m ← β2·m + (1 − β2)·g`; with `decoupled_weight_decay` the decay is
/// `wd / init_lr` (the optimizer's starting lr).
pub fn lion(
    l: &LionSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", l.lr);
    let mut wd = hp(group, "weight_decay", l.weight_decay);
    let beta1 = hp(group, "momentum", l.betas.0);
    let beta2 = l.betas.1;
    if l.decoupled_weight_decay {
        wd /= l.lr;
    }
    let param = param.mul_scalar(1.0 - lr * wd);
    let exp_avg = state.take("exp_avg").unwrap_or_else(|| grad.zeros_like());
    let update = (exp_avg.clone().mul_scalar(beta1) + grad.clone().mul_scalar(1.0 - beta1)).sign();
    let param = param - update.mul_scalar(lr);
    state.put(
        "exp_avg",
        exp_avg.mul_scalar(beta2) + grad.mul_scalar(1.0 - beta2),
    );
    param
}
