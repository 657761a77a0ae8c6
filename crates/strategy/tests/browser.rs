//! `collect_env` and both backends in a real browser: headless Chromium started by
//! `wasm-pack test` with `--enable-unsafe-webgpu` (see `webdriver.json`), which gives a
//! SwiftShader WebGPU adapter on machines without a GPU.
#![cfg(target_family = "wasm")]

use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::{DeviceChoice, init_device, smoke_test};
use playground_strategy::env::{BackendName, WgpuReport, collect_env};
use playground_strategy::scheduler::simulate;
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
    assert_eq!(curves.iterations, 1000);
    let lr = &curves.series[0].lr;
    // LinearLR warm-up from 0.1 × 0.1 over 50 iterations, then cosine by epoch down
    // towards eta_min (the exact numbers are checked natively against MMEngine's).
    assert!((lr[0] - 0.01).abs() < 1e-15, "{}", lr[0]);
    assert!(lr[..50].windows(2).all(|w| w[1] > w[0]), "warm-up rises");
    assert!(lr[50..].windows(2).all(|w| w[1] <= w[0]), "cosine falls");
    assert!(lr[999] > 1e-4 && lr[999] < 1e-3, "{}", lr[999]);
    let err = ExperimentConfig::from_text("[train_cfg]\nmax_epochs = 0", &Registries::default())
        .unwrap_err();
    assert_eq!(err.path, "train_cfg.max_epochs");
}
