//! Step counts written as floats, as Python-computed OpenMMLab configs have them.

use serde_json::{Value, json};

use super::simulate;
use crate::base::KeyPath;
use crate::config::{ExperimentConfig, Registries};
use crate::scheduler::*;

fn parse(v: Value) -> Result<SchedulerSpec, crate::config::ConfigError> {
    scheduler_registry().build(&v, &KeyPath::root().key("param_scheduler").index(0))
}

/// The lr of one group over `n` steps of the scheduler `cfg`, with epochs of 3
/// iterations when it converts to iterations.
fn curve(cfg: Value, n: usize) -> Vec<f64> {
    let run = RunLength {
        max_epochs: Some(20),
        max_iters: Some(60),
        epoch_length: Some(3),
    };
    let mut groups = vec![ParamGroup::new([("lr", 0.1), ("momentum", 0.9)])];
    let mut s = parse(cfg)
        .expect("parses")
        .resolve(&run)
        .expect("resolves")
        .attach(&mut groups)
        .expect("attaches");
    (0..n)
        .map(|_| {
            let lr = groups[0].get("lr").expect("lr");
            s.step(&mut groups).expect("steps");
            lr
        })
        .collect()
}

#[test]
fn whole_floats_give_exactly_the_integer_curves() {
    let pairs = [
        (
            json!({"type": "LinearLR", "start_factor": 0.1, "begin": 1.0, "end": 6.0, "by_epoch": false}),
            json!({"type": "LinearLR", "start_factor": 0.1, "begin": 1, "end": 6, "by_epoch": false}),
        ),
        (
            json!({"type": "MultiStepLR", "milestones": [2.0, 4.0, 4.0], "by_epoch": false}),
            json!({"type": "MultiStepLR", "milestones": [2, 4, 4], "by_epoch": false}),
        ),
        (
            json!({"type": "StepLR", "step_size": 3.0, "gamma": 0.5, "end": 12.0, "by_epoch": false}),
            json!({"type": "StepLR", "step_size": 3, "gamma": 0.5, "end": 12, "by_epoch": false}),
        ),
        (
            json!({"type": "CosineAnnealingLR", "T_max": 4.0, "begin": 2.0, "end": 10.0, "by_epoch": false}),
            json!({"type": "CosineAnnealingLR", "T_max": 4, "begin": 2, "end": 10, "by_epoch": false}),
        ),
        (
            json!({"type": "CosineRestartLR", "periods": [3.0, 5.0], "restart_weights": [1.0, 0.5], "eta_min": 0.0, "by_epoch": false}),
            json!({"type": "CosineRestartLR", "periods": [3, 5], "restart_weights": [1.0, 0.5], "eta_min": 0.0, "by_epoch": false}),
        ),
        (
            json!({"type": "PolyLR", "power": 2.0, "end": 9.0, "by_epoch": false}),
            json!({"type": "PolyLR", "power": 2.0, "end": 9, "by_epoch": false}),
        ),
        (
            json!({"type": "ConstantLR", "factor": 0.5, "end": 1e9, "by_epoch": false}),
            json!({"type": "ConstantLR", "factor": 0.5, "by_epoch": false}),
        ),
        (
            json!({"type": "CosineAnnealingLR", "T_max": 2.0, "end": 4.0, "convert_to_iter_based": true}),
            json!({"type": "CosineAnnealingLR", "T_max": 2, "end": 4, "convert_to_iter_based": true}),
        ),
    ];
    for (float, int) in pairs {
        assert_eq!(curve(float.clone(), 30), curve(int, 30), "{float}");
    }
}

#[test]
fn a_toml_end_of_120_0_is_the_end_of_120() {
    let text = |end: &str| {
        format!(
            r#"
[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1
momentum = 0.9

[train_cfg]
by_epoch = true
max_epochs = 300

[[param_scheduler]]
type = "LinearLR"
start_factor = 0.01
end = 5.0
convert_to_iter_based = true

[[param_scheduler]]
type = "CosineAnnealingLR"
begin = 5
end = {end}
T_max = 115.0

[[param_scheduler]]
type = "MultiStepLR"
milestones = [150.0, 200]
"#
        )
    };
    let curves = |end: &str| {
        let cfg = ExperimentConfig::from_text(&text(end), &Registries::default()).expect("parses");
        simulate(&cfg, Some(2)).expect("simulates")
    };
    let (float, int) = (curves("120.0"), curves("120"));
    assert_eq!(float.series[0].lr, int.series[0].lr);
    assert_eq!(float.series[0].phases, int.series[0].phases);
}

#[test]
fn fractional_epochs_convert_as_mmengine_truncates_them() {
    // int(2.4 × 3) = 7, int(6 × 3) = 18: T_max defaults to 11 iterations.
    let got = curve(
        json!({"type": "CosineAnnealingLR", "begin": 2.4, "end": 6, "convert_to_iter_based": true}),
        25,
    );
    let want = curve(
        json!({"type": "CosineAnnealingLR", "begin": 7, "end": 18, "by_epoch": false}),
        25,
    );
    assert_eq!(got, want);
    // T_max = 2.5 epochs is 7.5 iterations: not whole even after conversion.
    let spec =
        parse(json!({"type": "CosineAnnealingLR", "T_max": 2.5, "convert_to_iter_based": true}))
            .expect("parses: the conversion may make it whole");
    let run = RunLength {
        max_epochs: Some(10),
        max_iters: None,
        epoch_length: Some(3),
    };
    let err = spec.resolve(&run).expect_err("7.5 iterations");
    assert_eq!(err.path, "param_scheduler[0].T_max");
    assert!(
        err.message.contains("7.5") && err.message.contains("by 3 iterations"),
        "{err}"
    );
    // With 2 iterations per epoch it is 5: accepted, and the curve of T_max = 5.
    let run = RunLength {
        epoch_length: Some(2),
        ..run
    };
    let resolved = spec.resolve(&run).expect("5 iterations");
    let mut groups = vec![ParamGroup::new([("lr", 0.1)])];
    let s = resolved.attach(&mut groups).expect("attaches");
    assert!(
        matches!(&s.rule, Rule::CosineAnnealing(c) if c.t_max == 5),
        "{s:?}"
    );
}

#[test]
fn fractional_counts_without_conversion_are_refused_with_the_key_and_the_reason() {
    let cases = [
        (
            json!({"type": "LinearLR", "end": 12.5}),
            "param_scheduler[0].end",
            "whole number of epochs, got 12.5",
        ),
        (
            json!({"type": "LinearLR", "end": 12.5, "by_epoch": false}),
            "param_scheduler[0].end",
            "whole number of iterations",
        ),
        (
            json!({"type": "MultiStepLR", "milestones": [2, 4.5]}),
            "param_scheduler[0].milestones[1]",
            "never reach",
        ),
        (
            json!({"type": "StepLR", "step_size": 1.5}),
            "param_scheduler[0].step_size",
            "whole multiples",
        ),
        (
            json!({"type": "OneCycleLR", "eta_max": 0.1, "total_steps": 100.0}),
            "param_scheduler[0].total_steps",
            "ValueError",
        ),
        (
            json!({"type": "ReduceOnPlateauLR", "patience": 2.5}),
            "param_scheduler[0].patience",
            "whole",
        ),
    ];
    for (cfg, path, says) in cases {
        let err = parse(cfg.clone()).expect_err("refused");
        assert_eq!(err.path, path, "{cfg}: {err}");
        assert!(err.message.contains(says), "{cfg}: {err}");
    }
    let err = parse(json!({"type": "LinearLR", "end": 12.5})).expect_err("refused");
    assert!(err.message.contains("convert_to_iter_based"), "{err}");
}
