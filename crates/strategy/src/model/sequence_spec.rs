//! The sequence models' configs, typed and checked without a tensor backend:
//! `TinyGPT` (nanoGPT's keys) and `CharGRU` (PyTorch's `nn.GRU` keys), and how they
//! fit the training data (vocabulary and block size from the dataset when omitted).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::spec::{DataShape, check_dropout};
use crate::base::{ConfigError, KeyPath, from_table};
use crate::data::Task;

/// The `TinyGPT` config table: a decoder-only transformer (GPT-2's layout).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TinyGptCfg {
    /// `"TinyGPT"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Tokens in the vocabulary; the dataset's when omitted.
    #[serde(default)]
    pub vocab_size: Option<usize>,
    /// The longest context (learned positions); the dataset's sample length when
    /// omitted.
    #[serde(default)]
    pub block_size: Option<usize>,
    /// Transformer blocks; default 2.
    #[serde(default = "two")]
    pub n_layer: usize,
    /// Attention heads per block (must divide `n_embd`); default 4.
    #[serde(default = "four")]
    pub n_head: usize,
    /// Embedding width; default 64.
    #[serde(default = "sixty_four")]
    pub n_embd: usize,
    /// Dropout after the embeddings, the attention weights and each residual branch
    /// (training only); default 0.
    #[serde(default)]
    pub dropout: f64,
    /// Biases in the linear layers and layer norms (GPT-2: true); default true.
    #[serde(default = "yes")]
    pub bias: bool,
    /// The output head shares the token embedding's weight (GPT-2); default true.
    #[serde(default = "yes")]
    pub tie_weights: bool,
}

/// The `CharGRU` config table: an embedding, a stack of GRU layers, a linear head.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharGruCfg {
    /// `"CharGRU"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Tokens in the vocabulary; the dataset's when omitted.
    #[serde(default)]
    pub vocab_size: Option<usize>,
    /// Embedding width; default 32.
    #[serde(default = "thirty_two")]
    pub embedding_dim: usize,
    /// GRU state width; default 128.
    #[serde(default = "one_two_eight")]
    pub hidden_size: usize,
    /// Stacked GRU layers; default 1.
    #[serde(default = "one")]
    pub num_layers: usize,
    /// Dropout between GRU layers and before the head (training only); default 0.
    #[serde(default)]
    pub dropout: f64,
}

fn one() -> usize {
    1
}
fn two() -> usize {
    2
}
fn four() -> usize {
    4
}
fn thirty_two() -> usize {
    32
}
fn sixty_four() -> usize {
    64
}
fn one_two_eight() -> usize {
    128
}
fn yes() -> bool {
    true
}

fn positive(v: usize, path: &KeyPath, what: &str) -> Result<(), ConfigError> {
    if v == 0 {
        return Err(path.error(format!("expected a positive {what}, got 0")));
    }
    Ok(())
}

/// Fits an omitted vocabulary size to the data; refuses one that differs and a
/// dataset that is not token sequences.
fn fit_vocab(
    vocab: &mut Option<usize>,
    model: &str,
    data: &DataShape,
    path: &KeyPath,
) -> Result<(), ConfigError> {
    if data.task != Task::Sequence {
        return Err(path.error(format!(
            "{model} predicts the next token of a sequence, but {} is {} (use SequenceTask or TextDataset)",
            data.source,
            data.task.name()
        )));
    }
    match *vocab {
        Some(v) if v != data.num_classes => Err(path.key("vocab_size").error(format!(
            "the model has {v} tokens, but {} has {}: set vocab_size = {} or omit it",
            data.source, data.num_classes, data.num_classes
        ))),
        _ => {
            *vocab = Some(data.num_classes);
            Ok(())
        }
    }
}

impl TinyGptCfg {
    /// Parses and checks a `TinyGPT` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        positive(cfg.n_layer, &path.key("n_layer"), "number of layers")?;
        positive(cfg.n_head, &path.key("n_head"), "number of heads")?;
        positive(cfg.n_embd, &path.key("n_embd"), "width")?;
        if cfg.n_embd % cfg.n_head != 0 {
            return Err(path.key("n_head").error(format!(
                "n_head = {} must divide n_embd = {}",
                cfg.n_head, cfg.n_embd
            )));
        }
        if cfg.vocab_size.is_some_and(|v| v < 2) {
            return Err(path.key("vocab_size").error("expected at least 2 tokens"));
        }
        if cfg.block_size == Some(0) {
            return Err(path
                .key("block_size")
                .error("expected a positive block size, got 0"));
        }
        check_dropout(cfg.dropout, &path.key("dropout"))?;
        Ok(cfg)
    }

    /// Fills the vocabulary and block size from the training data.
    pub fn fit(&mut self, data: &DataShape, path: &KeyPath) -> Result<(), ConfigError> {
        fit_vocab(&mut self.vocab_size, "TinyGPT", data, path)?;
        match self.block_size {
            Some(b) if b < data.inputs => Err(path.key("block_size").error(format!(
                "the model reads at most {b} tokens, but {} gives {} per sample: set block_size >= {} or omit it",
                data.source, data.inputs, data.inputs
            ))),
            Some(_) => Ok(()),
            None => {
                self.block_size = Some(data.inputs);
                Ok(())
            }
        }
    }

    /// `(vocab_size, block_size)` once known (given or fitted).
    pub fn sizes(&self, path: &KeyPath) -> Result<(usize, usize), ConfigError> {
        match (self.vocab_size, self.block_size) {
            (Some(v), Some(b)) => Ok((v, b)),
            _ => Err(path.error(
                "vocab_size and block_size are taken from the training data when omitted; without a training dataset give both",
            )),
        }
    }
}

impl CharGruCfg {
    /// Parses and checks a `CharGRU` table.
    pub fn parse(dict: &Map<String, Value>, path: &KeyPath) -> Result<Self, ConfigError> {
        let cfg: Self = from_table(dict, path)?;
        positive(cfg.embedding_dim, &path.key("embedding_dim"), "width")?;
        positive(cfg.hidden_size, &path.key("hidden_size"), "width")?;
        positive(cfg.num_layers, &path.key("num_layers"), "number of layers")?;
        if cfg.vocab_size.is_some_and(|v| v < 2) {
            return Err(path.key("vocab_size").error("expected at least 2 tokens"));
        }
        check_dropout(cfg.dropout, &path.key("dropout"))?;
        Ok(cfg)
    }

    /// Fills the vocabulary from the training data.
    pub fn fit(&mut self, data: &DataShape, path: &KeyPath) -> Result<(), ConfigError> {
        fit_vocab(&mut self.vocab_size, "CharGRU", data, path)
    }

    /// The vocabulary size once known.
    pub fn vocab(&self, path: &KeyPath) -> Result<usize, ConfigError> {
        self.vocab_size.ok_or_else(|| {
            path.error("vocab_size is taken from the training data when omitted; without a training dataset give it")
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::spec::{ModelSpec, model_spec_registry};

    fn build(v: Value) -> Result<ModelSpec, ConfigError> {
        model_spec_registry().build(&v, &KeyPath::root().key("model"))
    }

    fn shape(task: Task) -> DataShape {
        DataShape {
            inputs: 12,
            num_classes: 11,
            task,
            source: "SequenceTask sort".into(),
        }
    }

    #[test]
    fn sizes_come_from_the_data_or_are_checked_against_it() {
        let p = KeyPath::root().key("model");
        let mut spec = build(json!({"type": "TinyGPT"})).expect("parses");
        spec.fit(&shape(Task::Sequence), &p).expect("fits");
        let ModelSpec::TinyGpt(c) = &spec else {
            panic!("{spec:?}")
        };
        assert_eq!(c.sizes(&p).expect("known"), (11, 12));
        let mut spec = build(json!({"type": "TinyGPT", "block_size": 8})).expect("parses");
        let e = spec.fit(&shape(Task::Sequence), &p).unwrap_err();
        assert_eq!(e.path, "model.block_size");
        let mut spec = build(json!({"type": "CharGRU", "vocab_size": 5})).expect("parses");
        let e = spec.fit(&shape(Task::Sequence), &p).unwrap_err();
        assert_eq!(e.path, "model.vocab_size");
        assert!(e.message.contains("11"), "{e}");
        let mut spec = build(json!({"type": "CharGRU"})).expect("parses");
        let e = spec.fit(&shape(Task::Classification), &p).unwrap_err();
        assert!(e.message.contains("SequenceTask"), "{e}");
    }

    #[test]
    fn bad_keys_are_named() {
        let e = build(json!({"type": "TinyGPT", "n_head": 3, "n_embd": 64})).unwrap_err();
        assert_eq!(e.path, "model.n_head");
        let e = build(json!({"type": "TinyGPT", "n_layers": 3})).unwrap_err();
        assert!(e.message.contains("Did you mean `n_layer`?"), "{e}");
        let e = build(json!({"type": "CharGRU", "hidden_size": 0})).unwrap_err();
        assert_eq!(e.path, "model.hidden_size");
        let e = build(json!({"type": "TinyGPT", "dropout": 1.5})).unwrap_err();
        assert_eq!(e.path, "model.dropout");
    }
}
