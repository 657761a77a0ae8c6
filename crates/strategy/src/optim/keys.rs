//! Unknown keys inside `optim_wrapper`: every table (wrapper, optimizer, clip_grad,
//! paramwise_cfg, each custom key) is checked against the keys it knows, and a
//! stranger is an error at its full key path with the closest known key
//! (`optim_wrapper.paramwise_cfg.bias_decay_mul: unknown key. Did you mean
//! `bias_decay_mult`?`), before serde sees the table.

use serde_json::{Map, Value};

use crate::base::{ConfigError, KeyPath};

/// The known name closest to `name`, if one is close enough to be a typo.
pub fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&k.to_lowercase(), &name.to_lowercase()),
                *k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// " Did you mean `x`?" when a known name is close to `name`, else nothing.
pub fn did_you_mean(name: &str, known: &[&str]) -> String {
    closest(name, known)
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default()
}

/// An error for the first key of `table` (found at `path`) that is not in `known`;
/// `what` names the table in the message ("an SGD optimizer").
pub fn check_keys(
    table: &Map<String, Value>,
    path: &KeyPath,
    what: &str,
    known: &[&str],
) -> Result<(), ConfigError> {
    match table.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(path.key(key).error(format!(
            "unknown key `{key}`.{} Known keys of {what}: {}",
            did_you_mean(key, known),
            known.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unknown_key_names_its_path_and_the_closest_known_one() {
        let Value::Object(t) = json!({"bias_lr_mult": 2.0, "bias_decay_mul": 0.0}) else {
            unreachable!()
        };
        let path = KeyPath::root().key("optim_wrapper").key("paramwise_cfg");
        let known = ["bias_lr_mult", "bias_decay_mult", "norm_decay_mult"];
        let err = check_keys(&t, &path, "paramwise_cfg", &known).unwrap_err();
        assert_eq!(err.path, "optim_wrapper.paramwise_cfg.bias_decay_mul");
        assert!(
            err.message.contains("Did you mean `bias_decay_mult`?"),
            "{err}"
        );
        assert!(check_keys(&t, &path, "x", &["bias_lr_mult", "bias_decay_mul"]).is_ok());
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        assert_eq!(closest("zzz", &["lr", "momentum"]), None);
        assert_eq!(
            did_you_mean("momentun", &["lr", "momentum"]),
            " Did you mean `momentum`?"
        );
    }
}
