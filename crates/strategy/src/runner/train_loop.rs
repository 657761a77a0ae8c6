//! The training loop: one iteration at a time, with its epoch ends, validations,
//! periodic checkpoints and hooks (MMEngine's `EpochBasedTrainLoop` and
//! `IterBasedTrainLoop`).

use std::collections::BTreeMap;

use burn::tensor::Tensor;
use web_time::Instant;

use super::Runner;
use super::build::stream;
use super::error::RunError;
use super::hooks::{Hook, HookContext};
use crate::base::log::Progress;
use crate::model::StepContext;

/// Reads the loss scalers' inf/NaN flags back in one asynchronous transfer:
/// `(wrapper index, found inf/NaN)`.
async fn read_flags(flags: Vec<(usize, Tensor<1>)>) -> Result<Vec<(usize, bool)>, RunError> {
    let Some(device) = flags.first().map(|(_, f)| f.device()) else {
        return Ok(Vec::new());
    };
    let failed = |message: String| RunError::Execution {
        device: format!("{device:?}"),
        message: format!("reading the loss scaler's inf/NaN flags: {message}"),
    };
    let (which, flags): (Vec<usize>, Vec<Tensor<1>>) = flags.into_iter().unzip();
    let values: Vec<f32> = Tensor::cat(flags, 0)
        .into_data_async()
        .await
        .map_err(|e| failed(e.to_string()))?
        .try_into_vec_as()
        .map_err(|e| failed(format!("{e:?}")))?;
    Ok(which
        .into_iter()
        .zip(values)
        .map(|(i, v)| (i, v > 0.0))
        .collect())
}

impl Runner {
    pub(super) fn call_hooks(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Hook, &mut HookContext<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        self.call_hooks_in(0..=i32::MAX, f)
    }

    /// [`Runner::call_hooks`] for the hooks whose priority is in `priorities` (the
    /// checkpoint work, `VERY_LOW`, runs between two such calls after validation).
    pub(super) fn call_hooks_in(
        &mut self,
        priorities: std::ops::RangeInclusive<i32>,
        f: &mut dyn FnMut(&mut dyn Hook, &mut HookContext<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let mut hooks = std::mem::take(&mut self.hooks);
        let by_epoch = self.by_epoch;
        let result = (|| {
            let mut cx = HookContext {
                hub: &mut self.hub,
                optim: &mut self.prepared.optim_wrapper,
                schedulers: &mut self.prepared.param_schedulers,
                log: &mut self.strategy.logger,
                by_epoch,
                stop: &mut self.stopped_early,
            };
            for h in hooks.iter_mut() {
                if priorities.contains(&h.priority()) {
                    f(h.as_mut(), &mut cx)?;
                }
            }
            Ok(())
        })();
        self.hooks = hooks;
        result
    }

    /// Runs one training iteration (and the epoch end and validation it completes).
    /// Returns `false` once training has finished. Under DDP, a failure that leaves a
    /// rank's device unanswering (a worker gone) is reported as that rank's.
    pub async fn train_iter(&mut self) -> Result<bool, RunError> {
        match self.train_iter_once().await {
            Err(e @ RunError::Execution { .. }) => Err(match &self.prepared.data_parallel {
                Some(dp) => dp.diagnose(e),
                None => e,
            }),
            other => other,
        }
    }

    async fn train_iter_once(&mut self) -> Result<bool, RunError> {
        if self.finished {
            return Ok(false);
        }
        if !self.started {
            self.started = true;
            self.call_hooks(&mut |h, cx| h.before_train(cx))?;
            self.strategy.logger.info(format!(
                "Start training: {} iterations{}",
                self.hub.max_iters,
                self.hub
                    .max_epochs
                    .map(|e| format!(" ({e} epochs of {})", self.hub.iters_per_epoch))
                    .unwrap_or_default()
            ));
            self.last_tick = Some(Instant::now());
        }
        if self.data_index == 0 || self.order.is_empty() {
            let epoch = self.sampler_epoch();
            self.order = self.train_loader.epoch_order(epoch);
            for (loader, order) in &mut self.replica_data {
                *order = loader.epoch_order(epoch);
            }
        }
        let device = self.strategy.train_device();
        let data_started = Instant::now();
        let batch = self
            .train_loader
            .batch(&self.order, self.data_index, &device);
        let data_time = data_started.elapsed().as_secs_f64();
        let seed = self.strategy.seed;
        let mut ctx = StepContext {
            rng: stream(seed, 1, self.hub.iter),
        };
        let lrs = self.prepared.optim_wrapper.get_lr();
        let crate::strategy::Prepared {
            model,
            optim_wrapper,
            data_parallel,
            ..
        } = &mut self.prepared;
        let losses = match data_parallel {
            None => {
                let losses = model.train_step(&batch, optim_wrapper, &mut ctx);
                // Mixed precision in the browser: the steps wait for their inf/NaN
                // flags, read here without blocking, before anything sees the weights.
                if optim_wrapper.has_pending() {
                    let flags = optim_wrapper.pending_flags().map_err(RunError::Usage)?;
                    let flags = read_flags(flags).await?;
                    model.finish_pending(optim_wrapper, &flags);
                }
                losses
            }
            Some(dp) => {
                // Every rank draws from the run's seed, or from `seed + rank` with
                // `randomness.diff_rank_seed` (MMEngine's per-rank seed).
                let diff = self.strategy.randomness.diff_rank_seed;
                let replicas = self
                    .replica_data
                    .iter()
                    .zip(&dp.replicas)
                    .map(|((loader, order), r)| {
                        let seed = if diff { seed + r.rank as u64 } else { seed };
                        (
                            loader.batch(order, self.data_index, &r.device),
                            StepContext {
                                rng: stream(seed, 1, self.hub.iter),
                            },
                        )
                    })
                    .collect();
                dp.train_step(model, optim_wrapper, &batch, &mut ctx, replicas)?
            }
        };
        self.hub.iter += 1;
        self.hub.inner_iter += 1;
        self.data_index += 1;
        for (k, v) in &lrs {
            if let Some(first) = v.first() {
                self.hub.update_scalar(&format!("train/{k}"), *first);
            }
        }
        // MMEngine's IterTimerHook: the time to fetch the batch.
        self.hub.update_scalar("train/data_time", data_time);
        for (k, t) in losses {
            self.hub.push_pending(&format!("train/{k}"), t);
        }
        // MMEngine logs the total norm of clipped gradients as `grad_norm`.
        for (name, w) in self.prepared.optim_wrapper.iter_mut() {
            if let Some(norm) = w.last_grad_norm.take() {
                let key = match name {
                    Some(n) => format!("train/{n}.grad_norm"),
                    None => "train/grad_norm".to_string(),
                };
                self.hub.push_pending(&key, norm);
            }
        }
        let now = Instant::now();
        if let Some(prev) = self.last_tick.replace(now) {
            self.hub
                .update_scalar("train/time", (now - prev).as_secs_f64());
        }
        let epoch_end = self.data_index >= self.train_loader.len();
        let run_end = self.hub.iter >= self.hub.max_iters;
        let wanted = !self.defer_log_reads && self.hooks.iter().any(|h| h.wants_scalars(&self.hub));
        // Deferred, an epoch's end reads nothing back either: the caller's chunks do.
        if run_end || wanted || (epoch_end && !self.defer_log_reads) {
            self.hub.flush().await?;
        }
        self.ema_after_train_iter();
        self.call_hooks(&mut |h, cx| h.after_train_iter(cx))?;
        if let Some(p) = &self.checkpoints
            && !p.by_epoch
            && p.due(self.hub.iter, self.hub.max_iters)
        {
            self.save_periodic(self.hub.iter, true).await?;
        }
        let progress = self.progress(&lrs);
        self.strategy.logger.progress(&progress);
        if epoch_end {
            self.data_index = 0;
            self.data_epoch += 1;
        }
        if self.by_epoch && epoch_end {
            self.call_hooks(&mut |h, cx| h.after_train_epoch(cx))?;
            self.hub.epoch += 1;
            self.hub.inner_iter = 0;
            if let Some(p) = &self.checkpoints
                && p.by_epoch
                && p.due(self.hub.epoch, self.hub.max_epochs.unwrap_or(1))
            {
                self.save_periodic(self.hub.epoch, true).await?;
            }
            let e = self.hub.epoch;
            let max = self.hub.max_epochs.unwrap_or(e);
            if self.val.is_some() && self.train_cfg.validates_after(e, max) {
                // The training lines still waiting are written before the validation's.
                self.flush().await?;
                self.val().await?;
            }
        } else if !self.by_epoch {
            let i = self.hub.iter;
            if self.val.is_some() && self.train_cfg.validates_after(i, self.hub.max_iters) {
                self.flush().await?;
                self.val().await?;
            }
        }
        // A hook (EarlyStoppingHook) stopped training in the validation just run:
        // the loop ends here, as MMEngine's loops check `stop_training`.
        let run_end = run_end || self.stopped_early.is_some();
        if run_end {
            if !self.by_epoch {
                // MMEngine's IterBasedTrainLoop calls after_train_epoch once, at the end.
                self.call_hooks(&mut |h, cx| h.after_train_epoch(cx))?;
            }
            self.call_hooks(&mut |h, cx| h.after_train(cx))?;
            #[cfg(not(target_family = "wasm"))]
            self.publish()?;
            self.strategy.logger.sync();
            self.finished = true;
        }
        Ok(!self.finished)
    }

    fn progress(&self, lrs: &BTreeMap<String, Vec<f64>>) -> Progress {
        let times = self.hub.history("train/time");
        let recent = &times[times.len().saturating_sub(50)..];
        let eta_s = (!recent.is_empty()).then(|| {
            recent.iter().map(|(_, t)| t).sum::<f64>() / recent.len() as f64
                * (self.hub.max_iters - self.hub.iter) as f64
        });
        Progress {
            iter: self.hub.iter,
            max_iters: self.hub.max_iters,
            epoch: self.hub.epoch + 1,
            lr: lrs
                .iter()
                .filter_map(|(k, v)| v.first().map(|x| (k.clone(), *x)))
                .collect(),
            loss: self.hub.latest("train/loss"),
            eta_s,
        }
    }

    /// Trains to the end.
    pub async fn train(&mut self) -> Result<(), RunError> {
        while self.train_iter().await? {}
        Ok(())
    }
}
