//! Training throughput: full iterations of the playground's models through the
//! `Runner` (batch, forward, loss, backward, `OptimWrapper` step, schedulers, hooks)
//! against PyTorch eager driven by MMEngine's `OptimWrapper` and schedulers, built
//! from the same config file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::{DeviceChoice, init_device};
use playground_strategy::runner::{Runner, RunnerOptions};
use serde_json::json;

use crate::Settings;
use crate::peer::{Peer, Versions};
use crate::rows::Row;
use crate::stats::interleaved;

/// One workload: a config file and the overrides that make it run for as long as the
/// benchmark needs, without validation.
pub struct Workload {
    /// Its short name (`--workloads`).
    pub name: &'static str,
    /// The name in the table, with its shapes.
    pub label: &'static str,
    /// The config file, relative to the workspace root.
    pub config: &'static str,
    /// Iterations of the first (warm-up) block; the measured blocks are sized from its
    /// speed to last about a second on our side.
    pub block: usize,
    /// The overrides that make it run without validation or end.
    pub options: &'static [&'static str],
    /// Tokens one iteration trains on (a sequence model's rows count tokens per
    /// second: iterations per second × this); `None`: iterations per second.
    pub tokens_per_iter: Option<usize>,
}

/// The workloads: the spiral MLP (batch 16), a wider MLP (784-256-10, batch 64), the
/// digits CNN (batch 64) and the tiny GPT of the sorting preset (tokens per second).
pub const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "spiral",
        label: "spiral MLP 2-32-32-2 (tanh), batch 16, Adam, LinearLR + CosineAnnealingLR",
        config: "crates/bench/workloads/spiral_mlp.toml",
        block: 1000,
        options: &EPOCH_OPTIONS,
        tokens_per_iter: None,
    },
    Workload {
        name: "wide",
        label: "wide MLP 784-256-10 (ReLU), batch 64, SGD momentum, LinearLR + CosineAnnealingLR",
        config: "crates/bench/workloads/wide_mlp.toml",
        block: 200,
        options: &EPOCH_OPTIONS,
        tokens_per_iter: None,
    },
    Workload {
        name: "digits",
        label: "digits CNN (conv 16, conv 32, fc 64), batch 64, AdamW, clip_grad, paramwise, EMA, LinearLR + MultiStepLR",
        config: "public/configs/digits_cnn.toml",
        block: 100,
        options: &EPOCH_OPTIONS,
        tokens_per_iter: None,
    },
    Workload {
        name: "gpt",
        label: "tiny GPT (2 layers, 4 heads, width 64, tied head) sorting 6 digits: 12 tokens, batch 64, AdamW, clip_grad, paramwise, LinearLR + CosineAnnealingLR",
        config: "public/configs/sort_gpt.toml",
        block: 20,
        options: &ITER_OPTIONS,
        tokens_per_iter: Some(64 * 12),
    },
];

/// No validation and no end within the benchmark (the schedules keep their own
/// `begin`/`end`, so they are the same as in the preset): an epoch-based config.
pub const EPOCH_OPTIONS: [&str; 2] = [
    "train_cfg.max_epochs=100000",
    "train_cfg.val_interval=100000",
];

/// The same for an iteration-based config.
pub const ITER_OPTIONS: [&str; 2] = [
    "train_cfg.max_iters=10000000",
    "train_cfg.val_interval=10000000",
];

/// `n` training iterations, then the wait for the device: the read-back of the losses
/// still queued (the peer reads its own at a block's end too).
fn train_block(runner: &mut Runner, n: usize) -> Result<()> {
    for _ in 0..n {
        pollster::block_on(runner.train_iter()).context("our training iteration")?;
    }
    pollster::block_on(runner.flush()).context("reading the losses")?;
    Ok(())
}

/// The workspace root (the configs' paths and the peer script are relative to it):
/// `PLAYGROUND_ROOT` when set (a copied binary run in another checkout, such as the GPU
/// kit's), else the checkout it was built in.
pub fn workspace_root() -> PathBuf {
    match std::env::var_os("PLAYGROUND_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
    }
}

/// Measures every workload on `device` against the peer on `peer_device`; the rows go
/// in `group`, each appended to `rows_file` (and printed) as soon as it is measured, so
/// a run stopped part-way (the GPU kit's `timeout`) keeps the rows it finished.
pub fn run(
    peer: &mut Peer,
    versions: &Versions,
    (device, peer_device): (DeviceChoice, &str),
    group: &str,
    settings: &Settings,
    rows_file: Option<&Path>,
) -> Result<()> {
    let Settings {
        rounds,
        threads,
        scale,
        ref machine,
        ..
    } = *settings;
    let root = workspace_root();
    let ready =
        pollster::block_on(init_device(device.clone())).context("initialising our device")?;
    let group = group.to_string();
    let machine = match device {
        DeviceChoice::Cpu => format!("{machine}; ours on 1 thread"),
        _ => format!("{machine}; ours on {}", ready.description),
    };
    let peer_name = format!(
        "PyTorch {} eager ({}) + MMEngine {} OptimWrapper and schedulers, {threads} thread{}",
        versions.torch,
        match (peer_device, &versions.cuda) {
            ("cuda", Some(name)) => format!("CUDA, {name}"),
            _ => "CPU".to_string(),
        },
        versions.mmengine,
        if threads == 1 { "" } else { "s" }
    );
    for w in WORKLOADS.iter().filter(|w| settings.measures(w.name)) {
        let path = root.join(w.config);
        let block = ((w.block as f64 * scale).round() as usize).max(5);
        let options: Vec<String> = w.options.iter().map(|s| s.to_string()).collect();
        eprintln!("bench: [{group}] {}", w.label);
        let cfg = ExperimentConfig::load(&path, &options, &Registries::default())
            .with_context(|| format!("loading {}", path.display()))?;
        let mut runner = pollster::block_on(Runner::from_config(
            cfg,
            RunnerOptions {
                device: device.clone(),
                write_files: false,
                ..RunnerOptions::default()
            },
        ))
        .with_context(|| format!("building the runner of {}", path.display()))?;
        peer.call(json!({
            "cmd": "train_setup",
            "config": path,
            "cfg_options": options,
            "device": peer_device,
            "threads": threads,
            "seed": 0,
        }))?;
        // The first iteration alone: it compiles (and, with burn's autotune, tunes) the
        // kernels on wgpu.
        let t = Instant::now();
        train_block(&mut runner, 1)?;
        let first = t.elapsed().as_secs_f64();
        // Warm-up, which also sizes the measured blocks: about a second of our training
        // each.
        let t = Instant::now();
        train_block(&mut runner, block)?;
        let warm = t.elapsed().as_secs_f64();
        let block = ((block as f64 / warm * scale).round() as usize).clamp(5, 100_000);
        peer.seconds(json!({"cmd": "train", "iters": block}))?;
        let (ours, theirs) = interleaved(
            rounds,
            || -> Result<f64> {
                let t = Instant::now();
                train_block(&mut runner, block)?;
                Ok(block as f64 / t.elapsed().as_secs_f64())
            },
            || -> Result<f64> {
                let s = peer.seconds(json!({"cmd": "train", "iters": block}))?;
                Ok(block as f64 / s)
            },
        )?;
        let (per_iter, unit) = match w.tokens_per_iter {
            Some(t) => (t as f64, "tokens/s"),
            None => (1.0, "it/s"),
        };
        let row = Row {
            group: group.clone(),
            workload: w.label.to_string(),
            ours: ours * per_iter,
            peer: peer_name.clone(),
            peer_value: Some(theirs * per_iter),
            unit: unit.into(),
            higher_is_better: true,
            machine: machine.clone(),
            note: format!(
                "median of {rounds} interleaved blocks of {block} iterations after a warm-up block (a block took {:.2} s ours, {:.2} s the peer's); f32; a fresh peer process per workload; both sides read the same config file and read the loss back every `logger.interval` iterations and at each epoch's end; our first iteration took {first:.2} s",
                block as f64 / ours,
                block as f64 / theirs
            ),
        };
        crate::rows::append(rows_file, std::slice::from_ref(&row))?;
        // A fresh peer for whatever comes next (the next workload, the next group): a
        // long-lived one carried its allocator's and thread pool's state from one
        // workload to the next (BENCHMARKS.md, "Fixed while measuring").
        peer.restart()
            .with_context(|| format!("restarting the Python peer after {}", w.label))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_loads_with_the_bench_overrides() {
        for w in &WORKLOADS {
            let options: Vec<String> = w.options.iter().map(|s| s.to_string()).collect();
            let path = workspace_root().join(w.config);
            let cfg = ExperimentConfig::load(&path, &options, &Registries::default())
                .unwrap_or_else(|e| panic!("{}: {e:?}", w.config));
            assert!(cfg.model.is_some(), "{}", w.config);
            assert!(cfg.optim_wrapper.is_some(), "{}", w.config);
        }
    }

    #[test]
    fn workloads_are_chosen_by_their_short_names() {
        let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        assert_eq!(names, ["spiral", "wide", "digits", "gpt"]);
        let gpt_only = Settings {
            rounds: 1,
            threads: 1,
            scale: 1.0,
            machine: String::new(),
            workloads: vec!["gpt".to_string()],
        };
        let chosen: Vec<&str> = WORKLOADS
            .iter()
            .filter(|w| gpt_only.measures(w.name))
            .map(|w| w.name)
            .collect();
        assert_eq!(chosen, ["gpt"]);
        let every = Settings {
            workloads: Vec::new(),
            ..gpt_only
        };
        assert!(names.iter().all(|n| every.measures(n)));
    }
}
