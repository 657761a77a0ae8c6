//! End-to-end training on the CPU backend: the presets reach their accuracy, a seed
//! makes a run repeatable bit for bit, the logs land where MMEngine puts them, and
//! the iteration-based loop, accumulation and two optimizers work.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;

use common::runs::{load, preset, run};

#[test]
fn spiral_preset_reaches_97_percent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let runner = run(load(&preset("spiral_mlp.toml"), &[]), dir.path());
    let acc = runner
        .last_val
        .get("accuracy/top1")
        .copied()
        .expect("validated");
    eprintln!("spiral: {acc:.2} % in {:?}", started.elapsed());
    assert!(acc >= 97.0, "validation accuracy {acc}");
}

async fn weights(runner: &Runner) -> Vec<(String, Vec<u32>)> {
    runner
        .model_state_dict()
        .await
        .expect("reads weights")
        .into_iter()
        .map(|t| (t.name, t.values.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

fn losses(runner: &Runner) -> Vec<u64> {
    runner
        .hub
        .history("train/loss")
        .iter()
        .map(|(_, v)| v.to_bits())
        .collect()
}

#[test]
fn a_seed_makes_a_cpu_run_bit_identical() {
    let opts = ["train_cfg.max_epochs=3", "model.dropout=0.2"];
    let a_dir = tempfile::tempdir().expect("tempdir");
    let b_dir = tempfile::tempdir().expect("tempdir");
    let a = run(load(&preset("spiral_mlp.toml"), &opts), a_dir.path());
    let b = run(load(&preset("spiral_mlp.toml"), &opts), b_dir.path());
    assert_eq!(a.hub.iter, 75);
    assert!(!losses(&a).is_empty());
    assert_eq!(losses(&a), losses(&b), "logged losses");
    let (wa, wb) = pollster::block_on(async { (weights(&a).await, weights(&b).await) });
    assert_eq!(wa, wb, "weights");
    let opt_a = pollster::block_on(a.optim_state_dict()).expect("optim state");
    let opt_b = pollster::block_on(b.optim_state_dict()).expect("optim state");
    assert_eq!(opt_a, opt_b, "optimizer state");
    // And another seed gives another run: the test can fail.
    let c_dir = tempfile::tempdir().expect("tempdir");
    let c = run(
        load(
            &preset("spiral_mlp.toml"),
            &[
                "train_cfg.max_epochs=3",
                "model.dropout=0.2",
                "randomness.seed=43",
            ],
        ),
        c_dir.path(),
    );
    assert_ne!(losses(&a), losses(&c));
}

#[test]
fn logs_are_laid_out_as_mmengine_lays_them_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = run(
        load(
            &preset("spiral_mlp.toml"),
            &["train_cfg.max_epochs=2", "train_cfg.val_interval=1"],
        ),
        dir.path(),
    );
    let ts = runner.strategy.timestamp.clone();
    assert_eq!(ts.len(), "20261128_214000".len());
    assert_eq!(runner.strategy.log_dir, dir.path().join(&ts));
    let log =
        std::fs::read_to_string(dir.path().join(&ts).join(format!("{ts}.log"))).expect("log file");
    assert!(
        log.contains(" - playground - INFO - Epoch(train) [1][10/25]  lr: 2.6531e-03  eta: "),
        "{log}"
    );
    // LinearLR over iterations 0..50 (MMEngine divides by end - begin - 1 = 49):
    // 0.01 × (0.1 + 0.9 × 9/49) in the 10th iteration.
    assert!(log.contains("Epoch(train) [2][10/25]"), "{log}");
    // The validation line: metrics, then the validation's data_time and time.
    let val_line = log
        .lines()
        .find(|l| l.contains("Epoch(val) [2]["))
        .unwrap_or_else(|| panic!("no second validation line in {log}"));
    assert!(val_line.contains("]    accuracy/top1: "), "{val_line}");
    let fields: Vec<&str> = val_line.split("  ").collect();
    assert!(
        fields[fields.len() - 2].starts_with("data_time: "),
        "{val_line}"
    );
    assert!(fields[fields.len() - 1].starts_with("time: "), "{val_line}");
    // The train line: lr, eta, time, data_time, then the loss (a mean of the last 10).
    let train_line = log
        .lines()
        .find(|l| l.contains("Epoch(train) [2][20/25]"))
        .expect("a train line");
    let after_eta = &train_line[train_line.find("eta: ").expect("eta")..];
    assert!(
        after_eta.contains("  time: ")
            && after_eta.contains("  data_time: ")
            && after_eta.contains("  loss: "),
        "{train_line}"
    );
    let scalars = std::fs::read_to_string(dir.path().join(&ts).join("vis_data/scalars.json"))
        .expect("scalars");
    let records: Vec<serde_json::Value> = scalars
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    let train: Vec<_> = records.iter().filter(|r| r.get("loss").is_some()).collect();
    let val: Vec<_> = records
        .iter()
        .filter(|r| r.get("accuracy/top1").is_some())
        .collect();
    // 25 iterations an epoch, logged at 10 and 20 of each (the short last window is
    // skipped, MMEngine's `ignore_last`).
    let iters: Vec<i64> = train
        .iter()
        .map(|r| r["iter"].as_i64().expect("iter"))
        .collect();
    assert_eq!(iters, [10, 20, 35, 45]);
    assert_eq!(train[0]["step"], 10);
    assert_eq!(train[0]["epoch"], 1);
    assert_eq!(train[2]["epoch"], 2);
    assert!(train[0]["lr"].as_f64().expect("lr") > 0.0);
    assert_eq!(val.len(), 2);
    assert_eq!(val[1]["step"], 2);
    assert!(val[1]["time"].as_f64().is_some() && val[1]["data_time"].as_f64().is_some());
    // `loss` is the mean of the last 10 logged losses (MMEngine's window_size).
    let losses = runner.hub.history("train/loss");
    let at_45: Vec<f64> = losses
        .iter()
        .filter(|(i, _)| (36..=45).contains(i))
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(at_45.len(), 10);
    let mean = at_45.iter().sum::<f64>() / 10.0;
    let logged = train[3]["loss"].as_f64().expect("loss");
    assert!((logged - mean).abs() < 1e-12, "{logged} vs {mean}");
}

#[test]
fn iteration_based_runs_with_accumulation_and_momentum_schedules() {
    let cfg = ExperimentConfig::from_text(
        r#"
        [model]
        type = "MLP"
        in_features = 2
        hidden_sizes = [8]
        num_classes = 2
        [train_dataloader]
        batch_size = 10
        dataset = { type = "Xor", num_samples = 100, noise = 0.0 }
        [val_dataloader]
        batch_size = 50
        dataset = { type = "Xor", num_samples = 100, split = "val" }
        [val_evaluator]
        type = "Accuracy"
        [train_cfg]
        by_epoch = false
        max_iters = 23
        val_interval = 10
        [optim_wrapper]
        accumulative_counts = 4
        optimizer = { type = "SGD", lr = 0.05, momentum = 0.9 }
        [[param_scheduler]]
        type = "LinearLR"
        start_factor = 0.5
        by_epoch = false
        end = 10
        [[param_scheduler]]
        type = "CosineAnnealingMomentum"
        T_max = 23
        eta_min = 0.5
        by_epoch = false
        [default_hooks.logger]
        interval = 5
        "#,
        &Registries::default(),
    )
    .expect("parses");
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = run(cfg, dir.path());
    assert_eq!(runner.hub.iter, 23);
    assert_eq!(
        runner.hub.epoch, 0,
        "an iteration-based loop counts no epochs"
    );
    // Validation at 10, 20 and the end.
    assert_eq!(runner.hub.history("val/accuracy/top1").len(), 3);
    // 23 backward passes, in windows of 4: the last 3 divide by 3 (MMEngine's rule).
    let wrapper = runner.prepared.optim_wrapper.iter().next().expect("one").1;
    assert_eq!(wrapper.inner_count(), 23);
    // The scheduler stepped once per iteration: lr and momentum follow the simulation.
    let lr = runner.hub.history("train/lr");
    assert_eq!(lr.len(), 23);
    assert!((lr[0].1 - 0.025).abs() < 1e-12 && (lr[22].1 - 0.05).abs() < 1e-12);
    let m = wrapper.get_momentum()[0];
    assert!(m < 0.9 && m >= 0.5, "{m}");
}

#[test]
fn the_gan_preset_trains_two_networks_with_two_optimizers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = run(
        load(
            &preset("gan_2d.toml"),
            &["train_cfg.max_iters=60", "train_cfg.val_interval=30"],
        ),
        dir.path(),
    );
    let optim = &runner.prepared.optim_wrapper;
    let names: Vec<_> = optim.iter().map(|(n, _)| n.map(str::to_string)).collect();
    assert_eq!(
        names,
        vec![
            Some("discriminator".to_string()),
            Some("generator".to_string())
        ]
    );
    assert_eq!(runner.hub.history("train/loss_d").len(), 60);
    assert_eq!(runner.hub.history("train/generator.lr").len(), 60);
    let g_lr = runner.hub.latest("train/generator.lr").expect("lr");
    let d_lr = runner.hub.latest("train/discriminator.lr").expect("lr");
    assert!(
        g_lr < d_lr,
        "the generator's LinearLR decays, the discriminator's stays: {g_lr} {d_lr}"
    );
    let chamfer = runner.hub.history("val/chamfer");
    assert_eq!(chamfer.len(), 2);
    assert!(chamfer.iter().all(|(_, v)| v.is_finite() && *v > 0.0));
}

#[test]
fn the_strategy_prepares_once_and_round_trips_its_state() {
    use playground_strategy::model::NamedTensor;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut runner = run(
        load(&preset("spiral_mlp.toml"), &["train_cfg.max_epochs=1"]),
        dir.path(),
    );
    pollster::block_on(async {
        let before = runner.model_state_dict().await.expect("state");
        let names: Vec<&str> = before.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "layers.0.weight",
                "layers.0.bias",
                "layers.1.weight",
                "layers.1.bias",
                "layers.2.weight",
                "layers.2.bias"
            ]
        );
        let zeros: Vec<NamedTensor> = before
            .iter()
            .map(|t| NamedTensor {
                values: vec![0.0; t.values.len()],
                ..t.clone()
            })
            .collect();
        let report = runner
            .strategy
            .load_model_state_dict(runner.prepared.model.as_mut(), &zeros, true)
            .expect("fits");
        assert!(report.is_exact());
        let after = runner.model_state_dict().await.expect("state");
        assert!(after.iter().all(|t| t.values.iter().all(|v| *v == 0.0)));
        // A misfit under strict names every problem and changes nothing.
        let mut bad = before.clone();
        bad[0].shape = vec![3, 3];
        bad.push(NamedTensor {
            name: "head.weight".into(),
            shape: vec![1],
            values: vec![1.0],
        });
        bad.remove(1);
        let err = runner
            .strategy
            .load_model_state_dict(runner.prepared.model.as_mut(), &bad, true)
            .expect_err("strict");
        let msg = err.to_string();
        assert!(
            msg.contains("missing key `layers.0.bias`")
                && msg.contains("unexpected key `head.weight`")
                && msg.contains("layers.0.weight"),
            "{msg}"
        );
        // Not strict: loads what fits and reports the rest.
        let report = runner
            .strategy
            .load_model_state_dict(runner.prepared.model.as_mut(), &bad, false)
            .expect("loads");
        assert_eq!(report.missing_keys, ["layers.0.bias"]);
        assert_eq!(report.unexpected_keys, ["head.weight"]);
        assert_eq!(report.shape_mismatches.len(), 1);
        // Optimizer and scheduler state survive a round trip.
        let optim = runner.optim_state_dict().await.expect("optim state");
        assert_eq!(optim.wrappers[0].state.len(), 6);
        assert_eq!(optim.wrappers[0].state[0].step, 25);
        runner
            .strategy
            .load_optim_state_dict(&mut runner.prepared.optim_wrapper, &optim)
            .expect("loads");
        assert_eq!(runner.optim_state_dict().await.expect("again"), optim);
        let sched = runner.strategy.scheduler_state_dict(&runner.prepared);
        assert_eq!(sched.as_array().map(Vec::len), Some(2));
        runner
            .strategy
            .load_scheduler_state_dict(&mut runner.prepared, &sched)
            .expect("loads");
    });
    // The set has one owner: a second prepare is refused, names why, and changes
    // nothing (MMEngine hands the same objects out again; an owned set cannot be).
    let before = runner.prepared.optim_wrapper.get_lr();
    let err = runner
        .strategy
        .prepare(
            playground_strategy::strategy::ModelSource::Config(serde_json::json!({"type": "Nope"})),
            playground_strategy::strategy::OptimSource::Built(
                playground_strategy::optim::wrapper_dict::OptimWrapperDict::named(Vec::new()),
            ),
            None,
            &Default::default(),
            None,
        )
        .err()
        .expect("a second prepare is refused");
    assert!(err.to_string().contains("already handed out"), "{err}");
    assert_eq!(runner.prepared.optim_wrapper.get_lr(), before);
}

#[test]
fn bad_training_configs_name_the_key() {
    let bad = [
        ("model.type=MLPP", "model.type", "Did you mean `MLP`"),
        (
            "model.hidden_sizes=[8,0]",
            "model.hidden_sizes[1]",
            "positive",
        ),
        (
            "model.activation=swish",
            "model.activation",
            "unknown variant",
        ),
        (
            "train_dataloader.dataset.type=Spirall",
            "train_dataloader.dataset.type",
            "Spiral",
        ),
        ("val_evaluator.type=Acc", "val_evaluator.type", "Accuracy"),
        ("log_level=LOUD", "log_level", "INFO"),
    ];
    for (opt, path, words) in bad {
        // Refused when the config is read (what the CLI and the web editor see) ...
        let options = [opt.to_string()];
        let err =
            ExperimentConfig::load(&preset("spiral_mlp.toml"), &options, &Registries::default())
                .expect_err(opt);
        assert_eq!(err.path, path, "{opt}: {err}");
        assert!(err.message.contains(words), "{opt}: {err}");
        // ... and by the runner, should a leniently read config reach it.
        let cfg = ExperimentConfig::load_checked(
            &preset("spiral_mlp.toml"),
            &options,
            &Registries::default(),
        )
        .expect("a table");
        let err = pollster::block_on(Runner::from_config(
            cfg,
            RunnerOptions {
                device: DeviceChoice::Cpu,
                write_files: false,
                ..RunnerOptions::default()
            },
        ))
        .err()
        .unwrap_or_else(|| panic!("{opt} should fail"));
        let playground_strategy::runner::error::RunError::Config(e) = err else {
            panic!("{opt}: not a config error: {err}");
        };
        assert_eq!(e.path, path, "{opt}: {e}");
        assert!(e.message.contains(words), "{opt}: {e}");
    }
}

#[test]
fn digits_preset_reaches_95_percent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let runner = run(load(&preset("digits_cnn.toml"), &[]), dir.path());
    let acc = runner
        .last_val
        .get("accuracy/top1")
        .copied()
        .expect("validated");
    eprintln!("digits: {acc:.2} % in {:?}", started.elapsed());
    assert!(acc >= 95.0, "validation accuracy {acc}");
}

#[test]
fn the_gan_learns_the_blobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let runner = run(load(&preset("gan_2d.toml"), &[]), dir.path());
    let chamfer = runner.hub.history("val/chamfer");
    eprintln!("gan: {chamfer:?} in {:?}", started.elapsed());
    assert_eq!(chamfer.len(), 4);
    assert!(chamfer[3].1 < chamfer[0].1 * 0.8, "{chamfer:?}");
}

/// The short spiral run the browser tests repeat on CPU and WebGPU (see
/// `tests/browser.rs`): the preset's first 20 epochs. The spiral sits on a plateau
/// for its first epochs; by epoch 20 the loss is clearly lower.
#[test]
fn the_short_browser_recipe_lowers_the_loss_natively() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runner = run(
        load(&preset("spiral_mlp.toml"), &["train_cfg.max_epochs=20"]),
        dir.path(),
    );
    let losses = runner.hub.history("train/loss");
    let mean = |s: &[(i64, f64)]| s.iter().map(|(_, v)| v).sum::<f64>() / s.len() as f64;
    let (first, last) = (mean(&losses[..25]), mean(&losses[losses.len() - 25..]));
    eprintln!(
        "browser recipe natively: {first} -> {last}, {:?}",
        runner.last_val
    );
    assert!(last < first * 0.93, "{first} -> {last}");
}
