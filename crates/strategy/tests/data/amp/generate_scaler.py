"""Writes grad_scaler.json: PyTorch's own GradScaler driven with scripted gradients.

Each case builds `torch.amp.GradScaler("cpu", **kwargs)` (MMEngine's dynamic
`loss_scale` forms; a float is MMEngine's static scale: `update(x)` every step), an SGD
optimizer on one parameter, and for every step sets the gradient to `scale * g` where
g is finite or inf/NaN as scripted, then `scaler.step(opt)` and `scaler.update(...)`:
the scale, the growth tracker and whether the parameter moved are recorded.
`src/optim/loss_scaler.rs`'s test replays them. Run with the bench venv (torch 2.15.0).
"""

import json
import math
import os

import torch

# 1 = finite gradient, "inf"/"nan" = an overflow at that step.
SCRIPT = [1, 1, "inf", 1, 1, 1, 1, 1, "nan", "inf", 1, 1, 1, 1, 1, 1, 1, 1, "inf", 1] * 2

CASES = {
    "dynamic_default": ({}, None),
    "dynamic_interval3": ({"init_scale": 1024.0, "growth_interval": 3}, None),
    "dict_factors": ({"init_scale": 8.0, "growth_factor": 4.0, "backoff_factor": 0.25, "growth_interval": 2}, None),
    "near_f32_max": ({"init_scale": 2.0**126, "growth_factor": 4.0, "growth_interval": 1}, None),
    "static_4096": ({"init_scale": 4096.0}, 4096.0),
}

out = {"script": SCRIPT, "cases": {}}
for name, (kwargs, static) in CASES.items():
    scaler = torch.amp.GradScaler("cpu", **kwargs)
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=0.1)
    scales, trackers, stepped = [], [], []
    for g in SCRIPT:
        loss = (p * 0.0).sum()
        scaler.scale(loss).backward()
        value = {1: 1.0, "inf": math.inf, "nan": math.nan}[g]
        with torch.no_grad():
            p.grad.fill_(value * scaler.get_scale())
        before = p.detach().clone()
        scaler.step(opt)
        scaler.update(static)
        opt.zero_grad()
        stepped.append(not torch.equal(before, p.detach()))
        scales.append(scaler.get_scale())
        trackers.append(scaler.state_dict()["_growth_tracker"])
    out["cases"][name] = {
        "kwargs": kwargs,
        "static": static,
        "scale_after_each_step": scales,
        "growth_tracker_after_each_step": trackers,
        "stepped": stepped,
        "state_dict": scaler.state_dict(),
    }
out["source"] = f"generate_scaler.py: torch {torch.__version__} torch.amp.GradScaler('cpu')"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "grad_scaler.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote grad_scaler.json")
