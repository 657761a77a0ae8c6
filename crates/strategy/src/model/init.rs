//! Seeded parameter initialisation on the host, PyTorch's defaults: a layer's weight
//! and bias are uniform in `±1/sqrt(fan_in)` (what `nn.Linear` and `nn.Conv2d` do).
//!
//! Values come from the run's own [`StdRng`], not a backend's generator, so the same
//! seed gives the same initial weights on the CPU backend, wgpu and WebGPU, and tests
//! running in parallel threads cannot disturb each other's streams.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};
use rand::RngExt;
use rand::rngs::StdRng;

/// A parameter of `shape`, uniform in `[-bound, bound)`, requiring gradients.
pub fn uniform<const D: usize>(
    shape: [usize; D],
    bound: f64,
    rng: &mut StdRng,
    device: &Device,
) -> Param<Tensor<D>> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
        .collect();
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device).require_grad())
}

/// A fully connected layer `d_in → d_out` (burn's layout: weight `[d_in, d_out]`).
pub fn linear(d_in: usize, d_out: usize, rng: &mut StdRng, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out).init(device);
    let bound = 1.0 / (d_in as f64).sqrt();
    layer.weight = uniform([d_in, d_out], bound, rng, device);
    layer.bias = Some(uniform([d_out], bound, rng, device));
    layer
}

/// A `k×k` convolution `c_in → c_out` with `same` padding.
pub fn conv2d(c_in: usize, c_out: usize, k: usize, rng: &mut StdRng, device: &Device) -> Conv2d {
    let mut layer = Conv2dConfig::new([c_in, c_out], [k, k])
        .with_padding(PaddingConfig2d::Same)
        .init(device);
    let bound = 1.0 / ((c_in * k * k) as f64).sqrt();
    layer.weight = uniform([c_out, c_in, k, k], bound, rng, device);
    layer.bias = Some(uniform([c_out], bound, rng, device));
    layer
}

/// Inverted dropout with a host-drawn mask: zeroes each element with probability
/// `p` and scales the rest by `1/(1-p)`; the identity when `p == 0`.
pub fn dropout<const D: usize>(x: Tensor<D>, p: f64, rng: &mut StdRng) -> Tensor<D> {
    if p <= 0.0 {
        return x;
    }
    let shape = x.shape();
    let n = shape.num_elements();
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..n)
        .map(|_| {
            if rng.random::<f64>() < keep {
                (1.0 / keep) as f32
            } else {
                0.0
            }
        })
        .collect();
    let mask: Tensor<D> = Tensor::from_data(TensorData::new(mask, shape), &x.device());
    let mask = mask.cast(x.dtype());
    x * mask
}

/// A parameter of `shape`, normal with mean 0 and standard deviation `std` (the
/// Box–Muller transform of the run's uniform stream), requiring gradients: GPT-2's
/// initialisation.
pub fn normal<const D: usize>(
    shape: [usize; D],
    std: f64,
    rng: &mut StdRng,
    device: &Device,
) -> Param<Tensor<D>> {
    let n: usize = shape.iter().product();
    let mut values: Vec<f32> = Vec::with_capacity(n + 1);
    while values.len() < n {
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt() * std;
        let theta = std::f64::consts::TAU * u2;
        values.push((r * theta.cos()) as f32);
        values.push((r * theta.sin()) as f32);
    }
    values.truncate(n);
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device).require_grad())
}

/// A parameter of `shape` filled with `value`, requiring gradients.
pub fn constant<const D: usize>(
    shape: [usize; D],
    value: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    let n: usize = shape.iter().product();
    Param::from_tensor(
        Tensor::from_data(TensorData::new(vec![value; n], shape), device).require_grad(),
    )
}

/// A fully connected layer `d_in → d_out`, weight normal(0, `std`), bias zero (or
/// none): GPT-2's initialisation.
pub fn normal_linear(
    d_in: usize,
    d_out: usize,
    std: f64,
    bias: bool,
    rng: &mut StdRng,
    device: &Device,
) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out).with_bias(bias).init(device);
    layer.weight = normal([d_in, d_out], std, rng, device);
    layer.bias = bias.then(|| constant([d_out], 0.0, device));
    layer
}
