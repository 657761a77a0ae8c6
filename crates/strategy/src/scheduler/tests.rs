//! The worked examples of the behaviour reference (§2.4–2.8), for what the MMEngine
//! reference cases do not cover: ReduceOnPlateau, generic param schedulers, momentum
//! on Adam's betas, composition, several groups.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::base::KeyPath;

fn spec(v: Value) -> SchedulerSpec {
    scheduler_registry()
        .build(&v, &KeyPath::root().key("param_scheduler"))
        .expect("spec parses")
}

/// Values of `param` at steps 0..n for schedulers built in order on `groups`,
/// stepping all of them once per step.
fn run(specs: &[Value], groups: &mut [ParamGroup], param: &str, n: usize) -> Vec<Vec<f64>> {
    let run = RunLength {
        max_epochs: Some(1_000),
        max_iters: Some(1_000),
        epoch_length: Some(1),
    };
    let mut built: Vec<ParamScheduler> = specs
        .iter()
        .map(|v| {
            spec(v.clone())
                .resolve(&run)
                .expect("resolves")
                .attach(groups)
                .expect("attaches")
        })
        .collect();
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            groups
                .iter()
                .map(|g| g.get(param).expect("param"))
                .collect(),
        );
        for s in &mut built {
            s.step(groups).expect("steps");
        }
    }
    out
}

fn first(values: Vec<Vec<f64>>) -> Vec<f64> {
    values.into_iter().map(|v| v[0]).collect()
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            // The reference prints its examples to about six decimals.
            (g - w).abs() <= (1e-6 * w.abs()).max(5e-7),
            "step {i}: got {g}, want {w}\n{got:?}"
        );
    }
}

fn sgd(lr: f64) -> Vec<ParamGroup> {
    vec![ParamGroup::new([
        ("lr", lr),
        ("momentum", 0.9),
        ("weight_decay", 1e-4),
    ])]
}

#[test]
fn warmup_then_milestones_compose() {
    let got = first(run(
        &[
            json!({"type": "LinearLR", "start_factor": 0.1, "end": 3, "by_epoch": false}),
            json!({"type": "MultiStepLR", "milestones": [4, 6], "gamma": 0.1, "by_epoch": false}),
        ],
        &mut sgd(0.1),
        "lr",
        8,
    ));
    assert_close(&got, &[0.01, 0.055, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
}

#[test]
fn overlapping_windows_multiply() {
    let got = first(run(
        &[
            json!({"type": "LinearLR", "start_factor": 0.5, "end": 3, "by_epoch": false}),
            json!({"type": "StepLR", "step_size": 1, "gamma": 0.5, "by_epoch": false}),
        ],
        &mut sgd(0.1),
        "lr",
        5,
    ));
    assert_close(&got, &[0.05, 0.0375, 0.025, 0.0125, 0.00625]);
}

#[test]
fn a_gap_hands_over_and_cosine_freezes_after_its_window() {
    let got = first(run(
        &[
            json!({"type": "LinearLR", "start_factor": 0.5, "end": 2, "by_epoch": false}),
            json!({"type": "CosineAnnealingLR", "T_max": 4, "begin": 2, "end": 6, "eta_min": 0.0, "by_epoch": false}),
        ],
        &mut sgd(0.1),
        "lr",
        8,
    ));
    assert_close(
        &got,
        &[
            0.05, 0.1, 0.1, 0.0853553, 0.05, 0.0146447, 0.0146447, 0.0146447,
        ],
    );
}

#[test]
fn cosine_with_eta_min_ratio_on_two_groups() {
    let mut groups = vec![
        ParamGroup::new([("lr", 0.1)]),
        ParamGroup::new([("lr", 0.01)]),
    ];
    let got = run(
        &[
            json!({"type": "CosineAnnealingLR", "T_max": 2, "eta_min_ratio": 0.5, "by_epoch": false}),
        ],
        &mut groups,
        "lr",
        3,
    );
    assert_close(
        &got.iter().map(|v| v[0]).collect::<Vec<_>>(),
        &[0.1, 0.075, 0.05],
    );
    assert_close(
        &got.iter().map(|v| v[1]).collect::<Vec<_>>(),
        &[0.01, 0.0075, 0.005],
    );
}

#[test]
fn momentum_schedulers_drive_sgd_momentum_and_adam_beta1() {
    let got = first(run(
        &[
            json!({"type": "CosineAnnealingMomentum", "T_max": 4, "eta_min": 0.85, "end": 4, "by_epoch": false}),
        ],
        &mut sgd(0.1),
        "momentum",
        5,
    ));
    assert_close(&got, &[0.9, 0.892678, 0.875, 0.857322, 0.857322]);
    let mut adam = vec![ParamGroup::new([
        ("lr", 0.1),
        ("momentum", 0.95),
        ("weight_decay", 0.0),
    ])];
    let got = first(run(
        &[json!({"type": "StepMomentum", "step_size": 1, "gamma": 0.9, "by_epoch": false})],
        &mut adam,
        "momentum",
        3,
    ));
    assert_close(&got, &[0.95, 0.855, 0.7695]);
}

#[test]
fn generic_scheduler_drives_weight_decay() {
    let got = first(run(
        &[
            json!({"type": "LinearParamScheduler", "param_name": "weight_decay", "start_factor": 0.5, "end": 3, "by_epoch": false}),
        ],
        &mut sgd(0.1),
        "weight_decay",
        4,
    ));
    assert_close(&got, &[5e-5, 7.5e-5, 1e-4, 1e-4]);
}

#[test]
fn one_cycle_ignores_the_optimizer_lr() {
    let got = first(run(
        &[
            json!({"type": "OneCycleLR", "eta_max": 0.1, "total_steps": 10, "anneal_strategy": "linear", "three_phase": true, "by_epoch": false}),
        ],
        &mut sgd(123.0),
        "lr",
        10,
    ));
    assert_close(
        &got,
        &[
            0.004, 0.052, 0.1, 0.052, 0.004, 0.0032, 0.0024, 0.0016, 0.0008, 4e-7,
        ],
    );
}

#[test]
fn constant_with_a_one_step_window_keeps_its_factor_forever() {
    let got = first(run(
        &[json!({"type": "ConstantLR", "factor": 0.5, "end": 1, "by_epoch": false})],
        &mut sgd(0.1),
        "lr",
        4,
    ));
    assert_close(&got, &[0.05, 0.05, 0.05, 0.05]);
}

fn plateau(cfg: Value, metrics: &[f64], key: &str) -> Vec<f64> {
    let mut groups = sgd(0.1);
    let run = RunLength {
        max_epochs: Some(100),
        ..RunLength::default()
    };
    let mut s = spec(cfg)
        .resolve(&run)
        .expect("resolves")
        .attach(&mut groups)
        .expect("attaches");
    metrics
        .iter()
        .map(|m| {
            s.step(&mut groups).expect("epoch step");
            s.step_with_metrics(&mut groups, &BTreeMap::from([(key.to_string(), *m)]))
                .expect("validation step");
            groups[0].get("lr").expect("lr")
        })
        .collect()
}

#[test]
fn reduce_on_plateau_waits_patience_validations() {
    let got = plateau(
        json!({"type": "ReduceOnPlateauLR", "patience": 1, "factor": 0.5}),
        &[1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7],
        "loss",
    );
    assert_close(&got, &[0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025]);
}

#[test]
fn reduce_on_plateau_greater_with_cooldown_and_floor() {
    let got = plateau(
        json!({"type": "ReduceOnPlateauLR", "rule": "greater", "monitor": "accuracy/top1", "patience": 0, "cooldown": 1, "min_value": 5e-4}),
        &[0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.5, 0.5, 0.5],
        "accuracy/top1",
    );
    assert_close(
        &got,
        &[0.1, 0.01, 0.01, 0.001, 0.001, 0.001, 5e-4, 5e-4, 5e-4],
    );
}

#[test]
fn reduce_on_plateau_names_a_missing_metric() {
    let mut groups = sgd(0.1);
    let run = RunLength {
        max_epochs: Some(10),
        ..RunLength::default()
    };
    let mut s = spec(json!({"type": "ReduceOnPlateauLR"}))
        .resolve(&run)
        .expect("resolves")
        .attach(&mut groups)
        .expect("attaches");
    let err = s
        .step_with_metrics(
            &mut groups,
            &BTreeMap::from([("accuracy/top1".to_string(), 1.0)]),
        )
        .expect_err("loss is missing");
    assert!(err.to_string().contains("monitors `loss`"), "{err}");
}

#[test]
fn schedules_never_go_negative_for_decaying_families() {
    for cfg in [
        json!({"type": "CosineAnnealingLR", "T_max": 7, "by_epoch": false}),
        json!({"type": "PolyLR", "power": 0.9, "end": 50, "by_epoch": false}),
        json!({"type": "CosineRestartLR", "periods": [5, 9, 13], "restart_weights": [1.0, 0.7, 0.3], "eta_min": 0.0, "by_epoch": false}),
        json!({"type": "OneCycleLR", "eta_max": 0.3, "total_steps": 60, "by_epoch": false}),
        json!({"type": "LinearLR", "start_factor": 1.0, "end_factor": 0.0, "end": 30, "by_epoch": false}),
    ] {
        let got = first(run(&[cfg.clone()], &mut sgd(0.1), "lr", 60));
        assert!(
            got.iter().all(|v| *v >= -1e-15 && v.is_finite()),
            "{cfg}: {got:?}"
        );
    }
}
