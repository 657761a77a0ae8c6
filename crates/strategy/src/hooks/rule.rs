//! Whether a bigger or a smaller metric is better (`rule`), inferred from its name as
//! MMEngine's `EarlyStoppingHook` and `CheckpointHook` infer it when none is given.

use std::fmt;

/// Which direction of a metric is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Bigger is better (accuracy, mAP).
    Greater,
    /// Smaller is better (loss).
    Less,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::Greater => "greater",
            Rule::Less => "less",
        })
    }
}

/// MMEngine's default keys of metrics where bigger is better.
pub const GREATER_KEYS: [&str; 10] = [
    "acc",
    "top",
    "AR@",
    "auc",
    "precision",
    "mAP",
    "mDice",
    "mIoU",
    "mAcc",
    "aAcc",
];
/// MMEngine's default keys of metrics where smaller is better.
pub const LESS_KEYS: [&str; 1] = ["loss"];

impl Rule {
    /// Parses `"greater"` or `"less"`.
    pub fn parse(s: &str) -> Option<Rule> {
        match s {
            "greater" => Some(Rule::Greater),
            "less" => Some(Rule::Less),
            _ => None,
        }
    }

    /// The rule for `name`, case-insensitively: an exact greater key, an exact less
    /// key, a name containing a greater key, a name containing a less key, in that
    /// order (so `stop_loss` is `greater`: it contains `top`); `None` when nothing
    /// matches (`recall`, `PSNR`), where MMEngine raises.
    pub fn infer(name: &str, greater: &[&str], less: &[&str]) -> Option<Rule> {
        let name = name.to_lowercase();
        let lower = |keys: &[&str]| keys.iter().map(|k| k.to_lowercase()).collect::<Vec<_>>();
        let (g, l) = (lower(greater), lower(less));
        if g.contains(&name) {
            Some(Rule::Greater)
        } else if l.contains(&name) {
            Some(Rule::Less)
        } else if g.iter().any(|k| name.contains(k.as_str())) {
            Some(Rule::Greater)
        } else if l.iter().any(|k| name.contains(k.as_str())) {
            Some(Rule::Less)
        } else {
            None
        }
    }

    /// [`Rule::infer`] with MMEngine's default keys.
    pub fn infer_default(name: &str) -> Option<Rule> {
        Rule::infer(name, &GREATER_KEYS, &LESS_KEYS)
    }

    /// Whether `x` is strictly better than `best`.
    pub fn better(self, x: f64, best: f64) -> bool {
        match self {
            Rule::Greater => x > best,
            Rule::Less => x < best,
        }
    }

    /// The worst possible score: where a best score starts.
    pub fn worst(self) -> f64 {
        match self {
            Rule::Greater => f64::NEG_INFINITY,
            Rule::Less => f64::INFINITY,
        }
    }
}

// The reference cases are read from the disk: native only.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn the_rule_is_inferred_as_mmengine_infers_it() {
        let path = crate::base::reference_dir().join("hooks/rule_inference.json");
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the reference case"))
                .expect("JSON");
        let expected = case["expected"].as_array().expect("cases");
        assert_eq!(expected.len(), 26);
        for e in expected {
            let name = e["name"].as_str().expect("name");
            let want = e["early_stopping"].as_str().and_then(Rule::parse);
            // A name MMEngine cannot infer is an error there (a string describing it).
            assert_eq!(Rule::infer_default(name), want, "{name}: {e}");
            let ck = e["checkpoint_hook"].as_str().and_then(Rule::parse);
            assert_eq!(want, ck, "{name}");
        }
    }
}
