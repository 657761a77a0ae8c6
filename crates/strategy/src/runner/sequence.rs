//! What the faces show of a sequence model: completions of text, a task's prompts
//! with the model's answers (decoded greedily, one token at a time, right ones
//! marked), one attention head's weights on a sample, and generation from a
//! checkpoint alone (`playground-cli generate`).

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::Runner;
use super::error::RunError;
use crate::base::KeyPath;
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::data::{DataSchema, Samples, SequenceLayout, Task};
use crate::model::sequence::Sampling;
use crate::model::spec::{DataShape, model_spec_registry};
use crate::model::{DynModel, model_factory, model_registry};
use crate::strategy::read_f32;

/// A prompt, the answer expected and the model's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleAnswer {
    /// The prompt, tokens joined (`"3 1 2 |"`; text as it is).
    pub prompt: String,
    /// What the data says follows.
    pub expected: String,
    /// What the model wrote.
    pub answer: String,
    /// Whether the model's answer is the expected one (a task; always false for
    /// text, where a completion has no one right answer).
    pub correct: bool,
}

/// A model's answers on samples of its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceSamples {
    /// What the sequences are (`"sort"`, …, `"text"`).
    pub kind: String,
    /// The samples.
    pub rows: Vec<SampleAnswer>,
}

impl SequenceSamples {
    /// Whether these are completions of text (no one right answer).
    pub fn is_text(&self) -> bool {
        self.kind == "text"
    }

    /// How many answers are right.
    pub fn correct(&self) -> usize {
        self.rows.iter().filter(|r| r.correct).count()
    }
}

/// One attention head's weights on one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionMap {
    /// The sample's input tokens.
    pub tokens: Vec<String>,
    /// `tokens.len()²` weights, row `i` = how position `i` attends to each position.
    pub weights: Vec<f32>,
    /// Layers of the model.
    pub layers: usize,
    /// Heads per layer.
    pub heads: usize,
    /// The layer shown (after clamping into range).
    pub layer: usize,
    /// The head shown (after clamping into range).
    pub head: usize,
}

/// Token ids written out: a task's tokens with spaces between, text as it is.
pub fn join_tokens(vocab: &[String], ids: &[usize], layout: &SequenceLayout) -> String {
    let names = ids
        .iter()
        .map(|&i| vocab.get(i).map_or("?", String::as_str));
    if layout.kind == "text" {
        names.collect()
    } else {
        names.collect::<Vec<_>>().join(" ")
    }
}

/// Token ids of `text` in `vocab` (text: one per character; a task: tokens between
/// spaces); an unknown token is an error naming it.
pub fn encode_prompt(
    vocab: &[String],
    text: &str,
    layout: &SequenceLayout,
) -> Result<Vec<usize>, String> {
    let find = |tok: &str| {
        vocab.iter().position(|v| v == tok).ok_or_else(|| {
            format!(
                "the prompt's `{tok}` is not in the model's vocabulary of {} tokens",
                vocab.len()
            )
        })
    };
    if layout.kind == "text" {
        text.chars().map(|c| find(&c.to_string())).collect()
    } else {
        text.split_whitespace().map(find).collect()
    }
}

/// Extends `prompt` by `max_new` tokens drawn from `model`'s next-token scores
/// (the context cropped to the model's longest); returns the new tokens.
pub async fn generate(
    model: &dyn DynModel,
    device: &Device,
    description: &str,
    prompt: &[usize],
    max_new: usize,
    sampling: Sampling,
    rng: &mut StdRng,
) -> Result<Vec<usize>, RunError> {
    let mut ids: Vec<usize> = prompt.to_vec();
    let limit = model.context_len().unwrap_or(usize::MAX);
    for _ in 0..max_new {
        let context = &ids[ids.len().saturating_sub(limit)..];
        let t = context.len();
        let input: Tensor<2, Int> = Tensor::from_data(
            TensorData::new(context.iter().map(|&i| i as i64).collect(), [1, t]),
            device,
        );
        let Some(logits) = model.token_logits(input) else {
            return Ok(Vec::new());
        };
        let vocab = logits.dims()[2];
        let last: Tensor<1> = logits.slice([0..1, t - 1..t]).reshape([vocab]);
        let scores = read_f32(last, description).await?;
        ids.push(sampling.draw(&scores, rng));
    }
    Ok(ids[prompt.len()..].to_vec())
}

/// The layout of sequence samples, when they are sequences.
fn layout(samples: &Samples) -> Option<(&DataSchema, &SequenceLayout)> {
    let schema = samples.schema.as_deref()?;
    Some((schema, schema.sequence.as_ref()?))
}

/// Sample `i`'s input ids and targets.
fn sample(samples: &Samples, i: usize) -> (Vec<usize>, &[i64]) {
    let k = samples.sample_size();
    let ids = samples.features[i * k..(i + 1) * k]
        .iter()
        .map(|&v| v as usize)
        .collect();
    (ids, &samples.token_targets[i * k..(i + 1) * k])
}

/// Characters of a text window given as the prompt of a completion.
const TEXT_PROMPT: usize = 24;

impl Runner {
    /// The set the views read: validation, else training.
    fn view_samples(&self) -> &Samples {
        self.val
            .as_ref()
            .map_or(&self.train_loader.samples, |v| &v.loader.samples)
    }

    /// Up to `n` samples of the validation set (the training set without one) with
    /// the model's answers: a task's prompts answered greedily, or text windows'
    /// first characters completed (`max_new` characters, temperature 0.8, top-k 10,
    /// seeded by the run and the iteration); `None` unless the data is sequences.
    pub async fn sequence_samples(
        &self,
        n: usize,
        max_new: usize,
    ) -> Result<Option<SequenceSamples>, RunError> {
        let samples = self.view_samples();
        let Some((schema, layout)) = layout(samples) else {
            return Ok(None);
        };
        let vocab = &schema.class_names;
        let model = self.prepared.model.as_ref();
        let device = &self.strategy.device;
        let mut rng = StdRng::seed_from_u64(self.strategy.seed ^ self.hub.iter as u64);
        let mut rows = Vec::with_capacity(n);
        for i in 0..n.min(samples.len()) {
            let (ids, targets) = sample(samples, i);
            let row = if layout.kind == "text" {
                let prompt = &ids[..TEXT_PROMPT.min(ids.len())];
                let sampling = Sampling {
                    temperature: 0.8,
                    top_k: Some(10),
                };
                let new = generate(
                    model,
                    &device.device,
                    &device.description,
                    prompt,
                    max_new,
                    sampling,
                    &mut rng,
                )
                .await?;
                let rest: Vec<usize> = ids[prompt.len()..].to_vec();
                SampleAnswer {
                    prompt: join_tokens(vocab, prompt, layout),
                    expected: join_tokens(vocab, &rest, layout),
                    answer: join_tokens(vocab, &new, layout),
                    correct: false,
                }
            } else {
                let prompt = &ids[..layout.prompt_len + 1];
                let expected: Vec<usize> = targets[layout.prompt_len..]
                    .iter()
                    .map(|&t| t as usize)
                    .collect();
                let new = generate(
                    model,
                    &device.device,
                    &device.description,
                    prompt,
                    expected.len(),
                    Sampling::GREEDY,
                    &mut rng,
                )
                .await?;
                SampleAnswer {
                    prompt: join_tokens(vocab, prompt, layout),
                    expected: join_tokens(vocab, &expected, layout),
                    answer: join_tokens(vocab, &new, layout),
                    correct: new == expected,
                }
            };
            rows.push(row);
        }
        Ok(Some(SequenceSamples {
            kind: layout.kind.clone(),
            rows,
        }))
    }

    /// Head `head` of layer `layer` on sample `index` of the validation set (the
    /// training set without one); `None` for a model without attention or data
    /// that is not sequences (indices are clamped into range).
    pub async fn attention_map(
        &self,
        index: usize,
        layer: usize,
        head: usize,
    ) -> Result<Option<AttentionMap>, RunError> {
        let samples = self.view_samples();
        let Some((schema, layout)) = layout(samples) else {
            return Ok(None);
        };
        if samples.is_empty() {
            return Ok(None);
        }
        let (ids, _) = sample(samples, index.min(samples.len() - 1));
        let t = ids.len();
        let device = &self.strategy.device;
        let input: Tensor<2, Int> = Tensor::from_data(
            TensorData::new(ids.iter().map(|&i| i as i64).collect(), [1, t]),
            &device.device,
        );
        let Some(maps) = self.prepared.model.attention_maps(input) else {
            return Ok(None);
        };
        let (layers, heads) = (maps.len(), maps.first().map_or(0, |m| m.dims()[1]));
        if layers == 0 || heads == 0 {
            return Ok(None);
        }
        let (layer, head) = (layer.min(layers - 1), head.min(heads - 1));
        let one: Tensor<1> = maps[layer]
            .clone()
            .slice([0..1, head..head + 1])
            .reshape([t * t]);
        Ok(Some(AttentionMap {
            tokens: ids
                .iter()
                .map(|&i| join_tokens(&schema.class_names, &[i], layout))
                .collect(),
            weights: read_f32(one, &device.description).await?,
            layers,
            heads,
            layer,
            head,
        }))
    }
}

/// A sequence model rebuilt from a checkpoint alone (its config and its data's
/// vocabulary, both in `meta`), with its weights: what `playground-cli generate`
/// completes prompts with.
pub fn sequence_model_from_checkpoint(
    ck: &Checkpoint,
    device: &Device,
) -> Result<(Box<dyn DynModel>, DataSchema), RunError> {
    let meta = CheckpointMeta::from_map(&ck.meta)?;
    let missing = |what: &str| {
        crate::error::Error::Usage(format!(
            "the checkpoint has no `meta.{what}`: it was not written by a playground run of a sequence model"
        ))
    };
    let schema = meta.dataset.clone().ok_or_else(|| missing("dataset"))?;
    let Some(seq) = schema.sequence.clone() else {
        return Err(crate::error::Error::Usage(format!(
            "the checkpoint's model learned {}, not token sequences",
            schema.task.name()
        )));
    };
    let cfg = meta.cfg.as_ref().ok_or_else(|| missing("cfg"))?;
    let at = KeyPath::root().key("model");
    let model_cfg = cfg.get("model").ok_or_else(|| missing("cfg.model"))?;
    let mut spec = model_spec_registry().build(model_cfg, &at)?;
    spec.fit(
        &DataShape {
            inputs: seq.block_size,
            num_classes: schema.class_names.len(),
            task: Task::Sequence,
            source: "the checkpoint's data".into(),
        },
        &at,
    )?;
    let build = model_factory(&spec, &model_registry(), &at)?;
    // Parameters are made as training makes them (on the autodiff device); the
    // weights are then replaced by the checkpoint's.
    let mut model = build(&device.clone().autodiff(), &mut StdRng::seed_from_u64(0));
    let report = model.load_state(&ck.state_dict);
    if !report.is_exact() {
        return Err(crate::error::Error::DataMismatch(format!(
            "the checkpoint's weights do not fit the model its own config describes: {report:?}"
        )));
    }
    Ok((model, schema))
}
