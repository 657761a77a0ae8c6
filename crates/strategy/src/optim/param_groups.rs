//! The optimizer's parameter groups for a burn module: every float parameter named
//! (`layers.0.weight`) and classified as MMEngine's constructor sees it (norm layer,
//! depth-wise conv, rank), then grouped with `paramwise_cfg`'s multipliers.

use std::collections::HashMap;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

use super::config::OptimWrapperSpec;
use super::paramwise::{ParamKind, is_norm_layer};
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

/// Collects every float parameter's name (`layers.0.weight`) in module order. A
/// parameter held twice (a cloned `Param`, a tied weight) is kept at its first
/// place only, as PyTorch's `model.parameters()` and MMEngine's `bypass_duplicate`
/// do.
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
        if self.params.iter().any(|p| p.id == param.id) {
            return;
        }
        // The innermost container is the module that owns the parameter.
        let owner = self
            .containers
            .iter()
            .rev()
            .find(|c| c.starts_with("Struct:"))
            .map(String::as_str)
            .unwrap_or("");
        let in_norm = is_norm_layer(owner);
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

/// The groups `DefaultOptimWrapperConstructor` builds, and which parameter is where.
pub(crate) struct ParamGroups {
    /// The groups' hyper-parameters.
    pub groups: Vec<ParamGroup>,
    /// The parameter names of each group (module order).
    pub group_params: Vec<Vec<String>>,
    /// Parameter → index of its group.
    pub assignment: HashMap<ParamId, usize>,
    /// Every parameter's name, in module order.
    pub names: Vec<(ParamId, String)>,
}

/// One group for every parameter without `paramwise_cfg`; otherwise one group per
/// parameter with its multipliers applied.
pub(crate) fn param_groups<M: Module>(spec: &OptimWrapperSpec, module: &M) -> ParamGroups {
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
            for p in &names.params {
                let kind = ParamKind {
                    is_norm: p.in_norm,
                    is_dwconv: p.in_dwconv,
                    ndim: p.ndim,
                };
                let multipliers = cfg.multipliers(&p.name, kind);
                let (lr, wd) = multipliers.apply(base_lr, base_wd);
                let mut group = base.clone();
                group.set("lr", lr);
                group.set("weight_decay", wd);
                if multipliers.lars_exclude {
                    group.set("lars_exclude", 1.0);
                }
                assignment.insert(p.id, groups.len());
                groups.push(group);
                group_params.push(vec![p.name.clone()]);
            }
        }
    }
    ParamGroups {
        groups,
        group_params,
        assignment,
        names: names
            .params
            .iter()
            .map(|p| (p.id, p.name.clone()))
            .collect(),
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
    use crate::optim::wrapper::OptimWrapper;

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
        // Depth-wise (in_channels == groups): the weight takes dwconv_decay_mult, the
        // bias takes the bias rules, which come first in MMEngine's chain.
        assert!(close(group("depthwise.weight"), (0.1, 0.0)));
        assert!(close(group("depthwise.bias"), (0.2, 0.005)));
        assert!(close(group("head.bias"), (0.2, 0.005)));
    }

    #[derive(Module, Debug)]
    struct Tied {
        a: Param<Tensor<1>>,
        b: Param<Tensor<1>>,
    }

    /// A cloned `Param` (a tied weight) is one parameter: one group, one gradient
    /// (the sum over both uses), one update seen from both places.
    #[test]
    fn a_parameter_held_twice_is_one_parameter() {
        let device = Device::flex().autodiff();
        let p = Param::from_tensor(Tensor::<1>::from_floats([1.0, 2.0], &device).require_grad());
        let net = Tied { a: p.clone(), b: p };
        let cfg = parse_optim_wrapper(
            &json!({
                "optimizer": {"type": "SGD", "lr": 0.1},
                "paramwise_cfg": {"bypass_duplicate": true},
            }),
            &KeyPath::root().key("optim_wrapper"),
        )
        .expect("parses");
        let OptimWrapperConfig::Single(spec) = cfg else {
            panic!("one optimizer")
        };
        let mut w = OptimWrapper::new(spec, &net);
        assert_eq!(w.group_params, vec![vec!["a".to_string()]]);
        let loss = (net.a.val() + net.b.val()).sum();
        let net = w.update_params(loss, net);
        for t in [net.a.val(), net.b.val()] {
            let got: Vec<f32> = t.into_data().try_to_vec().expect("f32 values");
            // d(a + b)/dp = 2: p - 0.1 * 2.
            assert!(
                (got[0] - 0.8).abs() < 1e-6 && (got[1] - 1.8).abs() < 1e-6,
                "{got:?}"
            );
        }
    }
}
