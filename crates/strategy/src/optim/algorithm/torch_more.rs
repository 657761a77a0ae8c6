//! The rest of `torch.optim`'s single-tensor rules: Adadelta, Adamax, NAdam, RAdam,
//! ASGD and Rprop (PyTorch 2.15).

use burn::tensor::Tensor;

use super::{ParamState, adam_moments, decay_square, f32_round, hp, lerp, signed, weight_decay};
use crate::base::ParamGroup;
use crate::optim::config::{AdadeltaSpec, AdamaxSpec, AsgdSpec, NadamSpec, RpropSpec};

/// `torch.optim.Adadelta`.
pub fn adadelta(
    a: &AdadeltaSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", a.lr);
    let wd = hp(group, "weight_decay", 0.0);
    state.step += 1;
    let mut grad = signed(grad, a.maximize);
    if wd != 0.0 {
        grad = grad + param.clone().mul_scalar(wd);
    }
    let zeros = || grad.zeros_like();
    let square_avg = decay_square(state.take("square_avg").unwrap_or_else(zeros), &grad, a.rho);
    let acc_delta = state.take("acc_delta").unwrap_or_else(zeros);
    let std = square_avg.clone().add_scalar(a.eps).sqrt();
    let delta = acc_delta
        .clone()
        .add_scalar(a.eps)
        .sqrt()
        .div(std)
        .mul(grad);
    let acc_delta = decay_square(acc_delta, &delta, a.rho);
    state.put("square_avg", square_avg);
    state.put("acc_delta", acc_delta);
    param - delta.mul_scalar(lr)
}

/// `torch.optim.Adamax`.
pub fn adamax(
    a: &AdamaxSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", a.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let beta1 = hp(group, "momentum", a.betas.0);
    let beta2 = a.betas.1;
    let mut grad = signed(grad, a.maximize);
    state.step += 1;
    if wd != 0.0 {
        grad = grad + param.clone().mul_scalar(wd);
    }
    let zeros = || grad.zeros_like();
    let exp_avg = lerp(
        state.take("exp_avg").unwrap_or_else(zeros),
        grad.clone(),
        1.0 - beta1,
    );
    let exp_inf = state
        .take("exp_inf")
        .unwrap_or_else(zeros)
        .mul_scalar(beta2)
        .max_pair(grad.abs().add_scalar(a.eps));
    let clr = lr / (1.0 - beta1.powi(state.step as i32));
    let updated = param - exp_avg.clone().div(exp_inf.clone()).mul_scalar(clr);
    state.put("exp_avg", exp_avg);
    state.put("exp_inf", exp_inf);
    updated
}

/// `torch.optim.NAdam`: `mu_product` is a float32 0-d tensor in PyTorch, so it is
/// rounded to f32 after every product here too.
pub fn nadam(
    n: &NadamSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", n.lr.unwrap_or(2e-3));
    let wd = hp(group, "weight_decay", 0.0);
    let beta1 = hp(group, "momentum", n.betas.0);
    let beta2 = n.betas.1;
    let grad = signed(grad, n.maximize);
    state.step += 1;
    let step = state.step as f64;
    let bias_correction2 = 1.0 - beta2.powf(step);
    let (param, grad) = weight_decay(param, grad, lr, wd, n.decoupled_weight_decay);
    let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(step * n.momentum_decay));
    let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * n.momentum_decay));
    let mu_product = f32_round(state.scalar("mu_product").unwrap_or(1.0) * mu);
    state.put_scalar("mu_product", mu_product);
    let (exp_avg, exp_avg_sq) = adam_moments(state, &grad, beta1, beta2);
    let denom = exp_avg_sq
        .clone()
        .div_scalar(bias_correction2)
        .sqrt()
        .add_scalar(n.eps);
    let mu_product_next = mu_product * mu_next;
    let updated = param
        + grad
            .div(denom.clone())
            .mul_scalar(-lr * (1.0 - mu) / (1.0 - mu_product))
        + exp_avg
            .clone()
            .div(denom)
            .mul_scalar((-lr * mu_next) / (1.0 - mu_product_next));
    state.put("exp_avg", exp_avg);
    state.put("exp_avg_sq", exp_avg_sq);
    updated
}

/// `torch.optim.RAdam`.
pub fn radam(
    n: &NadamSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", n.lr.unwrap_or(1e-3));
    let wd = hp(group, "weight_decay", 0.0);
    let beta1 = hp(group, "momentum", n.betas.0);
    let beta2 = n.betas.1;
    let grad = signed(grad, n.maximize);
    state.step += 1;
    let step = state.step as f64;
    let (param, grad) = weight_decay(param, grad, lr, wd, n.decoupled_weight_decay);
    let (exp_avg, exp_avg_sq) = adam_moments(state, &grad, beta1, beta2);
    let bias_correction1 = 1.0 - beta1.powf(step);
    let bias_correction2 = 1.0 - beta2.powf(step);
    let corrected = exp_avg.clone().div_scalar(bias_correction1);
    let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
    let update = if rho_t > 5.0 {
        let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            .powf(0.5);
        let adaptive = exp_avg_sq
            .clone()
            .sqrt()
            .add_scalar(n.eps)
            .recip()
            .mul_scalar(bias_correction2.powf(0.5));
        corrected.mul_scalar(lr).mul(adaptive).mul_scalar(rect)
    } else {
        corrected.mul_scalar(lr)
    };
    state.put("exp_avg", exp_avg);
    state.put("exp_avg_sq", exp_avg_sq);
    param - update
}

/// `torch.optim.ASGD`: `eta` and `mu` are float32 0-d tensors in PyTorch (rounded
/// here too); `ax`, the average, is kept (and saved) but does not change the
/// parameters, as in PyTorch.
pub fn asgd(
    a: &AsgdSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", a.lr);
    let wd = hp(group, "weight_decay", 0.0);
    let mut grad = signed(grad, a.maximize);
    // PyTorch's state starts from the group's lr when the parameter is first seen.
    let eta = state.scalar("eta").unwrap_or_else(|| f32_round(lr));
    let mu = state.scalar("mu").unwrap_or(1.0);
    state.step += 1;
    if wd != 0.0 {
        grad = grad + param.clone().mul_scalar(wd);
    }
    let param = param.mul_scalar(1.0 - a.lambd * eta) - grad.mul_scalar(eta);
    let ax = match state.take("ax") {
        Some(ax) if mu != 1.0 => ax.clone() + (param.clone() - ax).mul_scalar(mu),
        _ => param.clone(),
    };
    state.put("ax", ax);
    let step = state.step as f64;
    state.put_scalar(
        "eta",
        f32_round(lr / (1.0 + a.lambd * lr * step).powf(a.alpha)),
    );
    state.put_scalar("mu", f32_round(1.0 / (step - a.t0).max(1.0)));
    param
}

/// `torch.optim.Rprop` (no weight decay, as PyTorch; the lr only seeds the step
/// sizes).
pub fn rprop(
    r: &RpropSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let (etaminus, etaplus) = r.etas;
    let (step_min, step_max) = r.step_sizes;
    let grad = signed(grad, r.maximize);
    let lr = hp(group, "lr", r.lr);
    state.step += 1;
    let prev = state.take("prev").unwrap_or_else(|| grad.zeros_like());
    let step_size = state
        .take("step_size")
        .unwrap_or_else(|| grad.zeros_like().add_scalar(lr));
    let sign = grad.clone().mul(prev).sign();
    // A sign change (negative product): shrink the step and skip this element.
    let changed = sign.clone().lower_elem(0.0);
    let factor = sign
        .clone()
        .mask_fill(sign.clone().greater_elem(0.0), etaplus)
        .mask_fill(changed.clone(), etaminus)
        .mask_fill(sign.equal_elem(0.0), 1.0);
    let step_size = step_size.mul(factor).clamp(step_min, step_max);
    let grad = grad.mask_fill(changed, 0.0);
    let updated = param - grad.clone().sign().mul(step_size.clone());
    state.put("prev", grad);
    state.put("step_size", step_size);
    updated
}
