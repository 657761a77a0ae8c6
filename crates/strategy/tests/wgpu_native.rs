//! The wgpu backend on a real adapter (Mesa's lavapipe on machines without a GPU,
//! set up by `cargo xtask test`). No mock adapter: these fail where wgpu finds none.
#![cfg(not(target_family = "wasm"))]

use playground_strategy::device::{DeviceChoice, init_device, smoke_test};
use playground_strategy::env::{BackendName, WgpuReport, collect_env};

#[test]
fn collect_env_lists_at_least_one_wgpu_adapter() {
    let report = pollster::block_on(collect_env());
    let WgpuReport::Found { adapters } = &report.wgpu else {
        panic!("no wgpu adapter found: {:?}\n{report}", report.wgpu);
    };
    assert!(!adapters.is_empty());
    for a in adapters {
        assert!(!a.name.is_empty(), "adapter without a name: {a:?}");
        assert!(!a.backend.is_empty(), "adapter without a backend: {a:?}");
    }
    assert!(report.backends_compiled.contains(&BackendName::Wgpu));
    assert!(report.auto_device.backend.is_some(), "{report}");
}

#[test]
fn wgpu_backend_computes_matmul_and_gradient() {
    let ready = pollster::block_on(init_device(DeviceChoice::Wgpu)).expect("a wgpu device");
    assert_eq!(ready.backend, BackendName::Wgpu);
    let out = pollster::block_on(smoke_test(&ready)).expect("the smoke test runs on wgpu");
    assert_eq!(
        out,
        vec![19.0, 22.0, 43.0, 50.0, 2.0, 4.0, 6.0],
        "on {}",
        ready.description
    );
}

fn train_spiral(device: DeviceChoice, epochs: u32) -> playground_strategy::runner::Runner {
    train_spiral_with(device, epochs, &[]).expect("trains")
}

fn train_spiral_with(
    device: DeviceChoice,
    epochs: u32,
    options: &[&str],
) -> Result<playground_strategy::runner::Runner, playground_strategy::error::Error> {
    use playground_strategy::config::{ExperimentConfig, Registries};
    use playground_strategy::runner::{Runner, RunnerOptions};

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/configs/spiral_mlp.toml");
    let mut opts = vec![format!("train_cfg.max_epochs={epochs}")];
    opts.extend(options.iter().map(|o| o.to_string()));
    let cfg = ExperimentConfig::load(&path, &opts, &Registries::default()).expect("preset loads");
    pollster::block_on(async {
        let mut runner = Runner::from_config(
            cfg,
            RunnerOptions {
                device,
                write_files: false,
                ..RunnerOptions::default()
            },
        )
        .await?;
        runner.train().await?;
        Ok(runner)
    })
}

/// Mixed precision on the adapter: with `SHADER_F16` (lavapipe offers it) an f16
/// run learns; without it the run refuses with the key to change, and with
/// `dtype_fallback = "float32"` it trains in f32. Which branch ran is printed.
#[test]
fn amp_on_wgpu_uses_f16_where_the_adapter_offers_it() {
    let report = pollster::block_on(collect_env());
    let f16 = report.wgpu.adapters().first().is_some_and(|a| a.shader_f16);
    let amp = [
        "optim_wrapper.type=AmpOptimWrapper",
        "optim_wrapper.dtype=float16",
    ];
    eprintln!("wgpu adapter shader-f16: {f16}");
    if f16 {
        let r = train_spiral_with(DeviceChoice::Wgpu, 12, &amp).expect("an f16 run");
        let loss = r.hub.history("train/loss");
        let mean = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v).sum::<f64>() / s.len() as f64;
        let (first, last) = (mean(&loss[..25]), mean(&loss[loss.len() - 25..]));
        assert!(last < first * 0.95, "f16 loss {first} -> {last}");
    } else {
        let Err(err) = train_spiral_with(DeviceChoice::Wgpu, 1, &amp) else {
            panic!("an f16 run without shader-f16 was accepted");
        };
        assert!(err.to_string().contains("dtype_fallback"), "{err}");
        let mut with_fallback = amp.to_vec();
        with_fallback.push("optim_wrapper.dtype_fallback=float32");
        train_spiral_with(DeviceChoice::Wgpu, 1, &with_fallback).expect("trains in f32");
    }
}

#[test]
fn the_training_loop_on_wgpu_follows_the_cpu_run_and_the_loss_falls() {
    let gpu = train_spiral(DeviceChoice::Wgpu, 12);
    assert_eq!(gpu.strategy.device.backend, BackendName::Wgpu);
    let cpu = train_spiral(DeviceChoice::Cpu, 12);
    let (g, c) = (gpu.hub.history("train/loss"), cpu.hub.history("train/loss"));
    assert_eq!(g.len(), 300);
    // Same seed, same initial weights and batches: the first steps agree closely
    // (f32 kernels differ in summation order, so not bit for bit).
    for ((_, a), (_, b)) in g.iter().zip(c).take(20) {
        assert!((a - b).abs() <= 1e-3 * b.abs(), "wgpu {a} vs cpu {b}");
    }
    let mean = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v).sum::<f64>() / s.len() as f64;
    let (first, last) = (mean(&g[..25]), mean(&g[275..]));
    assert!(
        last < first * 0.95,
        "loss {first} -> {last} on {}",
        gpu.strategy.device.description
    );
}

/// PyTorch's `foreach` on the adapter: the grouped update (wgpu's default: the
/// parameters of a group as one concatenated tensor) and the per-parameter one
/// (`foreach = false`) give the same losses, bit for bit.
#[test]
fn foreach_on_wgpu_gives_the_per_parameter_results() {
    let grouped = train_spiral(DeviceChoice::Wgpu, 2);
    let plain = train_spiral_with(
        DeviceChoice::Wgpu,
        2,
        &["optim_wrapper.optimizer.foreach=false"],
    )
    .expect("trains");
    let (g, p) = (
        grouped.hub.history("train/loss"),
        plain.hub.history("train/loss"),
    );
    assert_eq!(g.len(), 50);
    let bits = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(g), bits(p), "grouped {g:?}\nper parameter {p:?}");
}
