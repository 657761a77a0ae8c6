//! Validation and test (MMEngine's `ValLoop` and `TestLoop`).

use std::collections::BTreeMap;

use super::Runner;
use super::build::stream;
use super::error::RunError;
use crate::model::StepContext;

/// `CheckpointHook`'s priority: the best checkpoints are saved after the hooks before
/// it (logging, schedulers) and before those after it (early stopping).
const VERY_LOW: i32 = 90;

impl Runner {
    /// The metrics of `which` set, in the order the evaluators produce them.
    async fn evaluate(&mut self, which: &str) -> Result<Vec<(String, f64)>, RunError> {
        // MMEngine needs a test_dataloader; without one we evaluate on the validation
        // set and say so (in `test`).
        let has_set = match which {
            "val" => self.val.is_some(),
            _ => self.test.is_some() || self.val.is_some(),
        };
        if !has_set {
            return Err(RunError::Usage(format!(
                "no {which}_dataloader in the config"
            )));
        }
        let device = self.strategy.device.device.clone();
        // EMAHook: validation and test see the averaged weights.
        self.ema_swap(true);
        let set = match which {
            "val" => self.val.as_ref(),
            _ => self.test.as_ref().or(self.val.as_ref()),
        }
        .ok_or_else(|| RunError::Usage(format!("no {which}_dataloader in the config")))?;
        let model = &self.prepared.model;
        let mut metrics: Vec<_> = set.metrics.iter().map(|f| f()).collect();
        let purpose = if which == "val" { 2 } else { 3 };
        let mut ctx = StepContext {
            rng: stream(self.strategy.seed, purpose, self.hub.iter),
        };
        let order = set.loader.epoch_order(0);
        let mut timing = Vec::new();
        for i in 0..set.loader.len() {
            let started = web_time::Instant::now();
            let batch = set.loader.batch(&order, i, &device);
            let data_time = started.elapsed().as_secs_f64();
            let outputs = if which == "val" {
                model.val_step(&batch, &mut ctx)
            } else {
                model.test_step(&batch, &mut ctx)
            };
            for m in metrics.iter_mut() {
                m.process(&batch, outputs.clone());
            }
            timing.push((data_time, started.elapsed().as_secs_f64()));
        }
        // MMEngine's IterTimerHook in validation: `val/data_time`, `val/time`.
        if which == "val" {
            for (data_time, time) in timing {
                self.hub.update_scalar("val/data_time", data_time);
                self.hub.update_scalar("val/time", time);
            }
        }
        let mut computed = Vec::new();
        for m in metrics.iter_mut() {
            computed.extend(m.compute());
        }
        self.ema_swap(false);
        let mut out = Vec::new();
        for (k, t) in computed {
            let v = crate::strategy::read_f32(t, &self.strategy.device.description).await?;
            out.push((k, v.first().copied().map(f64::from).unwrap_or(f64::NAN)));
        }
        Ok(out)
    }

    /// Runs validation (MMEngine's `ValLoop`): metrics into the hub (`val/<key>`),
    /// then the hooks in priority order (logging, ReduceOnPlateau; the best
    /// checkpoints at `VERY_LOW`; early stopping).
    pub async fn val(&mut self) -> Result<BTreeMap<String, f64>, RunError> {
        let ordered = self.evaluate("val").await?;
        for (k, v) in &ordered {
            self.hub.update_scalar(&format!("val/{k}"), *v);
        }
        let metrics: BTreeMap<String, f64> = ordered.iter().cloned().collect();
        self.call_hooks_in(0..=VERY_LOW - 1, &mut |h, cx| {
            h.after_val_epoch(cx, &metrics)
        })?;
        self.save_best(&ordered).await?;
        self.call_hooks_in(VERY_LOW..=i32::MAX, &mut |h, cx| {
            h.after_val_epoch(cx, &metrics)
        })?;
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
        let metrics: BTreeMap<String, f64> = self.evaluate("test").await?.into_iter().collect();
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, v)| format!("{k}: {v:.4}"))
            .collect();
        self.strategy
            .logger
            .info(format!("Epoch(test)  {}", parts.join("  ")));
        Ok(metrics)
    }

    /// Reads any losses still queued on the device into the hub, and lets the hooks
    /// that waited for them (the logger's deferred lines) finish.
    pub async fn flush(&mut self) -> Result<(), RunError> {
        self.hub.flush().await?;
        self.call_hooks(&mut |h, cx| h.after_scalars(cx))
    }

    /// Starts reading the queued losses back without waiting for them (see
    /// [`ReadBack`](super::read_back::ReadBack)); [`Self::collect_reads`] or
    /// [`Self::flush`] records them.
    pub fn read_ahead(&mut self) {
        self.hub.read_ahead();
    }

    /// Records the losses [`Self::read_ahead`] started reading (waiting for them if
    /// they have not arrived), and lets the hooks that waited for them finish.
    pub async fn collect_reads(&mut self) -> Result<(), RunError> {
        if self.hub.collect().await? {
            self.call_hooks(&mut |h, cx| h.after_scalars(cx))?;
        }
        Ok(())
    }
}
