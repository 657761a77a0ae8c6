//! The four `checkpoint_best_*.json` cases of the real MMEngine `CheckpointHook`,
//! replayed through [`CheckpointPolicy`] and [`SaveBest`] on a simulated work dir:
//! the files saved in order, the directory after every step, `last_checkpoint`, the
//! log lines and the message hub's best scores.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::*;
use crate::hooks::CheckpointPolicy;

fn ours(name: &str) -> String {
    name.replace("<work_dir>/", "")
        .replace(".pth", ".safetensors")
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| ours(s.as_str().expect("a string")))
        .collect()
}

struct Dir {
    files: BTreeSet<String>,
    last_checkpoint: Option<String>,
    last_ckpt: Option<String>,
    saves: Vec<String>,
    logged: Vec<String>,
}

impl Dir {
    fn periodic(&mut self, policy: &mut CheckpointPolicy, step: i64) {
        let name = policy.filename(step);
        for old in policy.record(PathBuf::from(&name)) {
            self.files.remove(&old.to_string_lossy().into_owned());
        }
        self.files.insert(name.clone());
        self.saves.push(name.clone());
        self.last_checkpoint = Some(name.clone());
        self.last_ckpt = Some(name);
    }
}

fn replay(case_name: &str) {
    let path = crate::base::reference_dir().join(format!("hooks/{case_name}.json"));
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the reference case"))
            .expect("JSON");
    let hook = case["config"]["hook"].as_object().expect("hook");
    let at = KeyPath::root().key("default_hooks").key("checkpoint");
    let mut policy = CheckpointPolicy::from_config(hook, &at).expect("the case's config parses");
    let mut best = policy.best.take().expect("save_best is set");
    let lp = &case["config"]["loop"];
    let by_epoch = lp["type"] == "EpochBasedTrainLoop";
    let max = if by_epoch {
        &lp["max_epochs"]
    } else {
        &lp["max_iters"]
    }
    .as_i64()
    .expect("max");
    let val_interval = lp["val_interval"].as_i64().expect("val_interval");
    let (unit, units) = if by_epoch {
        ("epoch", "epochs")
    } else {
        ("iter", "iterations")
    };
    let mut dir = Dir {
        files: BTreeSet::new(),
        last_checkpoint: None,
        last_ckpt: None,
        saves: Vec::new(),
        logged: Vec::new(),
    };
    let steps = case["expected"]["per_step"].as_array().expect("steps");
    assert_eq!(steps.len() as i64, max);
    for (i, want) in steps.iter().enumerate() {
        let step = i as i64 + 1;
        dir.saves.clear();
        dir.logged.clear();
        if policy.due(step, max) {
            dir.periodic(&mut policy, step);
            dir.logged
                .push(format!("Saving checkpoint at {step} {units}"));
        }
        if step % val_interval == 0 || step == max {
            let metrics: Vec<(String, f64)> = want["metrics"]
                .as_object()
                .expect("metrics at a validation")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().expect("a score")))
                .collect();
            let (actions, improved) = best
                .after_val(&metrics, step, unit, &policy.filename(step), &at)
                .expect("no error");
            for a in actions {
                match a {
                    BestAction::Remove(f) => assert!(dir.files.remove(&f), "{f} existed"),
                    BestAction::Save(f) => {
                        dir.files.insert(f.clone());
                        dir.saves.push(f);
                    }
                    BestAction::Log(l) => dir.logged.push(l),
                }
            }
            if improved && dir.last_ckpt.is_some() {
                dir.periodic(&mut policy, step);
            }
        } else {
            assert!(want["metrics"].is_null());
        }
        let at_step = format!("{case_name}, step {step}");
        assert_eq!(dir.saves, strs(&want["saves"]), "{at_step}: saves");
        let mut files: Vec<String> = dir.files.iter().cloned().collect();
        if dir.last_checkpoint.is_some() {
            files.push("last_checkpoint".into());
            files.sort();
        }
        assert_eq!(files, strs(&want["files"]), "{at_step}: files");
        assert_eq!(
            dir.last_checkpoint,
            want["last_checkpoint"].as_str().map(ours),
            "{at_step}: last_checkpoint"
        );
        assert_eq!(dir.logged, strs(&want["logged"]), "{at_step}: log");
        let hub = best.hub_entries();
        for (k, v) in want["message_hub"].as_object().expect("hub") {
            if k.starts_with("best_score") {
                assert_eq!(
                    hub.get(k).and_then(Value::as_f64),
                    v.as_f64(),
                    "{at_step}: {k}"
                );
            } else if k.starts_with("best_ckpt") {
                let want = v.as_str().map(ours);
                assert_eq!(
                    hub.get(k).and_then(Value::as_str),
                    want.as_deref(),
                    "{at_step}: {k}"
                );
            } else if k == "keep_ckpt_ids" {
                let ids: Vec<String> = policy
                    .kept
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                let want: Vec<String> = v
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|id| policy.filename(id.as_i64().expect("an id")))
                    .collect();
                assert_eq!(ids, want, "{at_step}: keep_ckpt_ids");
            }
        }
    }
}

#[test]
fn auto_picks_the_first_metric_and_a_tie_is_no_improvement() {
    replay("checkpoint_best_auto");
}

#[test]
fn a_best_at_an_off_interval_epoch_resaves_the_periodic_checkpoint() {
    replay("checkpoint_best_named_less_interval2");
}

#[test]
fn several_keys_have_their_own_files_and_one_resave() {
    replay("checkpoint_best_multi_keys");
}

#[test]
fn iteration_based_best_files_are_named_by_iteration() {
    replay("checkpoint_best_iter_based");
}

#[test]
fn bad_settings_are_named() {
    let at = KeyPath::root().key("default_hooks").key("checkpoint");
    let parse = |v: Value| SaveBest::from_config(v.as_object().expect("table"), &at);
    let e = parse(serde_json::json!({"save_best": "PSNR"})).unwrap_err();
    assert_eq!(e.path, "default_hooks.checkpoint.rule");
    assert!(e.message.contains("PSNR"), "{e}");
    let ok = parse(serde_json::json!({"save_best": "PSNR", "rule": "greater"}))
        .expect("a given rule")
        .expect("set");
    assert_eq!(
        ok.watched,
        Watched::Keys(vec![("PSNR".into(), Rule::Greater)])
    );
    let e =
        parse(serde_json::json!({"save_best": ["a", "loss"], "rule": ["greater"]})).unwrap_err();
    assert_eq!(e.path, "default_hooks.checkpoint.rule");
    let e = parse(serde_json::json!({"save_best": ["auto", "loss"]})).unwrap_err();
    assert_eq!(e.path, "default_hooks.checkpoint.save_best");
    let e = parse(serde_json::json!({"save_best": "acc", "rule": "bigger"})).unwrap_err();
    assert!(e.message.contains("bigger"), "{e}");
    let e = parse(serde_json::json!({"rule": "greater"})).unwrap_err();
    assert_eq!(e.path, "default_hooks.checkpoint.rule");
    // A custom key list changes what is inferred.
    let ok = parse(serde_json::json!({"save_best": "PSNR", "greater_keys": ["psnr"]}))
        .expect("inferred")
        .expect("set");
    assert_eq!(
        ok.watched,
        Watched::Keys(vec![("PSNR".into(), Rule::Greater)])
    );
    // A watched metric validation does not log is named.
    let mut b = parse(serde_json::json!({"save_best": "accuracy/top5"}))
        .expect("parses")
        .expect("set");
    let e = b
        .after_val(
            &[("accuracy/top1".into(), 50.0)],
            1,
            "epoch",
            "epoch_1.safetensors",
            &at,
        )
        .unwrap_err();
    assert_eq!(e.path, "default_hooks.checkpoint.save_best");
    assert!(e.message.contains("accuracy/top1"), "{e}");
}

#[test]
fn a_resumed_run_knows_its_best_file() {
    let at = KeyPath::root().key("default_hooks").key("checkpoint");
    let cfg = serde_json::json!({"save_best": "auto"});
    let mut b = SaveBest::from_config(cfg.as_object().expect("table"), &at)
        .expect("parses")
        .expect("set");
    let m = |x: f64| vec![("accuracy/top1".to_string(), x)];
    b.after_val(&m(60.0), 1, "epoch", "epoch_1.safetensors", &at)
        .expect("saved");
    let hub = Value::Object(b.hub_entries());
    let mut resumed = SaveBest::from_config(cfg.as_object().expect("table"), &at)
        .expect("parses")
        .expect("set");
    resumed.restore(&hub);
    let (actions, improved) = resumed
        .after_val(&m(55.0), 2, "epoch", "epoch_2.safetensors", &at)
        .expect("no error");
    assert!(!improved && actions.is_empty());
    let (actions, _) = resumed
        .after_val(&m(70.0), 3, "epoch", "epoch_3.safetensors", &at)
        .expect("no error");
    assert_eq!(
        actions[0],
        BestAction::Remove("best_accuracy_top1_epoch_1.safetensors".into())
    );
}
