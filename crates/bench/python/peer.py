"""The benchmarks' Python peer: PyTorch eager with MMEngine's OptimWrapper and parameter
schedulers, torch.save/torch.load, MMEngine's schedulers alone.

`playground-bench` starts this script (and again after every training workload, so each
measurement starts on a process that has trained nothing) and sends it one JSON object
per line on stdin; every answer is one JSON object per line on stdout. Timing happens here, around
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
  {"cmd": "csv_setup", "path": p} -> {"pandas": version}; {"cmd": "csv_read"} -> {"seconds": t, "rows": r, ...}
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
import mmengine.model  # noqa: F401 - registers the averaged models (EMAHook's)
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, PARAM_SCHEDULERS

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


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention: one fused query/key/value projection, a causal mask."""

    def __init__(self, n_embd, n_head, bias):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.n_head = n_head

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        heads = lambda z: z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, bias):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = nn.ModuleDict(
            dict(
                c_fc=nn.Linear(n_embd, 4 * n_embd, bias=bias),
                c_proj=nn.Linear(4 * n_embd, n_embd, bias=bias),
            )
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))


class TinyGpt(nn.Module):
    """The strategy crate's TinyGPT (nanoGPT's layout and names; dropout 0)."""

    def __init__(self, cfg, vocab, block):
        super().__init__()
        n_embd, n_head = cfg.get("n_embd", 64), cfg.get("n_head", 4)
        bias = cfg.get("bias", True)
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab, n_embd),
                wpe=nn.Embedding(block, n_embd),
                h=nn.ModuleList(Block(n_embd, n_head, bias) for _ in range(cfg.get("n_layer", 2))),
                ln_f=nn.LayerNorm(n_embd, bias=bias),
            )
        )
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        if cfg.get("tie_weights", True):
            self.lm_head.weight = self.transformer.wte.weight
        # GPT-2's initialisation, as the strategy crate's: weights normal(0, 0.02), the
        # residual projections normal(0, 0.02/sqrt(2 n_layer)), biases zero.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * len(self.transformer.h)))
            elif name.endswith(".weight") and p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias") and "ln_" not in name:
                nn.init.zeros_(p)

    def forward(self, idx):
        t = idx.shape[1]
        pos = torch.arange(t, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def build_model(cfg, data):
    kind = cfg["type"]
    if kind == "MLP":
        return Mlp(cfg)
    if kind == "DigitsCNN":
        return DigitsCnn(cfg)
    if kind == "TinyGPT":
        return TinyGpt(cfg, data["vocab"], data["block"])
    raise ValueError(f"model.type: the peer has no {kind}")


def sequence_shape(dataset):
    """(training samples, block, vocabulary, masked prompt targets) of a sort or
    reverse `SequenceTask`, as the strategy crate lays it out."""
    if dataset.get("task") not in ("sort", "reverse"):
        raise ValueError("train_dataloader.dataset.task: the peer has sort and reverse only")
    n = dataset["num_samples"]
    length, values = dataset.get("length", 6), dataset.get("vocab", 10)
    n_train = n - math.floor(n * dataset.get("val_ratio", 0.2))
    return n_train, 2 * length, values + 1, length


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
    """MMEngine's parameter schedulers from `param_scheduler`, as its runner builds them
    (`Runner.build_param_scheduler`): a missing `end` is the run's length; one with
    `convert_to_iter_based = True` is converted to iterations (`build_iter_from_epoch`);
    every other keeps its `by_epoch`. Returns (the ones `ParamSchedulerHook` steps
    after every iteration, the ones it steps after every epoch)."""
    train_cfg = cfg.get("train_cfg", {})
    per_iter, per_epoch = [], []
    for item in cfg.get("param_scheduler", []):
        item = dict(item)
        default_end = train_cfg.get("max_epochs" if item.get("by_epoch", True) else "max_iters")
        if default_end is not None:
            item.setdefault("end", default_end)
        if item.pop("convert_to_iter_based", False):
            cls = PARAM_SCHEDULERS.get(item.pop("type"))
            item.pop("by_epoch", None)
            per_iter.append(
                cls.build_iter_from_epoch(optim_wrapper, epoch_length=epoch_length, **item)
            )
        else:
            item["optimizer"] = optim_wrapper
            scheduler = PARAM_SCHEDULERS.build(item)
            (per_epoch if scheduler.by_epoch else per_iter).append(scheduler)
    return per_iter, per_epoch


def build_ema(cfg, model):
    """MMEngine's averaged model for an `EMAHook` in `custom_hooks` (built as the hook
    builds it), or None; any other custom hook is refused, so no work is left out."""
    ema = None
    for hook in cfg.get("custom_hooks", []):
        hook = dict(hook)
        kind = hook.pop("type")
        if kind != "EMAHook":
            raise ValueError(f"custom_hooks: the peer has no {kind}")
        for key in ("priority", "strict_load", "begin_iter", "begin_epoch"):
            if hook.pop(key, None) not in (None, 0, False, "NORMAL"):
                raise ValueError(f"custom_hooks: the peer does not take EMAHook's {key}")
        hook["type"] = hook.pop("ema_type", "ExponentialMovingAverage")
        ema = MODELS.build(hook, default_args=dict(model=model))
    return ema


class Trainer:
    """A full training iteration as MMEngine's runner runs it: batch, forward, loss,
    `OptimWrapper.update_params` (backward, clipping, step, zero_grad), `EMAHook`'s
    update where configured, the per-iteration schedulers' `step`, and the per-epoch
    ones' after the epoch's last batch.

    The loss is read back as our runner reads it (every `default_hooks.logger.interval`
    iterations, at every epoch's end and when a block ends: all the values queued since
    the last read, in one transfer); MMEngine's runner reads it every iteration, which
    on CUDA is a synchronisation each time."""

    def __init__(self, config, cfg_options, device, threads, seed):
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        cfg = load_config(config, cfg_options)
        self.device = torch.device(device)
        loader = cfg["train_dataloader"]
        self.batch = loader["batch_size"]
        self.drop_last = loader.get("drop_last", False)
        if loader["dataset"]["type"] == "SequenceTask":
            # Token sequences: ids in, the next ids out, the prompt's targets masked.
            n, block, vocab, prompt = sequence_shape(loader["dataset"])
            self.x = torch.randint(0, vocab, (n, block), device=self.device)
            self.y = torch.randint(0, vocab, (n, block), device=self.device)
            self.y[:, :prompt] = -1
            data = {"vocab": vocab, "block": block}
        else:
            n, k, classes = train_samples(loader["dataset"])
            self.x = torch.rand(n, k, device=self.device) * 2 - 1
            self.y = torch.randint(0, classes, (n,), device=self.device)
            data = {}
        self.model = build_model(cfg["model"], data).to(self.device)
        self.optim = build_optim_wrapper(self.model, cfg["optim_wrapper"])
        self.ema = build_ema(cfg, self.model)
        self.epoch_length = n // self.batch if self.drop_last else -(-n // self.batch)
        self.per_iter, self.per_epoch = build_schedulers(cfg, self.optim, self.epoch_length)
        logger = cfg.get("default_hooks", {}).get("logger", {})
        self.log_interval = logger.get("interval", 10)
        self.pending = []
        self.step = 0
        self.order = None

    def read_losses(self):
        """Every queued loss in one transfer; the last one."""
        values = torch.stack(self.pending).tolist()
        self.pending.clear()
        return values[-1]

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
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), self.y[idx].reshape(-1), ignore_index=-1
            )
            self.optim.update_params(loss)
            self.pending.append(loss.detach())
            self.step += 1
            epoch_end = i == self.epoch_length - 1
            if epoch_end or self.step % self.log_interval == 0:
                loss_value = self.read_losses()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            for s in self.per_iter:
                s.step()
            if epoch_end:
                for s in self.per_epoch:
                    s.step()
        if self.pending:
            loss_value = self.read_losses()
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
        # Epochs of one iteration: every scheduler steps once per iteration.
        per_iter, per_epoch = build_schedulers(cfg, self.optim, 1)
        self.schedulers = per_iter + per_epoch

    def run(self, iters):
        start = time.perf_counter()
        lr = float("nan")
        for _ in range(iters):
            lr = self.optim.param_groups[0]["lr"]
            for s in self.schedulers:
                s.step()
        return {"seconds": time.perf_counter() - start, "lr": lr}


class CsvTable:
    """`pandas.read_csv` of a table whose last column is a class-name label, then the
    labels to class indices in order of first appearance and the features to one
    row-major float32 array: what `read_csv` hands a dataset."""

    def __init__(self, path):
        import numpy
        import pandas

        self.np = numpy
        self.path = path
        self.pandas = pandas

    def read(self):
        start = time.perf_counter()
        frame = self.pandas.read_csv(self.path)
        labels, classes = self.pandas.factorize(frame.iloc[:, -1])
        features = self.np.ascontiguousarray(frame.iloc[:, :-1].to_numpy(dtype=self.np.float32))
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "rows": int(features.shape[0]),
            "features": int(features.shape[1]),
            "classes": len(classes),
            "labels": int(labels.shape[0]),
        }


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
            elif cmd == "csv_setup":
                state["csv"] = CsvTable(request["path"])
                answer = {"pandas": state["csv"].pandas.__version__}
            elif cmd == "csv_read":
                answer = state["csv"].read()
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
