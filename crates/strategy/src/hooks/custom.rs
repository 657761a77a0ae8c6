//! `custom_hooks`: each entry's `type` looked up among the hooks MMEngine users name,
//! with the closest name suggested for a typo; the hooks built here are typed with
//! their settings and priority, those that cannot change the result are noted, the
//! rest are refused by name.

use serde_json::{Map, Value};

use super::early_stopping::{self, EarlyStoppingCfg};
use super::ema::{self, EmaCfg};
use super::{only_keys, table};
use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath, Notes, did_you_mean};

/// MMEngine's named priorities (`Priority`): a lower number runs first.
pub const PRIORITIES: [(&str, i32); 9] = [
    ("HIGHEST", 0),
    ("VERY_HIGH", 10),
    ("HIGH", 30),
    ("ABOVE_NORMAL", 40),
    ("NORMAL", 50),
    ("BELOW_NORMAL", 60),
    ("LOW", 70),
    ("VERY_LOW", 90),
    ("LOWEST", 100),
];

/// Reads a `priority`: a name of [`PRIORITIES`] (any case) or a number from 0 to 100.
pub fn parse_priority(v: &Value, path: &KeyPath) -> Result<i32, ConfigError> {
    match v {
        Value::String(s) => {
            let upper = s.to_uppercase();
            PRIORITIES
                .iter()
                .find(|(n, _)| *n == upper)
                .map(|(_, p)| *p)
                .ok_or_else(|| {
                    path.error(format!(
                        "unknown priority \"{s}\".{} Known: {}, or a number from 0 to 100",
                        did_you_mean(&upper, PRIORITIES.iter().map(|(n, _)| *n)),
                        PRIORITIES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        }
        v => match v.as_i64() {
            Some(n) if (0..=100).contains(&n) => Ok(n as i32),
            _ => Err(path.error(format!(
                "expected a priority name (\"NORMAL\") or a number from 0 to 100, got {v}"
            ))),
        },
    }
}

/// What a custom hook does.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomHookKind {
    /// `EarlyStoppingHook`.
    EarlyStopping(EarlyStoppingCfg),
    /// `EMAHook`.
    Ema(EmaCfg),
}

/// A custom hook with its priority (its own default unless `priority` is given).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomHook {
    /// What it does.
    pub kind: CustomHookKind,
    /// Lower runs first.
    pub priority: i32,
}

/// Hooks MMEngine users put in `custom_hooks` and what happens to each here: `None`
/// when it is built, `Some(Ok(why))` when it is noted (it cannot change the result),
/// `Some(Err(why))` when it is refused.
const CUSTOM: [(&str, Option<Result<&str, &str>>); 9] = [
    ("EMAHook", None),
    ("EarlyStoppingHook", None),
    (
        "CheckInvalidLossHook",
        Some(Err(
            "is not available yet: it would stop a run, so it is refused rather than skipped",
        )),
    ),
    (
        "ProfilerHook",
        Some(Err(
            "is not available: PyTorch's profiler has no counterpart here",
        )),
    ),
    (
        "PrepareTTAHook",
        Some(Err(
            "is not available: test-time augmentation is not supported",
        )),
    ),
    (
        "NaiveVisualizationHook",
        Some(Err(
            "is not available: it draws images, which no model here produces",
        )),
    ),
    (
        "EmptyCacheHook",
        Some(Ok(
            "frees PyTorch's CUDA cache; no such cache here, and it changes no result",
        )),
    ),
    (
        "SyncBuffersHook",
        Some(Ok(
            "synchronises buffers across processes; with one device there is nothing to synchronise",
        )),
    ),
    (
        "RuntimeInfoHook",
        Some(Ok("the loop records runtime information already")),
    ),
];

fn build(name: &str, t: &Map<String, Value>, at: &KeyPath) -> Result<CustomHook, ConfigError> {
    match name {
        "EarlyStoppingHook" => {
            only_keys(t, at, &early_stopping::KNOWN)?;
            let cfg = EarlyStoppingCfg::from_config(t, at)?;
            let priority = match t.get("priority") {
                Some(v) => parse_priority(v, &at.key("priority"))?,
                None => 100,
            };
            Ok(CustomHook {
                kind: CustomHookKind::EarlyStopping(cfg),
                priority,
            })
        }
        "EMAHook" => {
            only_keys(t, at, &ema::KNOWN)?;
            let cfg = EmaCfg::from_config(t, at)?;
            let priority = match t.get("priority") {
                Some(v) => parse_priority(v, &at.key("priority"))?,
                None => 50,
            };
            Ok(CustomHook {
                kind: CustomHookKind::Ema(cfg),
                priority,
            })
        }
        other => unreachable!("{other} is listed as built in CUSTOM"),
    }
}

/// Reads `custom_hooks` (found at `path`): the hooks to build, in order.
pub fn parse_custom_hooks(
    v: &Value,
    path: &KeyPath,
    notes: &mut Notes,
) -> Result<Vec<CustomHook>, ConfigError> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(path.error(format!(
                "expected a list of hook tables, found {}",
                kind_of(other)
            )));
        }
    };
    let mut hooks = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let t = table(item, &at)?;
        let Some(name) = t.get("type").and_then(Value::as_str) else {
            return Err(at.key("type").error("missing: which hook"));
        };
        match CUSTOM.iter().find(|(n, _)| *n == name) {
            Some((_, None)) => hooks.push(build(name, t, &at)?),
            Some((_, Some(Ok(why)))) => notes.add(&at, format!("{name} {why}")),
            Some((_, Some(Err(why)))) => {
                return Err(at.key("type").error(format!("{name} {why}")));
            }
            None => {
                return Err(at.key("type").error(format!(
                    "unknown hook type `{name}`.{} Known: {}",
                    did_you_mean(name, CUSTOM.iter().map(|(n, _)| *n)),
                    CUSTOM
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Vec<CustomHook>, ConfigError> {
        parse_custom_hooks(
            &v,
            &KeyPath::root().key("custom_hooks"),
            &mut Notes::default(),
        )
    }

    #[test]
    fn custom_hooks_are_built_noted_or_refused_by_name() {
        let mut notes = Notes::default();
        let p = KeyPath::root().key("custom_hooks");
        let hooks = parse_custom_hooks(&json!([{"type": "EmptyCacheHook"}]), &p, &mut notes)
            .expect("noted");
        assert!(hooks.is_empty());
        assert_eq!(notes.0.len(), 1);
        let e = parse(json!([{"type": "ProfilerHook"}])).unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].type");
        let ema = parse(json!([{"type": "EMAHook", "momentum": 0.001}])).expect("built");
        assert_eq!(ema[0].priority, 50);
        let e = parse(json!([{"type": "EMAHook", "momentun": 0.001}])).unwrap_err();
        assert!(e.message.contains("Did you mean `momentum`?"), "{e}");
        let e = parse(json!([{"type": "EarlyStopingHook"}])).unwrap_err();
        assert!(
            e.message.contains("Did you mean `EarlyStoppingHook`?"),
            "{e}"
        );
        let e = parse(json!([{"type": "EarlyStoppingHook", "monitor": "acc", "patiense": 3}]))
            .unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].patiense");
        assert!(e.message.contains("Did you mean `patience`?"), "{e}");
    }

    #[test]
    fn priorities_are_mmengines() {
        let hooks = parse(json!([
            {"type": "EarlyStoppingHook", "monitor": "loss"},
            {"type": "EarlyStoppingHook", "monitor": "acc", "priority": "very_high"},
            {"type": "EarlyStoppingHook", "monitor": "acc", "priority": 55},
        ]))
        .expect("parses");
        let p: Vec<i32> = hooks.iter().map(|h| h.priority).collect();
        assert_eq!(p, [100, 10, 55]);
        let e =
            parse(json!([{"type": "EarlyStoppingHook", "monitor": "acc", "priority": "NORMALL"}]))
                .unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].priority");
        assert!(e.message.contains("Did you mean `NORMAL`?"), "{e}");
        let e = parse(json!([{"type": "EarlyStoppingHook", "monitor": "acc", "priority": 101}]))
            .unwrap_err();
        assert_eq!(e.path, "custom_hooks[0].priority");
    }
}
