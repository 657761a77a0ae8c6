//! Sequence models in headless Chromium, driven through the worker's session: the
//! sorting preset (shortened) learns on the CPU backend with its answers and attention
//! in the progress reports, a checkpoint resumes bit-identically, the same model runs
//! on WebGPU, and a text model trains from a file the page hands over.

use playground_strategy::device::DeviceChoice;
use playground_web::presets::PRESETS;
use playground_web::worker::session::Session;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::train;

wasm_bindgen_test_configure!(run_in_browser);

fn preset(file: &str) -> &'static str {
    PRESETS
        .iter()
        .find(|p| p.file == file)
        .map(|p| p.text)
        .unwrap_or_else(|| panic!("no preset {file}"))
}

/// The sorting preset with four digits, `iters` iterations and one validation at
/// the end.
fn short_sort(iters: usize) -> String {
    preset("sort_gpt.toml")
        .replace("length = 6", "length = 4")
        .replace("max_iters = 2000", &format!("max_iters = {iters}"))
        .replace("val_interval = 500", &format!("val_interval = {iters}"))
        .replace("end = 2000", &format!("end = {iters}"))
}

#[wasm_bindgen_test]
async fn sorting_learns_on_the_cpu_backend_with_answers_attention_and_exact_resume() {
    let config = short_sort(300);
    let mut s = Session::new(DeviceChoice::Cpu);
    s.ensure(&config).await.expect("the sorting preset builds");
    let first = s.progress(true, false).await;
    let map = first.attention.expect("a transformer's attention");
    assert_eq!((map.layers, map.heads, map.tokens.len()), (2, 4, 8));
    s.set_attention(2, 1, 3);

    let p = train(&mut s, 300).await;
    assert_eq!(p.metric_name, "token_accuracy/top1");
    let (_, token) = *p.metric.last().expect("validated at the end");
    // Chance is 10 %.
    assert!(token > 60.0, "token accuracy {token}");
    let answers = p.samples.expect("the model's answers after the validation");
    assert_eq!(answers.kind, "sort");
    assert!(!answers.rows.is_empty());
    assert!(
        answers
            .rows
            .iter()
            .all(|r| r.correct == (r.answer == r.expected))
    );
    let map = p.attention.expect("the chosen head");
    assert_eq!((map.layer, map.head, map.tokens.len()), (1, 3, 8));
    for (i, row) in map.weights.chunks(8).enumerate() {
        assert!(row[i + 1..].iter().all(|&w| w == 0.0), "causal row {i}");
    }

    // Download, upload into a fresh session, go on: bit for bit.
    let (name, bytes) = s.checkpoint().await.expect("saves");
    let longer = short_sort(320);
    let mut a = Session::new(DeviceChoice::Cpu);
    a.resume(&longer, &name, &bytes).await.expect("resumes");
    let mut b = Session::new(DeviceChoice::Cpu);
    b.resume(&longer, &name, &bytes).await.expect("resumes");
    let (ra, rb) = (train(&mut a, 10).await, train(&mut b, 10).await);
    assert_eq!(ra.iter, 310);
    assert_eq!(ra.losses, rb.losses, "resumed runs agree bit for bit");
}

#[wasm_bindgen_test]
async fn a_tiny_gpt_trains_on_webgpu_and_its_checkpoint_resumes_on_the_cpu() {
    let config = short_sort(300);
    let mut s = Session::new(DeviceChoice::Wgpu);
    s.ensure(&config).await.expect("builds on WebGPU");
    let p = train(&mut s, 3).await;
    assert!(p.device.starts_with("wgpu: "), "{}", p.device);
    assert!(
        p.losses.iter().all(|(_, l)| l.is_finite()),
        "{:?}",
        p.losses
    );
    let (_, bytes) = s.checkpoint().await.expect("saves from WebGPU");
    let mut cpu = Session::new(DeviceChoice::Cpu);
    cpu.resume(&config, "webgpu.safetensors", &bytes)
        .await
        .expect("a WebGPU checkpoint resumes on the CPU backend");
    assert_eq!(cpu.progress(true, false).await.iter, 3);
}

#[wasm_bindgen_test]
async fn a_text_gru_trains_from_the_pages_file_and_completes_text() {
    let config = preset("text_gru.toml")
        .replace("max_iters = 3000", "max_iters = 20")
        .replace("val_interval = 500", "val_interval = 20")
        .replace("hidden_size = 192", "hidden_size = 32");
    let mut s = Session::new(DeviceChoice::Cpu);
    let missing = s.ensure(&config).await.unwrap_err();
    assert!(missing.contains("alice.txt"), "{missing}");
    let text = include_str!("../../public/data/text/alice.txt");
    // A part of the book keeps the test short.
    s.set_files(vec![(
        "../data/text/alice.txt".into(),
        text[..20_000].into(),
    )]);
    s.ensure(&config)
        .await
        .expect("builds from the page's file");
    let p = train(&mut s, 20).await;
    let samples = p.samples.expect("completions after the validation");
    assert_eq!(samples.kind, "text");
    assert!(samples.rows.iter().all(|r| !r.answer.is_empty()));
}
