//! `OptimWrapper`: MMEngine's wrapper around one optimizer, on burn modules:
//! parameter groups (with `paramwise_cfg`), gradient accumulation with MMEngine's loss
//! scaling and remainder rule, gradient clipping, and the update itself.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{FloatDType, Gradients, Tensor};

use super::algorithm::large_batch::lamb_clip;
use super::algorithm::{ParamState, SCALAR_NAMES, update};
use super::amp_step::{PendingStep, flag_is_set, non_finite_flag, unscale};
use super::clip::clip_grads;
use super::config::{OptimWrapperSpec, OptimizerSpec};
use super::foreach::{self, FlatState, Pending};
use super::loss_scaler::{LossScaler, StepOutcome};
use super::param_groups::{ParamGroups, param_groups};
use super::reduce::RankReducer;
use crate::base::ParamGroup;

/// Reads each parameter's gradient out of `grads`, flattened. A parameter held
/// twice (a cloned `Param`) has one gradient, the sum over its uses: read once.
struct GradReader<'a> {
    grads: &'a Gradients,
    out: Vec<(ParamId, Tensor<1>)>,
}

impl ModuleVisitor for GradReader<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.out.iter().any(|(id, _)| *id == param.id) {
            return;
        }
        if let Some(g) = param.val().grad(self.grads) {
            let n = g.shape().num_elements();
            // Mixed precision: gradients of low-precision parameters are kept in f32.
            self.out
                .push((param.id, g.reshape([n]).cast(FloatDType::F32)));
        }
    }
}

/// Applies the optimizer to every parameter with an accumulated gradient. A
/// parameter held twice is updated once and both places get the new value.
struct Stepper<'a> {
    wrapper: &'a mut OptimWrapper,
    grads: HashMap<ParamId, Tensor<1>>,
    done: HashMap<ParamId, Tensor<1>>,
}

impl ModuleMapper for Stepper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let with_grad = |t: Tensor<D>| if require_grad { t.require_grad() } else { t };
        if let Some(updated) = self.done.get(&id) {
            let updated = Tensor::from_inner(updated.clone().reshape(shape));
            return Param::from_mapped_value(id, with_grad(updated), mapper);
        }
        let Some(grad) = self.grads.remove(&id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let n = shape.num_elements();
        // Mixed precision: the update is computed on the f32 master weights; the
        // low-precision copy the forward uses gets the result, rounded.
        let master = self
            .wrapper
            .amp_masters
            .as_mut()
            .and_then(|m| m.remove(&id));
        let low_dtype = master.as_ref().map(|_| tensor.dtype());
        let flat = match master {
            Some(m) => m,
            None => tensor.inner().reshape([n]),
        };
        let group = self.wrapper.assignment.get(&id).copied().unwrap_or(0);
        let state = self.wrapper.state.entry(id).or_default();
        let updated = update(
            &self.wrapper.spec.optimizer,
            &self.wrapper.groups[group],
            state,
            flat,
            grad,
        );
        self.done.insert(id, updated.clone());
        let updated = match (low_dtype, self.wrapper.amp_masters.as_mut()) {
            (Some(dtype), Some(masters)) => {
                masters.insert(id, updated.clone());
                updated.cast(dtype)
            }
            _ => updated,
        };
        let updated: Tensor<D> = Tensor::from_inner(updated.reshape(shape));
        Param::from_mapped_value(id, with_grad(updated), mapper)
    }
}

/// One optimizer with MMEngine's wrapper behaviour.
#[derive(Debug, Clone)]
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
    /// The state of the parameters the last `foreach` step updated together, still
    /// concatenated (their entries in `state` are absent until split back).
    flat: Vec<FlatState>,
    accumulated: HashMap<ParamId, Tensor<1>>,
    inner_count: i64,
    max_counts: i64,
    remainder_counts: i64,
    /// The total gradient norm of the last clipped update (`grad_norm` in the logs),
    /// still on the device.
    pub last_grad_norm: Option<Tensor<1>>,
    /// Under data parallelism: this wrapper's rank and the group's reducer; every
    /// backward's gradients become the mean over the ranks.
    pub reducer: Option<RankReducer>,
    /// `AmpOptimWrapper`'s loss scaler.
    pub scaler: Option<LossScaler>,
    /// The dtype forward and backward run in under mixed precision (set by the
    /// strategy once it knows the device; None trains in f32).
    pub compute_dtype: Option<FloatDType>,
    /// Mixed precision, during a training step: the f32 master weights by parameter.
    pub(crate) amp_masters: Option<HashMap<ParamId, Tensor<1>>>,
    /// Whether the last step was skipped for inf/NaN gradients.
    pub last_step_skipped: bool,
    /// Mixed precision: whether a step leaves its inf/NaN decision to the caller
    /// ([`OptimWrapper::finish_pending`] after an asynchronous read): the browser's way.
    pub defer_inf_check: bool,
    pub(crate) pending: Vec<PendingStep>,
}

impl OptimWrapper {
    /// Builds the wrapper for `module` as MMEngine's `DefaultOptimWrapperConstructor`
    /// does: one group for every parameter without `paramwise_cfg`, otherwise one group
    /// per parameter with its multipliers applied.
    pub fn new<M: Module>(spec: OptimWrapperSpec, module: &M) -> Self {
        let ParamGroups {
            groups,
            group_params,
            assignment,
            names,
        } = param_groups(&spec, module);
        Self {
            spec,
            groups,
            group_params,
            assignment,
            names,
            state: HashMap::new(),
            flat: Vec::new(),
            accumulated: HashMap::new(),
            inner_count: 0,
            max_counts: -1,
            remainder_counts: -1,
            last_grad_norm: None,
            reducer: None,
            scaler: None,
            compute_dtype: None,
            amp_masters: None,
            last_step_skipped: false,
            defer_inf_check: false,
            pending: Vec::new(),
        }
        .with_scaler()
    }

    fn with_scaler(mut self) -> Self {
        self.scaler = self
            .spec
            .amp
            .as_ref()
            .map(|a| LossScaler::new(&a.loss_scale));
        self
    }

    /// A copy for another data-parallel rank: the same groups, counters and optimizer
    /// state, with the state's tensors on `device`, reducing through `reducer`.
    pub fn replica(&self, device: &burn::tensor::Device, reducer: RankReducer) -> Self {
        Self {
            state: foreach::split_all(&self.flat, &self.state)
                .iter()
                .map(|(id, s)| (*id, s.to_device(device)))
                .collect(),
            flat: Vec::new(),
            accumulated: self
                .accumulated
                .iter()
                .map(|(id, g)| (*id, g.clone().to_device(device)))
                .collect(),
            last_grad_norm: None,
            reducer: Some(reducer),
            ..self.clone()
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
        // AmpOptimWrapper: `loss_scaler.scale(loss).backward()`, in f32.
        let loss = match &self.scaler {
            Some(s) if s.enabled() => loss.cast(FloatDType::F32).mul_scalar(s.scale()),
            _ => loss,
        };
        let grads = loss.backward();
        let mut reader = GradReader {
            grads: &grads,
            out: Vec::new(),
        };
        module.visit(&mut reader);
        let grads = match &self.reducer {
            Some(r) => r.reducer.all_reduce_mean(r.rank, reader.out),
            None => reader.out,
        };
        for (id, g) in grads {
            let sum = match self.accumulated.remove(&id) {
                Some(acc) => acc + g,
                None => g,
            };
            self.accumulated.insert(id, sum);
        }
        self.inner_count += 1;
    }

    /// Clips the accumulated gradients (if configured), updates every parameter and
    /// zeroes the gradients. Under mixed precision with [`OptimWrapper::defer_inf_check`],
    /// the update waits in [`OptimWrapper::pending_flag`] for
    /// [`OptimWrapper::finish_pending`] and `module` comes back unchanged.
    pub fn step<M: Module>(&mut self, module: M) -> M {
        let mut grads = std::mem::take(&mut self.accumulated);
        let order: Vec<ParamId> = self.names.iter().map(|(id, _)| *id).collect();
        // AmpOptimWrapper: unscale before clipping; skip the step on inf/NaN.
        if let Some(inv_scale) = self.scaler.as_ref().map(LossScaler::inv_scale) {
            unscale(&mut grads, inv_scale);
        }
        if let Some(clip) = self.spec.clip_grad.clone() {
            self.last_grad_norm = clip_grads(&mut grads, &clip, &order);
        }
        let flag = match &self.scaler {
            Some(s) if s.enabled() => non_finite_flag(&grads, &order),
            _ => None,
        };
        let found_inf = match flag {
            Some(flag) if self.defer_inf_check => {
                self.pending.push(PendingStep { grads, flag });
                return module;
            }
            Some(flag) => flag_is_set(flag),
            None => false,
        };
        self.settle(module, grads, found_inf)
    }

    /// The inf/NaN flag of the step waiting for it (still on the device; above 0 means
    /// skip), and how many steps wait: more than one means the model stepped this
    /// wrapper twice in one `train_step`, which a deferred check cannot order.
    pub fn pending_flag(&self) -> Option<(Tensor<1>, usize)> {
        self.pending
            .first()
            .map(|p| (p.flag.clone(), self.pending.len()))
    }

    /// Completes the deferred step with its flag read back: the scaler's update, then
    /// the optimizer's, or nothing but a smaller scale when `found_inf`.
    pub fn finish_pending<M: Module>(&mut self, module: M, found_inf: bool) -> M {
        if self.pending.is_empty() {
            return module;
        }
        let PendingStep { grads, .. } = self.pending.remove(0);
        self.settle(module, grads, found_inf)
    }

    /// The scaler's decision and the update itself.
    fn settle<M: Module>(
        &mut self,
        module: M,
        mut grads: HashMap<ParamId, Tensor<1>>,
        found_inf: bool,
    ) -> M {
        let order: Vec<ParamId> = self.names.iter().map(|(id, _)| *id).collect();
        if let Some(scaler) = self.scaler.as_mut() {
            self.last_step_skipped = scaler.update(found_inf) == StepOutcome::Skipped;
            if self.last_step_skipped {
                return module;
            }
        }
        // Lamb clips by the global norm inside its own step, after the wrapper's clip.
        if let OptimizerSpec::Lamb(l) = &self.spec.optimizer {
            lamb_clip(&mut grads, l.max_grad_norm, &order);
        }
        let done = self.foreach_step(&module, &mut grads);
        let mut stepper = Stepper {
            wrapper: self,
            grads,
            done,
        };
        module.map(&mut stepper)
    }

    /// The `foreach` update (see [`foreach`]) of every parameter in `grads`, taking
    /// them out of it; nothing when the wrapper updates per parameter (`foreach =
    /// false`, the CPU backend by default, LARS and Lamb, mixed precision's master
    /// weights).
    fn foreach_step<M: Module>(
        &mut self,
        module: &M,
        grads: &mut HashMap<ParamId, Tensor<1>>,
    ) -> HashMap<ParamId, Tensor<1>> {
        if grads.len() < 2
            || self.amp_masters.is_some()
            || !foreach::elementwise(&self.spec.optimizer)
            || self.spec.foreach == Some(false)
        {
            foreach::unflatten(&mut self.flat, &mut self.state);
            return HashMap::new();
        }
        let grouped = self.spec.foreach.unwrap_or_else(|| {
            grads
                .values()
                .next()
                .is_some_and(|g| foreach::grouped_by_default(&g.device()))
        });
        if !grouped {
            foreach::unflatten(&mut self.flat, &mut self.state);
            return HashMap::new();
        }
        let pending = foreach::read_params(module, grads)
            .into_iter()
            .filter_map(|(id, param)| grads.remove(&id).map(|grad| Pending { id, param, grad }))
            .collect();
        let (groups, assignment) = (&self.groups, &self.assignment);
        let group_of = |id: ParamId| groups[assignment.get(&id).copied().unwrap_or(0)].clone();
        foreach::step(
            &self.spec.optimizer,
            pending,
            group_of,
            &mut self.state,
            &mut self.flat,
        )
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

    /// Mixed precision: takes the f32 masters of this wrapper's parameters for the
    /// coming training step.
    pub fn begin_amp(&mut self, masters: &HashMap<ParamId, Tensor<1>>) {
        self.amp_masters = Some(
            masters
                .iter()
                .filter(|(id, _)| self.assignment.contains_key(id))
                .map(|(id, t)| (*id, t.clone()))
                .collect(),
        );
    }

    /// `zero_grad`: drops the gradients accumulated since the last step.
    pub fn zero_grad(&mut self) {
        self.accumulated.clear();
    }

    /// The optimizer state (PyTorch's `optimizer.state`), by parameter name, on the
    /// device: `(name, steps, [(buffer name, tensor)])`, in module order. Scalar state
    /// (NAdam's `mu_product`, ASGD's `eta` and `mu`) comes as one-element tensors,
    /// as PyTorch's 0-d ones.
    pub fn state_tensors(&self) -> Vec<(String, u64, Vec<(&'static str, Tensor<1>)>)> {
        let states = foreach::split_all(&self.flat, &self.state);
        self.names
            .iter()
            .filter_map(|(id, name)| {
                states.get(id).map(|s| {
                    let mut buffers: Vec<(&'static str, Tensor<1>)> = s
                        .buffers()
                        .into_iter()
                        .map(|(b, t)| (b, t.clone()))
                        .collect();
                    if let Some(device) = buffers.first().map(|(_, t)| t.device()) {
                        for (n, v) in s.scalars() {
                            buffers.push((n, Tensor::from_floats([v as f32], &device)));
                        }
                    }
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
        foreach::unflatten(&mut self.flat, &mut self.state);
        let mut state = ParamState::default();
        state.step = step;
        for (buffer, values) in buffers {
            if SCALAR_NAMES.contains(&buffer.as_str()) {
                let [v] = values.as_slice() else {
                    return Err(format!(
                        "`{name}`: `{buffer}` should hold one number, found {}",
                        values.len()
                    ));
                };
                state.set_scalar(buffer, f64::from(*v));
                continue;
            }
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
