//! `log_processor = {window_size, by_epoch, custom_cfg, num_digits,
//! log_with_hierarchy, mean_pattern}`, checked as MMEngine's `LogProcessor` checks it.

use serde::Deserialize;
use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::suggest::did_you_mean;
use crate::base::typed::from_value;

/// A statistic of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The mean over the window.
    Mean,
    /// The largest value in the window.
    Max,
    /// The smallest value in the window.
    Min,
    /// The latest value.
    Current,
}

/// The values a statistic looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// All of the history.
    All,
    /// The last `n` values.
    Last(usize),
    /// The current epoch's values (`batch_idx + 1`).
    Epoch,
    /// Every iteration so far (`iter + 1`).
    Global,
}

/// One `custom_cfg` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The key, without its `train/` or `val/` prefix.
    pub data_src: String,
    /// The statistic.
    pub method: Method,
    /// Over which values.
    pub window: Window,
    /// A new key for the result (else it replaces `data_src`).
    pub log_name: Option<String>,
}

/// `log_processor`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProcessorCfg {
    /// Values averaged for the keys that match `mean_pattern` (default 10).
    pub window_size: usize,
    /// Lines by epoch (`Epoch(train) [e][i/n]`) or by iteration; `None`: as the
    /// training loop counts (MMEngine's default is `true` even for iteration loops).
    pub by_epoch: Option<bool>,
    /// Extra statistics.
    pub custom_cfg: Vec<Stat>,
    /// Digits after the point (default 4).
    pub num_digits: usize,
    /// Keep `train/`/`val/` on the keys sent to the visualizer.
    pub log_with_hierarchy: bool,
    /// The alternatives of `mean_pattern` (`.*(loss|time|data_time|grad_norm).*`):
    /// a key containing one of them is averaged.
    pub mean_keys: Vec<String>,
}

impl Default for LogProcessorCfg {
    fn default() -> Self {
        Self {
            window_size: 10,
            by_epoch: None,
            custom_cfg: Vec::new(),
            num_digits: 4,
            log_with_hierarchy: false,
            mean_keys: ["loss", "time", "data_time", "grad_norm"]
                .map(String::from)
                .to_vec(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(rename = "type", default)]
    processor_type: Option<String>,
    #[serde(default)]
    window_size: Option<Value>,
    #[serde(default)]
    by_epoch: Option<bool>,
    #[serde(default)]
    custom_cfg: Option<Value>,
    #[serde(default)]
    num_digits: Option<usize>,
    #[serde(default)]
    log_with_hierarchy: Option<bool>,
    #[serde(default)]
    mean_pattern: Option<String>,
}

/// The alternatives of a pattern of the form `.*(a|b|c).*` (or a plain word).
fn mean_keys(pattern: &str) -> Option<Vec<String>> {
    let inner = pattern
        .strip_prefix(".*(")
        .and_then(|p| p.strip_suffix(").*"))
        .unwrap_or(pattern);
    let keys: Vec<String> = inner.split('|').map(str::to_string).collect();
    keys.iter()
        .all(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '/')
        })
        .then_some(keys)
}

fn stat(v: &Value, at: &KeyPath, by_epoch: bool) -> Result<Stat, ConfigError> {
    const KEYS: [&str; 4] = ["data_src", "method_name", "window_size", "log_name"];
    let t = v
        .as_object()
        .ok_or_else(|| at.error(format!("expected a table, got {v}")))?;
    if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(at.key(k).error(format!(
            "unknown key.{} Known keys: {}",
            did_you_mean(k, KEYS),
            KEYS.join(", ")
        )));
    }
    let data_src = t
        .get("data_src")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            at.key("data_src")
                .error("missing: the logged key to summarise")
        })?
        .to_string();
    let method = match t.get("method_name").and_then(Value::as_str) {
        Some("mean") => Method::Mean,
        Some("max") => Method::Max,
        Some("min") => Method::Min,
        Some("current") => Method::Current,
        other => {
            return Err(at.key("method_name").error(format!(
                "expected \"mean\", \"max\", \"min\" or \"current\", got {}",
                other.map_or("nothing".into(), |s| format!("\"{s}\""))
            )));
        }
    };
    let window = match t.get("window_size") {
        None | Some(Value::Null) => Window::All,
        Some(Value::String(s)) if s == "epoch" => {
            if !by_epoch {
                return Err(at
                    .key("window_size")
                    .error("window_size cannot be epoch if LoggerHook.by_epoch is False."));
            }
            Window::Epoch
        }
        Some(Value::String(s)) if s == "global" => Window::Global,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Window::Last(n as usize),
            _ => {
                return Err(at.key("window_size").error(format!(
                    "window_size should be int, epoch or global, but got invalid {v}"
                )));
            }
        },
    };
    let log_name = match t.get("log_name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(at
                .key("log_name")
                .error(format!("expected a name, got {v}")));
        }
    };
    Ok(Stat {
        data_src,
        method,
        window,
        log_name,
    })
}

impl LogProcessorCfg {
    /// Parses `log_processor`.
    pub fn parse(v: &Value, path: &KeyPath) -> Result<Self, ConfigError> {
        let raw: Raw = from_value(v, path)?;
        if let Some(t) = raw.processor_type.as_deref()
            && t != "LogProcessor"
        {
            return Err(path
                .key("type")
                .error(format!("expected \"LogProcessor\", got \"{t}\"")));
        }
        let mut cfg = Self::default();
        if let Some(w) = &raw.window_size {
            cfg.window_size = match w.as_u64() {
                Some(n) if n >= 1 => n as usize,
                _ => {
                    return Err(path.key("window_size").error(format!(
                        "The type of window size should be int, but got {w} (\"epoch\" and \"global\" windows go in custom_cfg)"
                    )));
                }
            };
        }
        cfg.by_epoch = raw.by_epoch;
        if let Some(d) = raw.num_digits {
            cfg.num_digits = d;
        }
        cfg.log_with_hierarchy = raw.log_with_hierarchy.unwrap_or(false);
        if let Some(p) = &raw.mean_pattern {
            cfg.mean_keys = mean_keys(p).ok_or_else(|| {
                path.key("mean_pattern").error(format!(
                    "only patterns of the form \".*(loss|time|data_time|grad_norm).*\" (alternatives of plain words) are supported, got {p:?}"
                ))
            })?;
        }
        match &raw.custom_cfg {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let at = path.key("custom_cfg");
                let mut names: Vec<String> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let s = stat(item, &at.index(i), cfg.by_epoch.unwrap_or(true))?;
                    let name = s.log_name.clone().unwrap_or_else(|| s.data_src.clone());
                    if names.contains(&name) {
                        return Err(at.index(i).error(format!(
                            "Found duplicate {name} for {}: give each statistic its own log_name",
                            s.data_src
                        )));
                    }
                    names.push(name);
                    cfg.custom_cfg.push(s);
                }
            }
            Some(v) => {
                return Err(path
                    .key("custom_cfg")
                    .error(format!("expected a list of tables, got {v}")));
            }
        }
        Ok(cfg)
    }
}
