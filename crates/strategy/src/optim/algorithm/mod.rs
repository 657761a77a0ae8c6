//! The optimizer update rules, as their reference implementations compute them
//! (PyTorch's single-tensor code, mmpretrain's LARS and Lamb, lion-pytorch's Lion):
//! same order of operations, scalar factors in f64 like Python floats, tensors in
//! f32, so trajectories match PyTorch + MMEngine.
//!
//! Parameters, gradients and state are flattened to 1-D; per-parameter norms (LARS,
//! Lamb) stay on the device as one-element tensors, so no rule waits for a read-back.
//!
//! - [`torch`]: SGD, Adam/AdamW, RMSprop, Adagrad;
//! - [`torch_more`]: Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop;
//! - [`large_batch`]: LARS, Lamb (and its global gradient-norm clip), Lion.

pub mod large_batch;
pub mod torch;
pub mod torch_more;

use burn::tensor::Tensor;

use super::config::OptimizerSpec;
use crate::base::ParamGroup;

/// The state buffers the optimizers keep, by their implementations' names.
pub const BUFFER_NAMES: &[&str] = &[
    "momentum_buffer",
    "exp_avg",
    "exp_avg_sq",
    "max_exp_avg_sq",
    "square_avg",
    "grad_avg",
    "sum",
    "acc_delta",
    "exp_inf",
    "ax",
    "prev",
    "step_size",
];

/// Scalar state PyTorch keeps as 0-d tensors (NAdam's `mu_product`, ASGD's `eta` and
/// `mu`): here host numbers, rounded to f32 as PyTorch stores them; checkpoints
/// hold them as one-element tensors.
pub const SCALAR_NAMES: &[&str] = &["mu_product", "eta", "mu"];

/// Per-parameter optimizer state (PyTorch's `optimizer.state[p]`).
#[derive(Debug, Clone, Default)]
pub struct ParamState {
    /// Steps taken (every optimizer but SGD, RMSprop and LARS counts them).
    pub step: u64,
    buffers: Vec<(&'static str, Tensor<1>)>,
    scalars: Vec<(&'static str, f64)>,
}

impl ParamState {
    /// The state's tensors by their implementation's names (`momentum_buffer`,
    /// `exp_avg`, ...), in [`BUFFER_NAMES`]' order.
    pub fn buffers(&self) -> Vec<(&'static str, &Tensor<1>)> {
        let mut out: Vec<(&'static str, &Tensor<1>)> =
            self.buffers.iter().map(|(n, t)| (*n, t)).collect();
        out.sort_by_key(|(n, _)| BUFFER_NAMES.iter().position(|b| b == n));
        out
    }

    /// The scalar state (`mu_product`, `eta`, `mu`), in [`SCALAR_NAMES`]' order.
    pub fn scalars(&self) -> Vec<(&'static str, f64)> {
        let mut out = self.scalars.clone();
        out.sort_by_key(|(n, _)| SCALAR_NAMES.iter().position(|b| b == n));
        out
    }

    /// The same state with every tensor on `device` (a data-parallel replica's).
    pub fn to_device(&self, device: &burn::tensor::Device) -> Self {
        Self {
            step: self.step,
            buffers: self
                .buffers
                .iter()
                .map(|(n, t)| (*n, t.clone().to_device(device)))
                .collect(),
            scalars: self.scalars.clone(),
        }
    }

    /// Sets the buffer called `name`; false for a name no optimizer uses.
    pub fn set_buffer(&mut self, name: &str, tensor: Tensor<1>) -> bool {
        match BUFFER_NAMES.iter().find(|n| **n == name) {
            Some(n) => {
                self.put(n, tensor);
                true
            }
            None => false,
        }
    }

    /// Sets the scalar called `name`; false for a name no optimizer uses.
    pub fn set_scalar(&mut self, name: &str, value: f64) -> bool {
        match SCALAR_NAMES.iter().find(|n| **n == name) {
            Some(n) => {
                self.put_scalar(n, value);
                true
            }
            None => false,
        }
    }

    /// Removes and returns the buffer `name`.
    pub(crate) fn take(&mut self, name: &'static str) -> Option<Tensor<1>> {
        let i = self.buffers.iter().position(|(n, _)| *n == name)?;
        Some(self.buffers.remove(i).1)
    }

    /// Stores the buffer `name` (where it was, or last).
    pub(crate) fn put(&mut self, name: &'static str, tensor: Tensor<1>) {
        match self.buffers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = tensor,
            None => self.buffers.push((name, tensor)),
        }
    }

    /// The scalar `name`, if set.
    pub(crate) fn scalar(&self, name: &str) -> Option<f64> {
        self.scalars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// Stores the scalar `name`.
    pub(crate) fn put_scalar(&mut self, name: &'static str, value: f64) {
        match self.scalars.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.scalars.push((name, value)),
        }
    }
}

/// The group's value of `key`, or `default`.
pub(crate) fn hp(group: &ParamGroup, key: &str, default: f64) -> f64 {
    group.get(key).unwrap_or(default)
}

/// `grad`, or `-grad` for `maximize`.
pub(crate) fn signed(grad: Tensor<1>, maximize: bool) -> Tensor<1> {
    if maximize { grad.neg() } else { grad }
}

/// `lerp(avg, x, w)` as PyTorch's `lerp_` computes it.
pub(crate) fn lerp(avg: Tensor<1>, x: Tensor<1>, w: f64) -> Tensor<1> {
    avg.clone() + (x - avg).mul_scalar(w)
}

/// `avg · beta + x² · (1 − beta)`.
pub(crate) fn decay_square(avg: Tensor<1>, x: &Tensor<1>, beta: f64) -> Tensor<1> {
    avg.mul_scalar(beta) + x.clone().mul(x.clone()).mul_scalar(1.0 - beta)
}

/// Adam's two moments after this gradient (Adam, NAdam, RAdam): `exp_avg` lerped
/// towards `grad` by `1 - beta1`, `exp_avg_sq` decayed by `beta2` with `grad²` added,
/// each starting at zero.
pub(crate) fn adam_moments(
    state: &mut ParamState,
    grad: &Tensor<1>,
    beta1: f64,
    beta2: f64,
) -> (Tensor<1>, Tensor<1>) {
    let zeros = || grad.zeros_like();
    let exp_avg = lerp(
        state.take("exp_avg").unwrap_or_else(zeros),
        grad.clone(),
        1.0 - beta1,
    );
    let exp_avg_sq = decay_square(state.take("exp_avg_sq").unwrap_or_else(zeros), grad, beta2);
    (exp_avg, exp_avg_sq)
}

/// Weight decay the Adam way (`grad + wd·p`) or AdamW's (`p·(1 − lr·wd)`).
pub(crate) fn weight_decay(
    param: Tensor<1>,
    grad: Tensor<1>,
    lr: f64,
    wd: f64,
    decoupled: bool,
) -> (Tensor<1>, Tensor<1>) {
    if wd == 0.0 {
        (param, grad)
    } else if decoupled {
        (param.mul_scalar(1.0 - lr * wd), grad)
    } else {
        let grad = grad + param.clone().mul_scalar(wd);
        (param, grad)
    }
}

/// Rounds to the nearest f32, as a value PyTorch keeps in a float32 0-d tensor.
pub(crate) fn f32_round(v: f64) -> f64 {
    f64::from(v as f32)
}

/// One update of `param` (flattened) with gradient `grad` under `spec` and the group's
/// current hyper-parameters (`lr`, `momentum`, `weight_decay`, as schedulers left them).
/// Lamb's gradient must already be divided by its global clip
/// ([`large_batch::lamb_clip`]), as the wrapper does before the step.
pub fn update(
    spec: &OptimizerSpec,
    group: &ParamGroup,
    state: &mut ParamState,
    param: Tensor<1>,
    grad: Tensor<1>,
) -> Tensor<1> {
    match spec {
        OptimizerSpec::SGD(s) => torch::sgd(s, group, state, param, grad),
        OptimizerSpec::Adam(a) => {
            torch::adam(a, a.decoupled_weight_decay, group, state, param, grad)
        }
        OptimizerSpec::AdamW(a) => torch::adam(a, true, group, state, param, grad),
        OptimizerSpec::RMSprop(r) => torch::rmsprop(r, group, state, param, grad),
        OptimizerSpec::Adagrad(a) => torch::adagrad(a, group, state, param, grad),
        OptimizerSpec::Adadelta(a) => torch_more::adadelta(a, group, state, param, grad),
        OptimizerSpec::Adamax(a) => torch_more::adamax(a, group, state, param, grad),
        OptimizerSpec::NAdam(n) => torch_more::nadam(n, group, state, param, grad),
        OptimizerSpec::RAdam(n) => torch_more::radam(n, group, state, param, grad),
        OptimizerSpec::ASGD(a) => torch_more::asgd(a, group, state, param, grad),
        OptimizerSpec::Rprop(r) => torch_more::rprop(r, group, state, param, grad),
        OptimizerSpec::LARS(l) => large_batch::lars(l, group, state, param, grad),
        OptimizerSpec::Lamb(l) => large_batch::lamb(l, group, state, param, grad),
        OptimizerSpec::Lion(l) => large_batch::lion(l, group, state, param, grad),
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
