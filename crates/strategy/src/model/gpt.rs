//! `TinyGPT`: a decoder-only transformer in GPT-2's (and nanoGPT's) layout: token
//! and learned position embeddings, pre-LayerNorm blocks of causal self-attention and
//! a 4× GELU MLP, a final LayerNorm and a linear head (sharing the token embedding's
//! weight with `tie_weights`).
//!
//! Parameter names are PyTorch's (`transformer.h.0.attn.c_attn.weight`, …), so a
//! checkpoint reads as a nanoGPT state dict. The attention's query, key and value come
//! from one fused `c_attn` layer, as in GPT-2; burn's `MultiHeadAttention` keeps them
//! apart (and would name them otherwise), so the attention is written here with burn's
//! `Linear`, `matmul` and `softmax`, which also hands out its weights for the
//! attention view.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;

use super::sequence::{LayerNorm, sequence_step};
pub use super::sequence_spec::TinyGptCfg;
use super::{LossTensors, Model, StepContext, init};
use crate::data::loader::Batch;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// Causal self-attention with one fused query/key/value projection.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    /// Query, key and value: `n_embd → 3 n_embd`.
    pub c_attn: Linear,
    /// The output projection.
    pub c_proj: Linear,
    /// Heads.
    pub n_head: usize,
    /// Dropout on the attention weights and the output.
    pub dropout: f64,
}

/// The block's MLP: `n_embd → 4 n_embd → n_embd` with GELU.
#[derive(Module, Debug)]
pub struct GptMlp {
    /// The widening layer.
    pub c_fc: Linear,
    /// The projection back.
    pub c_proj: Linear,
}

/// One transformer block (pre-LayerNorm, residual connections).
#[derive(Module, Debug)]
pub struct Block {
    /// Before the attention.
    pub ln_1: LayerNorm,
    /// The attention.
    pub attn: CausalSelfAttention,
    /// Before the MLP.
    pub ln_2: LayerNorm,
    /// The MLP.
    pub mlp: GptMlp,
}

/// Embeddings, blocks and the final norm (`transformer.*`).
#[derive(Module, Debug)]
pub struct Transformer {
    /// Token embedding `[vocab, n_embd]`.
    pub wte: Embedding,
    /// Position embedding `[block_size, n_embd]`.
    pub wpe: Embedding,
    /// The blocks.
    pub h: Vec<Block>,
    /// The final LayerNorm.
    pub ln_f: LayerNorm,
}

/// The model.
#[derive(Module, Debug)]
pub struct TinyGpt {
    /// Everything before the head.
    pub transformer: Transformer,
    /// The output head (no bias); none when it shares `transformer.wte.weight`.
    pub lm_head: Option<Linear>,
    /// Dropout after the embeddings.
    pub dropout: f64,
    /// The longest context.
    pub block_size: usize,
}

/// Additive causal mask `[1, 1, t, t]`: 0 on and below the diagonal, a large negative
/// number above (a future token gets weight exactly 0 after the softmax).
fn causal_bias(t: usize, device: &Device) -> Tensor<4> {
    let values: Vec<f32> = (0..t * t)
        .map(|i| if i % t > i / t { -1.0e9 } else { 0.0 })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, 1, t, t]), device)
}

fn maybe_dropout<const D: usize>(x: Tensor<D>, p: f64, rng: Option<&mut StdRng>) -> Tensor<D> {
    match rng {
        Some(rng) => init::dropout(x, p, rng),
        None => x,
    }
}

impl CausalSelfAttention {
    /// The attention output `[b, t, c]` and its weights `[b, heads, t, t]`.
    fn forward(&self, x: Tensor<3>, mut rng: Option<&mut StdRng>) -> (Tensor<3>, Tensor<4>) {
        let [b, t, c] = x.dims();
        let (nh, hd) = (self.n_head, c / self.n_head);
        let qkv = self.c_attn.forward(x);
        let head = |i: usize| -> Tensor<4> {
            qkv.clone()
                .slice([0..b, 0..t, i * c..(i + 1) * c])
                .reshape([b, t, nh, hd])
                .swap_dims(1, 2)
        };
        let (q, k, v) = (head(0), head(1), head(2));
        let scores = q
            .matmul(k.swap_dims(2, 3))
            .mul_scalar(1.0 / (hd as f64).sqrt())
            + causal_bias(t, &qkv.device()).cast(qkv.dtype());
        let att = softmax(scores, 3);
        let dropped = maybe_dropout(att.clone(), self.dropout, rng.as_deref_mut());
        let y = dropped.matmul(v).swap_dims(1, 2).reshape([b, t, c]);
        let y = maybe_dropout(self.c_proj.forward(y), self.dropout, rng);
        (y, att)
    }
}

impl Block {
    fn forward(&self, x: Tensor<3>, mut rng: Option<&mut StdRng>) -> (Tensor<3>, Tensor<4>) {
        let (a, att) = self
            .attn
            .forward(self.ln_1.forward(x.clone()), rng.as_deref_mut());
        let x = x + a;
        let h = gelu(self.mlp.c_fc.forward(self.ln_2.forward(x.clone())));
        let h = maybe_dropout(self.mlp.c_proj.forward(h), self.attn.dropout, rng);
        (x + h, att)
    }
}

impl TinyGpt {
    /// Builds the model with GPT-2's initialisation from `rng`: weights normal(0, 0.02),
    /// the residual projections normal(0, 0.02/√(2 n_layer)), biases zero, norms one.
    pub fn new(
        cfg: &TinyGptCfg,
        vocab: usize,
        block: usize,
        device: &Device,
        rng: &mut StdRng,
    ) -> Self {
        let c = cfg.n_embd;
        let proj_std = 0.02 / ((2 * cfg.n_layer) as f64).sqrt();
        let embedding = |n: usize, rng: &mut StdRng| {
            let mut e = EmbeddingConfig::new(n, c).init(device);
            e.weight = init::normal([n, c], 0.02, rng, device);
            e
        };
        let wte = embedding(vocab, rng);
        let wpe = embedding(block, rng);
        let h = (0..cfg.n_layer)
            .map(|_| Block {
                ln_1: LayerNorm::new(c, cfg.bias, device),
                attn: CausalSelfAttention {
                    c_attn: init::normal_linear(c, 3 * c, 0.02, cfg.bias, rng, device),
                    c_proj: init::normal_linear(c, c, proj_std, cfg.bias, rng, device),
                    n_head: cfg.n_head,
                    dropout: cfg.dropout,
                },
                ln_2: LayerNorm::new(c, cfg.bias, device),
                mlp: GptMlp {
                    c_fc: init::normal_linear(c, 4 * c, 0.02, cfg.bias, rng, device),
                    c_proj: init::normal_linear(4 * c, c, proj_std, cfg.bias, rng, device),
                },
            })
            .collect();
        let lm_head =
            (!cfg.tie_weights).then(|| init::normal_linear(c, vocab, 0.02, false, rng, device));
        Self {
            transformer: Transformer {
                wte,
                wpe,
                h,
                ln_f: LayerNorm::new(c, cfg.bias, device),
            },
            lm_head,
            dropout: cfg.dropout,
            block_size: block,
        }
    }

    /// Scores `[b, t, vocab]` for token ids `[b, t]` (t ≤ block_size), and every
    /// layer's attention weights; dropout only with `rng`.
    pub fn forward(
        &self,
        ids: Tensor<2, Int>,
        mut rng: Option<&mut StdRng>,
    ) -> (Tensor<3>, Vec<Tensor<4>>) {
        let [b, t] = ids.dims();
        let tr = &self.transformer;
        let pos = tr.wpe.weight.val().slice([0..t]).unsqueeze::<3>();
        let mut x = maybe_dropout(tr.wte.forward(ids) + pos, self.dropout, rng.as_deref_mut());
        let mut maps = Vec::with_capacity(tr.h.len());
        for block in &tr.h {
            let (y, att) = block.forward(x, rng.as_deref_mut());
            x = y;
            maps.push(att);
        }
        let x = tr.ln_f.forward(x);
        let logits = match &self.lm_head {
            Some(head) => head.forward(x),
            None => {
                let c = x.dims()[2];
                let w = tr.wte.weight.val();
                let vocab = w.dims()[0];
                x.reshape([b * t, c])
                    .matmul(w.transpose())
                    .reshape([b, t, vocab])
            }
        };
        (logits, maps)
    }
}

fn flat(logits: Tensor<3>) -> Tensor<2> {
    let [b, t, v] = logits.dims();
    logits.reshape([b * t, v])
}

impl Model for TinyGpt {
    fn train_step(
        self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> (Self, LossTensors) {
        let rng = (self.dropout > 0.0).then_some(&mut ctx.rng);
        let (logits, _) = self.forward(batch.token_ids(), rng);
        sequence_step(self, flat(logits), batch, optim)
    }

    fn val_step(&self, batch: &Batch, _ctx: &mut StepContext) -> Tensor<2> {
        flat(self.forward(batch.token_ids(), None).0)
    }

    fn token_logits(&self, ids: Tensor<2, Int>) -> Option<Tensor<3>> {
        Some(self.forward(ids, None).0)
    }

    fn attention_maps(&self, ids: Tensor<2, Int>) -> Option<Vec<Tensor<4>>> {
        Some(self.forward(ids, None).1)
    }

    fn context_len(&self) -> Option<usize> {
        Some(self.block_size)
    }
}

/// The builder of a checked, fitted `TinyGPT` config.
pub fn builder(
    vocab: usize,
    block: usize,
    cfg: TinyGptCfg,
) -> impl Fn(&Device, &mut StdRng) -> TinyGpt + Send + Sync + use<> {
    move |device: &Device, rng: &mut StdRng| TinyGpt::new(&cfg, vocab, block, device, rng)
}
