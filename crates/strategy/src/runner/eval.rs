//! Validation and test (MMEngine's `ValLoop` and `TestLoop`).

use std::collections::BTreeMap;

use super::Runner;
use super::build::stream;
use super::error::RunError;
use crate::model::StepContext;

impl Runner {
    async fn evaluate(&mut self, which: &str) -> Result<BTreeMap<String, f64>, RunError> {
        let set = match which {
            "val" => self.val.as_ref(),
            // MMEngine needs a test_dataloader; without one we evaluate on the
            // validation set and say so (in `test`).
            _ => self.test.as_ref().or(self.val.as_ref()),
        };
        let Some(set) = set else {
            return Err(RunError::Usage(format!(
                "no {which}_dataloader in the config"
            )));
        };
        let device = self.strategy.device.device.clone();
        let model = &self.prepared.model;
        let mut metrics: Vec<_> = set.metrics.iter().map(|f| f()).collect();
        let purpose = if which == "val" { 2 } else { 3 };
        let mut ctx = StepContext {
            rng: stream(self.strategy.seed, purpose, self.hub.iter),
        };
        let order = set.loader.epoch_order(0);
        for i in 0..set.loader.len() {
            let batch = set.loader.batch(&order, i, &device);
            let outputs = if which == "val" {
                model.val_step(&batch, &mut ctx)
            } else {
                model.test_step(&batch, &mut ctx)
            };
            for m in metrics.iter_mut() {
                m.process(&batch, outputs.clone());
            }
        }
        let mut out = BTreeMap::new();
        for m in metrics.iter_mut() {
            for (k, t) in m.compute() {
                let v = crate::strategy::read_f32(t, &self.strategy.device.description).await?;
                out.insert(k, v.first().copied().map(f64::from).unwrap_or(f64::NAN));
            }
        }
        Ok(out)
    }

    /// Runs validation (MMEngine's `ValLoop`): metrics into the hub (`val/<key>`),
    /// then the hooks (logging, ReduceOnPlateau).
    pub async fn val(&mut self) -> Result<BTreeMap<String, f64>, RunError> {
        let metrics = self.evaluate("val").await?;
        for (k, v) in &metrics {
            self.hub.update_scalar(&format!("val/{k}"), *v);
        }
        self.call_hooks(&mut |h, cx| h.after_val_epoch(cx, &metrics))?;
        self.last_val = metrics.clone();
        Ok(metrics)
    }

    /// Runs the test set (MMEngine's `TestLoop`) and logs its metrics; a config without
    /// `test_dataloader` is evaluated on its validation set.
    pub async fn test(&mut self) -> Result<BTreeMap<String, f64>, RunError> {
        if self.test.is_none() && self.val.is_some() {
            self.strategy
                .logger
                .info("no test_dataloader in the config: testing on val_dataloader");
        }
        let metrics = self.evaluate("test").await?;
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, v)| format!("{k}: {v:.4}"))
            .collect();
        self.strategy
            .logger
            .info(format!("Epoch(test)  {}", parts.join("  ")));
        Ok(metrics)
    }

    /// Reads any losses still queued on the device into the hub.
    pub async fn flush(&mut self) -> Result<(), RunError> {
        Ok(self.hub.flush().await?)
    }
}
