//! Mixed precision (`AmpOptimWrapper`) on the CPU backend: f16 and bf16 runs learn as
//! their f32 twin does, an overflowing scale backs off and steps with inf gradients
//! are skipped, the scaler's state is checkpointed and a resumed run is bit-identical.
//! The scaler's laws themselves are replayed against PyTorch's `GradScaler` in
//! `src/optim/loss_scaler.rs`.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::runner::Runner;

use common::runs::{law, load, preset, run, runner};

const AMP_F16: &[&str] = &[
    "optim_wrapper.type=AmpOptimWrapper",
    "optim_wrapper.loss_scale=dynamic",
    "optim_wrapper.dtype=float16",
];

fn accuracy(r: &Runner) -> f64 {
    r.last_val.get("accuracy/top1").copied().expect("validated")
}

fn log_text(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in walk(dir) {
        if entry.extension().is_some_and(|x| x == "log") {
            text += &std::fs::read_to_string(&entry).expect("log readable");
        }
    }
    text
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn final_loss(r: &Runner) -> f64 {
    let h = r.hub.history("train/loss");
    let tail = &h[h.len() - 50..];
    tail.iter().map(|(_, v)| v).sum::<f64>() / tail.len() as f64
}

/// The spiral preset (60 epochs) in f32, f16 and bf16: the low-precision runs end
/// within 3 points of the f32 run's validation accuracy and within 25 % (+0.02) of
/// its final training loss, and all learned it.
#[test]
fn f16_and_bf16_runs_learn_as_their_f32_twin() {
    let short = "train_cfg.max_epochs=60";
    let f32_dir = tempfile::tempdir().expect("tempdir");
    let f32_run = run(load(&preset("spiral_mlp.toml"), &[short]), f32_dir.path());
    let f32_acc = accuracy(&f32_run);
    for dtype in ["float16", "bfloat16"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = [
            short,
            "optim_wrapper.type=AmpOptimWrapper",
            &format!("optim_wrapper.dtype={dtype}"),
        ];
        let r = run(load(&preset("spiral_mlp.toml"), &opts), dir.path());
        let acc = accuracy(&r);
        let (loss, f32_loss) = (final_loss(&r), final_loss(&f32_run));
        eprintln!(
            "spiral, 60 epochs: f32 {f32_acc:.1} % (loss {f32_loss:.4}), {dtype} {acc:.1} % \
             (loss {loss:.4})"
        );
        assert!(f32_acc >= 90.0, "the f32 twin learned: {f32_acc}");
        assert!(
            (acc - f32_acc).abs() <= 3.0,
            "{dtype}: {acc} % against f32's {f32_acc} %"
        );
        assert!(
            (loss - f32_loss).abs() <= 0.25 * f32_loss + 0.02,
            "{dtype}: final loss {loss} against f32's {f32_loss}"
        );
        let log = log_text(dir.path());
        assert!(
            log.contains(&format!("mixed precision: forward and backward in {dtype}")),
            "the log says how it trained:\n{log}"
        );
    }
}

/// A static scale so large that every f16 gradient overflows: every step is skipped,
/// so the weights stay exactly the initial ones.
#[test]
fn steps_with_inf_gradients_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = [
        "train_cfg.max_epochs=2",
        "optim_wrapper.type=AmpOptimWrapper",
        "optim_wrapper.loss_scale=1.0e30",
    ];
    let mut r = runner(load(&preset("spiral_mlp.toml"), &opts), dir.path());
    let before = pollster::block_on(r.model_state_dict()).expect("weights");
    pollster::block_on(r.train()).expect("trains");
    let after = pollster::block_on(r.model_state_dict()).expect("weights");
    assert!(r.hub.iter > 0);
    assert_eq!(before, after, "no step was taken");
    let state = pollster::block_on(r.optim_state_dict()).expect("state");
    let scaler = state.wrappers[0].loss_scaler.clone().expect("a scaler");
    assert_eq!(scaler["scale"], serde_json::json!(1.0e30f32 as f64));
}

/// A dynamic scale that starts far too high backs off (halving at every overflow)
/// until the gradients fit in f16, and the run still learns.
#[test]
fn an_overflowing_dynamic_scale_backs_off_and_the_run_learns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = [
        "train_cfg.max_epochs=60",
        "optim_wrapper.type=AmpOptimWrapper",
        "optim_wrapper.loss_scale={init_scale=1.0e30,growth_interval=100000}",
    ];
    let r = run(load(&preset("spiral_mlp.toml"), &opts), dir.path());
    let state = pollster::block_on(r.optim_state_dict()).expect("state");
    let scaler = state.wrappers[0].loss_scaler.clone().expect("a scaler");
    let scale = scaler["scale"].as_f64().expect("a number");
    let halvings = (f64::from(1.0e30f32) / scale).log2();
    eprintln!("final scale {scale} after {halvings} halvings");
    // The logits' gradients are about scale × 0.03 here: they fit in f16 once the
    // scale is below about 2e6; it had to fall from 1e30 by at least 2^60.
    assert!(scale < 1e12, "backed off: {scale}");
    assert_eq!(halvings, halvings.round(), "only halvings: {halvings}");
    assert!(accuracy(&r) >= 85.0, "learned: {}", accuracy(&r));
}

/// The resume law under mixed precision: the scaler's state (`loss_scaler`) is in
/// the checkpoint and a resumed f16 run equals the uninterrupted one bit for bit.
#[test]
fn an_amp_run_resumes_bit_identically_with_its_scaler() {
    let mut opts = vec![
        "train_cfg.max_epochs=4",
        "default_hooks.checkpoint.interval=2",
        "optim_wrapper.loss_scale={init_scale=1.0e6,growth_interval=7}",
    ];
    opts.extend(AMP_F16.iter().filter(|o| !o.contains("loss_scale")));
    law(&opts, "spiral_mlp.toml", "epoch_2.safetensors", 50);
}

/// The browser's way of deciding a step (the inf/NaN flag read back after the
/// model's `train_step`, then the step applied or skipped) gives the very same run as
/// the native way (the flag read inside the step): weights, optimizer state and
/// scaler, bit for bit, through overflows, backoffs, growth and gradient clipping.
#[test]
fn a_deferred_inf_check_trains_bit_identically() {
    let opts = [
        "train_cfg.max_epochs=3",
        "optim_wrapper.type=AmpOptimWrapper",
        "optim_wrapper.loss_scale={init_scale=1.0e12,growth_interval=5}",
        "optim_wrapper.clip_grad={max_norm=1.0}",
    ];
    let train = |defer: bool| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = runner(load(&preset("spiral_mlp.toml"), &opts), dir.path());
        for (_, w) in r.prepared.optim_wrapper.iter_mut() {
            w.defer_inf_check = defer;
        }
        let mut skipped = 0;
        while pollster::block_on(r.train_iter()).expect("trains") {
            assert!(
                !r.prepared.optim_wrapper.has_pending(),
                "settled each iteration"
            );
            skipped += usize::from(
                r.prepared
                    .optim_wrapper
                    .iter()
                    .any(|(_, w)| w.last_step_skipped),
            );
        }
        let weights = pollster::block_on(r.model_state_dict()).expect("weights");
        let state = pollster::block_on(r.optim_state_dict()).expect("state");
        (weights, state, skipped)
    };
    let (sync_w, sync_state, sync_skipped) = train(false);
    let (defer_w, defer_state, defer_skipped) = train(true);
    eprintln!("skipped steps: {sync_skipped} (native), {defer_skipped} (deferred)");
    assert!(
        sync_skipped >= 10,
        "the scale of 1e12 overflowed and backed off: {sync_skipped}"
    );
    assert_eq!(sync_skipped, defer_skipped);
    assert_eq!(sync_w, defer_w, "the same weights");
    assert_eq!(
        sync_state, defer_state,
        "the same optimizer and scaler state"
    );
}
