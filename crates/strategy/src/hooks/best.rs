//! `default_hooks.checkpoint.save_best`: MMEngine's best checkpoints. After every
//! validation each watched metric that strictly improved gets a new
//! `best_{key}_{epoch_N|iter_N}.safetensors` (every `/` of the key made `_`), the
//! previous best file of that key is removed, and the loop re-saves the periodic
//! checkpoint of the step (MMEngine's PR #1168 quirk) so `last_checkpoint` records the
//! best. No tensor backend: this decides, the runner writes.

use serde_json::{Map, Value, json};

use super::rule::{GREATER_KEYS, LESS_KEYS, Rule};
use crate::base::{ConfigError, KeyPath};

/// Which metrics to watch.
#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    /// `save_best = "auto"`: the first metric of the first validation, with this rule
    /// (or the one inferred from its name).
    Auto(Option<Rule>),
    /// The named metrics and their rules, in order.
    Keys(Vec<(String, Rule)>),
}

/// One thing the runner does for a validation, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum BestAction {
    /// Delete this earlier best file (a name in the work dir).
    Remove(String),
    /// Save the model (no optimizer or scheduler state) under this name.
    Save(String),
    /// A log line (MMEngine's wording).
    Log(String),
}

/// The best-checkpoint settings and state.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveBest {
    /// What is watched (`Auto` until the first validation resolves it).
    pub watched: Watched,
    /// `greater_keys`/`less_keys` for inferring a rule (MMEngine's defaults unless set).
    pub greater_keys: Vec<String>,
    /// See `greater_keys`.
    pub less_keys: Vec<String>,
    /// Several keys were named: the message hub keys carry the metric
    /// (`best_score_<key>`), as MMEngine's.
    pub several: bool,
    /// Per key: the best score so far and its file name.
    pub best: Vec<(String, f64, Option<String>)>,
}

fn strings(v: &Value, path: &KeyPath) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    path.index(i)
                        .error(format!("expected a string, got {item}"))
                })
            })
            .collect(),
        other => Err(path.error(format!(
            "expected a string or a list of strings, got {other}"
        ))),
    }
}

impl SaveBest {
    /// Reads `save_best`, `rule`, `greater_keys` and `less_keys` of the table at `path`
    /// (`None` when `save_best` is absent or `None`), checked as MMEngine's
    /// `CheckpointHook.__init__` checks them.
    pub fn from_config(
        t: &Map<String, Value>,
        path: &KeyPath,
    ) -> Result<Option<Self>, ConfigError> {
        let at = path.key("save_best");
        let keys = match t.get("save_best") {
            None | Some(Value::Null) => {
                for k in ["rule", "greater_keys", "less_keys"] {
                    if t.contains_key(k) {
                        return Err(path.key(k).error(
                            "only used with save_best: name the metric(s) to keep the best checkpoint of",
                        ));
                    }
                }
                return Ok(None);
            }
            Some(v) => strings(v, &at)?,
        };
        if keys.is_empty() {
            return Err(at.error("expected at least one metric name, or \"auto\""));
        }
        if keys.iter().any(|k| k == "auto") && keys.len() > 1 {
            return Err(at.error("Only support one \"auto\" in `save_best` list."));
        }
        let greater_keys = match t.get("greater_keys") {
            Some(v) => strings(v, &path.key("greater_keys"))?,
            None => GREATER_KEYS.iter().map(|s| s.to_string()).collect(),
        };
        let less_keys = match t.get("less_keys") {
            Some(v) => strings(v, &path.key("less_keys"))?,
            None => LESS_KEYS.iter().map(|s| s.to_string()).collect(),
        };
        let rule_at = path.key("rule");
        let rules: Vec<Option<Rule>> = match t.get("rule") {
            None | Some(Value::Null) => vec![None; keys.len()],
            Some(v) => {
                let given = strings(v, &rule_at)?;
                let given = if matches!(v, Value::String(_)) {
                    vec![given[0].clone(); keys.len()]
                } else if given.len() == keys.len() {
                    given
                } else {
                    return Err(rule_at.error(format!(
                        "the length of rule ({}) and save_best ({}) should be the same",
                        given.len(),
                        keys.len()
                    )));
                };
                given
                    .iter()
                    .map(|r| {
                        Rule::parse(r).map(Some).ok_or_else(|| {
                            rule_at
                                .error(format!("rule must be greater, less or None, got \"{r}\""))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        let mut cfg = Self {
            watched: Watched::Auto(None),
            greater_keys,
            less_keys,
            several: keys.len() > 1,
            best: Vec::new(),
        };
        if keys[0] == "auto" {
            cfg.watched = Watched::Auto(rules[0]);
            return Ok(Some(cfg));
        }
        let mut watched = Vec::new();
        for (key, rule) in keys.into_iter().zip(rules) {
            let rule = match rule {
                Some(r) => r,
                None => cfg
                    .infer(&key)
                    .ok_or_else(|| cfg.uninferable(&key, &rule_at))?,
            };
            watched.push((key, rule));
        }
        cfg.watched = Watched::Keys(watched);
        Ok(Some(cfg))
    }

    fn infer(&self, key: &str) -> Option<Rule> {
        let g: Vec<&str> = self.greater_keys.iter().map(String::as_str).collect();
        let l: Vec<&str> = self.less_keys.iter().map(String::as_str).collect();
        Rule::infer(key, &g, &l)
    }

    fn uninferable(&self, key: &str, rule_at: &KeyPath) -> ConfigError {
        rule_at.error(format!(
            "Cannot infer the rule for key {key}, thus a specific rule must be specified: set rule = \"greater\" or \"less\""
        ))
    }

    /// The metric names for the message hub: `best_score` alone, or `best_score_<key>`.
    fn hub_key(&self, prefix: &str, key: &str) -> String {
        if self.several {
            format!("{prefix}_{key}")
        } else {
            prefix.to_string()
        }
    }

    fn entry(&mut self, key: &str, rule: Rule) -> &mut (String, f64, Option<String>) {
        if let Some(i) = self.best.iter().position(|(k, _, _)| k == key) {
            &mut self.best[i]
        } else {
            self.best.push((key.to_string(), rule.worst(), None));
            let last = self.best.len() - 1;
            &mut self.best[last]
        }
    }

    /// The decision after a validation whose metrics are `metrics` (in the order the
    /// evaluators produced them), at `step` (`runner.epoch` or `runner.iter`, 1-based)
    /// counted in `unit` (`"epoch"`/`"iter"`), the periodic file of that step being
    /// `stem`. Returns the actions and whether any key improved (then the loop
    /// re-saves the periodic checkpoint of the step). `Err` when a watched metric is
    /// missing or `auto` cannot infer a rule (MMEngine raises).
    pub fn after_val(
        &mut self,
        metrics: &[(String, f64)],
        step: i64,
        unit: &str,
        stem: &str,
        path: &KeyPath,
    ) -> Result<(Vec<BestAction>, bool), ConfigError> {
        if metrics.is_empty() {
            return Ok((
                vec![BestAction::Log(
                    "Since `metrics` is an empty dict, the behavior to save the best checkpoint will be skipped in this evaluation.".into(),
                )],
                false,
            ));
        }
        if let Watched::Auto(rule) = self.watched {
            let key = metrics[0].0.clone();
            let rule = match rule {
                Some(r) => r,
                None => self
                    .infer(&key)
                    .ok_or_else(|| self.uninferable(&key, &path.key("rule")))?,
            };
            // A resumed run's best (restored before the key was known) is this key's.
            if let Some(e) = self.best.iter_mut().find(|(k, _, _)| k.is_empty()) {
                e.0 = key.clone();
            }
            self.watched = Watched::Keys(vec![(key, rule)]);
        }
        let watched = match &self.watched {
            Watched::Keys(keys) => keys.clone(),
            Watched::Auto(_) => Vec::new(),
        };
        let mut actions = Vec::new();
        let mut improved = false;
        for (key, rule) in watched {
            let Some(&(_, score)) = metrics.iter().find(|(k, _)| *k == key) else {
                let known: Vec<&str> = metrics.iter().map(|(k, _)| k.as_str()).collect();
                return Err(path.key("save_best").error(format!(
                    "validation logs no metric `{key}`; it logs: {}",
                    known.join(", ")
                )));
            };
            let entry = self.entry(&key, rule);
            if !rule.better(score, entry.1) {
                continue;
            }
            improved = true;
            entry.1 = score;
            if let Some(old) = entry.2.take() {
                actions.push(BestAction::Remove(old.clone()));
                actions.push(BestAction::Log(format!(
                    "The previous best checkpoint {old} is removed"
                )));
            }
            let name = format!("best_{}_{stem}", key.replace('/', "_"));
            entry.2 = Some(name.clone());
            actions.push(BestAction::Save(name.clone()));
            actions.push(BestAction::Log(format!(
                "The best checkpoint with {score:.4} {key} at {step} {unit} is saved to {name}."
            )));
        }
        Ok((actions, improved))
    }

    /// The state for the checkpoint's message hub (`best_score`, `best_ckpt`, or the
    /// per-key names), so a resumed run removes the old best file when it beats it.
    pub fn hub_entries(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, score, file) in &self.best {
            out.insert(self.hub_key("best_score", key), json!(score));
            if let Some(file) = file {
                out.insert(self.hub_key("best_ckpt", key), json!(file));
            }
        }
        out
    }

    /// Takes back the state [`SaveBest::hub_entries`] wrote (a resumed run). With
    /// `auto` the saved best waits for the first validation to name its key.
    pub fn restore(&mut self, runtime_info: &Value) {
        let keys: Vec<(String, Rule)> = match &self.watched {
            Watched::Keys(keys) => keys.clone(),
            Watched::Auto(rule) => vec![(String::new(), rule.unwrap_or(Rule::Greater))],
        };
        for (key, rule) in keys {
            let score = runtime_info.get(self.hub_key("best_score", &key));
            let file = runtime_info.get(self.hub_key("best_ckpt", &key));
            if let Some(score) = score.and_then(Value::as_f64) {
                let file = file.and_then(Value::as_str).map(str::to_string);
                let e = self.entry(&key, rule);
                e.1 = score;
                e.2 = file;
            }
        }
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
