//! The activations an `MLP` config can name.

use burn::tensor::Tensor;
use burn::tensor::activation;
use serde::{Deserialize, Serialize};

/// `activation = "relu" | "tanh" | "sigmoid" | "gelu" | "linear"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    #[default]
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// The exact (erf) GELU.
    Gelu,
    /// The identity (TensorFlow Playground's "Linear").
    Linear,
}

impl Activation {
    /// Applies the activation.
    pub fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Relu => activation::relu(x),
            Self::Tanh => activation::tanh(x),
            Self::Sigmoid => activation::sigmoid(x),
            Self::Gelu => activation::gelu(x),
            Self::Linear => x,
        }
    }
}
