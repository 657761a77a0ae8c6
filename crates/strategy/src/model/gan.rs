//! `GAN2d`: a generator and a discriminator for 2-D points, trained with two
//! optimizers (`optim_wrapper.generator`, `optim_wrapper.discriminator`): the
//! seed's multi-optimizer example.
//!
//! Each iteration updates the discriminator on real points and detached fakes
//! (`loss_d`, binary cross-entropy), then the generator to fool it (`loss_g`, the
//! non-saturating loss). Validation draws as many fakes as the batch has real points:
//! the `SampleDistance` metric compares the two clouds.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::RngExt;
use rand::rngs::StdRng;

use super::mlp::{LossCfg, Mlp};
pub use super::spec::Gan2dCfg;
use super::{LossTensors, Model, StepContext};
use crate::base::{ConfigError, KeyPath};
use crate::data::loader::Batch;
use crate::optim::config::OptimWrapperConfig;
use crate::optim::wrapper::OptimWrapper;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// The two networks; parameters `generator.layers.*` and `discriminator.layers.*`.
#[derive(Module, Debug)]
pub struct Gan2d {
    /// Noise `[n, latent_dim]` → points `[n, 2]`.
    pub generator: Mlp,
    /// Points `[n, 2]` → a real-vs-fake logit `[n, 1]`.
    pub discriminator: Mlp,
    /// Size of the noise input.
    pub latent_dim: usize,
}

/// Standard normal noise `[n, d]` from the run's stream (Box–Muller).
pub fn gaussian_noise(n: usize, d: usize, rng: &mut StdRng, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..n * d)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [n, d]), device)
}

/// Mean binary cross-entropy of `logits` against a constant `target` (0 or 1),
/// computed stably: `max(x, 0) − x·t + log(1 + e^−|x|)`.
pub fn bce_with_logits(logits: Tensor<2>, target: f64) -> Tensor<1> {
    let logits = logits.cast(burn::tensor::FloatDType::F32);
    let softplus_term = logits.clone().abs().neg().exp().add_scalar(1.0).log();
    (logits.clone().clamp_min(0.0) - logits.mul_scalar(target) + softplus_term).mean()
}

impl Gan2d {
    /// Builds both networks with seeded PyTorch-default initialisation.
    pub fn new(cfg: &Gan2dCfg, device: &Device, rng: &mut StdRng) -> Self {
        let net = |i, o, rng: &mut StdRng| {
            let mut sizes = vec![i];
            sizes.extend(&cfg.hidden_sizes);
            sizes.push(o);
            Mlp::new(
                &sizes,
                cfg.activation,
                0.0,
                LossCfg::CrossEntropyLoss,
                device,
                rng,
            )
        };
        Self {
            generator: net(cfg.latent_dim, 2, rng),
            discriminator: net(2, 1, rng),
            latent_dim: cfg.latent_dim,
        }
    }
}

impl Model for Gan2d {
    fn train_step(
        self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> (Self, LossTensors) {
        let device = batch.inputs.device();
        let Gan2d {
            generator,
            discriminator,
            latent_dim,
        } = self;
        let z = gaussian_noise(batch.len, latent_dim, &mut ctx.rng, &device);
        let fake = generator.forward(z, None).detach();
        let loss_d = bce_with_logits(discriminator.forward(batch.inputs.clone(), None), 1.0)
            + bce_with_logits(discriminator.forward(fake, None), 0.0);
        let logged_d = loss_d.clone().detach();
        let discriminator = optim.update_params_of("discriminator", loss_d, discriminator);

        let z = gaussian_noise(batch.len, latent_dim, &mut ctx.rng, &device);
        let loss_g = bce_with_logits(discriminator.forward(generator.forward(z, None), None), 1.0);
        let logged_g = loss_g.clone().detach();
        let generator = optim.update_params_of("generator", loss_g, generator);
        (
            Gan2d {
                generator,
                discriminator,
                latent_dim,
            },
            vec![
                ("loss".to_string(), logged_d.clone() + logged_g.clone()),
                ("loss_d".to_string(), logged_d),
                ("loss_g".to_string(), logged_g),
            ],
        )
    }

    fn val_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2> {
        let device = batch.inputs.device();
        let z = gaussian_noise(batch.len, self.latent_dim, &mut ctx.rng, &device);
        self.generator.forward(z, None)
    }

    fn build_optim_wrapper(
        &self,
        cfg: &OptimWrapperConfig,
        path: &KeyPath,
    ) -> Result<OptimWrapperDict, ConfigError> {
        let OptimWrapperConfig::Multi { wrappers, .. } = cfg else {
            return Err(path.error(
                "GAN2d trains two networks: give `optim_wrapper.generator` and `optim_wrapper.discriminator` (and `constructor`)",
            ));
        };
        let mut built = Vec::new();
        for (name, spec) in wrappers {
            let wrapper = match name.as_str() {
                "generator" => OptimWrapper::new(spec.clone(), &self.generator),
                "discriminator" => OptimWrapper::new(spec.clone(), &self.discriminator),
                other => {
                    return Err(path.key(other).error(
                        "GAN2d has no part of that name: expected `generator` and `discriminator`",
                    ));
                }
            };
            built.push((name.clone(), wrapper));
        }
        for part in ["discriminator", "generator"] {
            if !built.iter().any(|(n, _)| n == part) {
                return Err(path
                    .key(part)
                    .error("missing: GAN2d needs an optimizer for each network"));
            }
        }
        Ok(OptimWrapperDict::named(built))
    }
}

/// The builder of a checked `Gan2dCfg` (see [`super::spec`]).
pub fn builder(cfg: Gan2dCfg) -> impl Fn(&Device, &mut StdRng) -> Gan2d + Send + Sync + use<> {
    move |device: &Device, rng: &mut StdRng| Gan2d::new(&cfg, device, rng)
}
