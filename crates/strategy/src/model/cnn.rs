//! `DigitsCNN`: a small convolutional classifier for 8×8 images.
//!
//! `conv(1→c1, 3×3) → relu → maxpool 2` (8→4), `conv(c1→c2, 3×3) → relu → maxpool 2`
//! (4→2), flatten (`c2·2·2`), `fc(→hidden) → relu → dropout → fc(→classes)`.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;

use super::mlp::classifier_step;
pub use super::spec::DigitsCnnCfg;
use super::{LossTensors, Model, StepContext, init};
use crate::data::loader::Batch;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// The network; parameter names `conv1.weight`, …, `fc2.bias`.
#[derive(Module, Debug)]
pub struct DigitsCnn {
    /// First convolution.
    pub conv1: Conv2d,
    /// Second convolution.
    pub conv2: Conv2d,
    /// 2×2 max pooling.
    pub pool: MaxPool2d,
    /// Hidden fully connected layer.
    pub fc1: Linear,
    /// Classifier.
    pub fc2: Linear,
    /// Dropout probability.
    pub dropout: f64,
}

impl DigitsCnn {
    /// Builds the network with seeded PyTorch-default initialisation.
    pub fn new(cfg: &DigitsCnnCfg, device: &Device, rng: &mut StdRng) -> Self {
        let [c1, c2] = cfg.channels;
        Self {
            conv1: init::conv2d(1, c1, 3, rng, device),
            conv2: init::conv2d(c1, c2, 3, rng, device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: init::linear(c2 * 4, cfg.hidden, rng, device),
            fc2: init::linear(cfg.hidden, cfg.num_classes, rng, device),
            dropout: cfg.dropout,
        }
    }

    /// Class scores for `x` `[n, 64]` (8×8 images, flattened).
    pub fn forward(&self, x: Tensor<2>, rng: Option<&mut StdRng>) -> Tensor<2> {
        let [n, _] = x.dims();
        let x: Tensor<4> = x.reshape([n, 1, 8, 8]);
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        let mut x = relu(self.fc1.forward(x));
        if let Some(rng) = rng {
            x = init::dropout(x, self.dropout, rng);
        }
        self.fc2.forward(x)
    }
}

impl Model for DigitsCnn {
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

/// The builder of a checked `DigitsCnnCfg` (see [`super::spec`]).
pub fn builder(
    cfg: DigitsCnnCfg,
) -> impl Fn(&Device, &mut StdRng) -> DigitsCnn + Send + Sync + use<> {
    move |device: &Device, rng: &mut StdRng| DigitsCnn::new(&cfg, device, rng)
}
