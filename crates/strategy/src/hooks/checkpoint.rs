//! MMEngine's `CheckpointHook` settings (`default_hooks.checkpoint`): when to save,
//! what to call the file, how many to keep. The loop does the saving (it needs
//! asynchronous read-backs), after the other hooks of the epoch or iteration, as the
//! hook's `VERY_LOW` priority has it.

use std::collections::VecDeque;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::best::SaveBest;
use crate::base::{ConfigError, KeyPath};

const KNOWN: [&str; 13] = [
    "type",
    "interval",
    "by_epoch",
    "max_keep_ckpts",
    "save_last",
    "save_optimizer",
    "save_param_scheduler",
    "save_begin",
    "save_best",
    "rule",
    "greater_keys",
    "less_keys",
    "published_keys",
];

/// The checkpoint policy.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointPolicy {
    /// Save every `interval` epochs (or iterations); `-1`: only the last.
    pub interval: i64,
    /// Count epochs (`epoch_{N}.safetensors`) or iterations (`iter_{N}.safetensors`).
    pub by_epoch: bool,
    /// Keep at most this many periodic checkpoints (`-1`: all).
    pub max_keep_ckpts: i64,
    /// Also save at the end of training.
    pub save_last: bool,
    /// Include the optimizer state.
    pub save_optimizer: bool,
    /// Include the schedulers' states.
    pub save_param_scheduler: bool,
    /// First epoch/iteration counted for `interval`.
    pub save_begin: i64,
    /// `save_best`: the best checkpoints by a metric, with their state.
    pub best: Option<SaveBest>,
    /// `published_keys`: after training, the last and best checkpoints are written
    /// again with only these parts, named `<stem>-<sha256[:8]>.safetensors`.
    pub published_keys: Option<Vec<String>>,
    /// The checkpoints saved so far, oldest first (for `max_keep_ckpts`).
    pub kept: VecDeque<PathBuf>,
    /// The last periodic checkpoint this process saved (MMEngine's `last_ckpt`: a new
    /// best re-saves the step's periodic checkpoint only once there is one).
    pub last_ckpt: Option<PathBuf>,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            interval: -1,
            by_epoch: true,
            max_keep_ckpts: -1,
            save_last: true,
            save_optimizer: true,
            save_param_scheduler: true,
            save_begin: 0,
            best: None,
            published_keys: None,
            kept: VecDeque::new(),
            last_ckpt: None,
        }
    }
}

/// The parts of a checkpoint `published_keys` may keep.
pub const PARTS: [&str; 6] = [
    "meta",
    "state_dict",
    "optimizer",
    "param_schedulers",
    "message_hub",
    "ema_state_dict",
];

fn published_keys(v: &Value, at: &KeyPath) -> Result<Option<Vec<String>>, ConfigError> {
    let keys: Vec<String> = match v {
        Value::Null => return Ok(None),
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, k)| {
                k.as_str().map(str::to_string).ok_or_else(|| {
                    at.index(i)
                        .error(format!("expected a part's name, got {k}"))
                })
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(at.error(format!(
                "`published_keys` should be a str or a sequence of str, got {other}"
            )));
        }
    };
    for (i, k) in keys.iter().enumerate() {
        if !PARTS.contains(&k.as_str()) {
            return Err(at.index(i).error(format!(
                "unknown checkpoint part `{k}`.{} Known: {}",
                crate::base::did_you_mean(k, PARTS),
                PARTS.join(", ")
            )));
        }
    }
    if !keys.iter().any(|k| k == "state_dict") {
        return Err(at.error("a published checkpoint needs its weights: include \"state_dict\""));
    }
    Ok(Some(keys))
}

impl CheckpointPolicy {
    /// Reads `default_hooks.checkpoint`.
    pub fn from_config(cfg: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let mut p = Self::default();
        for (k, v) in cfg {
            let at = path.key(k);
            let int = || {
                v.as_i64()
                    .ok_or_else(|| at.error(format!("expected an integer, got {v}")))
            };
            let flag = || {
                v.as_bool()
                    .ok_or_else(|| at.error(format!("expected true or false, got {v}")))
            };
            match k.as_str() {
                "type" => {
                    if v.as_str() != Some("CheckpointHook") {
                        return Err(at.error(format!("expected \"CheckpointHook\", got {v}")));
                    }
                }
                "interval" => p.interval = int()?,
                "by_epoch" => p.by_epoch = flag()?,
                "max_keep_ckpts" => p.max_keep_ckpts = int()?,
                "save_last" => p.save_last = flag()?,
                "save_optimizer" => p.save_optimizer = flag()?,
                "save_param_scheduler" => p.save_param_scheduler = flag()?,
                "save_begin" => {
                    p.save_begin = int()?;
                    if p.save_begin < 0 {
                        return Err(at.error(format!(
                            "save_begin should not be less than 0, but got {}",
                            p.save_begin
                        )));
                    }
                }
                // Read together below.
                "save_best" | "rule" | "greater_keys" | "less_keys" => {}
                "out_dir" | "backend_args" | "file_client_args" => {
                    return Err(at.error(
                        "checkpoints are written into the run's work_dir; other places and storage backends are not available",
                    ));
                }
                "filename_tmpl" => {
                    return Err(at.error(
                        "checkpoint file names are fixed here (epoch_N.safetensors, iter_N.safetensors); remove it",
                    ));
                }
                "published_keys" => p.published_keys = published_keys(v, &at)?,
                _ => {
                    return Err(at.error(format!(
                        "unknown key.{} Known keys: {}",
                        crate::base::did_you_mean(k, KNOWN),
                        KNOWN.join(", ")
                    )));
                }
            }
        }
        p.best = SaveBest::from_config(cfg, path)?;
        if p.interval == 0 {
            return Err(path
                .key("interval")
                .error("expected a positive interval, or -1 for the last checkpoint only"));
        }
        Ok(p)
    }

    /// Whether to save after `count` completed epochs (iterations) of `max`.
    pub fn due(&self, count: i64, max: i64) -> bool {
        let dividend = count - self.save_begin;
        (self.interval > 0 && dividend >= 0 && dividend % self.interval == 0)
            || (self.save_last && count == max)
    }

    /// The file name for `count`.
    pub fn filename(&self, count: i64) -> String {
        if self.by_epoch {
            format!("epoch_{count}.safetensors")
        } else {
            format!("iter_{count}.safetensors")
        }
    }

    /// The step a periodic checkpoint or a best file counts: epochs or iterations done.
    pub fn unit(&self) -> &'static str {
        if self.by_epoch { "epoch" } else { "iter" }
    }

    /// Records a saved checkpoint; returns the ones to delete (beyond `max_keep_ckpts`).
    pub fn record(&mut self, path: PathBuf) -> Vec<PathBuf> {
        if self.kept.back() != Some(&path) {
            self.kept.push_back(path);
        }
        let mut drop = Vec::new();
        if self.max_keep_ckpts > 0 {
            while self.kept.len() > self.max_keep_ckpts as usize {
                if let Some(old) = self.kept.pop_front() {
                    drop.push(old);
                }
            }
        }
        drop
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mmengine_rules_for_when_to_save() {
        let cfg =
            json!({"type": "CheckpointHook", "interval": 2, "save_begin": 6, "max_keep_ckpts": 2});
        let p = CheckpointPolicy::from_config(cfg.as_object().expect("table"), &KeyPath::root())
            .expect("parses");
        let saved: Vec<i64> = (1..=11).filter(|e| p.due(*e, 11)).collect();
        assert_eq!(saved, [6, 8, 10, 11]);
        let mut p = p;
        assert!(p.record("a".into()).is_empty());
        assert!(p.record("b".into()).is_empty());
        assert_eq!(p.record("c".into()), vec![PathBuf::from("a")]);
        assert_eq!(p.filename(3), "epoch_3.safetensors");
        let at = KeyPath::root().key("default_hooks").key("checkpoint");
        let parse = |v: serde_json::Value| {
            CheckpointPolicy::from_config(v.as_object().expect("table"), &at)
        };
        let p = parse(json!({"published_keys": ["meta", "state_dict"]})).expect("parses");
        assert_eq!(
            p.published_keys,
            Some(vec!["meta".into(), "state_dict".into()])
        );
        let e = parse(json!({"published_keys": ["meta", "state_dct"]})).unwrap_err();
        assert_eq!(e.path, "default_hooks.checkpoint.published_keys[1]");
        assert!(e.message.contains("Did you mean `state_dict`?"), "{e}");
        let e = parse(json!({"published_keys": "meta"})).unwrap_err();
        assert!(e.message.contains("state_dict"), "{e}");
        let bad = json!({"interval": 0});
        let err = CheckpointPolicy::from_config(
            bad.as_object().expect("table"),
            &KeyPath::root().key("default_hooks").key("checkpoint"),
        )
        .expect_err("zero");
        assert_eq!(err.path, "default_hooks.checkpoint.interval");
    }
}
