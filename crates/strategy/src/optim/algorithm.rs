//! The optimizer update rules, as PyTorch's single-tensor implementations compute
//! them (same order of operations; scalar factors in f64 like Python floats, tensors
//! in f32), so trajectories match PyTorch + MMEngine.
//!
//! Parameters, gradients and state are flattened to 1-D: every rule is elementwise.

use burn::tensor::Tensor;

use super::config::OptimizerSpec;
use crate::base::ParamGroup;

/// Per-parameter optimizer state (PyTorch's `optimizer.state[p]`).
#[derive(Debug, Clone, Default)]
pub struct ParamState {
    /// Steps taken (Adam, AdamW, Adagrad).
    pub step: u64,
    /// SGD/RMSprop momentum buffer.
    pub momentum_buffer: Option<Tensor<1>>,
    /// Adam's first moment.
    pub exp_avg: Option<Tensor<1>>,
    /// Adam's second moment.
    pub exp_avg_sq: Option<Tensor<1>>,
    /// AMSGrad's running maximum of the second moment.
    pub max_exp_avg_sq: Option<Tensor<1>>,
    /// RMSprop's running average of squared gradients.
    pub square_avg: Option<Tensor<1>>,
    /// Centered RMSprop's running average of gradients.
    pub grad_avg: Option<Tensor<1>>,
    /// Adagrad's running sum of squared gradients.
    pub sum: Option<Tensor<1>>,
}

impl ParamState {
    /// The state's tensors by PyTorch's names (`momentum_buffer`, `exp_avg`, ...).
    pub fn buffers(&self) -> Vec<(&'static str, &Tensor<1>)> {
        [
            ("momentum_buffer", &self.momentum_buffer),
            ("exp_avg", &self.exp_avg),
            ("exp_avg_sq", &self.exp_avg_sq),
            ("max_exp_avg_sq", &self.max_exp_avg_sq),
            ("square_avg", &self.square_avg),
            ("grad_avg", &self.grad_avg),
            ("sum", &self.sum),
        ]
        .into_iter()
        .filter_map(|(name, t)| t.as_ref().map(|t| (name, t)))
        .collect()
    }

    /// The same state with every tensor on `device` (a data-parallel replica's).
    pub fn to_device(&self, device: &burn::tensor::Device) -> Self {
        let mut out = Self {
            step: self.step,
            ..Self::default()
        };
        for (name, t) in self.buffers() {
            out.set_buffer(name, t.clone().to_device(device));
        }
        out
    }

    /// Sets the buffer PyTorch calls `name`; false for a name no optimizer uses.
    pub fn set_buffer(&mut self, name: &str, tensor: Tensor<1>) -> bool {
        let slot = match name {
            "momentum_buffer" => &mut self.momentum_buffer,
            "exp_avg" => &mut self.exp_avg,
            "exp_avg_sq" => &mut self.exp_avg_sq,
            "max_exp_avg_sq" => &mut self.max_exp_avg_sq,
            "square_avg" => &mut self.square_avg,
            "grad_avg" => &mut self.grad_avg,
            "sum" => &mut self.sum,
            _ => return false,
        };
        *slot = Some(tensor);
        true
    }
}

fn hp(group: &ParamGroup, key: &str, default: f64) -> f64 {
    group.get(key).unwrap_or(default)
}

/// One update of `param` (flattened) with gradient `grad` under `spec` and the group's
/// current hyper-parameters (`lr`, `momentum`, `weight_decay`, as schedulers left them).
pub fn update(
    spec: &OptimizerSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    let lr = hp(group, "lr", spec.lr());
    let wd = hp(group, "weight_decay", 0.0);
    match spec {
        OptimizerSpec::SGD(s) => {
            let momentum = hp(group, "momentum", s.momentum);
            let mut d_p = if s.maximize { grad.neg() } else { grad };
            if wd != 0.0 {
                d_p = d_p + param.clone().mul_scalar(wd);
            }
            if momentum != 0.0 {
                let buf = match state.momentum_buffer.take() {
                    None => d_p.clone(),
                    Some(buf) => {
                        buf.mul_scalar(momentum) + d_p.clone().mul_scalar(1.0 - s.dampening)
                    }
                };
                state.momentum_buffer = Some(buf.clone());
                d_p = if s.nesterov {
                    d_p + buf.mul_scalar(momentum)
                } else {
                    buf
                };
            }
            param - d_p.mul_scalar(lr)
        }
        OptimizerSpec::Adam(a) | OptimizerSpec::AdamW(a) => {
            let decoupled = matches!(spec, OptimizerSpec::AdamW(_));
            let beta1 = hp(group, "momentum", a.betas.0);
            let beta2 = a.betas.1;
            let mut grad = if a.maximize { grad.neg() } else { grad };
            state.step += 1;
            let mut param = param;
            if wd != 0.0 {
                if decoupled {
                    param = param.mul_scalar(1.0 - lr * wd);
                } else {
                    grad = grad + param.clone().mul_scalar(wd);
                }
            }
            let zeros = || grad.zeros_like();
            let exp_avg = state.exp_avg.take().unwrap_or_else(zeros);
            // lerp(exp_avg, grad, 1 - beta1)
            let exp_avg = exp_avg.clone() + (grad.clone() - exp_avg).mul_scalar(1.0 - beta1);
            let exp_avg_sq = state.exp_avg_sq.take().unwrap_or_else(zeros);
            let exp_avg_sq = exp_avg_sq.mul_scalar(beta2)
                + grad.clone().mul(grad.clone()).mul_scalar(1.0 - beta2);
            let step = state.step as i32;
            let bias_correction1 = 1.0 - beta1.powi(step);
            let bias_correction2 = 1.0 - beta2.powi(step);
            let step_size = lr / bias_correction1;
            let bias_correction2_sqrt = bias_correction2.sqrt();
            let second = if a.amsgrad {
                let max = match state.max_exp_avg_sq.take() {
                    None => exp_avg_sq.clone(),
                    Some(m) => m.max_pair(exp_avg_sq.clone()),
                };
                state.max_exp_avg_sq = Some(max.clone());
                max
            } else {
                exp_avg_sq.clone()
            };
            let denom = second
                .sqrt()
                .div_scalar(bias_correction2_sqrt)
                .add_scalar(a.eps);
            let update = exp_avg.clone().div(denom).mul_scalar(step_size);
            state.exp_avg = Some(exp_avg);
            state.exp_avg_sq = Some(exp_avg_sq);
            param - update
        }
        OptimizerSpec::RMSprop(r) => {
            let momentum = hp(group, "momentum", r.momentum);
            let mut grad = if r.maximize { grad.neg() } else { grad };
            if wd != 0.0 {
                grad = grad + param.clone().mul_scalar(wd);
            }
            let square_avg = state.square_avg.take().unwrap_or_else(|| grad.zeros_like());
            let square_avg = square_avg.mul_scalar(r.alpha)
                + grad.clone().mul(grad.clone()).mul_scalar(1.0 - r.alpha);
            let avg = if r.centered {
                let grad_avg = state.grad_avg.take().unwrap_or_else(|| grad.zeros_like());
                let grad_avg =
                    grad_avg.clone() + (grad.clone() - grad_avg).mul_scalar(1.0 - r.alpha);
                let avg = (square_avg.clone() - grad_avg.clone().mul(grad_avg.clone()))
                    .sqrt()
                    .add_scalar(r.eps);
                state.grad_avg = Some(grad_avg);
                avg
            } else {
                square_avg.clone().sqrt().add_scalar(r.eps)
            };
            state.square_avg = Some(square_avg);
            if momentum > 0.0 {
                let buf = state
                    .momentum_buffer
                    .take()
                    .unwrap_or_else(|| grad.zeros_like());
                let buf = buf.mul_scalar(momentum) + grad.div(avg);
                state.momentum_buffer = Some(buf.clone());
                param - buf.mul_scalar(lr)
            } else {
                param - grad.div(avg).mul_scalar(lr)
            }
        }
        OptimizerSpec::Adagrad(a) => {
            let mut grad = if a.maximize { grad.neg() } else { grad };
            state.step += 1;
            if wd != 0.0 {
                grad = grad + param.clone().mul_scalar(wd);
            }
            let clr = lr / (1.0 + (state.step - 1) as f64 * a.lr_decay);
            let sum = state
                .sum
                .take()
                .unwrap_or_else(|| grad.zeros_like().add_scalar(a.initial_accumulator_value));
            let sum = sum + grad.clone().mul(grad.clone());
            let std = sum.clone().sqrt().add_scalar(a.eps);
            state.sum = Some(sum);
            param - grad.div(std).mul_scalar(clr)
        }
    }
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use burn::tensor::Device;
    use serde_json::json;

    use super::*;
    use crate::base::KeyPath;
    use crate::optim::optimizer_registry;

    fn step(optimizer: serde_json::Value) -> Vec<f32> {
        let spec = optimizer_registry()
            .build(&optimizer, &KeyPath::root())
            .expect("an optimizer");
        let device = Device::flex();
        let param = Tensor::<1>::from_floats([1.0, -2.0], &device);
        let grad = Tensor::<1>::from_floats([0.5, 0.25], &device);
        let mut state = ParamState::default();
        update(&spec, &spec.initial_group(), &mut state, param, grad)
            .into_data()
            .try_to_vec()
            .expect("f32 values")
    }

    /// PyTorch's `maximize` negates the gradient before everything else, so plain
    /// SGD climbs it: `p + lr * g` (weight decay then still pulls towards 0).
    #[test]
    fn maximize_climbs_the_gradient() {
        let down = step(json!({"type": "SGD", "lr": 0.1}));
        let up = step(json!({"type": "SGD", "lr": 0.1, "maximize": true}));
        let close =
            |got: &[f32], want: [f32; 2]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6);
        assert!(close(&down, [0.95, -2.025]), "{down:?}");
        assert!(close(&up, [1.05, -1.975]), "{up:?}");
        let up_wd = step(json!({"type": "SGD", "lr": 0.1, "maximize": true, "weight_decay": 0.5}));
        // d_p = -g + 0.5 p = [0.0, -1.25] → p - 0.1 d_p
        assert!(close(&up_wd, [1.0, -1.875]), "{up_wd:?}");
    }
}
