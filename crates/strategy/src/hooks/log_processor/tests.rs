//! The real MMEngine `LogProcessor` (`log_processor_examples.json`: six settings on
//! a message hub of scripted scalars) replayed: every tag, in its order, and every
//! line, character for character.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::*;
use crate::base::KeyPath;

/// A JSON object with its keys in the file's order (a Python dict's order).
#[derive(Debug, Clone)]
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(serde::Deserialize)]
struct Validation {
    data_time: Vec<f64>,
    time: Vec<f64>,
    metrics: Ordered,
    val_epoch_tag: Ordered,
    val_epoch_log_str: String,
}

#[derive(serde::Deserialize)]
struct Case {
    label: String,
    log_processor: Value,
    iterations_logged: usize,
    runner: Value,
    batch_idx: i64,
    eta_info: Option<f64>,
    train_tag: Ordered,
    train_log_str: String,
    #[serde(default)]
    validations: Vec<Validation>,
}

#[derive(serde::Deserialize)]
struct Input {
    train_scalars_per_iter: Vec<Ordered>,
}

#[derive(serde::Deserialize)]
struct File {
    input: Input,
    expected: Vec<Case>,
}

/// The message hub: histories in the order keys first appeared.
#[derive(Default)]
struct Hub(Vec<(String, Vec<f64>)>);

impl Hub {
    fn push(&mut self, key: &str, v: f64) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, h)) => h.push(v),
            None => self.0.push((key.to_string(), vec![v])),
        }
    }

    fn view(&self) -> Vec<(&str, &[f64])> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect()
    }
}

fn same_tag(got: &[(String, TagValue)], want: &Ordered, what: &str) {
    let g: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    let w: Vec<&str> = want.0.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(g, w, "{what}: keys in order");
    for ((k, v), (_, e)) in got.iter().zip(&want.0) {
        let e = e.as_f64().expect("a number");
        assert!(
            (v.as_f64() - e).abs() <= 1e-12 * (1.0 + e.abs()),
            "{what} {k}: {v:?} vs {e}"
        );
        if matches!(k.as_str(), "epoch" | "iter") {
            assert!(matches!(v, TagValue::Int(_)), "{what} {k} is an int");
        }
    }
}

#[test]
fn tags_and_lines_are_mmengines() {
    let path = crate::base::reference_dir().join("hooks/log_processor_examples.json");
    let file: File =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the reference case"))
            .expect("JSON");
    assert_eq!(file.expected.len(), 6);
    for case in &file.expected {
        let cfg =
            LogProcessorCfg::parse(&case.log_processor, &KeyPath::root().key("log_processor"))
                .expect("parses");
        // MMEngine's default is by epoch.
        let cfg = LogProcessorCfg {
            by_epoch: Some(cfg.by_epoch.unwrap_or(true)),
            ..cfg
        };
        let mut hub = Hub::default();
        for it in &file.input.train_scalars_per_iter[..case.iterations_logged] {
            for (k, v) in &it.0 {
                hub.push(k, v.as_f64().expect("a number"));
            }
        }
        let r = &case.runner;
        let n = |k: &str| r[k].as_i64().expect("runner field");
        let st = LoopState {
            epoch: n("epoch"),
            iter: n("iter"),
            max_epochs: Some(n("max_epochs")),
            max_iters: n("max_iters"),
            loader_len: n("train_dataloader_len"),
        };
        let (tag, line) = cfg.after_train_iter(&hub.view(), &st, case.batch_idx, case.eta_info);
        same_tag(&tag, &case.train_tag, &case.label);
        assert_eq!(line, case.train_log_str, "{}", case.label);
        for (i, v) in case.validations.iter().enumerate() {
            for (dt, t) in v.data_time.iter().zip(&v.time) {
                hub.push("val/data_time", *dt);
                hub.push("val/time", *t);
            }
            for (k, m) in &v.metrics.0 {
                hub.push(&format!("val/{k}"), m.as_f64().expect("a metric"));
            }
            let val = LoopState {
                epoch: st.epoch + 1,
                loader_len: v.time.len() as i64,
                ..st
            };
            let (tag, line) = cfg.after_val_epoch(&hub.view(), &val, v.time.len() as i64, "val");
            let what = format!("{} validation {i}", case.label);
            same_tag(&tag, &v.val_epoch_tag, &what);
            assert_eq!(line, v.val_epoch_log_str, "{what}");
        }
    }
}

#[test]
fn bad_settings_are_named() {
    let at = KeyPath::root().key("log_processor");
    let parse = |v: Value| LogProcessorCfg::parse(&v, &at);
    let e = parse(serde_json::json!({"window_size": "epoch"})).unwrap_err();
    assert_eq!(e.path, "log_processor.window_size");
    let e =
        parse(serde_json::json!({"custom_cfg": [{"data_src": "loss", "method_name": "median"}]}))
            .unwrap_err();
    assert_eq!(e.path, "log_processor.custom_cfg[0].method_name");
    let e = parse(serde_json::json!({"by_epoch": false, "custom_cfg": [{"data_src": "loss", "method_name": "mean", "window_size": "epoch"}]}))
        .unwrap_err();
    assert_eq!(e.path, "log_processor.custom_cfg[0].window_size");
    let e = parse(serde_json::json!({"custom_cfg": [{"data_src": "loss", "method_name": "mean"}, {"data_src": "loss", "method_name": "max"}]}))
        .unwrap_err();
    assert_eq!(e.path, "log_processor.custom_cfg[1]");
    let e = parse(serde_json::json!({"mean_pattern": "^loss$"})).unwrap_err();
    assert_eq!(e.path, "log_processor.mean_pattern");
    let ok = parse(serde_json::json!({"mean_pattern": ".*(loss|acc).*"})).expect("alternatives");
    assert_eq!(ok.mean_keys, ["loss", "acc"]);
}
