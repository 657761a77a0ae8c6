//! `MLP`: a multilayer perceptron, TensorFlow Playground's network: a classifier
//! (cross-entropy) or a regressor (one output, mean squared error).

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::loss::{CrossEntropyLoss, MseLoss, Reduction};
use burn::tensor::{Device, FloatDType, Tensor};
use rand::rngs::StdRng;

use super::activation::Activation;
pub use super::spec::{LossCfg, MlpCfg};
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
    /// What it trains with.
    #[module(skip)]
    pub loss: LossCfg,
}

impl Mlp {
    /// Builds the layers of `sizes` (input, hidden…, output) with seeded
    /// PyTorch-default initialisation.
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        dropout: f64,
        loss: LossCfg,
        device: &Device,
        rng: &mut StdRng,
    ) -> Self {
        let layers = sizes
            .windows(2)
            .map(|w| init::linear(w[0], w[1], rng, device))
            .collect();
        Self {
            layers,
            activation,
            dropout,
            loss,
        }
    }

    /// Every hidden layer's activations for `x` `[n, in_features]`: `[n, width]` per
    /// layer, input to output (the web app's neuron views).
    pub fn hidden_activations(&self, x: Tensor<2>) -> Vec<Tensor<2>> {
        let last = self.layers.len() - 1;
        let mut h = x;
        let mut out = Vec::with_capacity(last);
        for layer in &self.layers[..last] {
            h = self.activation.apply(layer.forward(h));
            out.push(h.clone());
        }
        out
    }

    /// Class scores `[n, classes]` for `x` `[n, in_features]`; dropout only with `rng`.
    pub fn forward(&self, x: Tensor<2>, mut rng: Option<&mut StdRng>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        // The input in the weights' dtype (f16 under mixed precision).
        let mut h = x.cast(self.layers[0].weight.val().dtype());
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
    // In f32 whatever the forward's dtype (as autocast runs its losses).
    let logits = logits.cast(FloatDType::F32);
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
        let outputs = self.forward(batch.inputs.clone(), Some(&mut ctx.rng));
        match (self.loss, &batch.values) {
            (LossCfg::MseLoss, Some(values)) => {
                let outputs = outputs.cast(FloatDType::F32);
                let loss = MseLoss::new().forward(outputs, values.clone(), Reduction::Mean);
                let logged = loss.clone().detach();
                let model = optim.update_params(loss, self);
                (model, vec![("loss".to_string(), logged)])
            }
            _ => classifier_step(self, outputs, batch, optim),
        }
    }

    fn val_step(&self, batch: &Batch, _ctx: &mut StepContext) -> Tensor<2> {
        self.forward(batch.inputs.clone(), None)
    }

    fn predict(&self, inputs: Tensor<2>) -> Option<Tensor<2>> {
        Some(self.forward(inputs, None))
    }

    fn hidden_activations(&self, inputs: Tensor<2>) -> Option<Vec<Tensor<2>>> {
        Some(Mlp::hidden_activations(self, inputs))
    }

    fn dense_weights(&self) -> Option<Vec<Tensor<2>>> {
        Some(self.layers.iter().map(|l| l.weight.val()).collect())
    }
}

/// The builder of a checked `MlpCfg` whose layer `sizes` are known (see
/// [`MlpCfg::sizes`]).
pub fn builder(
    sizes: Vec<usize>,
    cfg: MlpCfg,
) -> impl Fn(&Device, &mut StdRng) -> Mlp + Send + Sync + use<> {
    let loss = cfg.loss.unwrap_or(LossCfg::CrossEntropyLoss);
    move |device: &Device, rng: &mut StdRng| {
        Mlp::new(&sizes, cfg.activation, cfg.dropout, loss, device, rng)
    }
}
