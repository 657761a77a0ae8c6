//! Checkpoints through the whole loop: the resume law (N epochs equal k epochs,
//! stop, resume to N, bit for bit), the checkpoint hook's files and bookkeeping,
//! `load_from`, and PyTorch's names and layout in the file.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::checkpoint::files::{find_latest_checkpoint, read_checkpoint};
use playground_strategy::config::Resume;
use playground_strategy::runner::Runner;

use common::runs::{fingerprint, law, load, preset, runner};

/// The spiral preset trained for `epochs` epochs into `dir`, a checkpoint after each
/// (`epoch_1.safetensors`, …), with `extra` options.
fn saved_every_epoch(dir: &std::path::Path, epochs: u32, extra: &[&str]) -> Runner {
    let max_epochs = format!("train_cfg.max_epochs={epochs}");
    let mut options = vec![max_epochs.as_str(), "default_hooks.checkpoint.interval=1"];
    options.extend_from_slice(extra);
    let mut r = runner(load(&preset("spiral_mlp.toml"), &options), dir);
    pollster::block_on(r.train()).expect("trains");
    r
}

#[test]
fn resuming_an_epoch_based_run_is_bit_identical() {
    law(
        &[
            "train_cfg.max_epochs=4",
            "default_hooks.checkpoint.interval=2",
            "model.dropout=0.1",
        ],
        "spiral_mlp.toml",
        "epoch_2.safetensors",
        50,
    );
}

#[test]
fn resuming_an_iteration_based_run_with_accumulation_is_bit_identical() {
    // 40 iterations, windows of 3 updates, a checkpoint every 9 (a window boundary:
    // MMEngine keeps no partial gradient sum in a checkpoint, nor do we).
    law(
        &[
            "train_cfg={by_epoch=false,max_iters=40,val_interval=20}",
            "optim_wrapper.accumulative_counts=3",
            "default_hooks.checkpoint={type='CheckpointHook',by_epoch=false,interval=9}",
        ],
        "spiral_mlp.toml",
        "iter_18.safetensors",
        18,
    );
}

/// With `foreach = true` the optimizer state lives concatenated between steps; the
/// checkpoint must still hold each parameter's own state, and the resumed run (which
/// concatenates it again) must continue bit for bit.
#[test]
fn resuming_a_foreach_run_is_bit_identical() {
    law(
        &[
            "train_cfg.max_epochs=4",
            "default_hooks.checkpoint.interval=2",
            "optim_wrapper.optimizer.foreach=true",
        ],
        "spiral_mlp.toml",
        "epoch_2.safetensors",
        50,
    );
}

#[test]
fn the_checkpoint_hook_writes_files_and_last_checkpoint_and_keeps_a_few() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = runner(
        load(
            &preset("spiral_mlp.toml"),
            &[
                "train_cfg.max_epochs=5",
                "default_hooks.checkpoint.interval=1",
                "default_hooks.checkpoint.max_keep_ckpts=2",
            ],
        ),
        dir.path(),
    );
    pollster::block_on(r.train()).expect("trains");
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    files.sort();
    assert_eq!(files, ["epoch_4.safetensors", "epoch_5.safetensors"]);
    let latest = find_latest_checkpoint(dir.path()).expect("last_checkpoint");
    assert_eq!(latest, dir.path().join("epoch_5.safetensors"));
    let raw = std::fs::read_to_string(dir.path().join("last_checkpoint")).expect("pointer");
    assert!(!raw.ends_with('\n'), "no trailing newline, as MMEngine");
    let ck = read_checkpoint(&latest).expect("reads");
    assert_eq!((ck.epoch(), ck.iter()), (5, 125));
    assert_eq!(ck.meta["seed"], 42);
    assert!(ck.meta["cfg"]["model"]["type"] == "MLP");
    // PyTorch's names and layout: nn.Linear(2, 64).weight is [64, 2].
    let w = ck
        .state_dict
        .iter()
        .find(|t| t.name == "layers.0.weight")
        .expect("weight");
    assert_eq!(w.shape, vec![64, 2]);
    assert!(ck.optimizer.is_some() && ck.param_schedulers.is_some() && ck.message_hub.is_some());
    // No temporary files left behind.
    assert!(std::fs::read_dir(dir.path()).expect("dir").all(|e| {
        !e.expect("entry")
            .file_name()
            .to_string_lossy()
            .starts_with(".tmp")
    }));
}

#[test]
fn load_from_takes_weights_only_and_resume_true_without_a_pointer_starts_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = saved_every_epoch(dir.path(), 2, &[]);
    let ck = dir.path().join("epoch_2.safetensors");

    let other = tempfile::tempdir().expect("tempdir");
    let mut cfg = load(&preset("spiral_mlp.toml"), &["train_cfg.max_epochs=2"]);
    cfg.load_from = Some(ck.to_string_lossy().into_owned());
    let mut b = runner(cfg, other.path());
    b.load_or_resume().expect("loads");
    assert_eq!(b.hub.iter, 0, "load_from does not resume the loop");
    let (wa, _, _) = fingerprint(&a, 0);
    let (wb, _, _) = fingerprint(&b, 0);
    assert_eq!(wa, wb, "the weights are the checkpoint's");

    let mut cfg = load(&preset("spiral_mlp.toml"), &["train_cfg.max_epochs=1"]);
    cfg.resume = Resume::Latest;
    let mut c = runner(cfg, other.path());
    assert_eq!(c.load_or_resume().expect("nothing to resume"), None);
}

#[test]
fn a_checkpoint_that_does_not_fit_the_model_is_refused_by_strict_loading() {
    let dir = tempfile::tempdir().expect("tempdir");
    saved_every_epoch(dir.path(), 1, &[]);
    let ck = read_checkpoint(&dir.path().join("epoch_1.safetensors")).expect("reads");
    let mut b = runner(
        load(&preset("spiral_mlp.toml"), &["model.hidden_sizes=[8]"]),
        tempfile::tempdir().expect("tempdir").path(),
    );
    let before = fingerprint(&b, 0).0;
    let err = b
        .strategy
        .load_checkpoint(
            b.prepared.model.as_mut(),
            ck,
            true,
            &playground_strategy::checkpoint::default_revise_keys(),
            None,
        )
        .expect_err("does not fit");
    let msg = err.to_string();
    assert!(
        msg.contains("layers.0.weight") && msg.contains("unexpected key `layers.2.weight`"),
        "{msg}"
    );
    assert_eq!(fingerprint(&b, 0).0, before, "nothing changed");
}

#[test]
fn the_strategy_saves_and_loads_files_with_extra_keys_and_callbacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = runner(
        load(&preset("spiral_mlp.toml"), &["train_cfg.max_epochs=1"]),
        dir.path(),
    );
    pollster::block_on(a.train()).expect("trains");
    let path = dir.path().join("manual.safetensors");
    let mut extra = serde_json::Map::new();
    extra.insert("note".into(), serde_json::json!("by hand"));
    let tag = |ck: &mut playground_strategy::checkpoint::Checkpoint| {
        ck.meta.insert("tagged".into(), serde_json::json!(true));
    };
    pollster::block_on(a.strategy.save_checkpoint(
        &a.prepared,
        &path,
        false,
        false,
        extra,
        Some(&tag),
    ))
    .expect("saves");
    let ck = read_checkpoint(&path).expect("reads");
    assert_eq!(ck.extra["note"], "by hand");
    assert_eq!(ck.meta["tagged"], true);
    assert!(
        ck.optimizer.is_none() && ck.param_schedulers.is_none(),
        "not asked for"
    );

    // Loaded into a fresh model with keys rewritten on the way in.
    let mut b = runner(
        load(&preset("spiral_mlp.toml"), &[]),
        tempfile::tempdir().expect("tempdir").path(),
    );
    let rename = |ck: &mut playground_strategy::checkpoint::Checkpoint| {
        for t in &mut ck.state_dict {
            t.name = format!("model.{}", t.name);
        }
    };
    let (_, report) = b
        .strategy
        .load_checkpoint_file(
            b.prepared.model.as_mut(),
            &path,
            true,
            &[("^model\\.".to_string(), String::new())],
            Some(&rename),
        )
        .expect("callback adds a prefix, revise_keys strips it");
    assert!(report.is_exact());
    assert_eq!(fingerprint(&a, 0).0, fingerprint(&b, 0).0);
}

#[test]
fn a_run_told_not_to_write_files_saves_no_periodic_checkpoint() {
    use playground_strategy::device::DeviceChoice;
    use playground_strategy::runner::RunnerOptions;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = pollster::block_on(Runner::from_config(
        load(
            &preset("spiral_mlp.toml"),
            &[
                "train_cfg.max_epochs=2",
                "default_hooks.checkpoint.interval=1",
            ],
        ),
        RunnerOptions {
            device: DeviceChoice::Cpu,
            work_dir: Some(dir.path().to_path_buf()),
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .expect("runner builds");
    pollster::block_on(r.train()).expect("trains");
    assert!(r.saved.is_empty());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "wrote {left:?}");
}

/// The resume law for every scheduler type the registry knows (each `*LR`,
/// `*Momentum` and `*ParamScheduler`, with the web form's starting values): 4 epochs
/// straight equal 2 epochs, a checkpoint, and a resume to 4, bit for bit. The
/// schedulers' states travel through the checkpoint's JSON (MultiStep's milestone
/// counter, ReduceOnPlateau's rule and counters), validation runs every epoch so
/// ReduceOnPlateau has metrics to watch.
#[test]
fn every_scheduler_type_resumes_bit_identically() {
    use playground_strategy::scheduler::family::defaults;
    use playground_strategy::scheduler::scheduler_registry;

    for name in scheduler_registry().names() {
        let mut fields = vec![format!("type='{name}'")];
        for (key, value) in defaults(name) {
            let mut v = value.to_toml();
            v.decor_mut().clear();
            fields.push(format!("{key}={v}"));
        }
        if name.starts_with("ReduceOnPlateau") {
            fields.retain(|f| {
                !["monitor=", "rule=", "patience="]
                    .iter()
                    .any(|k| f.starts_with(k))
            });
            fields.push("monitor='accuracy/top1'".into());
            fields.push("rule='greater'".into());
            fields.push("patience=0".into());
        }
        let scheduler = format!("param_scheduler=[{{{}}}]", fields.join(","));
        eprintln!("{scheduler}");
        if name.starts_with("ReduceOnPlateau") {
            // As in MMEngine, a checkpoint is saved at the epoch's end *before* that
            // epoch's validation, and a resumed run does not repeat it: the plateau
            // scheduler would miss one metric. So the checkpoint is taken at an epoch
            // without validation (3), after one that had it (2), and the resumed run
            // continues from the scheduler's saved best and bad-epoch count.
            law(
                &[
                    "train_cfg.max_epochs=4",
                    "train_cfg.val_interval=2",
                    "default_hooks.checkpoint.interval=3",
                    &scheduler,
                ],
                "spiral_mlp.toml",
                "epoch_3.safetensors",
                75,
            );
            continue;
        }
        law(
            &[
                "train_cfg.max_epochs=4",
                "train_cfg.val_interval=1",
                "default_hooks.checkpoint.interval=2",
                &scheduler,
            ],
            "spiral_mlp.toml",
            "epoch_2.safetensors",
            50,
        );
    }
}

/// MMEngine's `load_or_resume`: `resume = true` with `load_from` resumes from
/// `load_from` (not the work dir's latest); the checkpoint's seed becomes the run's and
/// is written back into `randomness.seed`.
#[test]
fn resume_true_with_load_from_resumes_from_it_and_restores_the_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    saved_every_epoch(dir.path(), 2, &[]);
    let ck = dir.path().join("epoch_1.safetensors");

    let other = tempfile::tempdir().expect("tempdir");
    let mut cfg = load(
        &preset("spiral_mlp.toml"),
        &["train_cfg.max_epochs=2", "randomness.seed=7"],
    );
    cfg.resume = Resume::Latest;
    cfg.load_from = Some(ck.to_string_lossy().into_owned());
    let mut b = runner(cfg, other.path());
    assert_eq!(b.strategy.seed, 7);
    let used = b.load_or_resume().expect("resumes");
    assert_eq!(used.as_deref(), Some(ck.as_path()));
    assert_eq!(b.hub.iter, 25, "the loop resumed at the end of epoch 1");
    assert_eq!(b.strategy.seed, 42, "the checkpoint's seed");
    assert_eq!(b.strategy.randomness.seed, Some(42), "written back");
}

/// Resuming the optimizer (or the schedulers) from a checkpoint saved without it is an
/// error naming the missing part, and the run is left as it was.
#[test]
fn resuming_a_part_the_checkpoint_lacks_is_an_error_that_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (opts, part) in [
        (
            "default_hooks.checkpoint.save_optimizer=false",
            "optimizer state",
        ),
        (
            "default_hooks.checkpoint.save_param_scheduler=false",
            "scheduler states",
        ),
    ] {
        saved_every_epoch(dir.path(), 1, &[opts]);
        let ck = read_checkpoint(&dir.path().join("epoch_1.safetensors")).expect("reads");

        let other = tempfile::tempdir().expect("tempdir");
        let mut b = runner(load(&preset("spiral_mlp.toml"), &[]), other.path());
        let (before, _, _) = fingerprint(&b, 0);
        let err = b.resume(ck, true, true).expect_err(part);
        assert!(err.to_string().contains(part), "{err}");
        assert_eq!(b.hub.iter, 0);
        let (after, _, _) = fingerprint(&b, 0);
        assert_eq!(before, after, "no weight was loaded");
    }
}

/// A checkpoint whose `meta` has a field of the wrong kind is refused by name.
#[test]
fn an_ill_typed_meta_field_is_named_when_resuming() {
    let dir = tempfile::tempdir().expect("tempdir");
    saved_every_epoch(dir.path(), 1, &[]);
    let mut ck = read_checkpoint(&dir.path().join("epoch_1.safetensors")).expect("reads");
    ck.meta.insert("iter".into(), serde_json::json!("25"));
    let other = tempfile::tempdir().expect("tempdir");
    let mut b = runner(load(&preset("spiral_mlp.toml"), &[]), other.path());
    let err = b.resume(ck, true, true).expect_err("ill-typed");
    assert!(err.to_string().contains("meta.iter"), "{err}");
}
