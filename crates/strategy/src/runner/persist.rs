//! The run's checkpoints: saving (periodic, on demand), resuming exactly, and
//! MMEngine's `load_or_resume`.

use std::path::PathBuf;

use serde_json::Value;

use super::Runner;
use super::error::RunError;
use crate::strategy::Strategy;

impl Runner {
    /// The model's parameters by name, read back to the host.
    pub async fn model_state_dict(&self) -> Result<Vec<crate::model::NamedTensor>, RunError> {
        self.strategy
            .model_state_dict(self.prepared.model.as_ref())
            .await
    }

    /// The optimizer state of every wrapper, read back to the host.
    pub async fn optim_state_dict(&self) -> Result<crate::strategy::OptimStateDict, RunError> {
        self.strategy
            .optim_state_dict(&self.prepared.optim_wrapper)
            .await
    }

    /// A checkpoint of the whole run: the strategy's part plus `meta.epoch`/`meta.iter`
    /// (completed counts), the config, the loop's data position, and the message hub.
    pub async fn checkpoint(
        &mut self,
        save_optimizer: bool,
        save_param_scheduler: bool,
    ) -> Result<crate::checkpoint::Checkpoint, RunError> {
        self.hub.flush().await?;
        let mut meta = serde_json::Map::new();
        meta.insert("epoch".into(), serde_json::json!(self.hub.epoch));
        meta.insert("iter".into(), serde_json::json!(self.hub.iter));
        meta.insert("inner_iter".into(), serde_json::json!(self.hub.inner_iter));
        // A checkpoint at an epoch's last batch is the next epoch's start (the loop
        // wraps right after saving).
        let (data_epoch, data_index) = if self.data_index >= self.train_loader.len() {
            (self.data_epoch + 1, 0)
        } else {
            (self.data_epoch, self.data_index)
        };
        meta.insert("data_epoch".into(), serde_json::json!(data_epoch));
        meta.insert("data_index".into(), serde_json::json!(data_index));
        meta.insert("world_size".into(), serde_json::json!(self.world_size()));
        meta.insert("cfg".into(), self.cfg.raw.clone());
        if let Some(schema) = self.data_schema()
            && let Ok(v) = serde_json::to_value(schema.as_ref())
        {
            meta.insert("dataset".into(), v);
        }
        let hub = serde_json::json!({
            "runtime_info": {
                "epoch": self.hub.epoch,
                "iter": self.hub.iter,
                "max_epochs": self.hub.max_epochs,
                "max_iters": self.hub.max_iters,
                "last_ckpt": self.saved.last(),
                "keep_ckpt_ids": self.checkpoints.as_ref().map(|p| p.kept.iter().collect::<Vec<_>>()),
            },
            "log_scalars": self.hub.latest_all(),
        });
        let mut hub = hub;
        if let Some(best) = self.checkpoints.as_ref().and_then(|p| p.best.as_ref())
            && let Some(info) = hub.get_mut("runtime_info").and_then(Value::as_object_mut)
        {
            info.extend(best.hub_entries());
        }
        let mut extra = serde_json::Map::new();
        extra.insert("meta".into(), Value::Object(meta));
        extra.insert("message_hub".into(), hub);
        // EMAHook (MMEngine's `before_save_checkpoint`): `state_dict` gets the
        // averaged weights, `ema_state_dict` the raw ones and the counter.
        self.ema_swap(true);
        let ck = self
            .strategy
            .checkpoint(
                &self.prepared,
                save_optimizer,
                save_param_scheduler,
                extra,
                None,
            )
            .await;
        self.ema_swap(false);
        let mut ck = ck?;
        if let Some(steps) = self.ema.as_ref().map(|e| e.counter.steps) {
            ck.ema_state_dict = Some(crate::checkpoint::EmaStateDict {
                steps: steps as u64,
                module: self.model_state_dict().await?,
            });
        }
        Ok(ck)
    }

    /// Continues from `ck`: weights, optimizer and schedulers (as asked), then the loop
    /// counters, the data position, the accumulation counters and the seed, so the run
    /// goes on exactly as the uninterrupted one would have. A checkpoint taken in the
    /// middle of a gradient-accumulation window loses the partial sum, as in MMEngine.
    pub fn resume(
        &mut self,
        mut ck: crate::checkpoint::Checkpoint,
        resume_optimizer: bool,
        resume_param_scheduler: bool,
    ) -> Result<(), RunError> {
        self.adopt_checkpoint_data(&ck.typed_meta()?)?;
        self.ema_resume(&mut ck);
        let ck = self.strategy.resume(
            &mut self.prepared,
            ck,
            resume_optimizer,
            resume_param_scheduler,
            None,
        )?;
        let meta = ck.typed_meta()?;
        let iter = meta.iter as i64;
        if iter > self.hub.max_iters {
            return Err(RunError::Usage(format!(
                "the checkpoint is at iteration {iter}, beyond this run's {} iterations",
                self.hub.max_iters
            )));
        }
        self.hub.iter = iter;
        self.hub.epoch = meta.epoch as i64;
        // Checkpoints from before the loop recorded its data position: derive it.
        self.hub.inner_iter = meta.inner_iter.unwrap_or(0) as i64;
        let len = self.train_loader.len() as i64;
        self.data_epoch = meta.data_epoch.unwrap_or(if self.by_epoch {
            meta.epoch
        } else {
            (iter / len) as u64
        });
        self.data_index = meta.data_index.unwrap_or(if self.by_epoch {
            0
        } else {
            (iter % len) as u64
        }) as usize;
        // Checkpoints written before the position was normalised at save time may
        // point one past an epoch's last batch: that is the next epoch's start.
        if self.data_index >= len as usize {
            self.data_index = 0;
            self.data_epoch += 1;
        }
        // The seed may have come from the checkpoint: every rank's sampler uses it
        // (unless the config fixes `sampler.seed`), and the next iteration draws the
        // epoch's order afresh.
        let seed = self
            .cfg
            .train_dataloader
            .as_ref()
            .and_then(|d| d.seed)
            .unwrap_or(self.strategy.seed);
        self.train_loader.sampler.seed = seed;
        self.order.clear();
        for (loader, order) in &mut self.replica_data {
            loader.sampler.seed = seed;
            order.clear();
        }
        let world = self.world_size();
        if let Some(saved) = meta.world_size
            && saved != world as u64
        {
            self.strategy.logger.info(format!(
                "the checkpoint was trained on {saved} rank(s), this run has {world}: it continues from the same data position with its own batch size"
            ));
        }
        let max_iters = self.hub.max_iters;
        self.prepared
            .optim_wrapper
            .initialize_count_status(iter, max_iters);
        self.prepared.broadcast();
        let info = ck.message_hub.as_ref().and_then(|h| h.get("runtime_info"));
        if let Some(p) = self.checkpoints.as_mut()
            && let Some(kept) = info
                .and_then(|i| i.get("keep_ckpt_ids"))
                .and_then(|v| serde_json::from_value::<Vec<PathBuf>>(v.clone()).ok())
        {
            p.kept = kept.into();
        }
        // The best scores and files: a better score removes the old best file.
        if let Some(best) = self.checkpoints.as_mut().and_then(|p| p.best.as_mut())
            && let Some(info) = info
        {
            best.restore(info);
        }
        self.finished = iter >= max_iters;
        self.strategy.logger.info(format!(
            "resumed epoch: {}, iter: {}",
            self.hub.epoch, self.hub.iter
        ));
        Ok(())
    }

    /// Saves a checkpoint to `path` (atomically) and records it in `last_checkpoint`.
    #[cfg(not(target_family = "wasm"))]
    pub async fn save_checkpoint(&mut self, path: &std::path::Path) -> Result<(), RunError> {
        let ck = self.checkpoint(true, true).await?;
        crate::checkpoint::files::write_checkpoint(path, &ck)?;
        crate::checkpoint::files::write_last_checkpoint(&self.strategy.work_dir, path)?;
        self.saved.push(path.to_path_buf());
        Ok(())
    }

    /// MMEngine's `load_or_resume` from the config's `resume` and `load_from`:
    /// `resume = true` resumes from `load_from` when given, else from
    /// `work_dir/last_checkpoint` (nothing there: start fresh, with a log line); a
    /// path resumes from it; otherwise `load_from` loads weights
    /// only (a playground checkpoint, or a PyTorch `.pth`/`.pt` state dict or MMEngine
    /// checkpoint). Returns the checkpoint used, if any.
    #[cfg(not(target_family = "wasm"))]
    pub fn load_or_resume(&mut self) -> Result<Option<PathBuf>, RunError> {
        use crate::checkpoint::files::{find_latest_checkpoint, read_checkpoint};
        use crate::config::Resume;

        let resume_from = match &self.cfg.resume {
            Resume::No => None,
            Resume::Path(p) => Some(PathBuf::from(p)),
            // MMEngine: `resume = True` with `load_from` resumes from `load_from`.
            Resume::Latest if self.cfg.load_from.is_some() => {
                self.cfg.load_from.clone().map(PathBuf::from)
            }
            Resume::Latest => {
                let found = find_latest_checkpoint(&self.strategy.work_dir);
                if found.is_none() {
                    let message = format!(
                        "Did not find last_checkpoint to be resumed in {}: training starts from scratch.",
                        self.strategy.work_dir.display()
                    );
                    self.strategy.logger.info(message);
                }
                found
            }
        };
        if let Some(path) = resume_from {
            let ck = read_checkpoint(&path)?;
            self.resume(ck, true, true)?;
            return Ok(Some(path));
        }
        if let Some(p) = self.cfg.load_from.clone() {
            let path = PathBuf::from(p);
            let is_pytorch = path.extension().is_some_and(|e| e == "pth" || e == "pt");
            let ck = if is_pytorch {
                // Keys are revised on import (default: strip `^module.`).
                crate::checkpoint::pytorch::import_pytorch(
                    &path,
                    &crate::checkpoint::default_revise_keys(),
                )?
            } else {
                read_checkpoint(&path)?
            };
            self.load_weights(ck, false)?;
            self.strategy
                .logger
                .info(format!("Load checkpoint from {}", path.display()));
            return Ok(Some(path));
        }
        Ok(None)
    }
}
