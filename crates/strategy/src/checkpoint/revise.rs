//! `revise_keys`: `(regex, replacement)` pairs applied to every key of a loaded state
//! dict, in order, each to all non-overlapping matches (Python's `re.sub`).

use regex::Regex;

use super::CheckpointError;

/// Compiled `revise_keys`.
#[derive(Debug, Clone)]
pub struct ReviseKeys {
    rules: Vec<(Regex, String)>,
}

/// MMEngine's default: strip a leading `module.` (left by DataParallel wrappers). The
/// dot is unescaped, as in MMEngine's Runner and strategies.
pub fn default_revise_keys() -> Vec<(String, String)> {
    vec![("^module.".to_string(), String::new())]
}

impl ReviseKeys {
    /// Compiles the pairs; Python's `\1` back-references become `${1}`.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, CheckpointError> {
        let back_ref = Regex::new(r"\\(\d+)").map_err(|e| CheckpointError::BadPattern {
            pattern: r"\\(\d+)".into(),
            message: e.to_string(),
        })?;
        let rules = pairs
            .iter()
            .map(|(p, r)| {
                let re = Regex::new(p).map_err(|e| CheckpointError::BadPattern {
                    pattern: p.clone(),
                    message: e.to_string(),
                })?;
                Ok((re, back_ref.replace_all(r, "$${$1}").into_owned()))
            })
            .collect::<Result<_, CheckpointError>>()?;
        Ok(Self { rules })
    }

    /// Rewrites one key.
    pub fn apply(&self, key: &str) -> String {
        let mut k = key.to_string();
        for (re, rep) in &self.rules {
            k = re.replace_all(&k, rep.as_str()).into_owned();
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_prefixes_go_and_back_references_work() {
        let r = ReviseKeys::new(&default_revise_keys()).expect("compiles");
        assert_eq!(r.apply("module.layers.0.weight"), "layers.0.weight");
        assert_eq!(r.apply("layers.0.weight"), "layers.0.weight");
        let r =
            ReviseKeys::new(&[("^backbone\\.(\\w+)".into(), "net.\\1".into())]).expect("compiles");
        assert_eq!(r.apply("backbone.fc.weight"), "net.fc.weight");
        let err = ReviseKeys::new(&[("(".into(), String::new())]).expect_err("bad regex");
        assert!(err.to_string().contains("revise_keys pattern `(`"), "{err}");
    }
}
