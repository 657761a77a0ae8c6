use serde_json::json;

use super::*;
use crate::config::TrainLoop;

fn parse(v: Value) -> Result<ExperimentConfig, ConfigError> {
    ExperimentConfig::from_tree(v, &Registries::default())
}

#[test]
fn an_mmengine_json_dump_loads_as_is() {
    let dump = json!({
        "default_scope": "mmengine",
        "model": {"type": "MLP", "in_features": 2, "num_classes": 2},
        "optim_wrapper": {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0001}, "clip_grad": null},
        "param_scheduler": [{"type": "LinearLR", "start_factor": 0.001, "by_epoch": false, "begin": 0, "end": 500}],
        "train_cfg": {"by_epoch": true, "max_epochs": 12, "val_interval": 1},
        "val_cfg": {}, "test_cfg": {},
        "train_dataloader": {"batch_size": 2, "num_workers": 2, "persistent_workers": true,
            "sampler": {"type": "DefaultSampler", "shuffle": true}, "dataset": {"type": "Spiral", "num_samples": 10}},
        "auto_scale_lr": {"enable": false, "base_batch_size": 16},
        "randomness": {"seed": 0, "deterministic": false},
        "default_hooks": {"logger": {"type": "LoggerHook", "interval": 50}},
        "env_cfg": {"cudnn_benchmark": false}, "log_level": "INFO",
        "visualizer": {"type": "Visualizer", "vis_backends": [{"type": "LocalVisBackend"}]},
        "log_processor": {"type": "LogProcessor", "window_size": 10, "by_epoch": true},
        "work_dir": "./work_dirs/x", "load_from": null, "resume": false, "launcher": "none",
        "strategy": {"type": "SingleDeviceStrategy"}
    });
    let cfg = parse(dump).expect("loads");
    assert_eq!(
        cfg.train_dataloader.as_ref().and_then(|d| d.batch_size),
        Some(2)
    );
    assert_eq!(cfg.resume, Resume::No);
    assert_eq!(cfg.log_processor.window_size, 10);
    assert_eq!(cfg.log_processor.by_epoch, Some(true));
    assert!(
        matches!(cfg.param_scheduler, Some(ParamSchedulerConfig::Shared(ref l)) if l.len() == 1)
    );
    let noted: Vec<&str> = cfg.notes.iter().map(|n| n.path.as_str()).collect();
    for key in [
        "default_scope",
        "env_cfg.cudnn_benchmark",
        "train_dataloader.num_workers",
    ] {
        assert!(noted.contains(&key), "{key} not noted: {noted:?}");
    }
}

#[test]
fn per_optimizer_scheduler_lists() {
    let cfg = parse(json!({"param_scheduler": {"generator": [{"type": "ConstantLR"}], "discriminator": {"type": "StepLR", "step_size": 2}}}))
        .expect("loads");
    let Some(ParamSchedulerConfig::PerOptimizer(lists)) = cfg.param_scheduler else {
        panic!("per optimizer")
    };
    assert_eq!(lists.len(), 2);
}

#[test]
fn errors_carry_the_key_path() {
    let err = parse(json!({"param_scheduler": [{"type": "StepLR", "step_size": 1}, {"type": "CosineAnnealingLR", "T_max": -3}]}))
        .unwrap_err();
    assert_eq!(err.path, "param_scheduler[1].T_max");
    let err = parse(json!({"train_cfg": {"by_epoch": true}})).unwrap_err();
    assert_eq!(err.path, "train_cfg.max_epochs");
    let err = parse(json!({"train_cfg": {"max_epochs": 3, "max_epoch": 4}})).unwrap_err();
    assert_eq!(err.path, "train_cfg.max_epoch");
    let err = parse(json!({"auto_scale_lr": {"enable": true}})).unwrap_err();
    assert_eq!(err.path, "auto_scale_lr.base_batch_size");
}

#[test]
fn misspelt_top_level_keys_are_errors_with_the_closest_key() {
    let err = parse(json!({"param_schedulers": [{"type": "StepLR", "step_size": 1}]})).unwrap_err();
    assert_eq!(err.path, "param_schedulers");
    assert!(
        err.message.contains("Did you mean `param_scheduler`?"),
        "{err}"
    );
    let err = parse(json!({"optim_wraper": {}})).unwrap_err();
    assert!(
        err.message.contains("Did you mean `optim_wrapper`?"),
        "{err}"
    );
    let err = parse(json!({"lr_config": {"policy": "step"}})).unwrap_err();
    assert!(err.message.contains("param_scheduler"), "{err}");
}

#[test]
fn keys_that_would_change_the_run_are_refused() {
    for (tree, path) in [
        (
            json!({"strategy": {"type": "FSDPStrategy"}}),
            "strategy.type",
        ),
        (json!({"launcher": "mpi"}), "launcher"),
        (
            json!({"custom_hooks": [{"type": "CheckInvalidLossHook"}]}),
            "custom_hooks[0].type",
        ),
        (
            json!({"val_cfg": {"type": "ValLoop", "fp16": true}}),
            "val_cfg.fp16",
        ),
        (json!({"log_level": "LOUD"}), "log_level"),
        (
            json!({"val_dataloader": {"batch_size": 4, "dataset": {"type": "Digits"}}}),
            "val_evaluator",
        ),
        (
            json!({"model": {"type": "MLP", "in_features": 2, "num_classes": 2, "hidden_sizes": [0]}}),
            "model.hidden_sizes[0]",
        ),
    ] {
        let err = parse(tree.clone()).unwrap_err();
        assert_eq!(err.path, path, "{tree}: {err}");
    }
}

#[test]
fn a_lenient_check_keeps_the_sections_it_could_read() {
    let cfg = ExperimentConfig::check_tree(
        json!({
            "model": {"type": "ResNet", "depth": 50},
            "train_cfg": {"max_epochs": 2},
            "train_dataloader": {"batch_size": 4, "dataset": {"type": "CocoDataset"}}
        }),
        &Registries::default(),
    )
    .expect("a table");
    assert!(cfg.model.is_none());
    assert_eq!(
        cfg.train_cfg.as_ref().map(|t| t.train_loop),
        Some(TrainLoop::EpochBased { max_epochs: 2 })
    );
    assert_eq!(
        cfg.train_dataloader.as_ref().and_then(|d| d.batch_size),
        Some(4)
    );
    let paths: Vec<&str> = cfg.problems.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["model.type", "train_dataloader.dataset.type"]);
    assert_eq!(cfg.problems_under(&["train_dataloader"]).count(), 1);
    assert_eq!(cfg.problems_under(&["train"]).count(), 0);
}
