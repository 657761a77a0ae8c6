//! `collect_env`, both backends and mixed precision in a real browser: headless
//! Chromium started by wasm-bindgen's test runner with `--enable-unsafe-webgpu` (see
//! `webdriver.json`), which gives a SwiftShader WebGPU adapter on machines without a
//! GPU.
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

/// A runner of a (spiral) config `text` on `device` in the browser, writing no files.
async fn spiral_runner(text: &str, device: DeviceChoice) -> playground_strategy::runner::Runner {
    use playground_strategy::runner::{Runner, RunnerOptions};

    let cfg = ExperimentConfig::from_text(text, &Registries::default()).expect("parses");
    Runner::from_config(
        cfg,
        RunnerOptions {
            device,
            write_files: false,
            ..RunnerOptions::default()
        },
    )
    .await
    .expect("builds in the browser")
}

/// Trains the spiral preset's first 20 epochs in the browser with the whole loop
/// (strategy, wrapper, schedulers, hooks, validation) and asynchronous read-backs.
async fn train_spiral_in_the_browser(device: DeviceChoice) -> (f64, f64, String) {
    let text = include_str!("../../../public/configs/spiral_mlp.toml")
        .replace("max_epochs = 100\n", "max_epochs = 20\n");
    let mut runner = spiral_runner(&text, device).await;
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

/// The spiral preset under `AmpOptimWrapper` (`amp`: its keys, TOML lines) for
/// `epochs` epochs in the browser on `device`, built (not trained yet).
async fn amp_spiral(
    device: DeviceChoice,
    amp: &str,
    epochs: usize,
) -> playground_strategy::runner::Runner {
    let text = include_str!("../../../public/configs/spiral_mlp.toml")
        .replace("max_epochs = 100\n", &format!("max_epochs = {epochs}\n"))
        .replace(
            "type = \"OptimWrapper\"\n",
            &format!("type = \"AmpOptimWrapper\"\n{amp}\n"),
        );
    spiral_runner(&text, device).await
}

fn loss_drop(r: &playground_strategy::runner::Runner) -> (f64, f64) {
    let losses = r.hub.history("train/loss");
    let mean = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v).sum::<f64>() / s.len() as f64;
    (mean(&losses[..25]), mean(&losses[losses.len() - 25..]))
}

async fn scale(r: &playground_strategy::runner::Runner) -> f64 {
    let state = r.optim_state_dict().await.expect("state");
    let scaler = state.wrappers[0].loss_scaler.clone().expect("a scaler");
    scaler["scale"].as_f64().expect("a number")
}

/// Mixed precision on the page's CPU backend, in f16: a scale of 1e12 overflows, backs
/// off by exact halvings (each such step skipped after the flag is read back without
/// blocking), and the run learns; a static scale of 1e30 skips every step.
#[wasm_bindgen_test]
async fn amp_trains_in_f16_on_the_cpu_backend_in_the_browser() {
    use burn::tensor::FloatDType;

    let amp = "dtype = \"float16\"\nloss_scale = { init_scale = 1.0e12, growth_interval = 100000 }";
    let mut r = amp_spiral(DeviceChoice::Cpu, amp, 20).await;
    r.train().await.expect("trains in f16 in the browser");
    assert_eq!(
        r.prepared.optim_wrapper.compute_dtype(),
        Some(FloatDType::F16)
    );
    let s = scale(&r).await;
    let halvings = (f64::from(1.0e12f32) / s).log2();
    assert!(s < 1e9 && halvings == halvings.round(), "backed off: {s}");
    let (first, last) = loss_drop(&r);
    assert!(last < first * 0.93, "f16 loss {first} -> {last}");

    let mut still = amp_spiral(DeviceChoice::Cpu, "loss_scale = 1.0e30", 1).await;
    let before = still.model_state_dict().await.expect("weights");
    still.train().await.expect("trains");
    assert_eq!(still.hub.iter, 25);
    assert_eq!(
        still.model_state_dict().await.expect("weights"),
        before,
        "every step overflowed and was skipped"
    );
}

/// Mixed precision on WebGPU: reports whether the adapter offers `shader-f16` and
/// computes in f16 exactly where it does. Without it (`dtype_fallback = "float32"`) the
/// run is f32 with a loss scale that is a power of two, and scaling by a power of two
/// is exact: the run must equal the same config under a plain `OptimWrapper` on WebGPU
/// bit for bit, while the scaler grows exactly (five doublings in 25 clean steps with
/// `growth_interval = 5`). That checks the browser's deferred step end to end on WebGPU.
#[wasm_bindgen_test]
async fn amp_on_webgpu_uses_shader_f16_where_offered() {
    use web_time::Instant;

    let report = collect_env().await;
    let shader_f16 = report.browser.as_ref().is_some_and(|b| b.shader_f16);
    wasm_bindgen_test::console_log!("WebGPU shader-f16 offered: {shader_f16}");
    let amp = "dtype = \"float16\"\ndtype_fallback = \"float32\"\n\
               loss_scale = { init_scale = 65536.0, growth_interval = 5 }";
    let mut r = amp_spiral(DeviceChoice::Wgpu, amp, 1).await;
    assert_eq!(
        r.prepared.optim_wrapper.compute_dtype().is_some(),
        shader_f16,
        "f16 exactly where the adapter offers shader-f16"
    );
    let initial = r.model_state_dict().await.expect("weights");
    let t = Instant::now();
    r.train().await.expect("trains on WebGPU");
    let amp_s = t.elapsed().as_secs_f64();
    let trained = r.model_state_dict().await.expect("weights");
    assert_eq!(r.hub.iter, 25);
    assert_ne!(trained, initial, "steps were taken");
    if shader_f16 {
        return;
    }
    assert_eq!(scale(&r).await, 65536.0 * 32.0, "f32 never overflows here");
    // The same epoch under a plain OptimWrapper.
    let text = include_str!("../../../public/configs/spiral_mlp.toml")
        .replace("max_epochs = 100\n", "max_epochs = 1\n");
    let mut plain = spiral_runner(&text, DeviceChoice::Wgpu).await;
    let t = Instant::now();
    plain.train().await.expect("trains on WebGPU");
    let plain_s = t.elapsed().as_secs_f64();
    wasm_bindgen_test::console_log!(
        "25 iterations on WebGPU: {amp_s:.1} s with the loss scaler (a flag read back each \
         step), {plain_s:.1} s without"
    );
    assert_eq!(
        plain.model_state_dict().await.expect("weights"),
        trained,
        "a power-of-two loss scale changes nothing in f32"
    );
}
