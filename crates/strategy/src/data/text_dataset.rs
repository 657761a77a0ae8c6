//! `TextDataset`: character-level language modelling from a UTF-8 text file. The
//! vocabulary is the file's distinct characters (sorted, so the same file always gives
//! the same ids); the first `1 - val_ratio` of the text trains and the rest validates
//! (a split by position, so no window of one part overlaps the other); a sample is a
//! window of `block_size` characters and the `block_size` characters that follow each.

use std::sync::Arc;

use serde::Deserialize;

use super::samples::Samples;
use super::schema::{DataSchema, SequenceLayout, Task};
use super::spec::Split;
use crate::base::{ConfigError, KeyPath};

/// The `TextDataset` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextCfg {
    /// `"TextDataset"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The text file: relative to the config file natively, an uploaded or shipped
    /// file's name in the browser.
    pub path: String,
    /// Characters per window; default 64.
    #[serde(default = "default_block")]
    pub block_size: usize,
    /// Characters between the starts of consecutive windows; `block_size` when
    /// omitted (windows side by side).
    #[serde(default)]
    pub stride: Option<usize>,
    /// The share at the end of the text that validates; default 0.1.
    #[serde(default = "default_val_ratio")]
    pub val_ratio: f64,
    /// `train`, `val` or `test` (the held-out end).
    #[serde(default)]
    pub split: Split,
}

fn default_block() -> usize {
    64
}
fn default_val_ratio() -> f64 {
    0.1
}

/// A text file read once: its vocabulary and every character as a token id.
#[derive(Debug, Clone, PartialEq)]
pub struct TextData {
    /// The distinct characters, sorted: token id → character.
    pub vocab: Vec<char>,
    /// The text, one token id per character.
    pub tokens: Vec<u32>,
}

/// Why a text file cannot be a dataset (its message names the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct TextError {
    /// The file's name.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

/// Reads `bytes` (the file `name`) as UTF-8 text: its vocabulary and token ids.
pub fn read_text(bytes: &[u8], name: &str) -> Result<TextData, TextError> {
    let err = |message: String| TextError {
        file: name.to_string(),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        err(format!(
            "not UTF-8 text: byte {} (line {line}) starts an invalid sequence",
            e.valid_up_to()
        ))
    })?;
    let mut vocab: Vec<char> = text.chars().collect();
    vocab.sort_unstable();
    vocab.dedup();
    if vocab.len() < 2 {
        return Err(err(format!(
            "expected text with at least 2 distinct characters, got {}",
            vocab.len()
        )));
    }
    let tokens = text
        .chars()
        .map(|c| vocab.binary_search(&c).map_or(0, |i| i as u32))
        .collect();
    Ok(TextData { vocab, tokens })
}

impl TextCfg {
    /// Checks the sizes.
    pub fn check(&self, path: &KeyPath) -> Result<(), ConfigError> {
        if !(1..=4096).contains(&self.block_size) {
            return Err(path.key("block_size").error(format!(
                "expected 1 <= block_size <= 4096, got {}",
                self.block_size
            )));
        }
        if self.stride == Some(0) {
            return Err(path
                .key("stride")
                .error("expected a positive stride, got 0"));
        }
        if !(self.val_ratio > 0.0 && self.val_ratio < 1.0) {
            return Err(path.key("val_ratio").error(format!(
                "expected 0 < val_ratio < 1, got {}",
                self.val_ratio
            )));
        }
        Ok(())
    }

    fn stride(&self) -> usize {
        self.stride.unwrap_or(self.block_size)
    }

    /// The token range of the configured split.
    fn part<'a>(&self, data: &'a TextData) -> &'a [u32] {
        let n = data.tokens.len();
        let cut = n - (n as f64 * self.val_ratio).floor() as usize;
        match self.split {
            Split::Train => &data.tokens[..cut],
            Split::Val | Split::Test => &data.tokens[cut..],
        }
    }

    /// Windows in the configured split.
    pub fn len(&self, data: &TextData) -> u64 {
        let n = self.part(data).len();
        if n < self.block_size + 1 {
            0
        } else {
            ((n - self.block_size - 1) / self.stride() + 1) as u64
        }
    }

    /// Whether the configured split has no window.
    pub fn is_empty(&self, data: &TextData) -> bool {
        self.len(data) == 0
    }

    /// The windows of the configured split.
    pub fn build(&self, data: &TextData) -> Samples {
        let part = self.part(data);
        let (block, n) = (self.block_size, self.len(data) as usize);
        let mut features = Vec::with_capacity(n * block);
        let mut targets = Vec::with_capacity(n * block);
        for w in 0..n {
            let start = w * self.stride();
            features.extend(part[start..start + block].iter().map(|&t| t as f32));
            targets.extend(part[start + 1..start + block + 1].iter().map(|&t| t as i64));
        }
        Samples {
            features,
            sample_shape: vec![block],
            num_classes: data.vocab.len(),
            token_targets: targets,
            schema: Some(Arc::new(DataSchema {
                task: Task::Sequence,
                class_names: data.vocab.iter().map(|c| c.to_string()).collect(),
                sequence: Some(SequenceLayout {
                    kind: "text".into(),
                    block_size: block,
                    prompt_len: 0,
                }),
                ..DataSchema::default()
            })),
            ..Samples::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(block: usize, split: Split) -> TextCfg {
        TextCfg {
            type_name: "TextDataset".into(),
            path: "t.txt".into(),
            block_size: block,
            stride: None,
            val_ratio: 0.25,
            split,
        }
    }

    #[test]
    fn windows_predict_the_next_character() {
        let data = read_text(b"abcabcabcabcabcabcab", "t.txt").expect("text");
        assert_eq!(data.vocab, ['a', 'b', 'c']);
        let train = cfg(4, Split::Train);
        let s = train.build(&data);
        // 20 characters, the last 5 validate: 15 train, windows of 4 + 1 at 0, 4, 8.
        assert_eq!((s.len(), train.len(&data)), (3, 3));
        assert_eq!(&s.features[..4], &[0.0, 1.0, 2.0, 0.0]);
        assert_eq!(&s.token_targets[..4], &[1, 2, 0, 1]);
        let val = cfg(4, Split::Val);
        assert_eq!(val.build(&data).len(), 1);
        assert_eq!(s.vocab(), ["a", "b", "c"]);
    }

    #[test]
    fn bad_text_is_named() {
        let e = read_text(b"ab\ncd\xff", "x.txt").unwrap_err();
        assert!(e.to_string().contains("x.txt"), "{e}");
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(read_text(b"aaaa", "y.txt").is_err());
        assert!(read_text(b"", "y.txt").is_err());
    }
}
