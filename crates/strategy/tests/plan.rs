//! One run plan: the schedule preview (`plan::simulate`) is what training applies.
//! Every preset is trained on the CPU backend and the lr the optimizer used at every
//! iteration (recorded before the step, as MMEngine's hub does) must equal the
//! preview's curve; a ReduceOnPlateau-free preset makes the two bit for bit equal.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::config::ExperimentConfig;
use playground_strategy::device::DeviceChoice;
use playground_strategy::plan::{RunPlan, simulate};
use playground_strategy::runner::{Runner, RunnerOptions};

use common::runs::{load, preset};

fn trained(cfg: ExperimentConfig) -> Runner {
    pollster::block_on(async {
        let mut r = Runner::from_config(
            cfg,
            RunnerOptions {
                device: DeviceChoice::Cpu,
                write_files: false,
                ..RunnerOptions::default()
            },
        )
        .await
        .expect("runner builds");
        r.train().await.expect("trains");
        r
    })
}

fn check_preset(name: &str, options: &[&str]) {
    let cfg = load(&preset(name), options);
    let curves = simulate(&cfg, None).expect("the preview simulates");
    let runner = trained(cfg.clone());
    assert_eq!(
        runner.plan,
        RunPlan::new(&cfg, None).expect("plan"),
        "{name}: the runner's plan is the preview's"
    );
    assert_eq!(runner.hub.max_iters as usize, curves.iterations, "{name}");
    let applied = runner.lr_series();
    assert_eq!(
        applied.len(),
        curves.series.len(),
        "{name}: one lr per optimizer"
    );
    for series in &curves.series {
        let key = series
            .optimizer
            .as_ref()
            .map_or("lr".to_string(), |n| format!("{n}.lr"));
        let (_, history) = applied
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("{name}: no applied {key} in {applied:?}"));
        assert_eq!(
            history.len(),
            curves.iterations,
            "{name}: {key} every iteration"
        );
        for (i, (iter, lr)) in history.iter().enumerate() {
            assert_eq!(*iter as usize, i + 1, "{name}: {key} recorded in order");
            assert_eq!(
                lr.to_bits(),
                series.lr[i].to_bits(),
                "{name}: {key} at iteration {i}: applied {lr}, preview {}",
                series.lr[i]
            );
        }
    }
}

#[test]
fn spiral_preset_applies_the_previewed_lr() {
    check_preset("spiral_mlp.toml", &[]);
}

#[test]
fn digits_preset_applies_the_previewed_lr() {
    check_preset("digits_cnn.toml", &[]);
}

#[test]
fn gan_preset_applies_the_previewed_lr_for_both_optimizers() {
    check_preset("gan_2d.toml", &[]);
}

#[test]
fn with_the_scheduler_hook_off_training_and_preview_stay_at_the_first_value() {
    let options = [
        "default_hooks.param_scheduler=false",
        "train_cfg.max_epochs=3",
    ];
    check_preset("spiral_mlp.toml", &options);
    let cfg = load(&preset("spiral_mlp.toml"), &options);
    let lr = &simulate(&cfg, None).expect("simulates").series[0].lr;
    assert!(lr.iter().all(|v| *v == lr[0]), "the lr never moves");
}

#[test]
fn auto_scale_lr_is_applied_the_same_way() {
    check_preset(
        "spiral_mlp.toml",
        &[
            "auto_scale_lr.enable=true",
            "auto_scale_lr.base_batch_size=8",
            "train_cfg.max_epochs=4",
        ],
    );
}

#[test]
fn sequence_presets_apply_the_previewed_lr() {
    // Warm-up and cosine phases within a shortened run.
    check_preset(
        "sort_gpt.toml",
        &[
            "train_dataloader.dataset.length=3",
            "val_dataloader.dataset.length=3",
            "train_dataloader.dataset.num_samples=2000",
            "val_dataloader.dataset.num_samples=2000",
            "train_cfg.max_iters=150",
            "train_cfg.val_interval=150",
            "param_scheduler.1.end=150",
        ],
    );
    check_preset(
        "text_gru.toml",
        &[
            "model.hidden_size=16",
            "train_cfg.max_iters=40",
            "train_cfg.val_interval=40",
            "param_scheduler.0.end=40",
        ],
    );
}
