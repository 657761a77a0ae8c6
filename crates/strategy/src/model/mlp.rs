//! `MLP`: a multilayer perceptron classifier, TensorFlow Playground's network.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::loss::CrossEntropyLoss;
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::activation::Activation;
use super::{LossTensors, Model, StepContext, check_dropout, check_widths, init, parse_cfg};
use crate::config::{ConfigError, KeyPath};
use crate::data::loader::Batch;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// The `MLP` config table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpCfg {
    /// `"MLP"`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Input features (2 for the 2-D sets, 64 for digits).
    pub in_features: usize,
    /// Width of each hidden layer (may be empty: logistic regression).
    #[serde(default)]
    pub hidden_sizes: Vec<usize>,
    /// Output classes.
    pub num_classes: usize,
    /// Hidden activation.
    #[serde(default)]
    pub activation: Activation,
    /// Dropout probability after each hidden activation (training only).
    #[serde(default)]
    pub dropout: f64,
}

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

/// Checks an `MLP` table and returns its builder.
pub fn parse(
    dict: &Map<String, Value>,
    path: &KeyPath,
) -> Result<impl Fn(&Device, &mut StdRng) -> Mlp + Send + Sync + use<>, ConfigError> {
    let cfg: MlpCfg = parse_cfg(dict, path)?;
    if cfg.in_features == 0 {
        return Err(path
            .key("in_features")
            .error("expected a positive number of features, got 0"));
    }
    if cfg.num_classes < 2 {
        return Err(path.key("num_classes").error(format!(
            "expected at least 2 classes, got {}",
            cfg.num_classes
        )));
    }
    check_widths(&cfg.hidden_sizes, &path.key("hidden_sizes"))?;
    check_dropout(cfg.dropout, &path.key("dropout"))?;
    Ok(move |device: &Device, rng: &mut StdRng| Mlp::new(&cfg, device, rng))
}
