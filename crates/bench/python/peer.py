"""The benchmarks' Python peer: PyTorch eager with MMEngine's OptimWrapper and parameter
schedulers, torch.save/torch.load, MMEngine's schedulers alone.

`playground-bench` starts this script once and sends it one JSON object per line on
stdin; every answer is one JSON object per line on stdout. Timing happens here, around
the measured work only, so the pipe costs nothing. Both sides read the same config
files, so shapes, batch sizes, optimizers and schedules are the same by construction.

Requests:
  {"cmd": "versions"}
  {"cmd": "train_setup", "config": path, "cfg_options": [...], "device": "cpu"|"cuda",
   "threads": n, "seed": s}
  {"cmd": "train", "iters": n}                       -> {"seconds": t, "loss": l}
  {"cmd": "ckpt_setup", "tensors": k, "numel": n, "dir": path}
  {"cmd": "ckpt_save"} / {"cmd": "ckpt_load"}       -> {"seconds": t, "bytes": b}
  {"cmd": "sched_setup", "config": path, "cfg_options": [...]}
  {"cmd": "sched", "iters": n}                       -> {"seconds": t, "lr": last}
  {"cmd": "quit"}
"""

import json
import math
import os
import platform
import sys
import time
import tomllib

# The protocol owns stdout; everything else (MMEngine's logger prints to sys.stdout)
# goes to stderr.
PROTOCOL = sys.stdout
sys.stdout = sys.stderr

import torch
import torch.nn.functional as F
from torch import nn

import mmengine
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

# The split rule of the strategy crate's built-in datasets: floor(n * val_ratio) for
# val, the rest for train.
DIGITS_SAMPLES = 1797


def load_config(path, cfg_options):
    """The config file with `key.path=value` overrides (TOML literals), as the Rust side."""
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    for option in cfg_options:
        key, raw = option.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[parts[-1]] = value
    return cfg


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        sizes = [cfg["in_features"], *cfg.get("hidden_sizes", []), cfg["num_classes"]]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[
            cfg.get("activation", "relu")
        ]

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = self.act(x)
        return x


class DigitsCnn(nn.Module):
    """The strategy crate's DigitsCNN: two 3x3 same-padded convolutions with ReLU and
    2x2 max pooling, then two linear layers."""

    def __init__(self, cfg):
        super().__init__()
        c1, c2 = cfg.get("channels", [16, 32])
        hidden = cfg.get("hidden", 64)
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.fc1 = nn.Linear(c2 * 4, hidden)
        self.fc2 = nn.Linear(hidden, cfg.get("num_classes", 10))

    def forward(self, x):
        x = x.reshape(-1, 1, 8, 8)
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def build_model(cfg):
    kind = cfg["type"]
    if kind == "MLP":
        return Mlp(cfg)
    if kind == "DigitsCNN":
        return DigitsCnn(cfg)
    raise ValueError(f"model.type: the peer has no {kind}")


def train_samples(dataset):
    """(number of training samples, features per sample, classes) of a dataset config."""
    kind = dataset["type"]
    val_ratio = dataset.get("val_ratio", 0.2)
    if kind in ("Circle", "Xor", "Gauss", "Spiral"):
        n, k, c = dataset["num_samples"], 2, 2
    elif kind == "Digits":
        n, k, c = DIGITS_SAMPLES, 64, 10
    elif kind == "FakeData":
        n = dataset["num_samples"]
        k = math.prod(dataset.get("sample_shape", [784]))
        c = dataset.get("num_classes", 10)
    else:
        raise ValueError(f"train_dataloader.dataset.type: the peer has no {kind}")
    return n - math.floor(n * val_ratio), k, c


def build_schedulers(cfg, optim_wrapper, epoch_length):
    """MMEngine's parameter schedulers from `param_scheduler`, epoch-based ones
    converted to iterations as MMEngine's runner does."""
    schedulers = []
    for item in cfg.get("param_scheduler", []):
        item = dict(item)
        if item.get("by_epoch", True):
            cls = PARAM_SCHEDULERS.get(item.pop("type"))
            item.pop("by_epoch", None)
            schedulers.append(
                cls.build_iter_from_epoch(optim_wrapper, epoch_length=epoch_length, **item)
            )
        else:
            item["optimizer"] = optim_wrapper
            schedulers.append(PARAM_SCHEDULERS.build(item))
    return schedulers


class Trainer:
    """A full training iteration as MMEngine runs it: batch, forward, loss,
    `OptimWrapper.update_params` (backward, clipping, step, zero_grad), the scalar read
    of the loss for the logs, then every iteration-based scheduler's `step`."""

    def __init__(self, config, cfg_options, device, threads, seed):
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        cfg = load_config(config, cfg_options)
        self.device = torch.device(device)
        loader = cfg["train_dataloader"]
        n, k, classes = train_samples(loader["dataset"])
        self.batch = loader["batch_size"]
        self.drop_last = loader.get("drop_last", False)
        self.x = torch.rand(n, k, device=self.device) * 2 - 1
        self.y = torch.randint(0, classes, (n,), device=self.device)
        self.model = build_model(cfg["model"]).to(self.device)
        self.optim = build_optim_wrapper(self.model, cfg["optim_wrapper"])
        self.epoch_length = n // self.batch if self.drop_last else -(-n // self.batch)
        self.schedulers = build_schedulers(cfg, self.optim, self.epoch_length)
        self.step = 0
        self.order = None

    def run(self, iters):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        loss_value = float("nan")
        for _ in range(iters):
            i = self.step % self.epoch_length
            if i == 0:
                self.order = torch.randperm(self.x.shape[0], device=self.device)
            idx = self.order[i * self.batch : (i + 1) * self.batch]
            logits = self.model(self.x[idx])
            loss = F.cross_entropy(logits, self.y[idx])
            self.optim.update_params(loss)
            loss_value = loss.item()
            for s in self.schedulers:
                s.step()
            self.step += 1
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return {"seconds": time.perf_counter() - start, "loss": loss_value}


class Checkpoints:
    """`torch.save`/`torch.load` of a state dict of `tensors` f32 tensors of `numel`."""

    def __init__(self, tensors, numel, directory):
        torch.manual_seed(0)
        self.state = {f"layer{i}.weight": torch.randn(numel) for i in range(tensors)}
        self.path = os.path.join(directory, "peer.pth")

    def save(self):
        start = time.perf_counter()
        torch.save(self.state, self.path)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "bytes": os.path.getsize(self.path)}

    def load(self):
        start = time.perf_counter()
        state = torch.load(self.path, map_location="cpu", weights_only=True)
        seconds = time.perf_counter() - start
        if state.keys() != self.state.keys():
            raise RuntimeError("torch.load returned other keys")
        return {"seconds": seconds, "bytes": os.path.getsize(self.path)}


class Schedules:
    """MMEngine's schedulers alone on an SGD optimizer: `step` once per iteration and
    read the lr, as the preview does."""

    def __init__(self, config, cfg_options):
        cfg = load_config(config, cfg_options)
        param = nn.Parameter(torch.zeros(1))
        self.optim = build_optim_wrapper(nn.ParameterList([param]), cfg["optim_wrapper"])
        # One (empty: no gradient) optimizer step first, as training would have made,
        # so PyTorch does not warn about the scheduler stepping before the optimizer.
        self.optim.step()
        self.schedulers = build_schedulers(cfg, self.optim, 1)

    def run(self, iters):
        start = time.perf_counter()
        lr = float("nan")
        for _ in range(iters):
            lr = self.optim.param_groups[0]["lr"]
            for s in self.schedulers:
                s.step()
        return {"seconds": time.perf_counter() - start, "lr": lr}


def versions():
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "mmengine": mmengine.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "threads": torch.get_num_threads(),
    }


def main():
    state = {}
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request["cmd"]
        try:
            if cmd == "versions":
                answer = versions()
            elif cmd == "train_setup":
                state["train"] = Trainer(
                    request["config"],
                    request.get("cfg_options", []),
                    request.get("device", "cpu"),
                    request["threads"],
                    request.get("seed", 0),
                )
                answer = {"ok": True}
            elif cmd == "train":
                answer = state["train"].run(request["iters"])
            elif cmd == "ckpt_setup":
                state["ckpt"] = Checkpoints(request["tensors"], request["numel"], request["dir"])
                answer = {"ok": True}
            elif cmd == "ckpt_save":
                answer = state["ckpt"].save()
            elif cmd == "ckpt_load":
                answer = state["ckpt"].load()
            elif cmd == "sched_setup":
                state["sched"] = Schedules(request["config"], request.get("cfg_options", []))
                answer = {"ok": True}
            elif cmd == "sched":
                answer = state["sched"].run(request["iters"])
            elif cmd == "quit":
                return
            else:
                answer = {"error": f"unknown command {cmd!r}"}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller
            answer = {"error": f"{cmd}: {type(e).__name__}: {e}"}
        print(json.dumps(answer), file=PROTOCOL, flush=True)


if __name__ == "__main__":
    main()
