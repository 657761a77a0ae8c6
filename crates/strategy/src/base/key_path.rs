//! Where in a config something is (`param_scheduler[1].T_max`), and the error that says so.

use std::fmt;
use std::path::PathBuf;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A path into the config tree, printed the way a person writes it:
/// `optim_wrapper.optimizer.lr`, `param_scheduler[1].T_max`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// The top of the config.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a table key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.into()));
        p
    }

    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// This path followed by a dotted path as serde_path_to_error prints it
    /// (`a.b[1].c`, or `.` for none).
    pub fn join_dotted(&self, dotted: &str) -> Self {
        let mut p = self.clone();
        if dotted == "." || dotted.is_empty() {
            return p;
        }
        for part in dotted.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !name.is_empty() {
                p.0.push(Segment::Key(name.to_string()));
            }
            while let Some(close) = rest.find(']') {
                if let Ok(i) = rest[1..close].parse() {
                    p.0.push(Segment::Index(i));
                }
                rest = &rest[close + 1..];
            }
        }
        p
    }

    /// An error at this path.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: None,
            path: self.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A config that cannot be used: which file, which key, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{path}: {message}", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
pub struct ConfigError {
    /// The config file, when the config came from one.
    pub file: Option<PathBuf>,
    /// The key path (`param_scheduler[1].T_max`), or `(top level)`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    /// Attributes the error to `file` (unless it already names one).
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_as_people_write_them() {
        let p = KeyPath::root().key("param_scheduler").index(1).key("T_max");
        assert_eq!(p.to_string(), "param_scheduler[1].T_max");
        assert_eq!(KeyPath::root().to_string(), "(top level)");
    }

    #[test]
    fn dotted_paths_from_serde_join_on() {
        let p = KeyPath::root()
            .key("optim_wrapper")
            .join_dotted("optimizer.betas[1]");
        assert_eq!(p.to_string(), "optim_wrapper.optimizer.betas[1]");
        assert_eq!(KeyPath::root().key("a").join_dotted(".").to_string(), "a");
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = KeyPath::root()
            .key("train_cfg")
            .error("expected a table")
            .in_file("cfg.toml");
        assert_eq!(e.to_string(), "cfg.toml: train_cfg: expected a table");
    }
}
