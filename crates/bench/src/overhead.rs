//! Strategy overhead: one training iteration of each preset through the whole
//! strategy (`Runner`: data, `OptimWrapper`, schedulers, hooks, message hub, logging)
//! against a bare burn loop doing the same work in the same process (same model and
//! weights, same batches, forward, loss, backward, the same optimizer arithmetic, a
//! loss read-back every 10 iterations as a loop that logs does, gradient clipping
//! where the preset clips) on the CPU backend, interleaved blocks.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Gradients, Tensor};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::model::Model;
use playground_strategy::model::gan::{Gan2d, bce_with_logits, gaussian_noise};
use playground_strategy::model::mlp::cross_entropy;
use playground_strategy::model::spec::ModelSpec;
use playground_strategy::optim::algorithm::{ParamState, update};
use playground_strategy::optim::config::{ClipGrad, OptimWrapperConfig, OptimizerSpec};
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::scheduler::ParamGroup;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::rows::Row;
use crate::stats::interleaved;
use crate::train::workspace_root;

const BLOCK: usize = 50;

/// The optimizer step with nothing around it: `update` on every parameter, with the
/// gradients scaled by `coef` (clipping) when given.
struct Bare<'a> {
    spec: &'a OptimizerSpec,
    group: &'a ParamGroup,
    grads: &'a Gradients,
    coef: Option<Tensor<1>>,
    state: &'a mut HashMap<ParamId, ParamState>,
}

impl ModuleMapper for Bare<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(grad) = param.val().grad(self.grads) else {
            return param;
        };
        let (id, tensor, mapper) = param.consume();
        let shape = tensor.shape();
        let n = shape.num_elements();
        let mut grad: Tensor<1> = grad.reshape([n]);
        if let Some(c) = &self.coef {
            grad = grad * c.clone();
        }
        let state = self.state.entry(id).or_default();
        let new = update(
            self.spec,
            self.group,
            state,
            tensor.inner().reshape([n]),
            grad,
        );
        Param::from_mapped_value(
            id,
            Tensor::from_inner(new.reshape(shape)).require_grad(),
            mapper,
        )
    }
}

/// Collects every gradient's L2 norm (for clipping by norm, as the digits preset does).
struct Norms<'a> {
    grads: &'a Gradients,
    out: Vec<Tensor<1>>,
}

impl burn::module::ModuleVisitor for Norms<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = param.val().grad(self.grads) {
            let n = g.shape().num_elements();
            let g: Tensor<1> = g.reshape([n]);
            self.out.push(g.powf_scalar(2.0).sum().sqrt());
        }
    }
}

fn bare_step<M: Module>(
    m: M,
    loss: Tensor<1>,
    spec: &OptimizerSpec,
    group: &ParamGroup,
    max_norm: Option<f64>,
    state: &mut HashMap<ParamId, ParamState>,
) -> M {
    let grads = loss.backward();
    let coef = max_norm.map(|max_norm| {
        let mut norms = Norms {
            grads: &grads,
            out: Vec::new(),
        };
        m.visit(&mut norms);
        let total = Tensor::cat(norms.out, 0).powf_scalar(2.0).sum().sqrt();
        total
            .add_scalar(1e-6)
            .recip()
            .mul_scalar(max_norm)
            .clamp_max(1.0)
    });
    m.map(&mut Bare {
        spec,
        group,
        grads: &grads,
        coef,
        state,
    })
}

/// The preset without validation and without an end within the benchmark: the bare
/// loop validates nothing, so neither may the Runner (the digits preset validates after
/// every epoch of 23 iterations, which once made the strategy look 13 % slower).
fn config(name: &str) -> Result<ExperimentConfig> {
    let path = workspace_root().join("public/configs").join(name);
    let options: Vec<String> = if name.starts_with("gan") {
        vec![
            "train_cfg.max_iters=100000000".into(),
            "train_cfg.val_interval=100000000".into(),
        ]
    } else {
        crate::train::EPOCH_OPTIONS
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    ExperimentConfig::load(&path, &options, &Registries::default())
        .with_context(|| format!("loading {}", path.display()))
}

fn cpu_runner(cfg: ExperimentConfig) -> Result<Runner> {
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            write_files: false,
            ..RunnerOptions::default()
        },
    ))
    .context("building the runner")
}

/// The training batches in the Runner's order: each epoch's shuffle, batch by batch.
struct Batches {
    loader: playground_strategy::data::loader::DataLoader,
    device: burn::tensor::Device,
    order: Vec<usize>,
    step: usize,
}

impl Batches {
    fn new(
        loader: playground_strategy::data::loader::DataLoader,
        device: burn::tensor::Device,
    ) -> Self {
        Self {
            order: loader.epoch_order(0),
            loader,
            device,
            step: 0,
        }
    }

    /// The next batch, and whether the loss should be read back (every 10th step).
    fn next(&mut self) -> (playground_strategy::data::loader::Batch, bool) {
        let i = self.step % self.loader.len();
        if i == 0 {
            let epoch = (self.step / self.loader.len()) as u64;
            self.order = self.loader.epoch_order(epoch);
        }
        let read_loss = self.step % 10 == 9;
        self.step += 1;
        (self.loader.batch(&self.order, i, &self.device), read_loss)
    }
}

/// Time per iteration of the strategy and of the bare loop, interleaved.
fn measure(
    name: &str,
    rounds: usize,
    mut bare_block: impl FnMut(usize) -> f64,
) -> Result<(f64, f64)> {
    let mut runner = cpu_runner(config(name)?)?;
    interleaved(
        rounds,
        || -> Result<f64> {
            let t = Instant::now();
            for _ in 0..BLOCK {
                pollster::block_on(runner.train_iter()).context("our training iteration")?;
            }
            Ok(t.elapsed().as_secs_f64() / BLOCK as f64)
        },
        || Ok(bare_block(BLOCK)),
    )
}

fn single(cfg: &ExperimentConfig) -> Result<(OptimizerSpec, Option<f64>)> {
    match cfg.optim_wrapper.clone() {
        Some(OptimWrapperConfig::Single(s)) => Ok((
            s.optimizer,
            match s.clip_grad {
                Some(ClipGrad::Norm { max_norm, .. }) => Some(max_norm),
                _ => None,
            },
        )),
        _ => anyhow::bail!("the preset should have one optimizer"),
    }
}

fn classifier(name: &str, rounds: usize) -> Result<(f64, f64)> {
    let cfg = config(name)?;
    // The bare side builds the same model (same registry, same seed) and batches.
    let runner = cpu_runner(cfg.clone())?;
    let device = runner.strategy.train_device();
    let loader = runner.train_loader.clone();
    let (spec, max_norm) = single(&cfg)?;
    let mut rng = StdRng::seed_from_u64(0);
    match cfg.model.context("the preset has a model")? {
        ModelSpec::Mlp(cfg) => {
            let sizes = cfg
                .sizes(&playground_strategy::base::KeyPath::root().key("model"))
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let model = playground_strategy::model::mlp::Mlp::new(
                &sizes,
                cfg.activation,
                cfg.dropout,
                playground_strategy::model::mlp::LossCfg::CrossEntropyLoss,
                &device,
                &mut rng,
            );
            bare_classifier(name, rounds, model, loader, device, spec, max_norm)
        }
        ModelSpec::DigitsCnn(cfg) => {
            let model = playground_strategy::model::cnn::DigitsCnn::new(&cfg, &device, &mut rng);
            bare_classifier(name, rounds, model, loader, device, spec, max_norm)
        }
        other => anyhow::bail!("{name}: no bare loop for a {} model", other.type_name()),
    }
}

/// The bare loop for a classifier (its training forward is `predict` without dropout,
/// as the presets use none), measured against the strategy on preset `name`.
fn bare_classifier<M: Model>(
    name: &str,
    rounds: usize,
    mut model: M,
    loader: playground_strategy::data::loader::DataLoader,
    device: burn::tensor::Device,
    spec: OptimizerSpec,
    max_norm: Option<f64>,
) -> Result<(f64, f64)> {
    let group = spec.initial_group();
    let mut state = HashMap::new();
    let mut batches = Batches::new(loader, device);
    measure(name, rounds, move |n| {
        let t = Instant::now();
        for _ in 0..n {
            let (batch, read_loss) = batches.next();
            let Some(logits) = model.predict(batch.inputs.clone()) else {
                return f64::NAN;
            };
            let loss = cross_entropy(logits, &batch);
            if read_loss {
                let _ = loss.clone().into_scalar::<f32>();
            }
            model = bare_step(model.clone(), loss, &spec, &group, max_norm, &mut state);
        }
        t.elapsed().as_secs_f64() / n as f64
    })
}

fn gan(rounds: usize) -> Result<(f64, f64)> {
    let cfg = config("gan_2d.toml")?;
    let runner = cpu_runner(cfg.clone())?;
    let device = runner.strategy.train_device();
    let loader = runner.train_loader.clone();
    let specs: Vec<OptimizerSpec> = match cfg.optim_wrapper.clone() {
        Some(OptimWrapperConfig::Multi { wrappers, .. }) => {
            wrappers.into_iter().map(|(_, w)| w.optimizer).collect()
        }
        _ => anyhow::bail!("the GAN preset should have two optimizers"),
    };
    anyhow::ensure!(
        specs.len() == 2,
        "the GAN preset should have two optimizers"
    );
    let (spec_d, spec_g) = (specs[0].clone(), specs[1].clone());
    let (group_d, group_g) = (spec_d.initial_group(), spec_g.initial_group());
    let Some(ModelSpec::Gan2d(gcfg)) = cfg.model.clone() else {
        anyhow::bail!("the GAN preset should have a GAN2d model");
    };
    let mut rng = StdRng::seed_from_u64(0);
    let model = Gan2d::new(&gcfg, &device, &mut rng);
    let (mut g, mut d) = (model.generator, model.discriminator);
    let (mut sd, mut sg) = (HashMap::new(), HashMap::new());
    let mut batches = Batches::new(loader, device.clone());
    measure("gan_2d.toml", rounds, move |n| {
        let t = Instant::now();
        for _ in 0..n {
            let (batch, read_loss) = batches.next();
            let z = gaussian_noise(batch.len, gcfg.latent_dim, &mut rng, &device);
            let fake = g.forward(z, None).detach();
            let loss_d = bce_with_logits(d.forward(batch.inputs.clone(), None), 1.0)
                + bce_with_logits(d.forward(fake, None), 0.0);
            d = bare_step(d.clone(), loss_d.clone(), &spec_d, &group_d, None, &mut sd);
            let z = gaussian_noise(batch.len, gcfg.latent_dim, &mut rng, &device);
            let loss_g = bce_with_logits(d.forward(g.forward(z, None), None), 1.0);
            if read_loss {
                let _ = (loss_d + loss_g.clone()).into_scalar::<f32>();
            }
            g = bare_step(g.clone(), loss_g, &spec_g, &group_g, None, &mut sg);
        }
        t.elapsed().as_secs_f64() / n as f64
    })
}

/// Grid sides of the web app's views (`web/src/worker/session.rs`).
const BOUNDARY_GRID: usize = 32;
const NEURON_GRID: usize = 12;

/// How often the worker recomputes the views while training
/// (`web/src/worker/session.rs`, `VIEWS_EVERY_MS`).
const VIEWS_EVERY_MS: f64 = 200.0;
/// Seconds of training per measured block.
const VIEW_BLOCK_S: f64 = 1.0;

/// Microseconds per iteration over a block of about a second of training, with the
/// views recomputed whenever `views` is set and [`VIEWS_EVERY_MS`] have passed, as the
/// worker does between its chunks.
fn view_block(runner: &mut Runner, views: bool) -> Result<f64> {
    let t = Instant::now();
    let mut last = Instant::now();
    let mut n = 0usize;
    let mut computed = 0usize;
    while t.elapsed().as_secs_f64() < VIEW_BLOCK_S {
        pollster::block_on(runner.train_iter()).context("training")?;
        n += 1;
        if views && last.elapsed().as_secs_f64() * 1000.0 >= VIEWS_EVERY_MS {
            let regions = pollster::block_on(runner.decision_boundary(BOUNDARY_GRID));
            let units = pollster::block_on(runner.neuron_views(NEURON_GRID));
            anyhow::ensure!(
                regions.is_some() && units.is_some(),
                "the views are computed"
            );
            last = Instant::now();
            computed += 1;
        }
    }
    anyhow::ensure!(
        !views || computed >= 4,
        "the views ran {computed} times in a block"
    );
    Ok(t.elapsed().as_secs_f64() / n as f64)
}

/// Training the spiral preset with the web app's live views (decision regions and
/// every unit's map, read back, five times a second) against the same training
/// without them.
fn views(rounds: usize) -> Result<(f64, f64)> {
    let mut with = cpu_runner(config("spiral_mlp.toml")?)?;
    let mut without = cpu_runner(config("spiral_mlp.toml")?)?;
    interleaved(
        rounds,
        || view_block(&mut with, true),
        || view_block(&mut without, false),
    )
}

/// The three presets, the strategy against the bare loop; the web app's views against
/// training without them.
pub fn run(rounds: usize, machine: &str) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    eprintln!("bench: [strategy overhead] the web app's views");
    let (ours, plain) = views(rounds)?;
    rows.push(Row {
        group: "strategy overhead".into(),
        workload: format!(
            "`spiral_mlp` preset: training with the web app's live views every {VIEWS_EVERY_MS} ms (decision regions {BOUNDARY_GRID}², every input's and hidden unit's map {NEURON_GRID}², read back)"
        ),
        ours: ours * 1e6,
        peer: "the same training without the views (target: at most 10 % slower)".into(),
        peer_value: Some(plain * 1e6),
        unit: "µs/iter".into(),
        higher_is_better: false,
        machine: format!("{machine}; CPU backend"),
        note: format!(
            "median of {rounds} interleaved blocks of {VIEW_BLOCK_S} s of training; the worker recomputes the views between chunks when {VIEWS_EVERY_MS} ms have passed (and when a run is built, paused or finished). Computing them after every chunk of 50 iterations, as a first version did, made training 0.79× as fast"
        ),
    });
    for preset in ["spiral_mlp", "digits_cnn", "gan_2d"] {
        eprintln!("bench: [strategy overhead] {preset}");
        let (ours, bare) = match preset {
            "gan_2d" => gan(rounds)?,
            _ => classifier(&format!("{preset}.toml"), rounds)?,
        };
        rows.push(Row {
            group: "strategy overhead".into(),
            workload: format!("`{preset}` preset: one training iteration through the Runner"),
            ours: ours * 1e6,
            peer: "a bare burn loop doing the same work (same model, weights, batches, optimizer arithmetic, clipping)".into(),
            peer_value: Some(bare * 1e6),
            unit: "µs/iter".into(),
            higher_is_better: false,
            machine: format!("{machine}; CPU backend"),
            note: format!("median of {rounds} interleaved blocks of {BLOCK} iterations after a warm-up block"),
        });
    }
    Ok(rows)
}
