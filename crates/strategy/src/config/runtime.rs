//! The run's settings outside model, data and optimisation: `log_level`, `compile`,
//! `randomness`, `env_cfg`, `auto_scale_lr`, `resume` (`strategy` and `launcher`: [`super::distributed`]). Each is understood, noted (cannot change the result
//! here) or refused with what is supported.

use serde::Deserialize;
use serde_json::Value;

use crate::base::LogLevel;
use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::registry::kind_of;
use crate::base::suggest::did_you_mean;
use crate::base::typed::from_value;

impl LogLevel {
    /// Parses the `log_level` value found at `path`.
    pub fn from_config(v: &Value, path: &KeyPath) -> Result<Self, ConfigError> {
        match v {
            Value::String(s) => Self::parse(s).ok_or_else(|| {
                path.error(format!(
                    "expected DEBUG, INFO, WARNING or ERROR, got \"{s}\"{}",
                    did_you_mean(s, ["DEBUG", "INFO", "WARNING", "ERROR"])
                ))
            }),
            other => Err(path.error(format!("expected a level name, got {other}"))),
        }
    }
}

/// `compile`: `false`, `true`, or a table (`disable`, `target`, backend options).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompileCfg {
    /// Whether compilation was asked for.
    pub enabled: bool,
    /// The method to compile (`train_step` by default, as FlexibleRunner).
    pub target: String,
}

impl CompileCfg {
    /// Parses the config's `compile` value.
    pub fn parse(v: Option<&Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let off = Self {
            enabled: false,
            target: "train_step".into(),
        };
        match v {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(off),
            Some(Value::Bool(true)) => Ok(Self {
                enabled: true,
                ..off
            }),
            Some(Value::Object(m)) => {
                const KNOWN: [&str; 7] = [
                    "disable",
                    "target",
                    "backend",
                    "mode",
                    "fullgraph",
                    "dynamic",
                    "options",
                ];
                if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
                    return Err(path.key(k).error(format!(
                        "unknown compile option.{} Known: {}",
                        did_you_mean(k, KNOWN),
                        KNOWN.join(", ")
                    )));
                }
                let disabled = m.get("disable").and_then(Value::as_bool).unwrap_or(false);
                let target = match m.get("target") {
                    None => "train_step".to_string(),
                    Some(Value::String(t))
                        if ["train_step", "forward", "val_step", "test_step"]
                            .contains(&t.as_str()) =>
                    {
                        t.clone()
                    }
                    Some(other) => {
                        return Err(path.key("target").error(format!(
                            "expected one of train_step, forward, val_step, test_step, got {other}"
                        )));
                    }
                };
                Ok(Self {
                    enabled: !disabled,
                    target,
                })
            }
            Some(other) => Err(path.error(format!(
                "expected true, false or a table of compile options, got {other}"
            ))),
        }
    }
}

/// `auto_scale_lr`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoScaleLr {
    /// Off unless set.
    #[serde(default)]
    pub enable: bool,
    /// The batch size the configured lr was tuned for.
    #[serde(default)]
    pub base_batch_size: Option<u64>,
}

impl AutoScaleLr {
    /// Parses and checks `auto_scale_lr`.
    pub fn parse(v: &Value, path: &KeyPath) -> Result<Self, ConfigError> {
        let a: Self = from_value(v, path)?;
        match a.base_batch_size {
            Some(0) => Err(path
                .key("base_batch_size")
                .error("expected a positive batch size, got 0")),
            None if a.enable => Err(path
                .key("base_batch_size")
                .error("missing: auto_scale_lr needs base_batch_size")),
            _ => Ok(a),
        }
    }
}

/// `randomness`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Randomness {
    /// Seed for every random stream.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Deterministic kernels where the backend has a choice.
    #[serde(default)]
    pub deterministic: bool,
    /// MMEngine's per-rank seed switch: rank `r` draws its dropout masks and noise
    /// from `seed + r` (the data order stays the same on every rank, so shards stay
    /// disjoint).
    #[serde(default)]
    pub diff_rank_seed: bool,
}

/// `env_cfg`: MMEngine's process settings. None of them can change a result here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvCfgRaw {
    #[serde(default)]
    cudnn_benchmark: Option<Value>,
    #[serde(default)]
    mp_cfg: Option<Value>,
    #[serde(default)]
    dist_cfg: Option<Value>,
    #[serde(default)]
    resource_limit: Option<Value>,
}

/// Checks `env_cfg` and notes each key.
pub fn check_env_cfg(v: &Value, path: &KeyPath, notes: &mut Notes) -> Result<(), ConfigError> {
    let raw: EnvCfgRaw = from_value(v, path)?;
    let why = [
        (
            "cudnn_benchmark",
            raw.cudnn_benchmark.is_some(),
            "selects cuDNN convolution algorithms; burn does not use cuDNN",
        ),
        (
            "mp_cfg",
            raw.mp_cfg.is_some(),
            "sets up data-loading worker processes; there are none here",
        ),
        (
            "dist_cfg",
            raw.dist_cfg.is_some(),
            "configures the distributed backend (NCCL, Gloo); here the ranks are threads that reduce through the main device, whatever it names",
        ),
        (
            "resource_limit",
            raw.resource_limit.is_some(),
            "raises the open-file limit for worker processes; there are none here",
        ),
    ];
    for (key, present, message) in why {
        if present {
            notes.add(&path.key(key), message);
        }
    }
    Ok(())
}

/// `resume`: off, latest in `work_dir`, or a path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    /// Start fresh (or from `load_from`).
    #[default]
    No,
    /// `resume = true`: from `load_from` when given, else the latest checkpoint of
    /// `work_dir` (MMEngine's rule).
    Latest,
    /// This checkpoint.
    Path(String),
}

impl Resume {
    /// Parses `resume`.
    pub fn parse(v: &Value, path: &KeyPath) -> Result<Self, ConfigError> {
        match v {
            Value::Null | Value::Bool(false) => Ok(Self::No),
            Value::Bool(true) => Ok(Self::Latest),
            Value::String(s) if s.is_empty() => Ok(Self::No),
            Value::String(s) => Ok(Self::Path(s.clone())),
            other => Err(path.error(format!(
                "expected true, false or a checkpoint path, found {}",
                kind_of(other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn env_cfg_keys_are_noted_and_typos_refused() {
        let mut notes = Notes::default();
        let p = KeyPath::root().key("env_cfg");
        check_env_cfg(
            &json!({"cudnn_benchmark": false, "dist_cfg": {"backend": "nccl"}}),
            &p,
            &mut notes,
        )
        .expect("noted");
        assert_eq!(notes.0.len(), 2);
        let e = check_env_cfg(&json!({"cudnn_benchmarks": false}), &p, &mut notes).unwrap_err();
        assert!(e.message.contains("Did you mean `cudnn_benchmark`?"), "{e}");
    }

    #[test]
    fn log_levels_and_compile() {
        let p = KeyPath::root().key("log_level");
        assert_eq!(
            LogLevel::from_config(&json!("info"), &p),
            Ok(LogLevel::Info)
        );
        let e = LogLevel::from_config(&json!("INF"), &p).unwrap_err();
        assert!(e.message.contains("Did you mean `INFO`?"), "{e}");
        let c = KeyPath::root().key("compile");
        assert!(CompileCfg::parse(Some(&json!({"backend": "inductor"})), &c).is_ok());
        let e = CompileCfg::parse(Some(&json!({"mdoe": "max-autotune"})), &c).unwrap_err();
        assert_eq!(e.path, "compile.mdoe");
    }
}
