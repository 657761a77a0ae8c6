//! Data-parallel scaling: the same workload through `DDPStrategy` on several devices
//! against `SingleDeviceStrategy` on one, in samples per second. Each device trains on
//! its own batch of the workload's `batch_size` (MMEngine's per-device batch), so two
//! devices process twice the samples per iteration; the ratio is the speed-up. Also
//! the same over two remote workers on loopback (burn's remote backend, WebSocket),
//! with the reduction's cost per iteration.

use std::time::Instant;

use anyhow::{Context, Result};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};

use crate::rows::Row;
use crate::stats::interleaved;
use crate::train::{EPOCH_OPTIONS, workspace_root};

/// The scaling workloads (the issue's): the digits CNN and the 784-256-10 MLP.
const WORKLOADS: [(&str, &str, usize); 2] = [
    (
        "digits CNN (conv 16, conv 32, fc 64), batch 64 per device, AdamW, clip_grad",
        "public/configs/digits_cnn.toml",
        60,
    ),
    (
        "wide MLP 784-256-10 (ReLU), batch 64 per device, SGD momentum",
        "crates/bench/workloads/wide_mlp.toml",
        120,
    ),
];

fn runner(config: &str, devices: &[DeviceChoice]) -> Result<Runner> {
    let path = workspace_root().join(config);
    let options: Vec<String> = EPOCH_OPTIONS.iter().map(|s| s.to_string()).collect();
    let cfg = ExperimentConfig::load(&path, &options, &Registries::default())
        .with_context(|| format!("loading {}", path.display()))?;
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            devices: devices.to_vec(),
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .with_context(|| format!("building the runner of {config} on {devices:?}"))
}

/// Samples per second over `iters` iterations (waiting for the device at the end).
fn samples_per_second(r: &mut Runner, iters: usize) -> Result<f64> {
    let per_iter = r.train_loader.batch_size * r.world_size();
    let t = Instant::now();
    for _ in 0..iters {
        pollster::block_on(r.train_iter()).context("a training iteration")?;
    }
    pollster::block_on(r.flush()).context("reading the losses")?;
    Ok((iters * per_iter) as f64 / t.elapsed().as_secs_f64())
}

/// Every workload on `devices` (DDP) against one device of the first kind.
pub fn run(devices: &[DeviceChoice], rounds: usize, scale: f64, machine: &str) -> Result<Vec<Row>> {
    let names: Vec<String> = devices
        .iter()
        .map(|d| format!("{d:?}").to_lowercase())
        .collect();
    let mut rows = Vec::new();
    for (label, config, block) in WORKLOADS {
        eprintln!(
            "bench: [data-parallel scaling] {label} on {}",
            names.join(",")
        );
        let iters = ((block as f64 * scale).round() as usize).max(5);
        let mut many = runner(config, devices)?;
        let mut one = runner(config, &devices[..1])?;
        let (ours, theirs) = interleaved(
            rounds,
            || samples_per_second(&mut many, iters),
            || samples_per_second(&mut one, iters),
        )?;
        rows.push(Row {
            group: "data-parallel scaling".into(),
            workload: format!(
                "{label}: DDPStrategy on {} devices ({})",
                devices.len(),
                names.join(",")
            ),
            ours,
            peer: format!("SingleDeviceStrategy on one {} device, the same per-device batch", names[0]),
            peer_value: Some(theirs),
            unit: "samples/s".into(),
            higher_is_better: true,
            machine: format!(
                "{machine}; the CPU backend computes on one thread per device, so each rank has a core"
            ),
            note: format!(
                "median of {rounds} interleaved blocks of {iters} iterations after a warm-up block; f32; every rank trains on its own batch, gradients averaged through rank 0's device after each backward; ratio = the speed-up"
            ),
        });
    }
    Ok(rows)
}

/// Starts a worker serving the CPU backend on a free loopback port (a thread of this
/// process, as `playground-cli worker --device cpu` would be a process) and returns
/// its address.
fn loopback_worker() -> Result<String> {
    let ready = pollster::block_on(playground_strategy::device::init_device(DeviceChoice::Cpu))
        .context("the CPU backend")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    let url = format!("ws://{}", listener.local_addr().context("its address")?);
    std::thread::spawn(move || playground_strategy::device::serve_device(&ready, listener));
    Ok(url)
}

/// Milliseconds per iteration over `iters` iterations.
fn ms_per_iter(r: &mut Runner, iters: usize) -> Result<f64> {
    let t = Instant::now();
    for _ in 0..iters {
        pollster::block_on(r.train_iter()).context("a training iteration")?;
    }
    pollster::block_on(r.flush()).context("reading the losses")?;
    Ok(t.elapsed().as_secs_f64() * 1e3 / iters as f64)
}

/// The digits CNN over two loopback workers against one local CPU device (samples
/// per second), and the reduction's cost: an iteration of DDP over the two workers
/// minus an iteration of one worker alone, same per-device batch.
pub fn run_remote(rounds: usize, scale: f64, machine: &str) -> Result<Vec<Row>> {
    let (label, config, block) = WORKLOADS[0];
    let iters = ((block as f64 * scale / 3.0).round() as usize).max(5);
    let (a, b) = (loopback_worker()?, loopback_worker()?);
    let remote = [DeviceChoice::Remote(a.clone()), DeviceChoice::Remote(b)];
    eprintln!("bench: [data-parallel scaling] {label} over two loopback workers");
    let mut ddp = runner(config, &remote)?;
    let mut local = runner(config, &[DeviceChoice::Cpu])?;
    let mut alone = runner(config, &[DeviceChoice::Remote(a)])?;
    let (ours, theirs) = interleaved(
        rounds,
        || samples_per_second(&mut ddp, iters),
        || samples_per_second(&mut local, iters),
    )?;
    let (two, one) = interleaved(
        rounds,
        || ms_per_iter(&mut ddp, iters),
        || ms_per_iter(&mut alone, iters),
    )?;
    let machine = format!(
        "{machine}; both workers are threads of the benchmark's process on 127.0.0.1 (WebSocket), sharing its cores with the trainer"
    );
    Ok(vec![
        Row {
            group: "data-parallel scaling".into(),
            workload: format!("{label}: DDPStrategy over two remote workers on loopback"),
            ours,
            peer: "SingleDeviceStrategy on one local CPU device, the same per-device batch".into(),
            peer_value: Some(theirs),
            unit: "samples/s".into(),
            higher_is_better: true,
            machine: machine.clone(),
            note: format!(
                "median of {rounds} interleaved blocks of {iters} iterations after a warm-up block; every operation goes over a WebSocket; the gradients of rank 1 move to rank 0's worker and back after each backward"
            ),
        },
        Row {
            group: "data-parallel scaling".into(),
            workload: format!(
                "{label}: the reduction's cost per iteration over two loopback workers"
            ),
            ours: (two - one).max(0.0),
            peer: format!("one worker alone: {one:.2} ms/iter; two with DDP: {two:.2} ms/iter"),
            peer_value: None,
            unit: "ms/iter".into(),
            higher_is_better: false,
            machine,
            note: format!(
                "median of {rounds} interleaved blocks of {iters} iterations; DDP over the two workers minus one worker training alone (SingleDeviceStrategy), same per-device batch"
            ),
        },
    ])
}
