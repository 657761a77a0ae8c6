//! `collect_env` and both backends in a real browser: headless Chromium started by
//! `wasm-pack test` with `--enable-unsafe-webgpu` (see `webdriver.json`), which gives a
//! SwiftShader WebGPU adapter on machines without a GPU.
#![cfg(target_family = "wasm")]

use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::{DeviceChoice, init_device, smoke_test};
use playground_strategy::env::{BackendName, WgpuReport, collect_env};
use playground_strategy::plan::simulate;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const EXPECTED: [f32; 7] = [19.0, 22.0, 43.0, 50.0, 2.0, 4.0, 6.0];

#[wasm_bindgen_test]
async fn collect_env_reports_the_browser_and_its_webgpu_adapter() {
    let report = collect_env().await;
    let browser = report
        .browser
        .as_ref()
        .expect("a browser report in the browser");
    assert!(
        browser.user_agent.contains("Chrome"),
        "user agent: {}",
        browser.user_agent
    );
    assert!(browser.navigator_gpu, "{report}");
    assert!(
        browser.webgpu_adapter,
        "requestAdapter() gave nothing: {report}"
    );
    let WgpuReport::Found { adapters } = &report.wgpu else {
        panic!("no adapter: {report}");
    };
    assert_eq!(adapters[0].backend, "webgpu", "{report}");
    assert_eq!(
        report.auto_device.backend,
        Some(BackendName::Wgpu),
        "{report}"
    );
    assert_eq!(report.arch, "wasm32");
}

#[wasm_bindgen_test]
async fn cpu_backend_computes_in_the_browser() {
    let ready = init_device(DeviceChoice::Cpu).await.expect("cpu device");
    assert_eq!(smoke_test(&ready).await.expect("runs"), EXPECTED);
}

#[wasm_bindgen_test]
async fn webgpu_backend_computes_in_the_browser() {
    let ready = init_device(DeviceChoice::Wgpu)
        .await
        .expect("a WebGPU device");
    assert_eq!(ready.backend, BackendName::Wgpu);
    assert_eq!(
        smoke_test(&ready).await.expect("runs on WebGPU"),
        EXPECTED,
        "on {}",
        ready.description
    );
}

#[wasm_bindgen_test]
fn schedule_preview_runs_in_the_browser() {
    let text = include_str!("../../../public/configs/spiral_mlp.toml");
    let cfg = ExperimentConfig::from_text(text, &Registries::default()).expect("the preset parses");
    let curves = simulate(&cfg, Some(25)).expect("simulates");
    assert_eq!(curves.iterations, 2500);
    let lr = &curves.series[0].lr;
    // LinearLR warm-up from 0.1 × 0.01 over 50 iterations, then cosine by epoch down
    // towards eta_min (the exact numbers are checked natively against MMEngine's).
    assert!((lr[0] - 0.001).abs() < 1e-15, "{}", lr[0]);
    assert!(lr[..50].windows(2).all(|w| w[1] > w[0]), "warm-up rises");
    assert!(lr[50..].windows(2).all(|w| w[1] <= w[0]), "cosine falls");
    assert!(lr[2499] > 1e-4 && lr[2499] < 1e-3, "{}", lr[2499]);
    let err = ExperimentConfig::from_text("[train_cfg]\nmax_epochs = 0", &Registries::default())
        .unwrap_err();
    assert_eq!(err.path, "train_cfg.max_epochs");
}

/// Trains the spiral preset's first 20 epochs in the browser with the whole loop
/// (strategy, wrapper, schedulers, hooks, validation) and asynchronous read-backs.
async fn train_spiral_in_the_browser(device: DeviceChoice) -> (f64, f64, String) {
    use playground_strategy::runner::{Runner, RunnerOptions};

    let text = include_str!("../../../public/configs/spiral_mlp.toml")
        .replace("max_epochs = 100\n", "max_epochs = 20\n");
    let cfg = ExperimentConfig::from_text(&text, &Registries::default()).expect("parses");
    let mut runner = Runner::from_config(
        cfg,
        RunnerOptions {
            device,
            write_files: false,
            ..RunnerOptions::default()
        },
    )
    .await
    .expect("builds in the browser");
    runner.train().await.expect("trains in the browser");
    let losses = runner.hub.history("train/loss");
    assert_eq!(losses.len(), 500);
    assert_eq!(runner.hub.history("val/accuracy/top1").len(), 2);
    let mean = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v).sum::<f64>() / s.len() as f64;
    (
        mean(&losses[..25]),
        mean(&losses[475..]),
        runner.strategy.device.description.clone(),
    )
}

#[wasm_bindgen_test]
async fn the_spiral_trains_in_the_browser_on_the_cpu_backend() {
    let (first, last, device) = train_spiral_in_the_browser(DeviceChoice::Cpu).await;
    assert!(last < first * 0.93, "loss {first} -> {last} on {device}");
}

#[wasm_bindgen_test]
async fn the_spiral_trains_in_the_browser_on_webgpu() {
    let (first, last, device) = train_spiral_in_the_browser(DeviceChoice::Wgpu).await;
    assert!(device.contains("webgpu"), "{device}");
    assert!(last < first * 0.93, "loss {first} -> {last} on {device}");
}

#[wasm_bindgen_test]
async fn a_checkpoint_saved_from_webgpu_reloads_in_the_browser() {
    use playground_strategy::checkpoint::Checkpoint;
    use playground_strategy::runner::{Runner, RunnerOptions};

    let text = include_str!("../../../public/configs/spiral_mlp.toml")
        .replace("max_epochs = 100\n", "max_epochs = 2\n");
    let build = |device| {
        let cfg = ExperimentConfig::from_text(&text, &Registries::default()).expect("parses");
        Runner::from_config(
            cfg,
            RunnerOptions {
                device,
                write_files: false,
                ..RunnerOptions::default()
            },
        )
    };
    let mut gpu = build(DeviceChoice::Wgpu).await.expect("builds on WebGPU");
    for _ in 0..30 {
        gpu.train_iter().await.expect("trains");
    }
    // Save with asynchronous reads, as bytes (what the web app downloads).
    let bytes = gpu
        .checkpoint(true, true)
        .await
        .expect("checkpoint")
        .to_bytes()
        .expect("bytes");
    let ck = Checkpoint::from_bytes(&bytes).expect("parses in the browser");
    assert_eq!(ck.iter(), 30);
    // Resume on the CPU backend: same weights, and the loop carries on from iteration 30.
    let mut cpu = build(DeviceChoice::Cpu)
        .await
        .expect("builds on the CPU backend");
    cpu.resume(ck.clone(), true, true).expect("resumes");
    let weights = cpu.model_state_dict().await.expect("weights");
    assert_eq!(weights, ck.state_dict);
    assert!(cpu.train_iter().await.expect("continues"));
    assert_eq!(cpu.hub.iter, 31);
    // A damaged file is refused with a clear message.
    let err = Checkpoint::from_bytes(&bytes[..bytes.len() / 2]).expect_err("truncated");
    assert!(
        err.to_string().contains("not a readable checkpoint"),
        "{err}"
    );
}
