//! Schedule simulation speed: ten schedulers chained over 1,000,000 iterations, and
//! the 10,000-iteration curve the web preview redraws on every keystroke (which must
//! fit well inside one 60 Hz frame, 16.7 ms).

use criterion::{Criterion, criterion_group, criterion_main};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::scheduler::simulate;

/// Ten schedulers over `iters` iterations, windows spread over the run so all of
/// them are active somewhere and several overlap (they compound).
fn chained(iters: i64) -> ExperimentConfig {
    let q = iters / 10;
    let text = format!(
        r#"
[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1
momentum = 0.9
[train_cfg]
by_epoch = false
max_iters = {iters}
[[param_scheduler]]
type = "LinearLR"
start_factor = 0.01
by_epoch = false
end = {q}
[[param_scheduler]]
type = "CosineAnnealingLR"
by_epoch = false
begin = {q}
end = {e1}
eta_min = 0.0001
[[param_scheduler]]
type = "StepLR"
step_size = {s}
gamma = 0.9
by_epoch = false
[[param_scheduler]]
type = "MultiStepLR"
milestones = [{m1}, {m2}, {m3}]
gamma = 0.5
by_epoch = false
[[param_scheduler]]
type = "ExponentialLR"
gamma = 0.9999999
by_epoch = false
[[param_scheduler]]
type = "PolyLR"
power = 2.0
eta_min = 0.00001
by_epoch = false
begin = {e1}
[[param_scheduler]]
type = "CosineRestartLR"
periods = [{q}, {q}, {q}]
restart_weights = [1.0, 0.8, 0.6]
eta_min = 0.0
by_epoch = false
begin = {e1}
end = {e2}
[[param_scheduler]]
type = "ConstantLR"
factor = 0.5
by_epoch = false
begin = {e2}
end = {e3}
[[param_scheduler]]
type = "CosineAnnealingMomentum"
by_epoch = false
eta_min = 0.85
[[param_scheduler]]
type = "LinearMomentum"
start_factor = 0.95
by_epoch = false
end = {q}
"#,
        e1 = 4 * q,
        e2 = 7 * q,
        e3 = 8 * q,
        s = q / 3,
        m1 = 2 * q,
        m2 = 5 * q,
        m3 = 9 * q,
    );
    ExperimentConfig::from_text(&text, &Registries::default()).expect("bench config parses")
}

fn bench(c: &mut Criterion) {
    let million = chained(1_000_000);
    c.bench_function(
        "simulate 10 chained schedulers x 1,000,000 iterations",
        |b| b.iter(|| simulate(&million, None).expect("simulates")),
    );
    let preview = chained(10_000);
    c.bench_function("simulate the 10,000-iteration preview", |b| {
        b.iter(|| simulate(&preview, None).expect("simulates"))
    });
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../public/configs/spiral_mlp.toml"
    ))
    .expect("preset");
    c.bench_function(
        "parse + simulate the spiral preset (1,000 iterations)",
        |b| {
            b.iter(|| {
                let cfg =
                    ExperimentConfig::from_text(&text, &Registries::default()).expect("parses");
                simulate(&cfg, Some(25)).expect("simulates")
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
