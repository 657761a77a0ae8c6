//! MMEngine's `EarlyStoppingHook` (`custom_hooks = [{type = "EarlyStoppingHook",
//! monitor = …}]`): the settings, checked, and the decision after every validation,
//! with MMEngine's defaults (`min_delta = 0.1`, `patience = 5`), its order of checks
//! (non-finite, threshold, no improvement) and its messages. No tensor backend.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::rule::Rule;
use super::{flag, number};
use crate::base::{ConfigError, KeyPath};

/// The keys an `EarlyStoppingHook` table may hold.
pub const KNOWN: [&str; 9] = [
    "type",
    "monitor",
    "rule",
    "min_delta",
    "strict",
    "check_finite",
    "patience",
    "stopping_threshold",
    "priority",
];

/// `EarlyStoppingHook`'s settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStoppingCfg {
    /// The validation metric watched (`accuracy/top1`, `loss`).
    pub monitor: String,
    /// Which direction improves (given, or inferred from `monitor`).
    pub rule: Rule,
    /// The least change that counts as an improvement (default 0.1).
    pub min_delta: f64,
    /// A missing metric is an error (true) or a warning (false, the default).
    pub strict: bool,
    /// Stop at a NaN or infinite metric (default true).
    pub check_finite: bool,
    /// Validations without improvement before stopping (default 5).
    pub patience: i64,
    /// Stop as soon as the metric is strictly better than this.
    pub stopping_threshold: Option<f64>,
}

impl EarlyStoppingCfg {
    /// Reads one `custom_hooks` entry (found at `path`); unknown keys are refused
    /// with the closest known one by the caller's key check.
    pub fn from_config(t: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let monitor = match t.get("monitor") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) => {
                return Err(path
                    .key("monitor")
                    .error(format!("expected a metric name, got {v}")));
            }
            None => {
                return Err(path.key("monitor").error(
                    "missing: the metric to watch, as validation logs it (e.g. \"accuracy/top1\")",
                ));
            }
        };
        let rule = match t.get("rule") {
            None | Some(Value::Null) => Rule::infer_default(&monitor).ok_or_else(|| {
                path.key("rule").error(format!(
                    "cannot infer the rule for `{monitor}`: set rule = \"greater\" or \"less\""
                ))
            })?,
            Some(Value::String(s)) => Rule::parse(s).ok_or_else(|| {
                path.key("rule")
                    .error(format!("expected \"greater\" or \"less\", got \"{s}\""))
            })?,
            Some(v) => {
                return Err(path
                    .key("rule")
                    .error(format!("expected \"greater\" or \"less\", got {v}")));
            }
        };
        let min_delta = number(t, "min_delta", path)?.unwrap_or(0.1);
        let patience = match t.get("patience") {
            None => 5,
            Some(v) => v.as_i64().ok_or_else(|| {
                path.key("patience")
                    .error(format!("expected a whole number of validations, got {v}"))
            })?,
        };
        Ok(Self {
            monitor,
            rule,
            min_delta,
            strict: flag(t, "strict", path, false)?,
            check_finite: flag(t, "check_finite", path, true)?,
            patience,
            stopping_threshold: number(t, "stopping_threshold", path)?,
        })
    }
}

/// What one validation decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Training goes on.
    Continue,
    /// Training goes on; the monitored metric was missing (MMEngine warns).
    Skipped(String),
    /// Training stops after this validation, for this reason (MMEngine logs it).
    Stop(String),
}

/// The hook's state: the best score so far and the validations without improvement.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    /// The settings.
    pub cfg: EarlyStoppingCfg,
    /// The best score so far (starts at the worst possible).
    pub best_score: f64,
    /// Validations since the last improvement.
    pub wait_count: i64,
}

/// A float as Python's `repr` prints it (`1.0`, `0.93`, `nan`, `inf`).
fn py_float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// `{x:.3f}` as Python formats it (`inf`, `nan`).
fn py_fixed3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        py_float(x)
    }
}

impl EarlyStopping {
    /// A fresh state.
    pub fn new(cfg: EarlyStoppingCfg) -> Self {
        let best_score = cfg.rule.worst();
        Self {
            cfg,
            best_score,
            wait_count: 0,
        }
    }

    /// The decision after a validation with `metrics`; `Err` with MMEngine's message
    /// when the metric is missing and `strict` is set.
    pub fn after_val(&mut self, metrics: &BTreeMap<String, f64>) -> Result<Verdict, String> {
        let monitor = &self.cfg.monitor;
        let Some(&x) = metrics.get(monitor) else {
            if self.cfg.strict {
                let shown: Vec<String> = metrics
                    .iter()
                    .map(|(k, v)| format!("'{k}': {}", py_float(*v)))
                    .collect();
                return Err(format!(
                    "Early stopping conditioned on metric `{monitor} is not available. Please check available metrics {{{}}}, or set `strict=False` in `EarlyStoppingHook`.",
                    shown.join(", ")
                ));
            }
            let keys: Vec<String> = metrics.keys().map(|k| format!("'{k}'")).collect();
            return Ok(Verdict::Skipped(format!(
                "Skip early stopping process since the evaluation results (dict_keys([{}])) do not include `monitor` ({monitor}).",
                keys.join(", ")
            )));
        };
        if self.cfg.check_finite && !x.is_finite() {
            return Ok(Verdict::Stop(format!(
                "Monitored metric {monitor} = {} is infinite. Previous best value was {}.",
                py_float(x),
                py_fixed3(self.best_score)
            )));
        }
        let rule = self.cfg.rule;
        if let Some(thr) = self.cfg.stopping_threshold
            && rule.better(x, thr)
        {
            self.best_score = x;
            return Ok(Verdict::Stop(format!(
                "Stopping threshold reached: `{monitor}` = {} is {rule} than {}.",
                py_float(x),
                py_float(thr)
            )));
        }
        let delta = match rule {
            Rule::Greater => self.cfg.min_delta,
            Rule::Less => -self.cfg.min_delta,
        };
        // MMEngine: `compare_func(best + delta, x)`, so reaching best + delta exactly
        // is an improvement.
        let no_improvement = match rule {
            Rule::Greater => self.best_score + delta > x,
            Rule::Less => self.best_score + delta < x,
        };
        if no_improvement {
            self.wait_count += 1;
            if self.wait_count >= self.cfg.patience {
                return Ok(Verdict::Stop(format!(
                    "the monitored metric did not improve in the last {} records. best score: {}. ",
                    self.wait_count,
                    py_fixed3(self.best_score)
                )));
            }
        } else {
            self.best_score = x;
            self.wait_count = 0;
        }
        Ok(Verdict::Continue)
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    fn float(v: &Value) -> f64 {
        match v {
            Value::String(s) if s == "NaN" => f64::NAN,
            Value::String(s) if s == "Infinity" => f64::INFINITY,
            Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            v => v.as_f64().expect("a number"),
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    /// Replays every `early_stopping_*` case of the real MMEngine: the state after
    /// each validation, the messages, the epoch it stops after, or its error.
    #[test]
    fn every_reference_case_stops_where_mmengine_stops() {
        let dir = crate::base::reference_dir().join("hooks");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("the reference cases") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if !name.starts_with("early_stopping_") {
                continue;
            }
            seen += 1;
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
            let hook = case["config"]["hook"].as_object().expect("hook");
            let cfg = EarlyStoppingCfg::from_config(hook, &KeyPath::root().key("custom_hooks"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let resolved = &case["config"]["resolved"];
            assert_eq!(cfg.rule.to_string(), resolved["rule"], "{name}");
            assert_eq!(
                cfg.patience,
                resolved["patience"].as_i64().expect("patience")
            );
            let mut hook = EarlyStopping::new(cfg);
            let expected = &case["expected"];
            let mut stopped = None;
            let mut error = None;
            let inputs = case["input"]["metrics_per_validation"]
                .as_array()
                .expect("inputs");
            for (i, m) in inputs.iter().enumerate() {
                let epoch = i as i64 + 1;
                let metrics: BTreeMap<String, f64> = m
                    .as_object()
                    .expect("metrics")
                    .iter()
                    .map(|(k, v)| (k.clone(), float(v)))
                    .collect();
                let verdict = match hook.after_val(&metrics) {
                    Ok(v) => v,
                    Err(msg) => {
                        error = Some((msg, epoch));
                        break;
                    }
                };
                let want = &expected["per_validation"][i];
                assert_eq!(
                    hook.wait_count,
                    want["wait_count"].as_i64().expect("wait"),
                    "{name} epoch {epoch}"
                );
                assert!(
                    same(hook.best_score, float(&want["best_score"])),
                    "{name} epoch {epoch}: best {} vs {}",
                    hook.best_score,
                    want["best_score"]
                );
                let (logged, warned) = match &verdict {
                    Verdict::Stop(m) => (vec![m.clone()], vec![]),
                    Verdict::Skipped(m) => (vec![], vec![m.clone()]),
                    Verdict::Continue => (vec![], vec![]),
                };
                assert_eq!(
                    serde_json::json!(logged),
                    want["logged"],
                    "{name} epoch {epoch}"
                );
                assert_eq!(
                    serde_json::json!(warned),
                    want["warnings"],
                    "{name} epoch {epoch}"
                );
                assert_eq!(
                    matches!(verdict, Verdict::Stop(_)),
                    want["stop_training"].as_bool().expect("flag"),
                    "{name} epoch {epoch}"
                );
                if matches!(verdict, Verdict::Stop(_)) {
                    stopped = Some(epoch);
                    break;
                }
            }
            assert_eq!(stopped, expected["stop_after_epoch"].as_i64(), "{name}");
            match (&error, expected["error"].as_object()) {
                (None, None) => {}
                (Some((msg, epoch)), Some(want)) => {
                    assert_eq!(msg, want["message"].as_str().expect("message"), "{name}");
                    assert_eq!(Some(*epoch), want["epoch"].as_i64(), "{name}");
                }
                (got, want) => panic!("{name}: error {got:?}, expected {want:?}"),
            }
        }
        assert_eq!(seen, 6);
    }

    #[test]
    fn bad_settings_are_named() {
        let p = KeyPath::root().key("custom_hooks").index(0);
        let t = |v: Value| v.as_object().expect("table").clone();
        let e =
            EarlyStoppingCfg::from_config(&t(serde_json::json!({"type": "EarlyStoppingHook"})), &p)
                .unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].monitor");
        let e = EarlyStoppingCfg::from_config(
            &t(serde_json::json!({"type": "EarlyStoppingHook", "monitor": "recall"})),
            &p,
        )
        .unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].rule");
        let e = EarlyStoppingCfg::from_config(
            &t(serde_json::json!({"type": "EarlyStoppingHook", "monitor": "acc", "rule": "bigger"})),
            &p,
        )
        .unwrap_err();
        assert!(e.message.contains("\"greater\" or \"less\""), "{e}");
    }
}
