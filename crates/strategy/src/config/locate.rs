//! Where a config error points in the editor's text: the line of the key path the
//! strategy crate names (`param_scheduler[1].T_max`), or of a syntax error.
//!
//! TOML is located with `toml_edit`'s spans; JSON with a small scanner that records
//! where each value starts. A path whose last keys are missing from the text (a key
//! that is required but absent) points at the deepest part that is there.

use std::ops::Range;

use toml_edit::TableLike;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[1].c` into its steps; `(top level)` into none.
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    if path.starts_with('(') {
        return out;
    }
    for part in path.split('.') {
        let (name, mut rest) = part.find('[').map_or((part, ""), |i| part.split_at(i));
        if !name.is_empty() {
            out.push(Seg::Key(name.to_string()));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(i) = rest[1..close].parse() {
                out.push(Seg::Index(i));
            }
            rest = &rest[close + 1..];
        }
    }
    out
}

/// The 1-based line of `text` that `error` points to, if any.
pub fn error_line(text: &str, error: &super::ConfigError) -> Option<usize> {
    line_of(text, &error.path, &error.message)
}

/// The 1-based line the error at `path` with `message` points to, if any.
pub fn line_of(text: &str, path: &str, message: &str) -> Option<usize> {
    if let Some(line) = line_in_message(message) {
        return Some(line);
    }
    let segs = segments(path);
    if segs.is_empty() {
        return None;
    }
    let span = if text.trim_start().starts_with('{') {
        json_span(text, &segs)
    } else {
        toml_span(text, &segs)
    }?;
    Some(text[..span.start.min(text.len())].matches('\n').count() + 1)
}

/// The line a parser's message names (`… at line 3, column 7`, `(line 3, column 5)`).
fn line_in_message(message: &str) -> Option<usize> {
    let at = message.find("line ")?;
    let digits: String = message[at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n| *n > 0)
}

enum Node<'a> {
    Table(&'a dyn TableLike),
    Array(&'a toml_edit::Array),
    Tables(&'a toml_edit::ArrayOfTables),
    Leaf,
}

impl<'a> Node<'a> {
    fn of_item(item: &'a toml_edit::Item) -> Self {
        match item {
            toml_edit::Item::Table(t) => Node::Table(t),
            toml_edit::Item::ArrayOfTables(a) => Node::Tables(a),
            toml_edit::Item::Value(v) => Node::of_value(v),
            toml_edit::Item::None => Node::Leaf,
        }
    }

    fn of_value(value: &'a toml_edit::Value) -> Self {
        match value {
            toml_edit::Value::Array(a) => Node::Array(a),
            toml_edit::Value::InlineTable(t) => Node::Table(t),
            _ => Node::Leaf,
        }
    }
}

fn toml_span(text: &str, segs: &[Seg]) -> Option<Range<usize>> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut best = None;
    let mut node = Node::Table(doc.as_table());
    for seg in segs {
        node = match (seg, node) {
            (Seg::Key(k), Node::Table(t)) => {
                let Some((key, item)) = t.get_key_value(k) else {
                    break;
                };
                best = key.span().or_else(|| item.span()).or(best);
                Node::of_item(item)
            }
            (Seg::Index(i), Node::Array(a)) => {
                let Some(v) = a.get(*i) else { break };
                best = v.span().or(best);
                Node::of_value(v)
            }
            (Seg::Index(i), Node::Tables(a)) => {
                let Some(t) = a.get(*i) else { break };
                best = t.span().or(best);
                Node::Table(t)
            }
            _ => break,
        };
    }
    best
}

/// A JSON value and where it starts: objects keep their keys' positions.
enum JsonNode {
    Object(Vec<(String, usize, JsonNode)>),
    Array(Vec<(usize, JsonNode)>),
    Leaf,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.bytes.get(self.pos) == Some(&b)).then(|| self.pos += 1)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\\' => self.pos += 2,
                b'"' => {
                    let raw = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
                    self.pos += 1;
                    return Some(raw.to_string());
                }
                _ => self.pos += 1,
            }
        }
        None
    }

    fn value(&mut self, depth: usize) -> Option<JsonNode> {
        if depth > 64 {
            return None;
        }
        self.ws();
        match self.bytes.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                if self.eat(b'}').is_some() {
                    return Some(JsonNode::Object(entries));
                }
                loop {
                    self.ws();
                    let at = self.pos;
                    let key = self.string()?;
                    self.eat(b':')?;
                    let v = self.value(depth + 1)?;
                    entries.push((key, at, v));
                    if self.eat(b',').is_none() {
                        self.eat(b'}')?;
                        return Some(JsonNode::Object(entries));
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(JsonNode::Array(items));
                }
                loop {
                    self.ws();
                    let at = self.pos;
                    items.push((at, self.value(depth + 1)?));
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some(JsonNode::Array(items));
                    }
                }
            }
            b'"' => self.string().map(|_| JsonNode::Leaf),
            _ => {
                while let Some(b) = self.bytes.get(self.pos) {
                    if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                        break;
                    }
                    self.pos += 1;
                }
                Some(JsonNode::Leaf)
            }
        }
    }
}

fn json_span(text: &str, segs: &[Seg]) -> Option<Range<usize>> {
    let root = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    }
    .value(0)?;
    let mut best = None;
    let mut node = &root;
    for seg in segs {
        node = match (seg, node) {
            (Seg::Key(k), JsonNode::Object(entries)) => {
                let Some((_, at, v)) = entries.iter().find(|(name, _, _)| name == k) else {
                    break;
                };
                best = Some(*at..*at + 1);
                v
            }
            (Seg::Index(i), JsonNode::Array(items)) => {
                let Some((at, v)) = items.get(*i) else { break };
                best = Some(*at..*at + 1);
                v
            }
            _ => break,
        };
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"# a comment
[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1

[[param_scheduler]]
type = "LinearLR"
end = 5

[[param_scheduler]]
type = "CosineAnnealingLR"
T_max = -3
"#;

    #[test]
    fn toml_paths_point_at_their_key() {
        assert_eq!(line_of(TOML, "optim_wrapper.optimizer.lr", "bad"), Some(4));
        assert_eq!(line_of(TOML, "param_scheduler[1].T_max", "bad"), Some(12));
        assert_eq!(line_of(TOML, "param_scheduler[0].end", "bad"), Some(8));
        // A missing key points at the deepest part that is there.
        assert_eq!(line_of(TOML, "param_scheduler[1].eta_min", "bad"), Some(10));
        assert_eq!(line_of(TOML, "(top level)", "bad"), None);
    }

    #[test]
    fn json_paths_point_at_their_key() {
        let json = "{\n  \"optim_wrapper\": {\"optimizer\": {\"type\": \"SGD\",\n    \"lr\": 0.1}},\n  \"param_scheduler\": [\n    {\"type\": \"LinearLR\"},\n    {\"type\": \"StepLR\",\n     \"step_size\": 0}\n  ]\n}";
        assert_eq!(line_of(json, "optim_wrapper.optimizer.lr", "bad"), Some(3));
        assert_eq!(
            line_of(json, "param_scheduler[1].step_size", "bad"),
            Some(7)
        );
        assert_eq!(line_of(json, "param_scheduler[1]", "bad"), Some(6));
        assert_eq!(line_of(json, "train_cfg.max_epochs", "bad"), None);
    }

    #[test]
    fn syntax_errors_use_the_parsers_line() {
        assert_eq!(
            line_of(
                "a = ",
                "(top level)",
                "not valid TOML: TOML parse error at line 3, column 7"
            ),
            Some(3)
        );
        assert_eq!(
            line_of("{", "(top level)", "not valid JSON: EOF (line 1, column 1)"),
            Some(1)
        );
    }

    #[test]
    fn real_config_errors_are_located() {
        use crate::config::{ExperimentConfig, Registries};
        let text = TOML.replace("T_max = -3", "T_max = \"ten\"");
        let e = ExperimentConfig::from_text(&text, &Registries::default())
            .err()
            .map(|e| (e.path.clone(), error_line(&text, &e)));
        assert_eq!(e, Some(("param_scheduler[1].T_max".into(), Some(12))));
        let broken = "[optim_wrapper]\noptimizer = {type = \"SGD\"\n";
        let e = ExperimentConfig::from_text(broken, &Registries::default())
            .err()
            .map(|e| error_line(broken, &e));
        assert_eq!(e, Some(Some(2)));
    }
}
