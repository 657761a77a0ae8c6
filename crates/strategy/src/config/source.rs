//! Config text to a JSON tree: TOML or JSON parsing, `_base_` inheritance with
//! `_delete_`, and `--cfg-options` overrides.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::base::key_path::{ConfigError, KeyPath};

/// A config's text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (the playground's presets).
    Toml,
    /// JSON (e.g. a dump of an MMEngine config dict).
    Json,
}

impl Format {
    /// The format a file name says, if it says one.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// Guesses from the text: JSON starts with `{`.
    pub fn sniff(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            Self::Json
        } else {
            Self::Toml
        }
    }
}

/// Parses config text into a tree. The top level must be a table.
pub fn parse_text(text: &str, format: Format) -> Result<Value, ConfigError> {
    if text.trim().is_empty() {
        return Err(KeyPath::root()
            .error("the config is empty: expected at least `optim_wrapper` and `train_cfg`"));
    }
    let value = match format {
        Format::Toml => toml::from_str::<Value>(text).map_err(|e| {
            KeyPath::root().error(format!("not valid TOML: {}", e.to_string().trim_end()))
        })?,
        Format::Json => serde_json::from_str::<Value>(text).map_err(|e| {
            KeyPath::root().error(format!(
                "not valid JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?,
    };
    if !value.is_object() {
        return Err(KeyPath::root().error("expected a table of settings at the top level"));
    }
    Ok(value)
}

/// Reads a config file and everything it inherits through `_base_`, merged.
///
/// `read` returns a file's text (the filesystem natively; the presets in the browser).
pub fn load_tree(
    path: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<Value, ConfigError> {
    load_tree_inner(path, read, &mut Vec::new())
}

fn load_tree_inner(
    path: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
    stack: &mut Vec<PathBuf>,
) -> Result<Value, ConfigError> {
    let in_file = |e: ConfigError| e.in_file(path);
    if stack.iter().any(|p| p == path) {
        let chain: Vec<String> = stack
            .iter()
            .chain([&path.to_path_buf()])
            .map(|p| p.display().to_string())
            .collect();
        return Err(in_file(
            KeyPath::root()
                .key("_base_")
                .error(format!("inheritance cycle: {}", chain.join(" -> "))),
        ));
    }
    let format = Format::from_path(path).ok_or_else(|| {
        in_file(KeyPath::root().error("expected a config file ending in .toml or .json"))
    })?;
    let text = read(path)
        .map_err(|e| in_file(KeyPath::root().error(format!("cannot read the file: {e}"))))?;
    let mut tree = parse_text(&text, format).map_err(in_file)?;
    let Some(bases) = tree.as_object_mut().and_then(|m| m.remove("_base_")) else {
        return Ok(tree);
    };
    let base_path = KeyPath::root().key("_base_");
    let bases: Vec<String> = match bases {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s),
                other => Err(in_file(base_path.index(i).error(format!(
                    "expected a file path (a string), found {}",
                    crate::base::registry::kind_of(&other)
                )))),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(in_file(base_path.error(format!(
                "expected a file path or a list of them, found {}",
                crate::base::registry::kind_of(&other)
            ))));
        }
    };
    stack.push(path.to_path_buf());
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut merged = Value::Object(Map::new());
    for base in bases {
        let base_tree = load_tree_inner(&dir.join(&base), read, stack)?;
        merge(&mut merged, base_tree);
    }
    stack.pop();
    merge(&mut merged, tree);
    Ok(merged)
}

/// Merges `overlay` into `base` as MMEngine does: tables merge key by key, anything
/// else replaces; a table with `_delete_ = true` replaces the base table whole.
pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base_map), Value::Object(mut over_map)) => {
            if over_map
                .remove("_delete_")
                .is_some_and(|d| d == Value::Bool(true))
            {
                strip_delete(&mut over_map);
                *base_map = over_map;
                return;
            }
            for (key, value) in over_map {
                match base_map.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        let mut value = value;
                        if let Value::Object(m) = &mut value {
                            m.remove("_delete_");
                            strip_delete(m);
                        }
                        base_map.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

fn strip_delete(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        if let Value::Object(m) = v {
            m.remove("_delete_");
            strip_delete(m);
        }
    }
}

/// Applies `--cfg-options key.path=value` overrides. Values are TOML literals
/// (`0.01`, `true`, `[1, 2]`, `"text"`); anything else is taken as a bare string.
/// Numeric segments index into arrays (`param_scheduler.1.T_max=5`).
pub fn apply_cfg_options(tree: &mut Value, options: &[String]) -> Result<(), ConfigError> {
    for option in options {
        let Some((key, raw)) = option.split_once('=') else {
            return Err(
                KeyPath::root().error(format!("--cfg-options `{option}`: expected key.path=value"))
            );
        };
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(KeyPath::root().error(format!(
                "--cfg-options `{option}`: `{key}` is not a key path"
            )));
        }
        let value = parse_literal(raw.trim())
            .map_err(|why| KeyPath::root().error(format!("--cfg-options `{option}`: {why}")))?;
        set_path(tree, key, value)?;
    }
    Ok(())
}

/// A TOML literal; a bare word that is not one is a string (`type=Gauss`, as
/// MMEngine's `--cfg-options` takes it). A value that looks like a list, a table or a
/// quoted string but does not parse is an error, not a silent string.
fn parse_literal(raw: &str) -> Result<Value, String> {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .and_then(|v| serde_json::to_value(v).ok())
            .ok_or_else(|| "not a value".to_string()),
        Err(e) if raw.starts_with(['[', '{', '"', '\'']) => {
            Err(format!("not a valid TOML value: {}", e.message()))
        }
        Err(_) => Ok(Value::String(raw.to_string())),
    }
}

fn set_path(tree: &mut Value, dotted: &str, value: Value) -> Result<(), ConfigError> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let mut path = KeyPath::root();
    let mut node = tree;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        node = match node {
            Value::Array(items) => {
                let Ok(idx) = part.parse::<usize>() else {
                    return Err(path.error(format!(
                        "--cfg-options {dotted}: this is a list; expected an index, found `{part}`"
                    )));
                };
                let len = items.len();
                path = path.index(idx);
                let Some(slot) = items.get_mut(idx) else {
                    return Err(path.error(format!(
                        "--cfg-options {dotted}: index {idx} is past the end (the list has {len})"
                    )));
                };
                slot
            }
            Value::Object(map) => {
                path = path.key(*part);
                map.entry(part.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
            other => {
                return Err(path.error(format!(
                    "--cfg-options {dotted}: cannot set a key inside {}",
                    crate::base::registry::kind_of(other)
                )));
            }
        };
        if last {
            *node = value;
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn reader(files: &[(&str, &str)]) -> impl Fn(&Path) -> std::io::Result<String> {
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        move |p: &Path| {
            files
                .get(p)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
        }
    }

    #[test]
    fn base_files_merge_in_order_and_the_child_wins() {
        let read = reader(&[
            ("cfg/a.toml", "x = 1\n[opt]\nlr = 0.1\nmomentum = 0.9\n"),
            ("cfg/b.json", r#"{"x": 2, "y": [1, 2]}"#),
            (
                "cfg/child.toml",
                "_base_ = ['a.toml', 'b.json']\ny = [3]\n[opt]\nlr = 0.5\n",
            ),
        ]);
        let tree = load_tree(Path::new("cfg/child.toml"), &read).expect("loads");
        assert_eq!(
            tree,
            json!({"x": 2, "y": [3], "opt": {"lr": 0.5, "momentum": 0.9}})
        );
    }

    #[test]
    fn delete_replaces_the_base_table() {
        let read = reader(&[
            ("a.toml", "[opt]\ntype = 'SGD'\nmomentum = 0.9\n"),
            (
                "c.toml",
                "_base_ = 'a.toml'\n[opt]\n_delete_ = true\ntype = 'Adam'\n",
            ),
        ]);
        let tree = load_tree(Path::new("c.toml"), &read).expect("loads");
        assert_eq!(tree, json!({"opt": {"type": "Adam"}}));
    }

    #[test]
    fn inheritance_cycles_are_reported() {
        let read = reader(&[
            ("a.toml", "_base_ = 'b.toml'"),
            ("b.toml", "_base_ = 'a.toml'"),
        ]);
        let err = load_tree(Path::new("a.toml"), &read)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("inheritance cycle: a.toml -> b.toml -> a.toml"),
            "{err}"
        );
    }

    #[test]
    fn missing_base_names_the_file() {
        let read = reader(&[("a.toml", "_base_ = 'gone.toml'")]);
        let err = load_tree(Path::new("a.toml"), &read).unwrap_err();
        assert_eq!(err.file.as_deref(), Some(Path::new("gone.toml")));
        assert!(err.message.contains("cannot read"), "{err}");
    }

    #[test]
    fn cfg_options_parse_toml_literals_and_index_lists() {
        let mut tree =
            json!({"optim_wrapper": {"optimizer": {"lr": 0.1}}, "param_scheduler": [{"T_max": 3}]});
        let opts = [
            "optim_wrapper.optimizer.lr=0.02",
            "param_scheduler.0.T_max=7",
            "model.activation=relu",
            "train_cfg.by_epoch=false",
            "x.milestones=[1, 2]",
        ]
        .map(String::from);
        apply_cfg_options(&mut tree, &opts).expect("applies");
        assert_eq!(tree["optim_wrapper"]["optimizer"]["lr"], json!(0.02));
        assert_eq!(tree["param_scheduler"][0]["T_max"], json!(7));
        assert_eq!(tree["model"]["activation"], json!("relu"));
        assert_eq!(tree["train_cfg"]["by_epoch"], json!(false));
        assert_eq!(tree["x"]["milestones"], json!([1, 2]));
    }

    #[test]
    fn bad_cfg_options_are_named() {
        let mut tree = json!({"a": [1]});
        let err = apply_cfg_options(&mut tree, &["a.3=1".to_string()]).unwrap_err();
        assert!(err.to_string().contains("index 3 is past the end"), "{err}");
        let err = apply_cfg_options(&mut tree, &["novalue".to_string()]).unwrap_err();
        assert!(err.to_string().contains("expected key.path=value"), "{err}");
        // Something meant as a list or table that does not parse is not a string.
        let err = apply_cfg_options(&mut tree, &["b=[{k=1,k=2}]".to_string()]).unwrap_err();
        assert!(err.to_string().contains("not a valid TOML value"), "{err}");
        assert!(err.to_string().contains("duplicate key"), "{err}");
        // A bare word still is one.
        apply_cfg_options(&mut tree, &["c=Gauss".to_string()]).expect("a string");
        assert_eq!(tree["c"], "Gauss");
    }

    #[test]
    fn syntax_errors_and_empty_files_are_clear() {
        let err = parse_text("x = [1,", Format::Toml).unwrap_err();
        assert!(err.message.starts_with("not valid TOML"), "{err}");
        let err = parse_text("{\"a\": }", Format::Json).unwrap_err();
        assert!(err.message.contains("line 1"), "{err}");
        let err = parse_text("  \n", Format::Toml).unwrap_err();
        assert!(err.message.contains("empty"), "{err}");
        let err = parse_text("[1, 2]", Format::Json).unwrap_err();
        assert!(err.message.contains("top level"), "{err}");
    }
}
