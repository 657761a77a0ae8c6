//! PyTorch's `foreach` implementation of the element-wise optimizers: the parameters
//! that share their hyper-parameters and their step count are updated as one
//! concatenated tensor, so an Adam step is 15 tensor operations for the whole group
//! instead of 15 per parameter. Every operation is element-wise, so each element sees
//! the same f32 operations in the same order as in the per-parameter update: the
//! results are bit-identical, only the number of kernel launches changes.
//!
//! On the GPU backends each launch has a fixed cost (a dispatch, its bind group, the
//! browser's validation under WebGPU) that dominates small models: the spiral MLP's
//! iteration was 143 launches, 90 of them Adam's. On the CPU backend a launch is a
//! function call and the concatenation is extra copying, so, as PyTorch defaults
//! `foreach` to its accelerators only, [`grouped_by_default`] leaves the CPU backend
//! per-parameter. The optimizer's `foreach` key overrides either way.
//!
//! Each parameter starts at a multiple of [`ALIGN`] elements in the concatenation, so
//! its new values are views of the result, not copies, where its length is a multiple
//! of the alignment too (a cubecl slice is a view when both of its byte offsets are
//! aligned to the device's storage offset alignment: 256 bytes under WebGPU). The
//! optimizer state stays concatenated between steps ([`FlatState`]) and is split back
//! per parameter only when read (checkpoints, data-parallel replicas) or when the
//! grouping changes.

use std::collections::HashMap;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

use super::algorithm::{ParamState, update};
use super::config::OptimizerSpec;
use crate::base::ParamGroup;

/// Elements between the starts of two parameters in a concatenation (256 bytes of
/// f32): the padding is zeros, which every rule maps to finite values.
pub const ALIGN: usize = 64;

/// Whether `spec`'s update is element-wise (so one update of a concatenation equals the
/// updates of its pieces): all but LARS and Lamb, whose trust ratios are
/// per-parameter norms.
pub fn elementwise(spec: &OptimizerSpec) -> bool {
    !matches!(spec, OptimizerSpec::LARS(_) | OptimizerSpec::Lamb(_))
}

/// PyTorch's `foreach=None`: grouped updates on the accelerator backends (wgpu,
/// remote), per-parameter ones on the CPU backend.
pub fn grouped_by_default(device: &burn::tensor::Device) -> bool {
    #[cfg(feature = "cpu")]
    {
        *device != burn::tensor::Device::flex()
    }
    #[cfg(not(feature = "cpu"))]
    {
        let _ = device;
        true
    }
}

/// Reads the current values (flattened) of the parameters that have a gradient, in
/// module order, once each.
struct ParamReader<'a> {
    grads: &'a HashMap<ParamId, Tensor<1>>,
    out: Vec<(ParamId, Tensor<1>)>,
}

impl ModuleVisitor for ParamReader<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !self.grads.contains_key(&param.id) || self.out.iter().any(|(id, _)| *id == param.id) {
            return;
        }
        let value = param.val().inner();
        let n = value.shape().num_elements();
        self.out.push((param.id, value.reshape([n])));
    }
}

/// The current values (flattened) of `module`'s parameters that have a gradient in
/// `grads`, in module order, once each.
pub fn read_params<M: Module>(
    module: &M,
    grads: &HashMap<ParamId, Tensor<1>>,
) -> Vec<(ParamId, Tensor<1>)> {
    let mut reader = ParamReader {
        grads,
        out: Vec::new(),
    };
    module.visit(&mut reader);
    reader.out
}

/// One parameter waiting for its update: its id, its current values and gradient
/// (flattened, f32).
pub struct Pending {
    /// The parameter.
    pub id: ParamId,
    /// Its current values.
    pub param: Tensor<1>,
    /// Its gradient.
    pub grad: Tensor<1>,
}

/// The optimizer state of parameters updated together, kept concatenated from one
/// step to the next (so a step does not rebuild it), and split back into
/// per-parameter state only when something else reads it ([`unflatten`],
/// [`split_all`]).
#[derive(Debug, Clone)]
pub struct FlatState {
    ids: Vec<ParamId>,
    spans: Vec<(usize, usize)>,
    state: ParamState,
}

impl FlatState {
    /// Each parameter's own state: views (or, unaligned, copies) of the buffers.
    fn split(&self) -> Vec<(ParamId, ParamState)> {
        self.ids
            .iter()
            .zip(&self.spans)
            .map(|(id, &(at, n))| {
                let mut state = ParamState::default();
                state.step = self.state.step;
                for (name, buffer) in self.state.buffers() {
                    state.put(name, buffer.clone().slice([at..at + n]));
                }
                for (name, value) in self.state.scalars() {
                    state.put_scalar(name, value);
                }
                (*id, state)
            })
            .collect()
    }
}

/// Moves every concatenated state in `flat` back into `states`, per parameter.
pub fn unflatten(flat: &mut Vec<FlatState>, states: &mut HashMap<ParamId, ParamState>) {
    for f in flat.drain(..) {
        states.extend(f.split());
    }
}

/// `states` with the concatenated ones in `flat` split in: every parameter's current
/// state, leaving both as they are.
pub fn split_all(
    flat: &[FlatState],
    states: &HashMap<ParamId, ParamState>,
) -> HashMap<ParamId, ParamState> {
    let mut all = states.clone();
    for f in flat {
        all.extend(f.split());
    }
    all
}

/// Updates `pending` (in module order) in as few concatenations as their groups and
/// states allow, returning each parameter's new values (flattened). A parameter whose
/// group or state matches no other's is updated alone, as the per-parameter path does.
/// `group_of` gives a parameter's group; `flat` holds the concatenated state of the
/// last grouped step, reused when a group has the same members again.
pub fn step(
    spec: &OptimizerSpec,
    pending: Vec<Pending>,
    group_of: impl Fn(ParamId) -> ParamGroup,
    states: &mut HashMap<ParamId, ParamState>,
    flat: &mut Vec<FlatState>,
) -> HashMap<ParamId, Tensor<1>> {
    // Buckets of parameters that one update can serve: equal hyper-parameters and
    // state of the same shape (steps, buffer names, scalar values).
    let mut buckets: Vec<(ParamGroup, StateKey, Vec<Pending>)> = Vec::new();
    for p in pending {
        let group = group_of(p.id);
        let key = match flat.iter().find(|f| f.ids.contains(&p.id)) {
            Some(f) => StateKey::of(Some(&f.state)),
            None => StateKey::of(states.get(&p.id)),
        };
        match buckets
            .iter_mut()
            .find(|(g, k, _)| *g == group && *k == key)
        {
            Some((_, _, members)) => members.push(p),
            None => buckets.push((group, key, vec![p])),
        }
    }
    let mut out = HashMap::new();
    let mut kept = Vec::new();
    for (group, _, members) in buckets {
        let ids: Vec<ParamId> = members.iter().map(|m| m.id).collect();
        let reused = flat
            .iter()
            .position(|f| f.ids == ids)
            .map(|i| flat.remove(i));
        if reused.is_none() {
            // Members of another concatenation get their own state back first.
            let mut i = 0;
            while i < flat.len() {
                if flat[i].ids.iter().any(|id| ids.contains(id)) {
                    states.extend(flat.remove(i).split());
                } else {
                    i += 1;
                }
            }
        }
        if let [one] = members.as_slice() {
            let state = states.entry(one.id).or_default();
            let updated = update(spec, &group, state, one.param.clone(), one.grad.clone());
            out.insert(one.id, updated);
            continue;
        }
        let (updated, state) = update_concatenated(spec, &group, members, states, reused);
        out.extend(updated);
        kept.push(state);
    }
    flat.extend(kept);
    out
}

/// What must agree between two parameters' states for one update to serve both.
#[derive(Debug, PartialEq)]
struct StateKey {
    step: u64,
    buffers: Vec<&'static str>,
    scalars: Vec<(&'static str, u64)>,
}

impl StateKey {
    fn of(state: Option<&ParamState>) -> Self {
        let Some(s) = state else {
            return Self::of(Some(&ParamState::default()));
        };
        Self {
            step: s.step,
            buffers: s.buffers().into_iter().map(|(n, _)| n).collect(),
            scalars: s
                .scalars()
                .into_iter()
                .map(|(n, v)| (n, v.to_bits()))
                .collect(),
        }
    }
}

/// Where each member starts in the concatenation and its length, and the total.
fn layout(members: &[Pending]) -> (Vec<(usize, usize)>, usize) {
    let mut at = 0;
    let spans = members
        .iter()
        .map(|m| {
            let n = m.param.shape().num_elements();
            let span = (at, n);
            at += n.div_ceil(ALIGN) * ALIGN;
            span
        })
        .collect();
    (spans, at)
}

/// `pieces` placed at `spans` in a zero tensor of `total` elements.
fn concat(pieces: Vec<Tensor<1>>, spans: &[(usize, usize)], total: usize) -> Tensor<1> {
    let device = pieces[0].device();
    let mut flat = Tensor::<1>::zeros([total], &device);
    for (piece, &(at, n)) in pieces.into_iter().zip(spans) {
        flat = flat.slice_assign([at..at + n], piece);
    }
    flat
}

/// One update of `members` (at least two, same group, same state key) as one
/// concatenated tensor, from the concatenated state of the last step (`reused`) or
/// from their own states (taken out of `states`). Returns the new values, split per
/// parameter, and the new state, still concatenated.
fn update_concatenated(
    spec: &OptimizerSpec,
    group: &ParamGroup,
    members: Vec<Pending>,
    states: &mut HashMap<ParamId, ParamState>,
    reused: Option<FlatState>,
) -> (HashMap<ParamId, Tensor<1>>, FlatState) {
    let (spans, total) = layout(&members);
    let ids: Vec<ParamId> = members.iter().map(|m| m.id).collect();
    let mut flat = match reused {
        Some(f) => f.state,
        None => concat_states(&ids, &spans, total, states),
    };
    let (params, grads): (Vec<_>, Vec<_>) = members.into_iter().map(|m| (m.param, m.grad)).unzip();
    let params = concat(params, &spans, total);
    let grads = concat(grads, &spans, total);
    let updated = update(spec, group, &mut flat, params, grads);
    let values = ids
        .iter()
        .zip(&spans)
        .map(|(id, &(at, n))| (*id, updated.clone().slice([at..at + n])))
        .collect();
    let state = FlatState {
        ids,
        spans,
        state: flat,
    };
    (values, state)
}

/// The states of `ids` (taken out of `states`), concatenated at `spans`.
fn concat_states(
    ids: &[ParamId],
    spans: &[(usize, usize)],
    total: usize,
    states: &mut HashMap<ParamId, ParamState>,
) -> ParamState {
    let mut own: Vec<ParamState> = ids
        .iter()
        .map(|id| states.remove(id).unwrap_or_default())
        .collect();
    let mut flat = ParamState::default();
    flat.step = own[0].step;
    let names: Vec<&'static str> = own[0].buffers().into_iter().map(|(n, _)| n).collect();
    for name in names {
        let pieces = own
            .iter_mut()
            .map(|s| s.take(name))
            .collect::<Option<Vec<_>>>()
            .expect("one bucket's states hold the same buffers (StateKey)");
        flat.put(name, concat(pieces, spans, total));
    }
    for (name, value) in own[0].scalars() {
        flat.put_scalar(name, value);
    }
    flat
}
