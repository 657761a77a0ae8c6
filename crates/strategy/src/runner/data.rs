//! The run's data as the model sees it: the model's sizes fitted to the training
//! data, one standardisation (the train split's) for every split, checkpoints that
//! carry it back, and a classifier's confusion matrix.

use std::sync::Arc;

use super::Runner;
use super::build::stream;
use super::error::RunError;
use crate::base::{ConfigError, KeyPath};
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::data::loader::DataLoader;
use crate::data::{DataSchema, DatasetSpec, Samples, Task};
use crate::metric::{ConfusionMatrix, MetricSpec};
use crate::model::StepContext;
use crate::model::spec::{DataShape, ModelSpec};

/// What a model must fit, from the training samples.
pub(super) fn data_shape(samples: &Samples, spec: Option<&DatasetSpec>) -> DataShape {
    let source = match spec {
        Some(DatasetSpec::Csv(c, _)) => format!("the training data (CSVDataset `{}`)", c.path),
        Some(s) => format!("the training data ({})", s.type_name()),
        None => "the training data".into(),
    };
    DataShape {
        inputs: samples.input_size(),
        num_classes: samples.num_classes,
        task: samples.task(),
        source,
    }
}

/// The sizes a model took from the training data, for the log.
pub(super) fn fitted_sizes(spec: &ModelSpec) -> String {
    match spec {
        ModelSpec::Mlp(m) => format!(
            "in_features = {}, num_classes = {}, loss {:?}",
            m.in_features.unwrap_or(0),
            m.num_classes.unwrap_or(0),
            m.loss
                .unwrap_or(crate::model::spec::LossCfg::CrossEntropyLoss)
        ),
        ModelSpec::TinyGpt(g) => format!(
            "vocab_size = {}, block_size = {}",
            g.vocab_size.unwrap_or(0),
            g.block_size.unwrap_or(0)
        ),
        ModelSpec::CharGru(g) => format!("vocab_size = {}", g.vocab_size.unwrap_or(0)),
        other => other.type_name().to_string(),
    }
}

/// Refuses a metric that measures another task than the data's (`Accuracy` of a
/// regression, `RegressionMetric` of classes).
pub(super) fn check_metrics(
    task: Task,
    metrics: &[MetricSpec],
    key: &str,
) -> Result<(), ConfigError> {
    for (i, m) in metrics.iter().enumerate() {
        if let Some(t) = m.task()
            && t != task
        {
            let instead = match task {
                Task::Classification => "Accuracy",
                Task::Regression => "RegressionMetric",
                Task::Sequence => "TokenAccuracy",
            };
            return Err(KeyPath::root().key(key).index(i).error(format!(
                "{} measures {}, but the data is {}: use {{type = \"{instead}\"}}",
                m.type_name(),
                t.name(),
                task.name()
            )));
        }
    }
    Ok(())
}

/// Gives `loader`'s samples `schema` (their own rows, the train split's meaning).
fn set_schema(loader: &mut DataLoader, schema: &Arc<DataSchema>) {
    Arc::make_mut(&mut loader.samples).schema = Some(schema.clone());
}

impl Runner {
    /// What the training data means (task, names, feature inputs, standardisation);
    /// `None` for data without one (digits, noise, a user's type).
    pub fn data_schema(&self) -> Option<&Arc<DataSchema>> {
        self.train_loader.samples.schema.as_ref()
    }

    /// Every split uses the training split's meaning and standardisation: an
    /// evaluation set with other inputs or classes is an error (it would be scored
    /// against the wrong class names).
    pub(super) fn share_schema(&mut self) -> Result<(), RunError> {
        let Some(schema) = self.data_schema().cloned() else {
            return Ok(());
        };
        for (key, set) in [
            ("val_dataloader", &mut self.val),
            ("test_dataloader", &mut self.test),
        ] {
            let Some(set) = set.as_mut() else { continue };
            if let Some(own) = &set.loader.samples.schema
                && let Some(why) = schema.mismatch(own)
            {
                let why = why.replace("the checkpoint's model", "the training data");
                return Err(KeyPath::root()
                    .key(key)
                    .key("dataset")
                    .error(format!(
                        "{why}: every split must have the training data's columns"
                    ))
                    .into());
            }
            set_schema(&mut set.loader, &schema);
        }
        Ok(())
    }

    /// Takes a checkpoint's data meaning: an error when its model learned other inputs,
    /// classes or a different task; otherwise every split is standardised with the
    /// checkpoint's statistics from now on (evaluation sees what training saw).
    pub fn adopt_checkpoint_data(&mut self, meta: &CheckpointMeta) -> Result<(), RunError> {
        let (Some(saved), Some(ours)) = (&meta.dataset, self.data_schema()) else {
            return Ok(());
        };
        if let Some(why) = saved.mismatch(ours) {
            return Err(RunError::DataMismatch(why));
        }
        if saved.normalization != ours.normalization {
            self.strategy.logger.info(
                "the checkpoint's standardisation differs from this data's train split: using the checkpoint's",
            );
        }
        let schema = Arc::new(saved.clone());
        set_schema(&mut self.train_loader, &schema);
        for (loader, _) in &mut self.replica_data {
            set_schema(loader, &schema);
        }
        for set in [&mut self.val, &mut self.test].into_iter().flatten() {
            set_schema(&mut set.loader, &schema);
        }
        Ok(())
    }

    /// Loads a checkpoint's weights (and its data meaning, see
    /// [`adopt_checkpoint_data`](Self::adopt_checkpoint_data)) into the model and
    /// every replica.
    pub fn load_weights(&mut self, ck: Checkpoint, strict: bool) -> Result<(), RunError> {
        self.adopt_checkpoint_data(&ck.typed_meta()?)?;
        self.strategy.load_checkpoint(
            self.prepared.model.as_mut(),
            ck,
            strict,
            &crate::checkpoint::default_revise_keys(),
            None,
        )?;
        self.ema_after_load();
        self.prepared.broadcast();
        Ok(())
    }

    /// The confusion matrix of a classifier on the `"val"` or `"test"` set (the
    /// validation set when there is no test set); `None` for a regression or when
    /// there is no such set.
    pub async fn confusion_matrix(&self, which: &str) -> Result<Option<ConfusionMatrix>, RunError> {
        let set = match which {
            "val" => self.val.as_ref(),
            _ => self.test.as_ref().or(self.val.as_ref()),
        };
        let Some(set) = set else { return Ok(None) };
        let samples = &set.loader.samples;
        if samples.task() != Task::Classification || samples.num_classes < 2 {
            return Ok(None);
        }
        let device = self.strategy.device.device.clone();
        let mut ctx = StepContext {
            rng: stream(self.strategy.seed, 3, self.hub.iter),
        };
        let order = set.loader.epoch_order(0);
        let mut matrix = ConfusionMatrix::new(samples.class_names());
        for i in 0..set.loader.len() {
            let batch = set.loader.batch(&order, i, &device);
            let outputs = self.prepared.model.test_step(&batch, &mut ctx);
            let predicted = crate::strategy::read_f32(
                outputs.argmax(1).float().reshape([-1]),
                &self.strategy.device.description,
            )
            .await?;
            let start = i * set.loader.batch_size;
            for (j, p) in predicted.iter().enumerate() {
                let truth = samples.labels[order[start + j]];
                matrix.add(truth as usize, *p as usize);
            }
        }
        Ok(Some(matrix))
    }
}
