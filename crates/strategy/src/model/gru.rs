//! `CharGRU`: a token embedding, a stack of GRU layers and a linear head, predicting
//! the next token at every position.
//!
//! Each layer holds PyTorch's `nn.GRU` parameters in PyTorch's layout and gate order
//! (`weight_ih [3H, in]`, `weight_hh [3H, H]`, `bias_ih`, `bias_hh`; reset, update,
//! new) and computes PyTorch's equations, so a layer's tensors are `nn.GRU`'s
//! `weight_ih_l{k}` … as they are; the initialisation is PyTorch's too (uniform
//! `±1/√H`, embedding normal(0, 1)), drawn from the run's seeded stream. The inputs'
//! projection is one matmul over every step; only the recurrent part loops.

use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Linear};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Int, Tensor};
use rand::rngs::StdRng;

use super::sequence::sequence_step;
pub use super::sequence_spec::CharGruCfg;
use super::{LossTensors, Model, StepContext, init};
use crate::data::loader::Batch;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// One GRU layer in PyTorch's layout.
#[derive(Module, Debug)]
pub struct GruLayer {
    /// Input weights `[3H, in]` (reset, update, new).
    pub weight_ih: Param<Tensor<2>>,
    /// Recurrent weights `[3H, H]`.
    pub weight_hh: Param<Tensor<2>>,
    /// Input bias `[3H]`.
    pub bias_ih: Param<Tensor<1>>,
    /// Recurrent bias `[3H]`.
    pub bias_hh: Param<Tensor<1>>,
}

impl GruLayer {
    fn new(input: usize, hidden: usize, rng: &mut StdRng, device: &Device) -> Self {
        let k = 1.0 / (hidden as f64).sqrt();
        Self {
            weight_ih: init::uniform([3 * hidden, input], k, rng, device),
            weight_hh: init::uniform([3 * hidden, hidden], k, rng, device),
            bias_ih: init::uniform([3 * hidden], k, rng, device),
            bias_hh: init::uniform([3 * hidden], k, rng, device),
        }
    }

    /// The state at every step `[b, t, H]` for inputs `[b, t, in]`, from a zero state.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, t, input] = x.dims();
        let h3 = self.weight_hh.dims()[0];
        let hidden = h3 / 3;
        let gi = (x
            .reshape([b * t, input])
            .matmul(self.weight_ih.val().transpose())
            + self.bias_ih.val().unsqueeze::<2>())
        .reshape([b, t, h3]);
        let w_hh = self.weight_hh.val().transpose();
        let b_hh = self.bias_hh.val().unsqueeze::<2>();
        let zeros: Tensor<2> = Tensor::zeros([b, hidden], &gi.device());
        let mut h = zeros.cast(gi.dtype());
        let mut states = Vec::with_capacity(t);
        for step in 0..t {
            let gi_t: Tensor<2> = gi.clone().slice([0..b, step..step + 1]).reshape([b, h3]);
            let gh = h.clone().matmul(w_hh.clone()) + b_hh.clone();
            let part =
                |g: &Tensor<2>, i: usize| g.clone().slice([0..b, i * hidden..(i + 1) * hidden]);
            let r = sigmoid(part(&gi_t, 0) + part(&gh, 0));
            let z = sigmoid(part(&gi_t, 1) + part(&gh, 1));
            let n = tanh(part(&gi_t, 2) + r * part(&gh, 2));
            h = n.clone() + z * (h - n);
            states.push(h.clone());
        }
        Tensor::stack(states, 1)
    }
}

/// The model: `embedding`, `rnn.{k}`, `head`.
#[derive(Module, Debug)]
pub struct CharGru {
    /// Token embedding `[vocab, embedding_dim]`.
    pub embedding: Embedding,
    /// The GRU layers, bottom to top.
    pub rnn: Vec<GruLayer>,
    /// `hidden_size → vocab`.
    pub head: Linear,
    /// Dropout between layers and before the head.
    pub dropout: f64,
}

impl CharGru {
    /// Builds the model with PyTorch's initialisation from `rng`.
    pub fn new(cfg: &CharGruCfg, vocab: usize, device: &Device, rng: &mut StdRng) -> Self {
        let mut embedding = EmbeddingConfig::new(vocab, cfg.embedding_dim).init(device);
        embedding.weight = init::normal([vocab, cfg.embedding_dim], 1.0, rng, device);
        let rnn = (0..cfg.num_layers)
            .map(|i| {
                let input = if i == 0 {
                    cfg.embedding_dim
                } else {
                    cfg.hidden_size
                };
                GruLayer::new(input, cfg.hidden_size, rng, device)
            })
            .collect();
        Self {
            embedding,
            rnn,
            head: init::linear(cfg.hidden_size, vocab, rng, device),
            dropout: cfg.dropout,
        }
    }

    /// Scores `[b, t, vocab]` for token ids `[b, t]`; dropout only with `rng`.
    pub fn forward(&self, ids: Tensor<2, Int>, mut rng: Option<&mut StdRng>) -> Tensor<3> {
        let mut x = self.embedding.forward(ids);
        for layer in &self.rnn {
            x = layer.forward(x);
            if let Some(rng) = rng.as_deref_mut() {
                x = init::dropout(x, self.dropout, rng);
            }
        }
        self.head.forward(x)
    }
}

impl Model for CharGru {
    fn train_step(
        self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> (Self, LossTensors) {
        let logits = self.forward(batch.token_ids(), Some(&mut ctx.rng));
        let [b, t, v] = logits.dims();
        sequence_step(self, logits.reshape([b * t, v]), batch, optim)
    }

    fn val_step(&self, batch: &Batch, _ctx: &mut StepContext) -> Tensor<2> {
        let logits = self.forward(batch.token_ids(), None);
        let [b, t, v] = logits.dims();
        logits.reshape([b * t, v])
    }

    fn token_logits(&self, ids: Tensor<2, Int>) -> Option<Tensor<3>> {
        Some(self.forward(ids, None))
    }
}

/// The builder of a checked, fitted `CharGRU` config.
pub fn builder(
    vocab: usize,
    cfg: CharGruCfg,
) -> impl Fn(&Device, &mut StdRng) -> CharGru + Send + Sync + use<> {
    move |device: &Device, rng: &mut StdRng| CharGru::new(&cfg, vocab, device, rng)
}
