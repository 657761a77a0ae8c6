//! `optim_wrapper` parsing: paths, closest keys, notes and refusals.

use serde_json::json;

use super::*;

fn parse(v: Value) -> Result<OptimWrapperConfig, ConfigError> {
    parse_optim_wrapper(&v, &KeyPath::root().key("optim_wrapper"))
}

#[test]
fn adam_momentum_is_beta1_and_adagrad_has_none() {
    let OptimWrapperConfig::Single(w) =
        parse(json!({"optimizer": {"type": "Adam", "lr": 0.1, "betas": [0.85, 0.999]}}))
            .expect("parses")
    else {
        panic!("single")
    };
    assert_eq!(w.optimizer.initial_group().get("momentum"), Some(0.85));
    assert_eq!(w.type_name, "OptimWrapper");
    let OptimWrapperConfig::Single(w) =
        parse(json!({"optimizer": {"type": "Adagrad"}})).expect("parses")
    else {
        panic!("single")
    };
    assert_eq!(w.optimizer.initial_group().get("momentum"), None);
}

#[test]
fn unknown_optimizer_keys_and_types_are_errors() {
    let err = parse(json!({"optimizer": {"type": "SGD", "lr": 0.1, "momentun": 0.9}})).unwrap_err();
    assert_eq!(err.path, "optim_wrapper.optimizer.momentun");
    let err = parse(json!({"optimizer": {"type": "Adamw", "lr": 0.1}})).unwrap_err();
    assert!(err.message.contains("Did you mean `AdamW`?"), "{err}");
}

#[test]
fn several_optimizers_need_a_constructor() {
    let cfg = json!({
        "constructor": "MultiOptimWrapperConstructor",
        "generator": {"optimizer": {"type": "Adam", "lr": 0.0002}},
        "discriminator": {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.01}}
    });
    let OptimWrapperConfig::Multi { wrappers, .. } = parse(cfg).expect("parses") else {
        panic!("multi")
    };
    let names: Vec<&str> = wrappers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["discriminator", "generator"]);
    assert!(
        parse(json!({"generator": {}}))
            .unwrap_err()
            .message
            .contains("constructor")
    );
}

const SGD: fn() -> Value = || json!({"type": "SGD", "lr": 0.1});

#[test]
fn unknown_keys_in_every_table_name_the_path_and_the_closest_key() {
    let multi =
        |part: Value| json!({"constructor": "MultiOptimWrapperConstructor", "generator": part});
    let cases = [
        (
            json!({"optimizer": SGD(), "accumulative_count": 2}),
            "optim_wrapper.accumulative_count",
            "accumulative_counts",
        ),
        (
            json!({"optimizer": {"type": "SGD", "lr": 0.1, "momentun": 0.9}}),
            "optim_wrapper.optimizer.momentun",
            "momentum",
        ),
        (
            json!({"optimizer": {"type": "AdamW", "lr": 0.1, "beta": [0.9, 0.99]}}),
            "optim_wrapper.optimizer.beta",
            "betas",
        ),
        (
            json!({"optimizer": SGD(), "paramwise_cfg": {"bias_decay_mul": 0.0}}),
            "optim_wrapper.paramwise_cfg.bias_decay_mul",
            "bias_decay_mult",
        ),
        (
            json!({"optimizer": SGD(), "paramwise_cfg": {"custom_keys": {"head": {"lr_mul": 0.1}}}}),
            "optim_wrapper.paramwise_cfg.custom_keys.head.lr_mul",
            "lr_mult",
        ),
        (
            json!({"optimizer": SGD(), "clip_grad": {"max_norm": 1.0, "norm_typ": 2}}),
            "optim_wrapper.clip_grad.norm_typ",
            "norm_type",
        ),
        (
            json!({"optimizer": SGD(), "clip_grad": {"type": "value", "clip_valu": 1.0}}),
            "optim_wrapper.clip_grad.clip_valu",
            "clip_value",
        ),
        (
            multi(json!({"optimizer": SGD(), "acumulative_counts": 2})),
            "optim_wrapper.generator.acumulative_counts",
            "accumulative_counts",
        ),
    ];
    for (cfg, path, closest) in cases {
        let err = parse(cfg).expect_err(path);
        assert_eq!(err.path, path, "{err}");
        assert!(
            err.message.contains(&format!("Did you mean `{closest}`?")),
            "{err}"
        );
    }
}

#[test]
fn pytorch_implementation_switches_are_accepted_and_noted() {
    let cfg = parse(json!({
        "optimizer": {
            "type": "AdamW", "lr": 0.1, "weight_decay": 0.01,
            "foreach": true, "fused": false, "capturable": false, "differentiable": false,
        },
        "clip_grad": {"max_norm": 1.0, "foreach": true, "error_if_nonfinite": false},
        "paramwise_cfg": {"bypass_duplicate": true, "dcn_offset_lr_mult": 0.1},
    }))
    .expect("parses");
    let notes = cfg.ignored_notes();
    for key in [
        "optimizer.fused",
        "optimizer.capturable",
        "optimizer.differentiable",
        "clip_grad.foreach",
        "paramwise_cfg.bypass_duplicate",
        "paramwise_cfg.dcn_offset_lr_mult",
    ] {
        let path = format!("optim_wrapper.{key}: ");
        assert!(
            notes.iter().any(|n| n.starts_with(&path)),
            "{key}: {notes:?}"
        );
    }
    assert_eq!(notes.len(), 6, "{notes:?}");
    // `foreach` is honoured, not noted: it chooses the grouped update (optim::foreach).
    let OptimWrapperConfig::Single(w) = &cfg else {
        panic!("one wrapper")
    };
    assert_eq!(w.foreach, Some(true));
    let plain = parse(json!({"optimizer": SGD()})).expect("parses");
    assert_eq!(plain.ignored_notes(), Vec::<String>::new());
    let multi = parse(json!({
        "constructor": "MultiOptimWrapperConstructor",
        "generator": {"optimizer": {"type": "SGD", "lr": 0.1, "foreach": false, "fused": false}},
    }))
    .expect("parses");
    let notes = multi.ignored_notes();
    assert!(
        notes[0].starts_with("optim_wrapper.generator.optimizer.fused: "),
        "{notes:?}"
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(multi.wrappers()[0].1.foreach, Some(false));
}

#[test]
fn a_flat_decay_mult_without_weight_decay_is_dropped_and_noted() {
    let cfg =
        parse(json!({"optimizer": {"type": "AdamW"}, "paramwise_cfg": {"flat_decay_mult": 0.0}}))
            .expect("parses");
    let OptimWrapperConfig::Single(w) = &cfg else {
        panic!("single")
    };
    assert_eq!(
        w.paramwise_cfg.as_ref().map(|p| p.flat_decay_mult),
        Some(None)
    );
    let notes = cfg.ignored_notes();
    assert!(
        notes[0].starts_with("optim_wrapper.paramwise_cfg.flat_decay_mult: "),
        "{notes:?}"
    );
}

#[test]
fn settings_that_change_the_numbers_are_refused_or_honoured() {
    let err = parse(json!({"type": "AmpOptimWrapper", "optimizer": SGD(), "loss_scale": 512}))
        .unwrap_err();
    assert_eq!(err.path, "optim_wrapper.loss_scale");
    assert!(err.message.contains("512.0"), "{err}");
    let err = parse(json!({"optimizer": SGD(), "loss_scale": "dynamic"})).unwrap_err();
    assert_eq!(err.path, "optim_wrapper.loss_scale");
    let err = parse(json!({"type": "OptimWraper", "optimizer": SGD()})).unwrap_err();
    assert!(
        err.message.contains("Did you mean `OptimWrapper`?"),
        "{err}"
    );
    let err = parse(
        json!({"optimizer": SGD(), "clip_grad": {"max_norm": 1.0, "error_if_nonfinite": true}}),
    )
    .unwrap_err();
    assert_eq!(err.path, "optim_wrapper.clip_grad.error_if_nonfinite");
    // `maximize` is honoured by the update rules (`algorithm.rs`).
    let OptimWrapperConfig::Single(w) =
        parse(json!({"optimizer": {"type": "SGD", "lr": 0.1, "maximize": true}})).expect("parses")
    else {
        panic!("single")
    };
    assert!(matches!(w.optimizer, OptimizerSpec::SGD(ref s) if s.maximize));
}

#[test]
fn clip_grad_by_norm_or_value() {
    let OptimWrapperConfig::Single(w) = parse(json!({
        "optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": {"max_norm": 1.0, "norm_type": "inf"}
    }))
    .expect("parses") else {
        panic!("single")
    };
    assert_eq!(
        w.clip_grad,
        Some(ClipGrad::Norm {
            max_norm: 1.0,
            norm_type: f64::INFINITY
        })
    );
    let err =
        parse(json!({"optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": {"type": "value"}}))
            .unwrap_err();
    assert_eq!(err.path, "optim_wrapper.clip_grad");
    assert!(err.message.contains("clip_value"), "{err}");
}

fn amp(extra: Value) -> Result<OptimWrapperSpec, ConfigError> {
    let mut cfg = json!({"type": "AmpOptimWrapper", "optimizer": SGD()});
    if let (Value::Object(c), Value::Object(e)) = (&mut cfg, extra) {
        c.extend(e);
    }
    match parse(cfg)? {
        OptimWrapperConfig::Single(w) => Ok(w),
        OptimWrapperConfig::Multi { .. } => panic!("single"),
    }
}

#[test]
fn amp_optim_wrapper_takes_mmengines_three_loss_scales() {
    let spec = |extra| amp(extra).expect("parses").amp.expect("amp");
    let default = spec(json!({}));
    assert_eq!(
        default.loss_scale,
        LossScale::Dynamic(ScalerConfig::default())
    );
    assert_eq!(default.dtype, AmpDtype::Float16);
    assert_eq!(default.fallback, DtypeFallback::Error);
    assert_eq!(
        spec(json!({"loss_scale": 512.0})).loss_scale,
        LossScale::Static(512.0)
    );
    let dict = spec(json!({"loss_scale": {"init_scale": 1024.0, "growth_interval": 10}}));
    assert_eq!(
        dict.loss_scale,
        LossScale::Dynamic(ScalerConfig {
            init_scale: 1024.0,
            growth_interval: 10,
            ..ScalerConfig::default()
        })
    );
    let bf16 = spec(json!({"dtype": "bfloat16", "dtype_fallback": "float32"}));
    assert_eq!(
        (bf16.dtype, bf16.fallback),
        (AmpDtype::BFloat16, DtypeFallback::Float32)
    );
    let fsdp_off = amp(json!({"use_fsdp": false})).expect("parses");
    assert!(fsdp_off.ignored[0].starts_with("optim_wrapper.use_fsdp: "));
}

#[test]
fn amp_settings_that_cannot_run_name_their_key() {
    let path = |extra| amp(extra).expect_err("refused").path;
    assert_eq!(
        path(json!({"loss_scale": {"init_scal": 2.0}})),
        "optim_wrapper.loss_scale.init_scal"
    );
    assert_eq!(
        path(json!({"loss_scale": {"growth_factor": 0.5}})),
        "optim_wrapper.loss_scale.growth_factor"
    );
    assert_eq!(
        path(json!({"loss_scale": "static"})),
        "optim_wrapper.loss_scale"
    );
    assert_eq!(path(json!({"dtype": "float64"})), "optim_wrapper.dtype");
    assert_eq!(path(json!({"dtype": "flaot16"})), "optim_wrapper.dtype");
    assert_eq!(path(json!({"use_fsdp": true})), "optim_wrapper.use_fsdp");
    assert_eq!(
        path(json!({"dtype_fallback": "float16"})),
        "optim_wrapper.dtype_fallback"
    );
    let err = parse(json!({"optimizer": SGD(), "dtype": "float16"})).unwrap_err();
    assert!(err.message.contains("AmpOptimWrapper"), "{err}");
}

#[test]
fn lars_exclude_is_a_group_key_only_lars_reads() {
    let lars = parse(json!({
        "optimizer": {"type": "LARS", "lr": 0.1, "weight_decay": 1e-6},
        "paramwise_cfg": {"custom_keys": {"bn": {"decay_mult": 0, "lars_exclude": true}}},
    }))
    .expect("parses");
    assert!(lars.ignored_notes().is_empty());
    let sgd = parse(json!({
        "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 1e-6},
        "paramwise_cfg": {"custom_keys": {"bn": {"lars_exclude": true}}},
    }))
    .expect("parses");
    let notes = sgd.ignored_notes();
    assert!(
        notes[0].starts_with("optim_wrapper.paramwise_cfg.custom_keys.bn.lars_exclude: only LARS"),
        "{notes:?}"
    );
}
