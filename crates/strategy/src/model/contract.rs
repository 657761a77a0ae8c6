//! The model contract (`Model`, `DynModel`), the holder that gives a `Model` the
//! object-safe face, and the runtime model registry (with a tensor backend).

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use rand::rngs::StdRng;
use serde_json::{Map, Value};

pub use super::named::{NamedTensor, StateDictReport};

use super::spec::ModelSpec;
use super::{cnn, gan, gpt, gru, mlp, named};
use crate::base::registry::Registry;
use crate::base::{ConfigError, KeyPath};
use crate::data::loader::Batch;
use crate::optim::config::OptimWrapperConfig;
use crate::optim::wrapper::OptimWrapper;
use crate::optim::wrapper_dict::OptimWrapperDict;

/// Randomness a step may draw (dropout masks, a GAN's noise): the run's seeded stream.
#[derive(Debug)]
pub struct StepContext {
    /// The run's random stream, seeded from `randomness.seed`.
    pub rng: StdRng,
}

/// Named scalar losses a training step reports (MMEngine's `log_vars`), still on the
/// device: the loop reads them back (asynchronously) only when a hook needs them.
pub type LossTensors = Vec<(String, Tensor<1>)>;

/// A trainable model: a burn module with MMEngine's step methods.
///
/// `train_step` consumes the model and returns it updated, because a burn optimizer
/// step maps the module's parameters; it calls `optim.update_params` (or its parts)
/// itself, as MMEngine's `BaseModel.train_step` does.
pub trait Model: Module + std::fmt::Display + 'static {
    /// One training iteration on `batch`: forward, loss, update through `optim`.
    fn train_step(
        self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> (Self, LossTensors);

    /// Outputs for the evaluator on a validation batch (class scores `[batch,
    /// classes]` for a classifier). Called on the model in validation mode with the
    /// batch on the non-autodiff device.
    fn val_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2>;

    /// Outputs on a test batch; the same as [`Model::val_step`] unless overridden.
    fn test_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2> {
        self.val_step(batch, ctx)
    }

    /// Class scores for raw inputs `[n, features]` (the web app's decision
    /// boundary); `None` for a model that does not classify.
    fn predict(&self, _inputs: Tensor<2>) -> Option<Tensor<2>> {
        None
    }

    /// Every hidden layer's activations for inputs `[n, features]`, `[n, width]` per
    /// layer (the web app's neuron grid); `None` for a model without such layers.
    fn hidden_activations(&self, _inputs: Tensor<2>) -> Option<Vec<Tensor<2>>> {
        None
    }

    /// The weight matrices between consecutive layers, `[in, out]` each, input to
    /// output; `None` unless the model is a stack of dense layers.
    fn dense_weights(&self) -> Option<Vec<Tensor<2>>> {
        None
    }

    /// Next-token scores `[b, t, vocab]` for token ids `[b, t]` (generation, the
    /// samples view); `None` for a model that does not read token sequences.
    fn token_logits(&self, _ids: Tensor<2, Int>) -> Option<Tensor<3>> {
        None
    }

    /// Every layer's attention weights `[b, heads, t, t]` for token ids `[b, t]` (the
    /// attention view); `None` for a model without attention.
    fn attention_maps(&self, _ids: Tensor<2, Int>) -> Option<Vec<Tensor<4>>> {
        None
    }

    /// The longest context the model reads (its learned positions); `None`: any.
    fn context_len(&self) -> Option<usize> {
        None
    }

    /// The optimizer wrappers for this model. The default builds one wrapper over
    /// every parameter and refuses several optimizers: a model with named parts
    /// (a GAN) overrides it, as MMEngine's multi-optimizer constructors do.
    fn build_optim_wrapper(
        &self,
        cfg: &OptimWrapperConfig,
        path: &KeyPath,
    ) -> Result<OptimWrapperDict, ConfigError> {
        match cfg {
            OptimWrapperConfig::Single(spec) => Ok(OptimWrapperDict::single(OptimWrapper::new(
                spec.clone(),
                self,
            ))),
            OptimWrapperConfig::Multi { wrappers, .. } => Err(path.error(format!(
                "this model has one set of parameters; it cannot take the {} optimizers {}",
                wrappers.len(),
                wrappers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// The object-safe face of a [`Model`]: what the strategy, the loops and the faces use.
pub trait DynModel: Send {
    /// See [`Model::train_step`].
    fn train_step(
        &mut self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> LossTensors;
    /// Completes the optimizer steps `train_step` left waiting for their inf/NaN flags
    /// (mixed precision in the browser), with the flags read back
    /// ([`OptimWrapperDict::pending_flags`]).
    fn finish_pending(&mut self, optim: &mut OptimWrapperDict, flags: &[(usize, bool)]);
    /// See [`Model::val_step`]; switches to validation mode itself.
    fn val_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2>;
    /// See [`Model::test_step`]; switches to validation mode itself.
    fn test_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2>;
    /// See [`Model::predict`]; runs in validation mode.
    fn predict(&self, inputs: Tensor<2>) -> Option<Tensor<2>>;
    /// See [`Model::hidden_activations`]; runs in validation mode.
    fn hidden_activations(&self, inputs: Tensor<2>) -> Option<Vec<Tensor<2>>>;
    /// See [`Model::dense_weights`].
    fn dense_weights(&self) -> Option<Vec<Tensor<2>>>;
    /// See [`Model::token_logits`]; runs in validation mode.
    fn token_logits(&self, ids: Tensor<2, Int>) -> Option<Tensor<3>>;
    /// See [`Model::attention_maps`]; runs in validation mode.
    fn attention_maps(&self, ids: Tensor<2, Int>) -> Option<Vec<Tensor<4>>>;
    /// See [`Model::context_len`].
    fn context_len(&self) -> Option<usize>;
    /// See [`Model::build_optim_wrapper`].
    fn build_optim_wrapper(
        &self,
        cfg: &OptimWrapperConfig,
        path: &KeyPath,
    ) -> Result<OptimWrapperDict, ConfigError>;
    /// Number of scalar parameters.
    fn num_params(&self) -> usize;
    /// burn's description of the module tree.
    fn summary(&self) -> String;
    /// Every float parameter, by dotted name, flattened, on the device.
    fn state_tensors(&self) -> Vec<(String, Vec<usize>, Tensor<1>)>;
    /// Replaces parameters by name from host values; reports missing, unexpected and
    /// mis-shaped names (nothing is changed for those).
    fn load_state(&mut self, entries: &[NamedTensor]) -> StateDictReport;
    /// Every float parameter in module order, flattened, on the device's inner
    /// (non-autodiff) backend.
    fn flat_params(&self) -> Vec<Tensor<1>>;
    /// Replaces the parameters in module order (ids and trainability kept).
    fn set_flat_params(&mut self, values: &[Tensor<1>]);
    /// Moves the model to `device`, its parameters still trainable (burn's `fork`).
    fn to_device(&mut self, device: &Device);
    /// A copy on `device` with the same parameters (and parameter ids), trainable: a
    /// data-parallel rank's replica.
    fn replica(&self, device: &Device) -> Box<dyn DynModel>;
}

/// Holds a [`Model`] and gives it the [`DynModel`] face.
#[derive(Debug)]
pub struct ModelCell<M: Model> {
    model: Option<M>,
}

impl<M: Model> ModelCell<M> {
    /// Wraps `model`.
    pub fn new(model: M) -> Self {
        Self { model: Some(model) }
    }

    /// The model.
    pub fn get(&self) -> &M {
        // Only `train_step` takes the model out, and it always puts it back.
        self.model.as_ref().expect("model present between steps")
    }
}

impl<M: Model> DynModel for ModelCell<M> {
    fn train_step(
        &mut self,
        batch: &Batch,
        optim: &mut OptimWrapperDict,
        ctx: &mut StepContext,
    ) -> LossTensors {
        let model = self.model.take().expect("model present between steps");
        let (model, losses) = match optim.compute_dtype() {
            None => model.train_step(batch, optim, ctx),
            // Mixed precision: a low-precision copy trains (same parameter ids); the
            // wrappers update the f32 masters, which become the model again.
            Some(dtype) => {
                let masters = named::params_by_id(&model);
                optim.begin_amp(&masters);
                let low = named::set_params_by_id(model, &masters, Some(dtype));
                let batch = batch.with_inputs_in(dtype);
                let (low, losses) = low.train_step(&batch, optim, ctx);
                let masters = optim.end_amp(masters);
                (named::set_params_by_id(low, &masters, None), losses)
            }
        };
        self.model = Some(model);
        losses
    }

    fn finish_pending(&mut self, optim: &mut OptimWrapperDict, flags: &[(usize, bool)]) {
        let model = self.model.take().expect("model present between steps");
        self.model = Some(optim.finish_pending(model, flags));
    }

    fn val_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2> {
        let valid = self.get().valid();
        Model::val_step(&valid, batch, ctx)
    }

    fn test_step(&self, batch: &Batch, ctx: &mut StepContext) -> Tensor<2> {
        let valid = self.get().valid();
        Model::test_step(&valid, batch, ctx)
    }

    fn predict(&self, inputs: Tensor<2>) -> Option<Tensor<2>> {
        self.get().valid().predict(inputs)
    }

    fn hidden_activations(&self, inputs: Tensor<2>) -> Option<Vec<Tensor<2>>> {
        self.get().valid().hidden_activations(inputs)
    }

    fn dense_weights(&self) -> Option<Vec<Tensor<2>>> {
        self.get().valid().dense_weights()
    }

    fn token_logits(&self, ids: Tensor<2, Int>) -> Option<Tensor<3>> {
        self.get().valid().token_logits(ids)
    }

    fn attention_maps(&self, ids: Tensor<2, Int>) -> Option<Vec<Tensor<4>>> {
        self.get().valid().attention_maps(ids)
    }

    fn context_len(&self) -> Option<usize> {
        self.get().context_len()
    }

    fn build_optim_wrapper(
        &self,
        cfg: &OptimWrapperConfig,
        path: &KeyPath,
    ) -> Result<OptimWrapperDict, ConfigError> {
        self.get().build_optim_wrapper(cfg, path)
    }

    fn num_params(&self) -> usize {
        self.get().num_params()
    }

    fn summary(&self) -> String {
        format!("{}", self.get())
    }

    fn state_tensors(&self) -> Vec<(String, Vec<usize>, Tensor<1>)> {
        named::collect(self.get())
    }

    fn load_state(&mut self, entries: &[NamedTensor]) -> StateDictReport {
        let model = self.model.take().expect("model present between steps");
        let (model, report) = named::load(model, entries);
        self.model = Some(model);
        report
    }

    fn flat_params(&self) -> Vec<Tensor<1>> {
        named::flat_params(self.get())
    }

    fn set_flat_params(&mut self, values: &[Tensor<1>]) {
        let model = self.model.take().expect("model present between steps");
        self.model = Some(named::set_flat_params(model, values));
    }

    fn to_device(&mut self, device: &Device) {
        let model = self.model.take().expect("model present between steps");
        // `fork`, not `to_device`: the parameters stay trainable leaves there.
        self.model = Some(model.fork(device));
    }

    fn replica(&self, device: &Device) -> Box<dyn DynModel> {
        Box::new(ModelCell::new(self.get().clone().fork(device)))
    }
}

/// Builds a model on a device from the run's random stream (for initial weights).
pub type ModelFactory = Arc<dyn Fn(&Device, &mut StdRng) -> Box<dyn DynModel> + Send + Sync>;

/// Registers a model type: `parse` checks the config table (its errors name the
/// key) and returns the function that builds the model. The config layer must know
/// the type too (`Registries::models`, e.g. with [`spec::ModelSpec::external`]).
pub fn register_model<C, F, M>(registry: &mut Registry<ModelFactory>, name: &str, parse: C)
where
    C: Fn(&Map<String, Value>, &KeyPath) -> Result<F, ConfigError> + Send + Sync + 'static,
    F: Fn(&Device, &mut StdRng) -> M + Send + Sync + 'static,
    M: Model,
{
    registry.register(name, move |dict, path| {
        let build = parse(dict, path)?;
        Ok(factory(build))
    });
}

fn factory<F, M>(build: F) -> ModelFactory
where
    F: Fn(&Device, &mut StdRng) -> M + Send + Sync + 'static,
    M: Model,
{
    Arc::new(move |device: &Device, rng: &mut StdRng| {
        Box::new(ModelCell::new(build(device, rng))) as Box<dyn DynModel>
    })
}

/// The builder of a checked model config: the built-in types directly, a user's own
/// type (`ModelSpec::External`) through `registry` (where it was registered with
/// [`register_model`]).
pub fn model_factory(
    spec: &ModelSpec,
    registry: &Registry<ModelFactory>,
    path: &KeyPath,
) -> Result<ModelFactory, ConfigError> {
    Ok(match spec {
        ModelSpec::Mlp(c) => factory(mlp::builder(c.sizes(path)?, c.clone())),
        ModelSpec::DigitsCnn(c) => factory(cnn::builder(c.clone())),
        ModelSpec::Gan2d(c) => factory(gan::builder(c.clone())),
        ModelSpec::TinyGpt(c) => {
            let (vocab, block) = c.sizes(path)?;
            factory(gpt::builder(vocab, block, c.clone()))
        }
        ModelSpec::CharGru(c) => factory(gru::builder(c.vocab(path)?, c.clone())),
        ModelSpec::External { table, .. } => registry.build(&Value::Object(table.clone()), path)?,
    })
}

/// The runtime registry for model types users add with [`register_model`]; the
/// built-in types are built from their checked configs ([`model_factory`]).
pub fn model_registry() -> Registry<ModelFactory> {
    Registry::new("model")
}
