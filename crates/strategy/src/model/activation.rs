//! The activations an `MLP` config can name.

pub use super::spec::Activation;
use burn::tensor::Tensor;
use burn::tensor::activation;

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
