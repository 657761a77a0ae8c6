//! Where the run's records go: `visualizer` (its backends; `log_processor`, how
//! logged values are smoothed and printed, is in [`crate::hooks::log_processor`]).
//! The local and TensorBoard backends are written; others are refused.

use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::registry::kind_of;
use crate::base::suggest::did_you_mean;

/// `visualizer`: which backends receive the logged scalars. `vis_data/scalars.json`
/// and the config dump (`LocalVisBackend`) are always written (the runs table reads
/// them); `TensorboardVisBackend` adds an event file beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VisualizerCfg {
    /// `TensorboardVisBackend`: `vis_data/events.out.tfevents.*`.
    pub tensorboard: bool,
}

/// Checks `visualizer`: the local and TensorBoard backends are written; the others
/// are refused by name.
pub fn check_visualizer(
    v: &Value,
    path: &KeyPath,
    notes: &mut Notes,
) -> Result<VisualizerCfg, ConfigError> {
    let mut cfg = VisualizerCfg::default();
    let mut local = false;
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
                        "LocalVisBackend" | "TensorboardVisBackend" => {
                            if let Some(k) = b
                                .as_object()
                                .and_then(|m| m.keys().find(|k| k.as_str() != "type"))
                            {
                                return Err(bt.key(k).error(format!(
                                    "{name} writes into <work_dir>/<timestamp>/vis_data/ here; it takes no options"
                                )));
                            }
                            if name == "LocalVisBackend" {
                                local = true;
                            } else {
                                cfg.tensorboard = true;
                            }
                        }
                        n if BACKENDS.contains(&n) => {
                            return Err(bt.key("type").error(format!(
                                "{n} is not available; LocalVisBackend (vis_data/scalars.json) and TensorboardVisBackend (vis_data/events.out.tfevents.*) are"
                            )));
                        }
                        n => {
                            return Err(bt.key("type").error(format!(
                                "unknown visualization backend `{n}`.{} Supported: LocalVisBackend, TensorboardVisBackend",
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
    if !local && t.contains_key("vis_backends") {
        notes.add(
            &path.key("vis_backends"),
            "vis_data/scalars.json is written without LocalVisBackend too (the runs table reads it); an extra file changes no result",
        );
    }
    Ok(cfg)
}

/// `log_processor` lives with the line formatting it configures.
pub use crate::hooks::log_processor::LogProcessorCfg;

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
        let tb = check_visualizer(
            &json!({"type": "Visualizer", "vis_backends": [{"type": "LocalVisBackend"}, {"type": "TensorboardVisBackend"}]}),
            &p,
            &mut notes,
        )
        .expect("tensorboard");
        assert!(tb.tensorboard);
        let e = check_visualizer(
            &json!({"type": "Visualizer", "vis_backends": [{"type": "WandbVisBackend"}]}),
            &p,
            &mut notes,
        )
        .unwrap_err();
        assert_eq!(e.path, "visualizer.vis_backends[0].type");
        let e = check_visualizer(
            &json!({"vis_backends": [{"type": "TensorboardVisBackend", "save_dir": "x"}]}),
            &p,
            &mut notes,
        )
        .unwrap_err();
        assert_eq!(e.path, "visualizer.vis_backends[0].save_dir");
    }
}
