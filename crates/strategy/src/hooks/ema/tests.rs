//! The real MMEngine's averaged models (`ema_*.json`: seven cases on a float64
//! `Linear(3,2)`, two with a BatchNorm) and `EMAHook`'s lifecycle
//! (`emahook_lifecycle.json`), replayed through [`EmaCounter`], [`lerp`] and
//! [`EmaCfg::started`] on host values.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn case(name: &str) -> Value {
    let path = crate::base::reference_dir().join(format!("hooks/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("the reference case")).expect("JSON")
}

/// A state dict as flat values by name (integers kept as floats).
fn flat(v: &Value) -> BTreeMap<String, Vec<f64>> {
    fn push(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| push(i, out)),
            v => out.push(v.as_f64().expect("a number")),
        }
    }
    v.as_object()
        .expect("a state dict")
        .iter()
        .map(|(k, v)| {
            let mut out = Vec::new();
            push(v, &mut out);
            (k.clone(), out)
        })
        .collect()
}

fn is_buffer(name: &str) -> bool {
    name.contains("running_") || name.ends_with("num_batches_tracked")
}

fn close(a: &BTreeMap<String, Vec<f64>>, b: &BTreeMap<String, Vec<f64>>, what: &str) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (k, x) in a {
        for (p, q) in x.iter().zip(&b[k]) {
            assert!(
                (p - q).abs() <= 1e-12 * (1.0 + q.abs()),
                "{what} {k}: {p} vs {q}"
            );
        }
    }
}

/// The config of an averaged-model case as an `EMAHook` table.
fn cfg_of(c: &Value) -> EmaCfg {
    let mut t = c.as_object().expect("config").clone();
    let ema_type = t.remove("type").expect("type");
    t.remove("dtype");
    t.insert("ema_type".into(), ema_type);
    EmaCfg::from_config(&t, &KeyPath::root().key("custom_hooks").index(0)).expect("parses")
}

fn replay_averaged(name: &str) {
    let c = case(name);
    let cfg = cfg_of(&c["config"]);
    let mut counter = EmaCounter::default();
    let mut avg = flat(&c["input"]["initial_state"]);
    let sources = c["input"]["source_state_per_call"]
        .as_array()
        .expect("sources");
    let expected = c["expected"]["per_call"].as_array().expect("calls");
    assert_eq!(sources.len(), expected.len());
    for (src, want) in sources.iter().zip(expected) {
        let src = flat(src);
        let steps_before = counter.steps;
        let action = counter.call(&cfg);
        assert_eq!(
            steps_before,
            want["steps_before"].as_i64().expect("steps"),
            "{name}"
        );
        assert_eq!(
            counter.steps,
            want["steps_after"].as_i64().expect("steps"),
            "{name}"
        );
        let (kind, used) = match action {
            EmaAction::Copy => ("copy", None),
            EmaAction::Average(w) => ("average", Some(w)),
            EmaAction::Skip => ("skip", None),
        };
        assert_eq!(kind, want["action"], "{name} call {steps_before}");
        match (used, want["momentum_used"].as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-15, "{name}: {a} vs {b}"),
            (None, None) => {}
            other => panic!("{name}: momentum {other:?}"),
        }
        for (k, a) in avg.iter_mut() {
            let s = &src[k];
            let int = k.ends_with("num_batches_tracked");
            let averaged = !is_buffer(k) || cfg.update_buffers;
            match action {
                _ if !averaged => a.clone_from(s),
                EmaAction::Copy => a.clone_from(s),
                EmaAction::Average(_) if int => {}
                EmaAction::Average(w) => {
                    a.iter_mut().zip(s).for_each(|(x, y)| *x = lerp(*x, *y, w))
                }
                EmaAction::Skip => {}
            }
        }
        close(
            &avg,
            &flat(&want["averaged"]),
            &format!("{name} call {steps_before}"),
        );
    }
}

#[test]
fn exponential_moving_averages_match_mmengine() {
    for name in ["ema_momentum_0p1", "ema_momentum_default", "ema_interval_2"] {
        replay_averaged(name);
    }
}

#[test]
fn momentum_annealing_averages_match_mmengine() {
    for name in ["ema_annealing_gamma10", "ema_annealing_interval3"] {
        replay_averaged(name);
    }
}

#[test]
fn buffers_are_averaged_or_copied_as_mmengine_does() {
    for name in ["ema_bn_update_buffers", "ema_bn_copy_buffers"] {
        replay_averaged(name);
    }
}

#[test]
fn the_hook_starts_late_swaps_for_validation_and_swaps_checkpoints() {
    let c = case("emahook_lifecycle");
    let mut t = c["config"].as_object().expect("config").clone();
    t.remove("dtype");
    let cfg = EmaCfg::from_config(&t, &KeyPath::root()).expect("parses");
    let mut counter = EmaCounter::default();
    let mut source = flat(&c["input"]["initial_state"]);
    let mut ema = source.clone();
    let per_iter = c["expected"]["per_iter"].as_array().expect("iterations");
    for (i, (src, want)) in c["input"]["source_state_per_iter"]
        .as_array()
        .expect("sources")
        .iter()
        .zip(per_iter)
        .enumerate()
    {
        source = flat(src);
        let started = cfg.started(0, i as i64);
        assert_eq!(json!(started), want["ema_started"], "iteration {i}");
        if started {
            match counter.call(&cfg) {
                EmaAction::Copy => ema.clone_from(&source),
                EmaAction::Average(w) => {
                    for (k, a) in ema.iter_mut() {
                        a.iter_mut()
                            .zip(&source[k])
                            .for_each(|(x, y)| *x = lerp(*x, *y, w));
                    }
                }
                EmaAction::Skip => {}
            }
        } else {
            // Not started: the average follows the model; `steps` stays.
            ema.clone_from(&source);
        }
        assert_eq!(
            counter.steps,
            want["ema_steps_after"].as_i64().expect("steps")
        );
        close(&ema, &flat(&want["ema"]), &format!("iteration {i}"));
    }
    let e = &c["expected"];
    // Validation sees the average; afterwards the model has its own weights back.
    close(&ema, &flat(&e["model_during_val"]), "during validation");
    close(&source, &flat(&e["model_after_val"]), "after validation");
    // A checkpoint: `state_dict` holds the average, `ema_state_dict` the raw weights.
    let ck = &e["checkpoint_after_before_save_checkpoint"];
    close(&ema, &flat(&ck["state_dict"]), "checkpoint state_dict");
    let raw: BTreeMap<String, Vec<f64>> = flat(&ck["ema_state_dict"])
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("module.").map(|k| (k.to_string(), v)))
        .collect();
    close(&source, &raw, "checkpoint ema_state_dict");
    assert_eq!(ck["ema_state_dict"]["steps"], json!(counter.steps));
    // Resume: the model gets the raw weights, the average and `steps` come back.
    let r = &e["resume_true"];
    close(&raw, &flat(&r["model"]), "resumed model");
    close(&ema, &flat(&r["ema_module"]), "resumed average");
    assert_eq!(r["ema_steps"], json!(counter.steps));
    // A plain load puts the average into both, and `steps` starts again.
    let l = &e["resume_false_load"];
    close(&ema, &flat(&l["model"]), "loaded model");
    close(&ema, &flat(&l["ema_module"]), "loaded average");
    assert_eq!(l["ema_steps"], json!(0));
}

#[test]
fn bad_settings_are_named() {
    let at = KeyPath::root().key("custom_hooks").index(0);
    let parse = |v: Value| EmaCfg::from_config(v.as_object().expect("table"), &at);
    let e = parse(json!({"momentum": 1.5})).unwrap_err();
    assert_eq!(e.path, "custom_hooks[0].momentum");
    let e = parse(json!({"ema_type": "MomentumAnnealingEMA", "gamma": 0})).unwrap_err();
    assert_eq!(e.path, "custom_hooks[0].gamma");
    let e = parse(json!({"ema_type": "ExponentialMovingAvg"})).unwrap_err();
    assert!(
        e.message
            .contains("Did you mean `ExponentialMovingAverage`?"),
        "{e}"
    );
    let e = parse(json!({"begin_iter": 3, "begin_epoch": 2})).unwrap_err();
    assert_eq!(e.path, "custom_hooks[0].begin_epoch");
    let e = parse(json!({"gamma": 10})).unwrap_err();
    assert_eq!(e.path, "custom_hooks[0].gamma");
    let ok = parse(json!({})).expect("MMEngine's defaults");
    assert_eq!(ok.momentum, 0.0002);
    assert!(
        ok.started(0, 0),
        "begin_iter 0 starts at the first iteration"
    );
    assert!(
        parse(json!({"momentum": 0.9}))
            .expect("parses")
            .warning()
            .is_some()
    );
}
