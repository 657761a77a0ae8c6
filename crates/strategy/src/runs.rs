//! Runs side by side: a run's config and its `scalars.json` records summarised (final
//! loss and metrics, iterations, backend, wall time), and how its config differs from
//! another's, key path by key path. The CLI's `compare` reads them from work dirs;
//! the web app keeps them in the browser. No tensor backend needed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One run, as its logs describe it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// A name to show (a work dir, a timestamp, "run 3").
    pub name: String,
    /// The merged config the run trained with.
    pub config: Value,
    /// The training loss by iteration (the logged window means).
    pub loss: Vec<(i64, f64)>,
    /// Every validation: its step and metrics.
    pub val: Vec<(i64, BTreeMap<String, f64>)>,
    /// The device(s) it ran on.
    pub backend: String,
    /// Seconds from start to end, when known.
    pub wall_s: Option<f64>,
}

impl RunRecord {
    /// Reads `scalars.json` text (one JSON object a line): records with `iter` are
    /// training records (their `loss`), the others validations (every number but
    /// `step`, `epoch`, `iter` and the timing, `time` and `data_time`). Lines that are not JSON objects are skipped, with
    /// their count returned, so a run cut short still compares.
    pub fn read_scalars(&mut self, text: &str) -> usize {
        let mut skipped = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(Value::Object(rec)) = serde_json::from_str::<Value>(line) else {
                skipped += 1;
                continue;
            };
            let int = |k: &str| rec.get(k).and_then(Value::as_i64);
            if let Some(iter) = int("iter") {
                if let Some(loss) = rec.get("loss").and_then(Value::as_f64) {
                    self.loss.push((iter, loss));
                }
            } else if let Some(step) = int("step") {
                let metrics = rec
                    .iter()
                    // The validation's own timing is not a metric.
                    .filter(|(k, _)| {
                        !["step", "epoch", "iter", "time", "data_time"].contains(&k.as_str())
                    })
                    .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
                    .collect();
                self.val.push((step, metrics));
            }
        }
        skipped
    }

    /// The last logged training loss.
    pub fn final_loss(&self) -> Option<f64> {
        self.loss.last().map(|p| p.1)
    }

    /// The last validation's metrics.
    pub fn final_metrics(&self) -> BTreeMap<String, f64> {
        self.val.last().map(|v| v.1.clone()).unwrap_or_default()
    }

    /// The last iteration logged.
    pub fn iterations(&self) -> i64 {
        self.loss.last().map_or(0, |p| p.0)
    }
}

/// One logged scalar of a run over training: `(iteration, value)` for every record of
/// `scalars.json` text that holds `key`, in order.
///
/// Training records are placed at their `iter`. Validation records (those without
/// `iter`) are placed at their `step`, which is an iteration in iteration-based runs;
/// in epoch-based runs (training records carry `epoch`) it is an epoch, and the
/// record is placed at the last iteration logged in that epoch, so both kinds share
/// one axis. Lines that are not JSON objects are skipped, as in
/// [`RunRecord::read_scalars`].
pub fn scalar_series(text: &str, key: &str) -> Vec<(i64, f64)> {
    let records: Vec<serde_json::Map<String, Value>> = text
        .lines()
        .filter_map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(rec)) => Some(rec),
            _ => None,
        })
        .collect();
    let int = |rec: &serde_json::Map<String, Value>, k: &str| rec.get(k).and_then(Value::as_i64);
    let mut epoch_end: BTreeMap<i64, i64> = BTreeMap::new();
    for rec in &records {
        if let (Some(iter), Some(epoch)) = (int(rec, "iter"), int(rec, "epoch")) {
            let end = epoch_end.entry(epoch).or_insert(iter);
            *end = (*end).max(iter);
        }
    }
    records
        .iter()
        .filter_map(|rec| {
            let value = rec.get(key)?.as_f64()?;
            let x = match int(rec, "iter") {
                Some(iter) => iter,
                None => {
                    let step = int(rec, "step")?;
                    if epoch_end.is_empty() {
                        step
                    } else {
                        *epoch_end.get(&step)?
                    }
                }
            };
            Some((x, value))
        })
        .collect()
}

/// Every scalar name in `scalars.json` text (not `iter`, `epoch` or `step`), sorted.
pub fn scalar_keys(text: &str) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Ok(Value::Object(rec)) = serde_json::from_str::<Value>(line) {
            keys.extend(
                rec.iter()
                    .filter(|(k, v)| {
                        v.is_number() && !["iter", "epoch", "step"].contains(&k.as_str())
                    })
                    .map(|(k, _)| k.clone()),
            );
        }
    }
    keys.into_iter().collect()
}

/// One difference between two configs: the key path, and the value on each side
/// (`None`: the key is absent there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigChange {
    /// `optim_wrapper.optimizer.lr`, `param_scheduler[1].T_max`.
    pub path: String,
    /// In the reference run.
    pub before: Option<Value>,
    /// In this run.
    pub after: Option<Value>,
}

impl std::fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), Value::to_string);
        write!(
            f,
            "{}: {} → {}",
            self.path,
            show(&self.before),
            show(&self.after)
        )
    }
}

/// Every leaf where `after` differs from `before`, in key order (lists by index;
/// `work_dir` and `experiment_name`, which every run changes, left out).
pub fn config_diff(before: &Value, after: &Value) -> Vec<ConfigChange> {
    let mut out = Vec::new();
    diff_into("", before, after, &mut out);
    out.retain(|c| c.path != "work_dir" && c.path != "experiment_name");
    out
}

fn diff_into(path: &str, a: &Value, b: &Value, out: &mut Vec<ConfigChange>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_into(&join(k), va, vb, out),
                    (va, vb) => out.push(ConfigChange {
                        path: join(k),
                        before: va.cloned(),
                        after: vb.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_into(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if numbers_equal(a, b) || a == b => {}
        _ => out.push(ConfigChange {
            path: path.to_string(),
            before: Some(a.clone()),
            after: Some(b.clone()),
        }),
    }
}

/// `0.01` and `1e-2`, `1` and `1.0`: the same number from TOML or JSON.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn differences_are_leaf_paths() {
        let a = json!({"work_dir": "a", "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01}},
                       "param_scheduler": [{"type": "LinearLR"}, {"T_max": 10}], "model": {"hidden_sizes": [8]}});
        let b = json!({"work_dir": "b", "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9}},
                       "param_scheduler": [{"type": "LinearLR"}, {"T_max": 10.0}], "model": {"hidden_sizes": [8, 8]}});
        let d: Vec<String> = config_diff(&a, &b)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            d,
            [
                "model.hidden_sizes: [8] → [8,8]",
                "optim_wrapper.optimizer.lr: 0.01 → 0.05",
                "optim_wrapper.optimizer.momentum: (none) → 0.9",
            ]
        );
        assert!(config_diff(&a, &a).is_empty());
    }

    #[test]
    fn scalars_split_into_losses_and_validations() {
        let mut r = RunRecord::default();
        let skipped = r.read_scalars(
            "{\"lr\": 0.1, \"loss\": 0.9, \"iter\": 10, \"step\": 10}\n\
             {\"lr\": 0.1, \"loss\": 0.5, \"iter\": 20, \"epoch\": 1, \"step\": 20}\n\
             {\"accuracy/top1\": 91.5, \"step\": 1}\n{broken\n",
        );
        assert_eq!(skipped, 1);
        assert_eq!(r.loss, vec![(10, 0.9), (20, 0.5)]);
        assert_eq!((r.final_loss(), r.iterations()), (Some(0.5), 20));
        assert_eq!(r.final_metrics().get("accuracy/top1"), Some(&91.5));
    }

    #[test]
    fn series_share_the_iteration_axis() {
        // Iteration-based: validation steps are iterations.
        let iters = "{\"acc\": 50.0, \"loss\": 0.9, \"iter\": 100}\n\
                     {\"token_accuracy/top1\": 10.0, \"step\": 100}\n\
                     {\"acc\": 90.0, \"loss\": 0.2, \"iter\": 200}\nnot json\n";
        assert_eq!(scalar_series(iters, "acc"), vec![(100, 50.0), (200, 90.0)]);
        assert_eq!(
            scalar_series(iters, "token_accuracy/top1"),
            vec![(100, 10.0)]
        );
        assert!(scalar_series(iters, "nope").is_empty());
        assert_eq!(scalar_keys(iters), ["acc", "loss", "token_accuracy/top1"]);
        // Epoch-based: validation step 1 is epoch 1, which ended at iteration 20 here.
        let epochs = "{\"loss\": 0.9, \"epoch\": 1, \"iter\": 10}\n\
                      {\"loss\": 0.8, \"epoch\": 1, \"iter\": 20}\n\
                      {\"accuracy/top1\": 91.5, \"step\": 1}\n\
                      {\"loss\": 0.7, \"epoch\": 2, \"iter\": 30}\n\
                      {\"accuracy/top1\": 93.0, \"step\": 2}\n";
        assert_eq!(
            scalar_series(epochs, "accuracy/top1"),
            vec![(20, 91.5), (30, 93.0)]
        );
    }
}
