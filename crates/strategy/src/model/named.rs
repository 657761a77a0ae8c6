//! Parameters by dotted name (`layers.0.weight`): reading them out of a module and
//! loading them back, the basis of the state-dict accessors and checkpoints.
//!
//! Names, shapes and element order are PyTorch's: burn's `Linear` stores its weight
//! as `[in, out]`, `nn.Linear` as `[out, in]`, so `Linear` weights are transposed on
//! the way out and back on the way in. Everything else (convolutions, biases) already
//! has PyTorch's layout.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{FloatDType, Tensor, TensorData};

/// One parameter in host memory: its dotted name, shape and values (f32).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Dotted path in the module tree (`layers.0.weight`).
    pub name: String,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// What `load_state` did: MMEngine's `load_state_dict` report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateDictReport {
    /// Parameters of the model the state did not have (left unchanged).
    pub missing_keys: Vec<String>,
    /// Names in the state the model does not have (ignored).
    pub unexpected_keys: Vec<String>,
    /// `(name, model shape, state shape)` for names whose shapes differ (left unchanged).
    pub shape_mismatches: Vec<(String, Vec<usize>, Vec<usize>)>,
}

impl StateDictReport {
    /// Whether the state fitted the model exactly.
    pub fn is_exact(&self) -> bool {
        self.missing_keys.is_empty()
            && self.unexpected_keys.is_empty()
            && self.shape_mismatches.is_empty()
    }
}

/// Whether the parameter at the top of `path`, inside `containers`, is a `Linear`
/// weight (stored transposed relative to PyTorch).
fn is_linear_weight(path: &[String], containers: &[String], rank: usize) -> bool {
    rank == 2
        && path.last().is_some_and(|n| n == "weight")
        && containers
            .iter()
            .rev()
            .find(|c| c.starts_with("Struct:"))
            .is_some_and(|c| c == "Struct:Linear")
}

#[derive(Default)]
struct Collector {
    path: Vec<String>,
    containers: Vec<String>,
    out: Vec<(String, Vec<usize>, Tensor<1>)>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().detach();
        let mut shape = t.dims().to_vec();
        let n: usize = shape.iter().product();
        let flat = if is_linear_weight(&self.path, &self.containers, D) {
            shape.reverse();
            let t2: Tensor<2> = t.reshape([shape[1], shape[0]]);
            t2.transpose().reshape([n])
        } else {
            t.reshape([n])
        };
        self.out.push((self.path.join("."), shape, flat));
    }
}

/// Every float parameter of `module`, by name, flattened (still on its device).
pub fn collect<M: Module>(module: &M) -> Vec<(String, Vec<usize>, Tensor<1>)> {
    let mut c = Collector::default();
    module.visit(&mut c);
    c.out
}

struct Loader<'a> {
    path: Vec<String>,
    containers: Vec<String>,
    entries: &'a [NamedTensor],
    seen: Vec<String>,
    report: StateDictReport,
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.join(".");
        self.seen.push(name.clone());
        let Some(entry) = self.entries.iter().find(|e| e.name == name) else {
            self.report.missing_keys.push(name);
            return param;
        };
        let (id, tensor, mapper) = param.consume();
        let transposed = is_linear_weight(&self.path, &self.containers, D);
        let mut shape = tensor.dims().to_vec();
        if transposed {
            shape.reverse();
        }
        if shape != entry.shape || entry.values.len() != shape.iter().product::<usize>() {
            self.report
                .shape_mismatches
                .push((name, shape, entry.shape.clone()));
            return Param::from_mapped_value(id, tensor, mapper);
        }
        let require_grad = tensor.is_require_grad();
        let device = tensor.device();
        let mut loaded: Tensor<D> = if transposed {
            let t: Tensor<2> = Tensor::from_data(
                TensorData::new(entry.values.clone(), [shape[0], shape[1]]),
                &device,
            );
            let dims: [usize; D] = std::array::from_fn(|i| shape[D - 1 - i]);
            t.transpose().reshape(dims)
        } else {
            let dims: [usize; D] = std::array::from_fn(|i| shape[i]);
            Tensor::from_data(TensorData::new(entry.values.clone(), dims), &device)
        };
        if require_grad {
            loaded = loaded.require_grad();
        }
        Param::from_mapped_value(id, loaded, mapper)
    }
}

/// Loads `entries` into `module` by name; see [`StateDictReport`].
pub fn load<M: Module>(module: M, entries: &[NamedTensor]) -> (M, StateDictReport) {
    let mut loader = Loader {
        path: Vec::new(),
        containers: Vec::new(),
        entries,
        seen: Vec::new(),
        report: StateDictReport::default(),
    };
    let module = module.map(&mut loader);
    let mut report = loader.report;
    report.unexpected_keys = entries
        .iter()
        .filter(|e| !loader.seen.contains(&e.name))
        .map(|e| e.name.clone())
        .collect();
    (module, report)
}

/// Every float parameter of `module` in module order, flattened, on the inner
/// (non-autodiff) backend, in burn's own layout (for averaging and swapping weights on
/// the device: values kept across iterations must carry no autodiff state).
pub fn flat_params<M: Module>(module: &M) -> Vec<Tensor<1>> {
    #[derive(Default)]
    struct Flat(Vec<Tensor<1>>);
    impl ModuleVisitor for Flat {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            // The inner backend's tensor: arithmetic on it (an average kept across
            // iterations) never enters the autodiff graph.
            let t = param.val().inner();
            let n: usize = t.dims().iter().product();
            self.0.push(t.reshape([n]));
        }
    }
    let mut f = Flat::default();
    module.visit(&mut f);
    f.0
}

/// Replaces the float parameters of `module` in module order by `values` (as
/// [`flat_params`] gives them); the parameters keep their ids (the optimizer's state
/// stays attached) and stay trainable.
pub fn set_flat_params<M: Module>(module: M, values: &[Tensor<1>]) -> M {
    struct SetFlat<'a> {
        values: &'a [Tensor<1>],
        next: usize,
    }
    impl ModuleMapper for SetFlat<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(value) = self.values.get(self.next) else {
                return param;
            };
            self.next += 1;
            let (id, tensor, mapper) = param.consume();
            let dims: [usize; D] = tensor.dims();
            // A fresh leaf (the value may come out of operations: an average), with
            // autodiff where the parameter had it.
            let value = value.clone().reshape(dims);
            let mut t: Tensor<D> = if tensor.gradient_checkpointing_strategy().is_some() {
                Tensor::from_inner(value)
            } else {
                value
            };
            if tensor.is_require_grad() {
                t = t.require_grad();
            }
            Param::from_mapped_value(id, t, mapper)
        }
    }
    module.map(&mut SetFlat { values, next: 0 })
}

/// Every float parameter of `module` by id, flattened, on the inner (non-autodiff)
/// backend: the f32 master weights of a mixed-precision step.
pub fn params_by_id<M: Module>(module: &M) -> HashMap<ParamId, Tensor<1>> {
    #[derive(Default)]
    struct ById(HashMap<ParamId, Tensor<1>>);
    impl ModuleVisitor for ById {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().inner();
            let n: usize = t.dims().iter().product();
            self.0.insert(param.id, t.reshape([n]));
        }
    }
    let mut v = ById::default();
    module.visit(&mut v);
    v.0
}

/// Replaces the float parameters of `module` found in `values` (by id, flattened, as
/// [`params_by_id`] gives them), cast to `dtype` when given; ids and trainability
/// are kept, each value a fresh leaf.
pub fn set_params_by_id<M: Module>(
    module: M,
    values: &HashMap<ParamId, Tensor<1>>,
    dtype: Option<FloatDType>,
) -> M {
    struct SetById<'a> {
        values: &'a HashMap<ParamId, Tensor<1>>,
        dtype: Option<FloatDType>,
    }
    impl ModuleMapper for SetById<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, mapper) = param.consume();
            let Some(value) = self.values.get(&id) else {
                return Param::from_mapped_value(id, tensor, mapper);
            };
            let dims: [usize; D] = tensor.dims();
            let mut inner = value.clone().reshape(dims);
            if let Some(dtype) = self.dtype {
                inner = inner.cast(dtype);
            }
            let mut t: Tensor<D> = Tensor::from_inner(inner);
            if tensor.is_require_grad() {
                t = t.require_grad();
            }
            Param::from_mapped_value(id, t, mapper)
        }
    }
    module.map(&mut SetById { values, dtype })
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;

    use super::*;

    /// Averages kept across iterations (EMAHook's) are built from these: they must
    /// carry no autodiff state, or every update would hang on to the last one's (a run
    /// with EMA grew slower and larger with every iteration before this was so).
    #[test]
    fn flat_params_leave_autodiff_behind_and_set_flat_params_brings_it_back() {
        let device = Device::flex().autodiff();
        let net: Linear = LinearConfig::new(3, 2).init(&device);
        let flat = flat_params(&net);
        assert_eq!(flat.len(), 2);
        for t in &flat {
            assert!(t.gradient_checkpointing_strategy().is_none());
        }
        let averaged: Vec<Tensor<1>> = flat.iter().map(|t| t.clone() * 0.5).collect();
        let net = set_flat_params(net, &averaged);
        assert!(net.weight.val().gradient_checkpointing_strategy().is_some());
        assert!(net.weight.val().is_require_grad());
        let back: Vec<f32> = flat_params(&net)[0]
            .clone()
            .into_data()
            .try_to_vec()
            .expect("f32");
        let half: Vec<f32> = averaged[0].clone().into_data().try_to_vec().expect("f32");
        assert_eq!(back, half);
    }
}
