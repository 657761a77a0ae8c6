//! Where the run's records go: `visualizer` (its backends) and `log_processor` (how
//! logged values are smoothed). The local backend is what the run writes; others are
//! refused, settings that cannot change a value are noted.

use serde::Deserialize;
use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::registry::kind_of;
use crate::base::suggest::did_you_mean;
use crate::base::typed::from_value;

/// Checks `visualizer`: the local backend (`vis_data/scalars.json`) is what the run
/// writes; other backends are refused.
pub fn check_visualizer(v: &Value, path: &KeyPath, notes: &mut Notes) -> Result<(), ConfigError> {
    const BACKENDS: [&str; 8] = [
        "LocalVisBackend",
        "TensorboardVisBackend",
        "WandbVisBackend",
        "MLflowVisBackend",
        "ClearMLVisBackend",
        "NeptuneVisBackend",
        "DVCLiveVisBackend",
        "AimVisBackend",
    ];
    let Value::Object(t) = v else {
        return Err(path.error(format!("expected a visualizer table, found {}", kind_of(v))));
    };
    for (k, val) in t {
        let at = path.key(k);
        match k.as_str() {
            "type" => match val.as_str() {
                Some(n) if n == "Visualizer" || n.ends_with("LocalVisualizer") => {}
                _ => {
                    return Err(at.error(format!(
                        "expected \"Visualizer\" (or a task's *LocalVisualizer), got {val}"
                    )));
                }
            },
            "name" => notes.add(&at, "the visualizer's instance name changes no result"),
            "vis_backends" => {
                let items = match val {
                    Value::Array(items) => items.clone(),
                    Value::Object(_) => vec![val.clone()],
                    other => {
                        return Err(at.error(format!(
                            "expected a list of backend tables, found {}",
                            kind_of(other)
                        )));
                    }
                };
                for (i, b) in items.iter().enumerate() {
                    let bt = at.index(i);
                    let name = b.get("type").and_then(Value::as_str).unwrap_or_default();
                    match name {
                        "LocalVisBackend" => {
                            if let Some(k) = b
                                .as_object()
                                .and_then(|m| m.keys().find(|k| k.as_str() != "type"))
                            {
                                return Err(bt.key(k).error(
                                    "LocalVisBackend writes <work_dir>/<timestamp>/vis_data/scalars.json here; it takes no options",
                                ));
                            }
                        }
                        n if BACKENDS.contains(&n) => {
                            return Err(bt.key("type").error(format!(
                                "{n} is not available yet; LocalVisBackend (vis_data/scalars.json) is"
                            )));
                        }
                        n => {
                            return Err(bt.key("type").error(format!(
                                "unknown visualization backend `{n}`.{} Supported: LocalVisBackend",
                                did_you_mean(n, BACKENDS)
                            )));
                        }
                    }
                }
            }
            "save_dir" => {
                return Err(at.error(
                    "the visualizer writes into the run's log folder; another save_dir is not available",
                ));
            }
            other => {
                return Err(at.error(format!(
                    "unknown key.{} Known keys: type, name, vis_backends",
                    did_you_mean(other, ["type", "name", "vis_backends"])
                )));
            }
        }
    }
    Ok(())
}

/// `log_processor`: MMEngine's `LogProcessor`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogProcessorRaw {
    #[serde(rename = "type", default)]
    processor_type: Option<String>,
    #[serde(default)]
    window_size: Option<Value>,
    #[serde(default)]
    by_epoch: Option<bool>,
    #[serde(default)]
    custom_cfg: Option<Value>,
    #[serde(default)]
    num_digits: Option<u32>,
    #[serde(default)]
    log_with_hierarchy: Option<bool>,
    #[serde(default)]
    mean_pattern: Option<String>,
}

/// `log_processor`, checked: the smoothing window of logged training values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogProcessorCfg {
    /// Iterations averaged in each logged value (`None`: the logger's interval).
    pub window_size: Option<i64>,
}

impl LogProcessorCfg {
    /// Parses `log_processor`.
    pub fn parse(v: &Value, path: &KeyPath, notes: &mut Notes) -> Result<Self, ConfigError> {
        let raw: LogProcessorRaw = from_value(v, path)?;
        if let Some(t) = raw.processor_type.as_deref()
            && t != "LogProcessor"
        {
            return Err(path
                .key("type")
                .error(format!("expected \"LogProcessor\", got \"{t}\"")));
        }
        let window_size = match &raw.window_size {
            None => None,
            Some(w) => match w.as_i64() {
                Some(n) if n >= 1 => Some(n),
                _ => {
                    return Err(path.key("window_size").error(format!(
                        "expected a positive number of iterations, got {w} (\"epoch\" windows are not available)"
                    )));
                }
            },
        };
        if raw
            .custom_cfg
            .as_ref()
            .is_some_and(|c| !c.is_null() && c.as_array().is_none_or(|a| !a.is_empty()))
        {
            return Err(path
                .key("custom_cfg")
                .error("custom statistics of logged values are not available; remove custom_cfg"));
        }
        if raw.by_epoch.is_some() {
            notes.add(
                &path.key("by_epoch"),
                "the log's line format follows the training loop; it changes no value",
            );
        }
        if raw.num_digits.is_some() {
            notes.add(
                &path.key("num_digits"),
                "logged values are printed with 4 digits; it changes no value",
            );
        }
        if raw.log_with_hierarchy.is_some() {
            notes.add(
                &path.key("log_with_hierarchy"),
                "scalars are recorded with their train/ and val/ prefixes; it changes no value",
            );
        }
        if let Some(p) = &raw.mean_pattern {
            notes.add(
                &path.key("mean_pattern"),
                format!(
                    "every logged loss and time is a window mean here (pattern {p:?} accepted)"
                ),
            );
        }
        Ok(Self { window_size })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn visualizer_backends() {
        let mut notes = Notes::default();
        let p = KeyPath::root().key("visualizer");
        check_visualizer(
            &json!({"type": "Visualizer", "vis_backends": [{"type": "LocalVisBackend"}]}),
            &p,
            &mut notes,
        )
        .expect("local");
        let e = check_visualizer(
            &json!({"type": "Visualizer", "vis_backends": [{"type": "TensorboardVisBackend"}]}),
            &p,
            &mut notes,
        )
        .unwrap_err();
        assert_eq!(e.path, "visualizer.vis_backends[0].type");
    }
}
