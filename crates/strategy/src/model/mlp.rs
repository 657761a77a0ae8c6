//! `MLP`: a multilayer perceptron classifier, TensorFlow Playground's network.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::loss::CrossEntropyLoss;
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;

use super::activation::Activation;
pub use super::spec::MlpCfg;
use super::{LossTensors, Model, StepContext, init};
use crate::data::loader::Batch;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// The MLP: `layers.0 … layers.N` (hidden layers, then the classifier).
#[derive(Module, Debug)]
pub struct Mlp {
    /// The linear layers, input to output.
    pub layers: Vec<Linear>,
    /// Hidden activation.
    #[module(skip)]
    pub activation: Activation,
    /// Dropout probability.
    pub dropout: f64,
}

impl Mlp {
    /// Builds the layers with seeded PyTorch-default initialisation.
    pub fn new(cfg: &MlpCfg, device: &Device, rng: &mut StdRng) -> Self {
        let mut sizes = vec![cfg.in_features];
        sizes.extend(&cfg.hidden_sizes);
        sizes.push(cfg.num_classes);
        let layers = sizes
            .windows(2)
            .map(|w| init::linear(w[0], w[1], rng, device))
            .collect();
        Self {
            layers,
            activation: cfg.activation,
            dropout: cfg.dropout,
        }
    }

    /// Class scores `[n, classes]` for `x` `[n, in_features]`; dropout only with `rng`.
    pub fn forward(&self, x: Tensor<2>, mut rng: Option<&mut StdRng>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = self.activation.apply(h);
                if let Some(rng) = rng.as_deref_mut() {
                    h = init::dropout(h, self.dropout, rng);
                }
            }
        }
        h
    }
}

/// Mean cross-entropy of class scores against targets.
pub fn cross_entropy(logits: Tensor<2>, batch: &Batch) -> Tensor<1> {
    CrossEntropyLoss::new(None, &logits.device()).forward(logits, batch.targets.clone())
}

/// A classifier's training step: the cross-entropy of `logits` (computed by `model`)
/// and one `update_params` through `optim`; logs `loss`.
pub fn classifier_step<M: burn::module::Module>(
    model: M,
    logits: Tensor<2>,
    batch: &Batch,
    optim: &mut OptimWrapperDict,
) -> (M, LossTensors) {
    let loss = cross_entropy(logits, batch);
    let logged = loss.clone().detach();
    let model = optim.update_params(loss, model);
    (model, vec![("loss".to_string(), logged)])
}

impl Model for Mlp {
    fn train_step(
        self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> (Self, LossTensors) {
        let logits = self.forward(batch.inputs.clone(), Some(&mut ctx.rng));
        classifier_step(self, logits, batch, optim)
    }

    fn val_step(&self, batch: &Batch, _ctx: &mut StepContext) -> Tensor<2> {
        self.forward(batch.inputs.clone(), None)
    }

    fn predict(&self, inputs: Tensor<2>) -> Option<Tensor<2>> {
        Some(self.forward(inputs, None))
    }
}

/// The builder of a checked `MlpCfg` (see [`super::spec`]).
pub fn builder(cfg: MlpCfg) -> impl Fn(&Device, &mut StdRng) -> Mlp + Send + Sync + use<> {
    move |device: &Device, rng: &mut StdRng| Mlp::new(&cfg, device, rng)
}
