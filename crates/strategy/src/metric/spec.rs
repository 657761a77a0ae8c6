//! Evaluator configs (`val_evaluator`, `test_evaluator`), typed and checked without a
//! tensor backend: one metric table or a list of them.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::base::registry::{Registry, declared_type, kind_of};
use crate::base::{ConfigError, KeyPath, OneOrMany, from_table};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccuracyCfg {
    #[serde(rename = "type")]
    _type: String,
    #[serde(default = "top1")]
    topk: OneOrMany<usize>,
}

fn top1() -> OneOrMany<usize> {
    OneOrMany::One(1)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// A metric with no key but its `type`.
struct SampleDistanceCfg {
    #[serde(rename = "type")]
    _type: String,
}

/// A metric config, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSpec {
    /// `Accuracy` at each `k` of `topk` (percent, `accuracy/top{k}`).
    Accuracy {
        /// The `k`s, each at least 1.
        topk: Vec<usize>,
    },
    /// `SampleDistance`: symmetric Chamfer distance of generated to real points.
    SampleDistance,
    /// `RegressionMetric`: `regression/mae`, `regression/rmse` (in the target's units)
    /// and `regression/r2` of a one-output model.
    Regression,
    /// `TokenAccuracy`: the share of scored next tokens predicted right
    /// (`token_accuracy/top1`, percent).
    TokenAccuracy,
    /// `ExactMatch`: the share of sequences whose whole answer is right
    /// (`exact_match/accuracy`, percent). Every answer token is judged after the right
    /// tokens before it, so a sequence counts exactly when greedy decoding writes the
    /// whole answer.
    ExactMatch,
    /// `Perplexity`: the mean cross-entropy of the scored tokens (`perplexity/loss`,
    /// nats) and its exponential (`perplexity/ppl`).
    Perplexity,
    /// A type registered by a user of the crate: its table, for its own builder.
    External {
        /// The `type`.
        type_name: String,
        /// The whole table.
        table: Map<String, Value>,
    },
}

impl MetricSpec {
    /// A builder for [`Registry::register`] that accepts a user's own metric as
    /// written (its runtime builder checks it).
    pub fn external(dict: &Map<String, Value>, _path: &KeyPath) -> Result<Self, ConfigError> {
        Ok(Self::External {
            type_name: declared_type(dict),
            table: dict.clone(),
        })
    }
}

impl MetricSpec {
    /// The task a metric measures, when it measures one: `Accuracy` needs classes,
    /// `RegressionMetric` values.
    pub fn task(&self) -> Option<crate::data::Task> {
        match self {
            Self::Accuracy { .. } => Some(crate::data::Task::Classification),
            Self::Regression => Some(crate::data::Task::Regression),
            Self::TokenAccuracy | Self::ExactMatch | Self::Perplexity => {
                Some(crate::data::Task::Sequence)
            }
            Self::SampleDistance | Self::External { .. } => None,
        }
    }

    /// The config `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Accuracy { .. } => "Accuracy",
            Self::SampleDistance => "SampleDistance",
            Self::Regression => "RegressionMetric",
            Self::TokenAccuracy => "TokenAccuracy",
            Self::ExactMatch => "ExactMatch",
            Self::Perplexity => "Perplexity",
            Self::External { type_name, .. } => type_name,
        }
    }
}

/// The built-in metric types: `Accuracy` (`topk`), `SampleDistance`,
/// `RegressionMetric`, and for token sequences `TokenAccuracy`, `ExactMatch` and
/// `Perplexity`.
pub fn metric_spec_registry() -> Registry<MetricSpec> {
    let mut registry = Registry::new("metric");
    registry.register("Accuracy", |dict, path| {
        let cfg: AccuracyCfg = from_table(dict, path)?;
        let topk = cfg.topk.to_vec();
        if let Some(i) = topk.iter().position(|&k| k == 0) {
            return Err(path.key("topk").index(i).error("expected k >= 1, got 0"));
        }
        Ok(MetricSpec::Accuracy { topk })
    });
    registry.register("SampleDistance", |dict, path| {
        let _: SampleDistanceCfg = from_table(dict, path)?;
        Ok(MetricSpec::SampleDistance)
    });
    registry.register("RegressionMetric", |dict, path| {
        let _: SampleDistanceCfg = from_table(dict, path)?;
        Ok(MetricSpec::Regression)
    });
    for (name, spec) in [
        ("TokenAccuracy", MetricSpec::TokenAccuracy),
        ("ExactMatch", MetricSpec::ExactMatch),
        ("Perplexity", MetricSpec::Perplexity),
    ] {
        registry.register(name, move |dict, path| {
            let _: SampleDistanceCfg = from_table(dict, path)?;
            Ok(spec.clone())
        });
    }
    registry
}

/// Parses an evaluator: one metric table or a list of them (MMEngine's `Evaluator`
/// takes both; `{type = "Evaluator", metrics = [...]}` too).
pub fn parse_evaluator(
    cfg: &Value,
    path: &KeyPath,
    registry: &Registry<MetricSpec>,
) -> Result<Vec<MetricSpec>, ConfigError> {
    match cfg {
        Value::Array(items) if items.is_empty() => {
            Err(path.error("expected at least one metric, got an empty list"))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| registry.build(c, &path.index(i)))
            .collect(),
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("Evaluator") => {
            if let Some(k) = m
                .keys()
                .find(|k| !["type", "metrics"].contains(&k.as_str()))
            {
                return Err(path.key(k).error(format!(
                    "unknown key `{k}` of an Evaluator.{}",
                    crate::base::did_you_mean(k, ["type", "metrics"])
                )));
            }
            match m.get("metrics") {
                Some(metrics) => parse_evaluator(metrics, &path.key("metrics"), registry),
                None => Err(path
                    .key("metrics")
                    .error("missing: the Evaluator's metrics")),
            }
        }
        Value::Object(_) => Ok(vec![registry.build(cfg, path)?]),
        other => Err(path.error(format!(
            "expected a metric table or a list of them, found {}",
            kind_of(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Vec<MetricSpec>, ConfigError> {
        parse_evaluator(
            &v,
            &KeyPath::root().key("val_evaluator"),
            &metric_spec_registry(),
        )
    }

    #[test]
    fn one_table_a_list_or_an_evaluator() {
        assert_eq!(
            parse(json!({"type": "Accuracy", "topk": [1, 5]})),
            Ok(vec![MetricSpec::Accuracy { topk: vec![1, 5] }])
        );
        assert_eq!(
            parse(json!([{"type": "Accuracy"}, {"type": "SampleDistance"}])).map(|v| v.len()),
            Ok(2)
        );
        assert_eq!(
            parse(json!({"type": "Evaluator", "metrics": [{"type": "Accuracy"}]})).map(|v| v.len()),
            Ok(1)
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = parse(json!({"type": "Accuracy", "top_k": 1})).unwrap_err();
        assert_eq!(e.path, "val_evaluator.top_k");
        assert!(e.message.contains("Did you mean `topk`?"), "{e}");
        let e = parse(json!({"type": "Acuracy"})).unwrap_err();
        assert!(e.message.contains("Did you mean `Accuracy`?"), "{e}");
        let e = parse(json!({"type": "SampleDistance", "k": 1})).unwrap_err();
        assert_eq!(e.path, "val_evaluator.k");
        let e = parse(json!({"type": "Accuracy", "topk": [0]})).unwrap_err();
        assert_eq!(e.path, "val_evaluator.topk[0]");
    }
}
