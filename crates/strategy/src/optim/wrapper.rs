//! `OptimWrapper`: MMEngine's wrapper around one optimizer, on burn modules:
//! parameter groups (with `paramwise_cfg`), gradient accumulation with MMEngine's loss
//! scaling and remainder rule, gradient clipping, and the update itself.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Tensor};

use super::algorithm::{ParamState, update};
use super::config::{ClipGrad, OptimWrapperSpec};
use crate::base::ParamGroup;

/// A parameter as the wrapper sees it: its id, its dotted name, its rank, whether it
/// belongs to a normalisation layer, and whether to a depthwise convolution.
#[derive(Debug, Clone)]
struct ParamInfo {
    id: ParamId,
    name: String,
    ndim: usize,
    in_norm: bool,
    in_dwconv: bool,
}

/// Collects every float parameter's name (`layers.0.weight`) in module order.
#[derive(Default)]
struct Names {
    path: Vec<String>,
    containers: Vec<String>,
    params: Vec<ParamInfo>,
    dwconv_modules: Vec<String>,
}

impl ModuleVisitor for Names {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // The innermost container is the module that owns the parameter.
        let owner = self
            .containers
            .iter()
            .rev()
            .find(|c| c.starts_with("Struct:"))
            .map(String::as_str)
            .unwrap_or("");
        let in_norm = [
            "BatchNorm",
            "LayerNorm",
            "GroupNorm",
            "InstanceNorm",
            "RmsNorm",
        ]
        .iter()
        .any(|n| owner.contains(n));
        let name = self.path.join(".");
        // MMEngine's test: `isinstance(m, nn.Conv2d) and m.in_channels == m.groups`.
        // A Conv2d weight is `[out, in / groups, k, k]`, so that is `shape[1] == 1`;
        // the bias belongs to the same module and is marked from its weight.
        let module = name.rsplit_once('.').map_or("", |(m, _)| m).to_string();
        let in_dwconv = owner.contains("Conv2d")
            && ((D == 4 && param.val().dims()[1] == 1) || self.dwconv_modules.contains(&module));
        if in_dwconv && D == 4 {
            self.dwconv_modules.push(module);
        }
        self.params.push(ParamInfo {
            id: param.id,
            name,
            ndim: D,
            in_norm,
            in_dwconv,
        });
    }
}

/// Reads each parameter's gradient out of `grads`, flattened.
struct GradReader<'a> {
    grads: &'a Gradients,
    out: Vec<(ParamId, Tensor<1>)>,
}

impl ModuleVisitor for GradReader<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = param.val().grad(self.grads) {
            let n = g.shape().num_elements();
            self.out.push((param.id, g.reshape([n])));
        }
    }
}

/// Applies the optimizer to every parameter with an accumulated gradient.
struct Stepper<'a> {
    wrapper: &'a mut OptimWrapper,
    grads: HashMap<ParamId, Tensor<1>>,
}

impl ModuleMapper for Stepper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove(&id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let n = shape.num_elements();
        let flat = tensor.inner().reshape([n]);
        let group = self.wrapper.assignment.get(&id).copied().unwrap_or(0);
        let state = self.wrapper.state.entry(id).or_default();
        let updated = update(
            &self.wrapper.spec.optimizer,
            &self.wrapper.groups[group],
            state,
            flat,
            grad,
        );
        let mut updated: Tensor<D> = Tensor::from_inner(updated.reshape(shape));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

/// One optimizer with MMEngine's wrapper behaviour.
#[derive(Debug)]
pub struct OptimWrapper {
    /// The configuration it was built from.
    pub spec: OptimWrapperSpec,
    /// The parameter groups; schedulers drive their `lr`, `momentum`, `weight_decay`.
    pub groups: Vec<ParamGroup>,
    /// The parameter names of each group (module order).
    pub group_params: Vec<Vec<String>>,
    assignment: HashMap<ParamId, usize>,
    names: Vec<(ParamId, String)>,
    state: HashMap<ParamId, ParamState>,
    accumulated: HashMap<ParamId, Tensor<1>>,
    inner_count: i64,
    max_counts: i64,
    remainder_counts: i64,
    /// The total gradient norm of the last clipped update (`grad_norm` in the logs),
    /// still on the device.
    pub last_grad_norm: Option<Tensor<1>>,
}

impl OptimWrapper {
    /// Builds the wrapper for `module` as MMEngine's `DefaultOptimWrapperConstructor`
    /// does: one group for every parameter without `paramwise_cfg`, otherwise one group
    /// per parameter with its multipliers applied.
    pub fn new<M: Module>(spec: OptimWrapperSpec, module: &M) -> Self {
        let mut names = Names::default();
        module.visit(&mut names);
        let base = spec.optimizer.initial_group();
        let base_lr = base.get("lr").unwrap_or(0.0);
        let base_wd = base.get("weight_decay").unwrap_or(0.0);
        let mut groups = Vec::new();
        let mut group_params = Vec::new();
        let mut assignment = HashMap::new();
        match &spec.paramwise_cfg {
            None => {
                groups.push(base.clone());
                group_params.push(names.params.iter().map(|p| p.name.clone()).collect());
                for p in &names.params {
                    assignment.insert(p.id, 0);
                }
            }
            Some(cfg) => {
                let mut keys: Vec<&String> = cfg.custom_keys.keys().collect();
                keys.sort();
                keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
                for p in &names.params {
                    let mut group = base.clone();
                    let full = format!(".{}", p.name);
                    let local = p.name.rsplit('.').next().unwrap_or(&p.name);
                    if let Some(key) = keys.iter().find(|k| full.contains(k.as_str())) {
                        let custom = &cfg.custom_keys[*key];
                        group.set("lr", base_lr * custom.lr_mult.unwrap_or(1.0));
                        group.set("weight_decay", base_wd * custom.decay_mult.unwrap_or(1.0));
                    } else {
                        let is_bias = local == "bias";
                        if let (true, false, Some(m)) = (is_bias, p.in_norm, cfg.bias_lr_mult) {
                            group.set("lr", base_lr * m);
                        }
                        let wd_mult = match () {
                            _ if p.in_norm && cfg.norm_decay_mult.is_some() => cfg.norm_decay_mult,
                            _ if p.in_dwconv && cfg.dwconv_decay_mult.is_some() => {
                                cfg.dwconv_decay_mult
                            }
                            _ if is_bias && cfg.bias_decay_mult.is_some() => cfg.bias_decay_mult,
                            _ if p.ndim == 1 && cfg.flat_decay_mult.is_some() => {
                                cfg.flat_decay_mult
                            }
                            _ => None,
                        };
                        if let Some(m) = wd_mult {
                            group.set("weight_decay", base_wd * m);
                        }
                    }
                    assignment.insert(p.id, groups.len());
                    groups.push(group);
                    group_params.push(vec![p.name.clone()]);
                }
            }
        }
        Self {
            spec,
            groups,
            group_params,
            assignment,
            names: names
                .params
                .iter()
                .map(|p| (p.id, p.name.clone()))
                .collect(),
            state: HashMap::new(),
            accumulated: HashMap::new(),
            inner_count: 0,
            max_counts: -1,
            remainder_counts: -1,
            last_grad_norm: None,
        }
    }

    /// MMEngine's `initialize_count_status`: where the run starts and how long it is,
    /// so the last `max_counts % accumulative_counts` iterations divide by the remainder.
    pub fn initialize_count_status(&mut self, init_counts: i64, max_counts: i64) {
        self.inner_count = init_counts;
        self.max_counts = max_counts;
        self.remainder_counts = max_counts % i64::from(self.spec.accumulative_counts);
    }

    /// Backward passes taken so far.
    pub fn inner_count(&self) -> i64 {
        self.inner_count
    }

    /// The divisor MMEngine's `scale_loss` applies to the next loss.
    pub fn loss_factor(&self) -> f64 {
        let acc = i64::from(self.spec.accumulative_counts);
        if acc == 1 {
            1.0
        } else if self.max_counts == -1
            || self.inner_count < self.max_counts - self.remainder_counts
        {
            acc as f64
        } else {
            self.remainder_counts as f64
        }
    }

    /// Whether the backward just taken completes an accumulation window.
    pub fn should_update(&self) -> bool {
        self.inner_count % i64::from(self.spec.accumulative_counts) == 0
            || self.inner_count == self.max_counts
    }

    /// Scales `loss`, back-propagates it through `module` and adds the gradients to the
    /// ones accumulated since the last update.
    pub fn backward<M: Module>(&mut self, loss: Tensor<1>, module: &M) {
        let factor = self.loss_factor();
        let loss = if factor == 1.0 {
            loss
        } else {
            loss.div_scalar(factor)
        };
        let grads = loss.backward();
        let mut reader = GradReader {
            grads: &grads,
            out: Vec::new(),
        };
        module.visit(&mut reader);
        for (id, g) in reader.out {
            let sum = match self.accumulated.remove(&id) {
                Some(acc) => acc + g,
                None => g,
            };
            self.accumulated.insert(id, sum);
        }
        self.inner_count += 1;
    }

    /// Clips the accumulated gradients (if configured), updates every parameter and
    /// zeroes the gradients.
    pub fn step<M: Module>(&mut self, module: M) -> M {
        let mut grads = std::mem::take(&mut self.accumulated);
        if let Some(clip) = self.spec.clip_grad.clone() {
            self.last_grad_norm = clip_grads(&mut grads, &clip);
        }
        let mut stepper = Stepper {
            wrapper: self,
            grads,
        };
        module.map(&mut stepper)
    }

    /// `update_params`: backward, then step and zero_grad when an accumulation window
    /// completes. Returns the (possibly updated) module.
    pub fn update_params<M: Module>(&mut self, loss: Tensor<1>, module: M) -> M {
        self.backward(loss, &module);
        if self.should_update() {
            self.step(module)
        } else {
            module
        }
    }

    /// `zero_grad`: drops the gradients accumulated since the last step.
    pub fn zero_grad(&mut self) {
        self.accumulated.clear();
    }

    /// The optimizer state (PyTorch's `optimizer.state`), by parameter name, on the
    /// device: `(name, steps, [(buffer name, tensor)])`, in module order.
    pub fn state_tensors(&self) -> Vec<(String, u64, Vec<(&'static str, Tensor<1>)>)> {
        self.names
            .iter()
            .filter_map(|(id, name)| {
                self.state.get(id).map(|s| {
                    let buffers = s
                        .buffers()
                        .into_iter()
                        .map(|(b, t)| (b, t.clone()))
                        .collect();
                    (name.clone(), s.step, buffers)
                })
            })
            .collect()
    }

    /// Restores one parameter's optimizer state by name, on `device`. Errors name the
    /// parameter or buffer that does not fit.
    pub fn load_param_state(
        &mut self,
        name: &str,
        step: u64,
        buffers: &[(String, Vec<f32>)],
        device: &burn::tensor::Device,
    ) -> Result<(), String> {
        let Some((id, _)) = self.names.iter().find(|(_, n)| n == name) else {
            return Err(format!("the model has no parameter `{name}`"));
        };
        let id = *id;
        let mut state = ParamState {
            step,
            ..ParamState::default()
        };
        for (buffer, values) in buffers {
            let t = Tensor::<1>::from_floats(values.as_slice(), device);
            if !state.set_buffer(buffer, t) {
                return Err(format!("`{name}`: unknown optimizer buffer `{buffer}`"));
            }
        }
        self.state.insert(id, state);
        Ok(())
    }

    /// Sets the accumulation counter (resuming).
    pub fn set_inner_count(&mut self, count: i64) {
        self.inner_count = count;
    }

    /// `get_lr`: the lr of every group.
    pub fn get_lr(&self) -> Vec<f64> {
        self.groups
            .iter()
            .map(|g| g.get("lr").unwrap_or(0.0))
            .collect()
    }

    /// `get_momentum`: SGD/RMSprop momentum or Adam's beta1 per group, 0 without one.
    pub fn get_momentum(&self) -> Vec<f64> {
        self.groups
            .iter()
            .map(|g| g.get("momentum").unwrap_or(0.0))
            .collect()
    }
}

/// `clip_grad_norm_` / `clip_grad_value_` over all gradients; returns the total norm
/// (on the device: clipping never waits for a read-back).
///
/// As PyTorch: per-tensor norms, the norm of those norms, then
/// `coef = clamp(max_norm / (total + 1e-6), max = 1)`, all in f32.
fn clip_grads(grads: &mut HashMap<ParamId, Tensor<1>>, clip: &ClipGrad) -> Option<Tensor<1>> {
    match *clip {
        ClipGrad::Value { clip_value } => {
            for g in grads.values_mut() {
                *g = g.clone().clamp(-clip_value, clip_value);
            }
            None
        }
        ClipGrad::Norm {
            max_norm,
            norm_type,
        } => {
            if grads.is_empty() {
                return None;
            }
            let norms: Vec<Tensor<1>> = grads
                .values()
                .map(|g| {
                    let g = g.clone().abs();
                    if norm_type.is_infinite() {
                        g.max()
                    } else {
                        g.powf_scalar(norm_type).sum().powf_scalar(1.0 / norm_type)
                    }
                })
                .collect();
            let norms = Tensor::cat(norms, 0);
            let total = if norm_type.is_infinite() {
                norms.max()
            } else {
                norms
                    .powf_scalar(norm_type)
                    .sum()
                    .powf_scalar(1.0 / norm_type)
            };
            let coef = total
                .clone()
                .add_scalar(1e-6)
                .recip()
                .mul_scalar(max_norm)
                .clamp_max(1.0);
            for g in grads.values_mut() {
                *g = g.clone() * coef.clone();
            }
            Some(total)
        }
    }
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use burn::module::Module;
    use burn::nn::conv::{Conv2d, Conv2dConfig};
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;
    use serde_json::json;

    use super::*;
    use crate::base::KeyPath;
    use crate::optim::config::{OptimWrapperConfig, parse_optim_wrapper};

    #[derive(Module, Debug)]
    struct Net {
        stem: Conv2d,
        depthwise: Conv2d,
        head: Linear,
    }

    #[test]
    fn paramwise_multipliers_follow_mmengine_priorities() {
        let device = Device::flex();
        let net = Net {
            stem: Conv2dConfig::new([3, 8], [3, 3]).init(&device),
            depthwise: Conv2dConfig::new([8, 8], [3, 3])
                .with_groups(8)
                .init(&device),
            head: LinearConfig::new(8, 2).init(&device),
        };
        let cfg = parse_optim_wrapper(
            &json!({
                "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 0.01},
                "paramwise_cfg": {"bias_lr_mult": 2.0, "bias_decay_mult": 0.5, "dwconv_decay_mult": 0.0},
            }),
            &KeyPath::root().key("optim_wrapper"),
        )
        .expect("parses");
        let OptimWrapperConfig::Single(spec) = cfg else {
            panic!("one optimizer")
        };
        let w = OptimWrapper::new(spec, &net);
        let group = |name: &str| {
            let i = w
                .group_params
                .iter()
                .position(|p| p == &[name.to_string()])
                .unwrap_or_else(|| panic!("no group for {name}"));
            (
                w.groups[i].get("lr").unwrap_or(f64::NAN),
                w.groups[i].get("weight_decay").unwrap_or(f64::NAN),
            )
        };
        let close =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12;
        assert!(close(group("stem.weight"), (0.1, 0.01)));
        assert!(close(group("stem.bias"), (0.2, 0.005)));
        // Depthwise (in_channels == groups): its decay multiplier wins over the bias one,
        // while the bias still gets the bias lr multiplier.
        assert!(close(group("depthwise.weight"), (0.1, 0.0)));
        assert!(close(group("depthwise.bias"), (0.2, 0.0)));
        assert!(close(group("head.bias"), (0.2, 0.005)));
    }
}
