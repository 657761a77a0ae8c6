//! Resume through a checkpoint: every scheduler type's state dict, written as JSON
//! text and read back into a freshly built scheduler, continues bit for bit.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::base::KeyPath;

/// A config for each family that walks through its interesting branches in 12 steps.
fn family_config(family: &str) -> Value {
    match family {
        "Step" => json!({"step_size": 3, "gamma": 0.5}),
        "MultiStep" => json!({"milestones": [2, 2, 5, 7, 12], "gamma": 0.5}),
        "Constant" => json!({"factor": 0.5, "end": 7}),
        "Exponential" => json!({"gamma": 0.9}),
        "Linear" => json!({"start_factor": 0.25, "end_factor": 0.9, "end": 9}),
        "CosineAnnealing" => json!({"T_max": 3, "eta_min": 0.001}),
        "Poly" => json!({"power": 2.0, "eta_min": 0.001, "end": 10}),
        "OneCycle" => json!({"eta_max": [0.3, 0.2], "total_steps": 12, "three_phase": true}),
        "CosineRestart" => {
            json!({"periods": [3, 4, 5], "restart_weights": [1.0, 0.7, 0.4], "eta_min_ratio": 0.1})
        }
        "ReduceOnPlateau" => {
            json!({"rule": "greater", "threshold_rule": "abs", "patience": 1, "factor": 0.5, "cooldown": 1, "min_value": [0.0, 0.01]})
        }
        other => panic!("no test config for the {other} family"),
    }
}

fn config(type_name: &str) -> Value {
    let (family, suffix) = ["LR", "Momentum", "ParamScheduler"]
        .iter()
        .find_map(|s| type_name.strip_suffix(s).map(|f| (f, *s)))
        .expect("a scheduler type ends in LR, Momentum or ParamScheduler");
    let mut cfg = family_config(family);
    let dict = cfg.as_object_mut().expect("a table");
    dict.insert("type".into(), json!(type_name));
    dict.insert("by_epoch".into(), json!(family == "ReduceOnPlateau"));
    if suffix == "ParamScheduler" {
        let param = if family == "OneCycle" {
            "lr"
        } else {
            "weight_decay"
        };
        dict.insert("param_name".into(), json!(param));
    }
    cfg
}

/// Two parameter groups (SGD's lr/momentum/weight_decay, different per group).
fn groups() -> Vec<ParamGroup> {
    vec![
        ParamGroup::new([("lr", 0.1), ("momentum", 0.9), ("weight_decay", 5e-4)]),
        ParamGroup::new([("lr", 0.03), ("momentum", 0.8), ("weight_decay", 1e-4)]),
    ]
}

const STEPS: usize = 12;

/// Accuracy-like metrics that plateau, improve and plateau again.
const METRICS: [f64; STEPS] = [0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7];

fn take_step(s: &mut ParamScheduler, groups: &mut [ParamGroup], i: usize) -> Vec<f64> {
    s.step(groups).expect("steps");
    if s.needs_metrics() {
        let metrics = BTreeMap::from([("loss".to_string(), METRICS[i])]);
        s.step_with_metrics(groups, &metrics)
            .expect("validation step");
    }
    groups
        .iter()
        .map(|g| g.get(&s.param_name).expect("the scheduled key"))
        .collect()
}

fn build(spec: &SchedulerSpec, groups: &mut [ParamGroup]) -> ParamScheduler {
    let run = RunLength {
        max_epochs: Some(100),
        max_iters: Some(100),
        epoch_length: Some(1),
    };
    spec.resolve(&run)
        .expect("resolves")
        .attach(groups)
        .expect("attaches")
}

#[test]
fn every_scheduler_type_resumes_bit_exactly_from_its_json_state_dict() {
    let registry = scheduler_registry();
    let names = registry.names();
    assert!(names.len() >= 29, "{names:?}");
    for name in names {
        let spec = registry
            .build(&config(name), &KeyPath::root().key("param_scheduler"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        let mut straight_groups = groups();
        let mut straight = build(&spec, &mut straight_groups);
        let want: Vec<Vec<f64>> = (0..STEPS)
            .map(|i| take_step(&mut straight, &mut straight_groups, i))
            .collect();

        let mut first_groups = groups();
        let mut first = build(&spec, &mut first_groups);
        let mut got: Vec<Vec<f64>> = (0..STEPS / 2)
            .map(|i| take_step(&mut first, &mut first_groups, i))
            .collect();
        let text = serde_json::to_string(&first.state_dict()).expect("serialises");
        let state: Value = serde_json::from_str(&text).expect("parses");

        // Resume as MMEngine does: build the schedulers (which step the optimizer),
        // restore the optimizer's groups, then the schedulers' states.
        let mut resumed_groups = groups();
        let mut resumed = build(&spec, &mut resumed_groups);
        resumed_groups = first_groups.clone();
        resumed
            .load_state_dict(&state)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(resumed, first, "{name}: the loaded scheduler differs");
        got.extend((STEPS / 2..STEPS).map(|i| take_step(&mut resumed, &mut resumed_groups, i)));
        assert_eq!(got, want, "{name}: the resumed run differs");
    }
}

#[test]
fn state_dicts_keep_mmengine_attribute_names() {
    let registry = scheduler_registry();
    let path = KeyPath::root().key("param_scheduler");
    let keys = |name: &str| -> Vec<String> {
        let spec = registry.build(&config(name), &path).expect("parses");
        let state = build(&spec, &mut groups()).state_dict();
        state.as_object().expect("a dict").keys().cloned().collect()
    };
    for common in [
        "param_name",
        "begin",
        "end",
        "by_epoch",
        "last_step",
        "_global_step",
        "_last_value",
        "verbose",
    ] {
        assert!(keys("StepLR").contains(&common.to_string()), "{common}");
    }
    assert!(keys("StepLR").contains(&"base_values".to_string()));
    for key in [
        "monitor",
        "rule",
        "factor",
        "patience",
        "threshold",
        "threshold_rule",
        "cooldown",
        "min_values",
        "eps",
        "best",
        "num_bad_epochs",
        "cooldown_counter",
    ] {
        assert!(
            keys("ReduceOnPlateauLR").contains(&key.to_string()),
            "{key}"
        );
    }
    let spec = registry
        .build(&config("MultiStepLR"), &path)
        .expect("parses");
    let state = build(&spec, &mut groups()).state_dict();
    assert_eq!(
        state["milestones"],
        json!({"2": 2, "5": 1, "7": 1, "12": 1})
    );
    assert_eq!(state["gamma"], json!(0.5));
}

#[test]
fn a_state_dict_of_another_family_is_a_typed_error_said_once() {
    let registry = scheduler_registry();
    let path = KeyPath::root().key("param_scheduler");
    let cosine = registry
        .build(&config("CosineAnnealingLR"), &path)
        .expect("parses");
    let step = registry.build(&config("StepLR"), &path).expect("parses");
    let state = build(&cosine, &mut groups()).state_dict();
    let mut s = build(&step, &mut groups());
    let before = s.clone();
    let err = s
        .load_state_dict(&state)
        .expect_err("a cosine state is no step state");
    assert!(matches!(err, SchedulerError::StateDict { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("step_size"), "{msg}");
    assert_eq!(msg.matches("does not fit").count(), 0, "{msg}");
    assert_eq!(s, before, "a failed load changes nothing");
}
