"""Writes the optimizer trajectories of this directory with the real implementations.

Each case trains a linear layer (3 → 2, MSE) for 12 iterations through MMEngine's
`build_optim_wrapper` and `OptimWrapper.update_params`, with MMEngine's schedulers
stepped after every iteration, and records the lr, the momentum and the weights after
each step: the layout of `../shared/reference/optim`, plus `momentum_per_step` and
`source`. `crates/strategy/tests/optim_reference.rs` replays both directories.

The optimizers come from where MMEngine's users get them:
- torch.optim (Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, Adam with `maximize`);
- mmpretrain 1.2.0's `LARS` and `Lamb` (`mmpretrain/engine/optimizers/{lars,lamb}.py`,
  loaded from the unpacked wheel: importing the `mmpretrain` package needs mmcv);
- lion-pytorch 0.2.5's `Lion`, which MMEngine registers itself when it is installed.

Run with the bench venv (torch 2.15.0, mmengine-lite 0.10.7):
    pip download --no-deps -d /tmp/wheels mmpretrain==1.2.0 lion-pytorch==0.2.5
    (cd /tmp/wheels && unzip -o -q mmpretrain-1.2.0-py2.py3-none-any.whl -d mmp \
        && unzip -o -q lion_pytorch-0.2.5-py3-none-any.whl -d lion)
    python generate.py /tmp/wheels/mmp /tmp/wheels/lion
"""

import copy
import importlib.util
import json
import os
import sys
import types

MMP, LION = sys.argv[1], sys.argv[2]
sys.path.insert(0, LION)  # before MMEngine's import, so that it registers Lion

import torch  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import OPTIMIZERS, PARAM_SCHEDULERS  # noqa: E402

registry = types.ModuleType("mmpretrain.registry")
registry.OPTIMIZERS = OPTIMIZERS
sys.modules["mmpretrain"] = types.ModuleType("mmpretrain")
sys.modules["mmpretrain.registry"] = registry
for name in ("lars", "lamb"):
    path = os.path.join(MMP, "mmpretrain", "engine", "optimizers", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"mmpretrain_{name}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
assert {"LARS", "Lamb", "Lion"} <= set(OPTIMIZERS.module_dict), "optimizers missing"

CASES = {
    "adadelta": ({"type": "Adadelta", "lr": 1.0}, [{"type": "StepLR", "step_size": 4, "gamma": 0.5, "by_epoch": False}]),
    "adadelta_wd_rho": ({"type": "Adadelta", "lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05}, []),
    "adamax": ({"type": "Adamax", "lr": 0.02, "weight_decay": 0.01}, [{"type": "LinearMomentum", "start_factor": 0.9, "by_epoch": False, "begin": 0, "end": 6}]),
    "nadam": ({"type": "NAdam", "lr": 0.01, "weight_decay": 0.01}, []),
    "nadam_decoupled": ({"type": "NAdam", "lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01, "decoupled_weight_decay": True}, [{"type": "CosineAnnealingLR", "T_max": 12, "by_epoch": False}]),
    "radam": ({"type": "RAdam", "lr": 0.01}, []),
    "radam_decoupled": ({"type": "RAdam", "lr": 0.02, "betas": [0.8, 0.9], "weight_decay": 0.1, "decoupled_weight_decay": True}, [{"type": "StepMomentum", "step_size": 3, "gamma": 0.9, "by_epoch": False}]),
    "asgd": ({"type": "ASGD", "lr": 0.05, "lambd": 0.001, "alpha": 0.75, "t0": 4, "weight_decay": 0.01}, [{"type": "CosineAnnealingLR", "T_max": 12, "by_epoch": False}]),
    "rprop": ({"type": "Rprop", "lr": 0.01, "etas": [0.4, 1.3], "step_sizes": [0.0001, 0.05]}, []),
    "rprop_maximize": ({"type": "Rprop", "lr": 0.002, "maximize": True}, []),
    "adam_maximize": ({"type": "Adam", "lr": 0.01, "maximize": True, "weight_decay": 0.01}, []),
    "lars": ({"type": "LARS", "lr": 0.5, "momentum": 0.9, "weight_decay": 0.001, "eta": 0.02}, [{"type": "CosineAnnealingMomentum", "T_max": 12, "eta_min": 0.8, "by_epoch": False}]),
    "lars_nesterov_exclude": ({"type": "LARS", "lr": 0.2, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "eps": 1e-6}, [], {"custom_keys": {"bias": {"decay_mult": 0.0, "lars_exclude": True}}}),
    "lamb": ({"type": "Lamb", "lr": 0.01, "weight_decay": 0.02, "max_grad_norm": 0.5}, []),
    "lamb_always_adapt": ({"type": "Lamb", "lr": 0.02, "weight_decay": 0.0, "always_adapt": True, "trust_clip": True, "bias_correction": False, "grad_averaging": False, "betas": [0.8, 0.99]}, [{"type": "StepMomentum", "step_size": 4, "gamma": 0.8, "by_epoch": False}]),
    "lion": ({"type": "Lion", "lr": 0.001, "betas": [0.9, 0.99], "weight_decay": 0.1}, [{"type": "LinearLR", "start_factor": 0.1, "by_epoch": False, "end": 4}]),
    "lion_decoupled": ({"type": "Lion", "lr": 0.002, "weight_decay": 0.0005, "decoupled_weight_decay": True}, [{"type": "StepMomentum", "step_size": 5, "gamma": 0.9, "by_epoch": False}]),
}

MAX_ITERS = 12


def values(t):
    return t.detach().double().tolist()


def run(name, optimizer, schedulers, paramwise=None):
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.rand(2, 3, generator=gen) - 0.5)
        model.bias.copy_(torch.rand(2, generator=gen) - 0.5)
    init = {"weight": values(model.weight), "bias": values(model.bias)}
    wrapper_cfg = {"type": "OptimWrapper", "optimizer": copy.deepcopy(optimizer)}
    if paramwise:
        wrapper_cfg["paramwise_cfg"] = copy.deepcopy(paramwise)
    wrapper = build_optim_wrapper(model, copy.deepcopy(wrapper_cfg))
    wrapper.initialize_count_status(model, 0, MAX_ITERS)
    scheds = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper)) for s in schedulers]
    batches, lrs, momenta, after = [], [], [], []
    for _ in range(MAX_ITERS):
        x = torch.randn(4, 3, generator=gen)
        y = torch.randn(4, 2, generator=gen)
        batches.append({"x": values(x), "y": values(y)})
        lrs.append(wrapper.get_lr()["lr"][0])
        momenta.append(wrapper.get_momentum()["momentum"][0])
        loss = torch.nn.functional.mse_loss(model(x), y)
        wrapper.update_params(loss)
        for s in scheds:
            s.step()
        after.append({"weight": values(model.weight), "bias": values(model.bias)})
    case = {
        "optim_wrapper": wrapper_cfg,
        "param_scheduler": schedulers,
        "max_iters": MAX_ITERS,
        "init": init,
        "batches": batches,
        "loss": "mse_mean",
        "lr_per_step": lrs,
        "momentum_per_step": momenta,
        "after_each_step": after,
        "source": f"generate.py: torch {torch.__version__}, mmengine 0.10.7, "
        f"{type(wrapper.optimizer).__module__}.{type(wrapper.optimizer).__name__}",
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, f"{name}.json"), "w") as f:
        json.dump(case, f)
        f.write("\n")


for name, (optimizer, schedulers, *rest) in CASES.items():
    run(name, optimizer, schedulers, *rest)
    print("wrote", name)
