//! Mixed precision against f32, ours on both sides: every training workload of
//! [`crate::train::WORKLOADS`] from the same config file, once with its own
//! `OptimWrapper` (f32) and once as `AmpOptimWrapper` in float16 with a dynamic loss
//! scale, on the CPU backend and on wgpu where the adapter offers `SHADER_F16`.

use std::time::Instant;

use anyhow::{Context, Result};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::env::collect_env;
use playground_strategy::runner::{Runner, RunnerOptions};

use crate::Settings;
use crate::rows::Row;
use crate::stats::interleaved;
use crate::train::{WORKLOADS, workspace_root};

/// The overrides that make a config train in f16 (everything else as in the file).
pub const AMP_F16: [&str; 3] = [
    "optim_wrapper.type=AmpOptimWrapper",
    "optim_wrapper.dtype=float16",
    "optim_wrapper.loss_scale=dynamic",
];

fn runner(path: &std::path::Path, options: &[String], device: &DeviceChoice) -> Result<Runner> {
    let cfg = ExperimentConfig::load(path, options, &Registries::default())
        .with_context(|| format!("loading {}", path.display()))?;
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: device.clone(),
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .with_context(|| format!("building the runner of {}", path.display()))
}

fn block_rate(runner: &mut Runner, block: usize) -> Result<f64> {
    let t = Instant::now();
    for _ in 0..block {
        pollster::block_on(runner.train_iter()).context("a training iteration")?;
    }
    pollster::block_on(runner.flush()).context("reading the losses")?;
    Ok(block as f64 / t.elapsed().as_secs_f64())
}

/// f16 (ours) against f32 (ours, as the row's peer) for every workload, on the CPU
/// backend and, where its first adapter offers `SHADER_F16`, on wgpu.
pub fn run(settings: &Settings) -> Result<Vec<Row>> {
    let report = pollster::block_on(collect_env());
    let wgpu_f16 = report.wgpu.adapters().first().is_some_and(|a| a.shader_f16);
    let mut devices = vec![(DeviceChoice::Cpu, "CPU backend (1 thread)".to_string())];
    match report.wgpu.adapters().first() {
        Some(a) if wgpu_f16 => devices.push((DeviceChoice::Wgpu, format!("wgpu on {}", a.name))),
        Some(a) => eprintln!(
            "bench: [precision] {} has no SHADER_F16: wgpu rows left out",
            a.name
        ),
        None => eprintln!("bench: [precision] no wgpu adapter: wgpu rows left out"),
    }
    let root = workspace_root();
    let mut rows = Vec::new();
    for (device, where_) in devices {
        for w in WORKLOADS.iter().filter(|w| settings.measures(w.name)) {
            let path = root.join(w.config);
            let block = ((w.block as f64 * settings.scale).round() as usize).max(5);
            let f32_opts: Vec<String> = w.options.iter().map(|s| s.to_string()).collect();
            let mut f16_opts = f32_opts.clone();
            f16_opts.extend(AMP_F16.iter().map(|s| s.to_string()));
            eprintln!("bench: [precision, {where_}] {}", w.label);
            let mut f16 = runner(&path, &f16_opts, &device)?;
            let mut f32 = runner(&path, &f32_opts, &device)?;
            let (ours, peer) = interleaved(
                settings.rounds,
                || block_rate(&mut f16, block),
                || block_rate(&mut f32, block),
            )?;
            let (per_iter, unit) = match w.tokens_per_iter {
                Some(t) => (t as f64, "tokens/s"),
                None => (1.0, "it/s"),
            };
            rows.push(Row {
                group: format!("mixed precision, {where_}"),
                workload: w.label.to_string(),
                ours: ours * per_iter,
                peer: "ours in f32 (the config's OptimWrapper)".to_string(),
                peer_value: Some(peer * per_iter),
                unit: unit.into(),
                higher_is_better: true,
                machine: settings.machine.clone(),
                note: format!(
                    "median of {} interleaved blocks of {block} iterations after a warm-up block \
                     (a block took {:.2} s in f16, {:.2} s in f32); \
                     ours: the same config as AmpOptimWrapper(dtype float16, dynamic scale): a \
                     float16 copy of the model each step, loss in f32, gradients unscaled and \
                     checked for inf/NaN (one read-back per step), update on f32 master weights",
                    settings.rounds,
                    block as f64 / ours,
                    block as f64 / peer
                ),
            });
        }
    }
    Ok(rows)
}
