//! A model type a user of the crate registers (outside the crate) trains through the
//! runner, once the config layer knows the type too.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};

use common::runs::preset;

mod user_model {
    //! A model type defined outside the crate and registered by its user.

    use burn::module::Module;
    use burn::nn::Linear;
    use burn::tensor::{Device, Tensor};
    use playground_strategy::config::{ConfigError, KeyPath};
    use playground_strategy::data::loader::Batch;
    use playground_strategy::model::mlp::cross_entropy;
    use playground_strategy::model::{LossTensors, Model, StepContext, init};
    use playground_strategy::optim::wrapper_dict::OptimWrapperDict;
    use rand::rngs::StdRng;
    use serde_json::{Map, Value};

    /// Multinomial logistic regression.
    #[derive(Module, Debug)]
    pub struct Logistic {
        pub linear: Linear,
    }

    impl Model for Logistic {
        fn train_step(
            self,
            batch: &Batch,
            optim: &mut OptimWrapperDict,
            _ctx: &mut StepContext,
        ) -> (Self, LossTensors) {
            let loss = cross_entropy(self.linear.forward(batch.inputs.clone()), batch);
            let logged = loss.clone().detach();
            (
                optim.update_params(loss, self),
                vec![("loss".into(), logged)],
            )
        }

        fn val_step(&self, batch: &Batch, _ctx: &mut StepContext) -> Tensor<2> {
            self.linear.forward(batch.inputs.clone())
        }
    }

    pub fn parse(
        dict: &Map<String, Value>,
        path: &KeyPath,
    ) -> Result<impl Fn(&Device, &mut StdRng) -> Logistic + Send + Sync + use<>, ConfigError> {
        let n = dict
            .get("in_features")
            .and_then(Value::as_u64)
            .ok_or_else(|| path.key("in_features").error("expected a positive integer"))?
            as usize;
        Ok(move |device: &Device, rng: &mut StdRng| Logistic {
            linear: init::linear(n, 2, rng, device),
        })
    }
}

#[test]
fn a_user_registered_model_trains_through_the_runner() {
    use playground_strategy::config::{ExperimentConfig, Registries};
    use playground_strategy::model::spec::ModelSpec;
    use playground_strategy::model::{model_registry, register_model};

    let mut models = model_registry();
    register_model(&mut models, "Logistic", user_model::parse);
    // The config layer must know the type too, or the config is refused up front.
    let options: Vec<String> = [
        "model={type='Logistic',in_features=2}",
        "train_dataloader.dataset.type=Gauss",
        "val_dataloader.dataset.type=Gauss",
        "train_cfg.max_epochs=5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let err = ExperimentConfig::load(&preset("spiral_mlp.toml"), &options, &Registries::default())
        .expect_err("an unregistered model type is refused");
    assert_eq!(err.path, "model.type");
    let mut registries = Registries::default();
    registries.models.register("Logistic", ModelSpec::external);
    let cfg = ExperimentConfig::load(&preset("spiral_mlp.toml"), &options, &registries)
        .expect("a registered type loads");
    let runner = pollster::block_on(async {
        let mut r = Runner::from_config(
            cfg,
            RunnerOptions {
                device: DeviceChoice::Cpu,
                write_files: false,
                models,
                ..RunnerOptions::default()
            },
        )
        .await
        .expect("builds the user's model");
        r.train().await.expect("trains");
        r
    });
    let acc = runner.last_val["accuracy/top1"];
    assert!(
        acc >= 90.0,
        "two Gaussian blobs are linearly separable: {acc}"
    );
}
