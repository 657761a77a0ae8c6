//! PyTorch's classic update rules: SGD, Adam/AdamW, RMSprop, Adagrad.

use burn::tensor::Tensor;

use super::{ParamState, adam_moments, decay_square, hp, lerp, signed, weight_decay};
use crate::base::ParamGroup;
use crate::optim::config::{AdagradSpec, AdamSpec, RmspropSpec, SgdSpec};

/// `torch.optim.SGD`.
pub fn sgd(
    s: &SgdSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", s.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let momentum = hp(group, "momentum", s.momentum);
    let mut d_p = signed(grad, s.maximize);
    if wd != 0.0 {
        d_p = d_p + param.clone().mul_scalar(wd);
    }
    if momentum != 0.0 {
        let buf = match state.take("momentum_buffer") {
            None => d_p.clone(),
            Some(buf) => buf.mul_scalar(momentum) + d_p.clone().mul_scalar(1.0 - s.dampening),
        };
        state.put("momentum_buffer", buf.clone());
        d_p = if s.nesterov {
            d_p + buf.mul_scalar(momentum)
        } else {
            buf
        };
    }
    param - d_p.mul_scalar(lr)
}

/// `torch.optim.Adam` (`decoupled`: AdamW, or Adam's `decoupled_weight_decay`).
pub fn adam(
    a: &AdamSpec,
    decoupled: bool,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", a.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let beta1 = hp(group, "momentum", a.betas.0);
    let beta2 = a.betas.1;
    let grad = signed(grad, a.maximize);
    state.step += 1;
    let (param, grad) = weight_decay(param, grad, lr, wd, decoupled);
    let (exp_avg, exp_avg_sq) = adam_moments(state, &grad, beta1, beta2);
    let step = state.step as i32;
    let bias_correction1 = 1.0 - beta1.powi(step);
    let bias_correction2 = 1.0 - beta2.powi(step);
    let step_size = lr / bias_correction1;
    let bias_correction2_sqrt = bias_correction2.sqrt();
    let second = if a.amsgrad {
        let max = match state.take("max_exp_avg_sq") {
            None => exp_avg_sq.clone(),
            Some(m) => m.max_pair(exp_avg_sq.clone()),
        };
        state.put("max_exp_avg_sq", max.clone());
        max
    } else {
        exp_avg_sq.clone()
    };
    let denom = second
        .sqrt()
        .div_scalar(bias_correction2_sqrt)
        .add_scalar(a.eps);
    let update = exp_avg.clone().div(denom).mul_scalar(step_size);
    state.put("exp_avg", exp_avg);
    state.put("exp_avg_sq", exp_avg_sq);
    param - update
}

/// `torch.optim.RMSprop`.
pub fn rmsprop(
    r: &RmspropSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", r.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let momentum = hp(group, "momentum", r.momentum);
    let (param, grad) = weight_decay(param, signed(grad, r.maximize), lr, wd, false);
    let zeros = || grad.zeros_like();
    let square_avg = decay_square(
        state.take("square_avg").unwrap_or_else(zeros),
        &grad,
        r.alpha,
    );
    let avg = if r.centered {
        let grad_avg = lerp(
            state.take("grad_avg").unwrap_or_else(zeros),
            grad.clone(),
            1.0 - r.alpha,
        );
        let avg = (square_avg.clone() - grad_avg.clone().mul(grad_avg.clone()))
            .sqrt()
            .add_scalar(r.eps);
        state.put("grad_avg", grad_avg);
        avg
    } else {
        square_avg.clone().sqrt().add_scalar(r.eps)
    };
    state.put("square_avg", square_avg);
    if momentum > 0.0 {
        let buf = state
            .take("momentum_buffer")
            .unwrap_or_else(|| grad.zeros_like());
        let buf = buf.mul_scalar(momentum) + grad.div(avg);
        state.put("momentum_buffer", buf.clone());
        param - buf.mul_scalar(lr)
    } else {
        param - grad.div(avg).mul_scalar(lr)
    }
}

/// `torch.optim.Adagrad`.
pub fn adagrad(
    a: &AdagradSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", a.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let mut grad = signed(grad, a.maximize);
    state.step += 1;
    if wd != 0.0 {
        grad = grad + param.clone().mul_scalar(wd);
    }
    let clr = lr / (1.0 + (state.step - 1) as f64 * a.lr_decay);
    let sum = state
        .take("sum")
        .unwrap_or_else(|| grad.zeros_like().add_scalar(a.initial_accumulator_value));
    let sum = sum + grad.clone().mul(grad.clone());
    let std = sum.clone().sqrt().add_scalar(a.eps);
    state.put("sum", sum);
    param - grad.div(std).mul_scalar(clr)
}
