//! `CheckpointHook`'s saving (natively, when the run writes files; the browser keeps
//! none on disk): periodic checkpoints with `max_keep_ckpts`, and after a validation
//! the best checkpoints of `save_best` with MMEngine's re-save of the step's periodic
//! checkpoint.

use super::Runner;
use super::error::RunError;

impl Runner {
    /// Saves the periodic checkpoint of `step` (epochs or iterations done) into the
    /// work dir, updates `last_checkpoint` and deletes those beyond `max_keep_ckpts`;
    /// `announce` logs MMEngine's "Saving checkpoint at N epochs" (the re-save after
    /// a new best does not).
    pub(super) async fn save_periodic(
        &mut self,
        step: i64,
        announce: bool,
    ) -> Result<(), RunError> {
        #[cfg(not(target_family = "wasm"))]
        {
            let Some(policy) = self.checkpoints.clone().filter(|_| self.write_files) else {
                return Ok(());
            };
            let path = self.strategy.work_dir.join(policy.filename(step));
            if announce {
                self.strategy.logger.info(format!(
                    "Saving checkpoint at {step} {}",
                    if policy.by_epoch {
                        "epochs"
                    } else {
                        "iterations"
                    }
                ));
            }
            let ck = self
                .checkpoint(policy.save_optimizer, policy.save_param_scheduler)
                .await?;
            crate::checkpoint::files::write_checkpoint(&path, &ck)?;
            crate::checkpoint::files::write_last_checkpoint(&self.strategy.work_dir, &path)?;
            self.saved.push(path.clone());
            if let Some(p) = self.checkpoints.as_mut() {
                p.last_ckpt = Some(path.clone());
                for old in p.record(path) {
                    if let Err(e) = std::fs::remove_file(&old) {
                        self.strategy.logger.warning(format!(
                            "could not remove the old checkpoint {}: {e}",
                            old.display()
                        ));
                    }
                }
            }
        }
        #[cfg(target_family = "wasm")]
        let _ = (step, announce);
        Ok(())
    }

    /// After a validation with `metrics` (in the evaluators' order): the best
    /// checkpoints of `save_best` (model only, as MMEngine saves them), the previous
    /// best of each improved key removed, then the step's periodic checkpoint re-saved
    /// once this process has saved one.
    pub(super) async fn save_best(&mut self, metrics: &[(String, f64)]) -> Result<(), RunError> {
        #[cfg(not(target_family = "wasm"))]
        {
            use crate::base::KeyPath;
            use crate::hooks::BestAction;

            if !self.write_files {
                return Ok(());
            }
            let (epoch, iter) = (self.hub.epoch, self.hub.iter);
            let Some(policy) = self.checkpoints.as_mut() else {
                return Ok(());
            };
            let step = if policy.by_epoch { epoch } else { iter };
            let stem = policy.filename(step);
            let unit = policy.unit();
            let resave_possible = policy.last_ckpt.is_some();
            let Some(best) = policy.best.as_mut() else {
                return Ok(());
            };
            let at = KeyPath::root().key("default_hooks").key("checkpoint");
            let (actions, improved) = best.after_val(metrics, step, unit, &stem, &at)?;
            let dir = self.strategy.work_dir.clone();
            for action in actions {
                match action {
                    BestAction::Remove(name) => {
                        let path = dir.join(&name);
                        if let Err(e) = std::fs::remove_file(&path)
                            && e.kind() != std::io::ErrorKind::NotFound
                        {
                            self.strategy.logger.warning(format!(
                                "could not remove the previous best checkpoint {}: {e}",
                                path.display()
                            ));
                        }
                    }
                    BestAction::Save(name) => {
                        let ck = self.checkpoint(false, false).await?;
                        crate::checkpoint::files::write_checkpoint(&dir.join(&name), &ck)?;
                    }
                    BestAction::Log(line) => self.strategy.logger.info(line),
                }
            }
            if improved && resave_possible {
                self.save_periodic(step, false).await?;
            }
        }
        #[cfg(target_family = "wasm")]
        let _ = metrics;
        Ok(())
    }
}

impl Runner {
    /// MMEngine's `published_keys`, after training: the last checkpoint (with
    /// `save_last`) and every best file written again with only the listed parts, as
    /// `<stem>-<first 8 hex digits of the SHA-256 of the published file>.safetensors`.
    #[cfg(not(target_family = "wasm"))]
    pub(super) fn publish(&mut self) -> Result<(), RunError> {
        use sha2::{Digest, Sha256};

        let Some(policy) = self.checkpoints.as_ref().filter(|_| self.write_files) else {
            return Ok(());
        };
        let Some(keys) = policy.published_keys.clone() else {
            return Ok(());
        };
        let mut sources: Vec<std::path::PathBuf> = Vec::new();
        if policy.save_last
            && let Some(last) = &policy.last_ckpt
        {
            sources.push(last.clone());
        }
        if let Some(best) = &policy.best {
            for (_, _, file) in &best.best {
                if let Some(f) = file {
                    sources.push(self.strategy.work_dir.join(f));
                }
            }
        }
        let keep = |k: &str| keys.iter().any(|x| x == k);
        for source in sources {
            let mut ck = crate::checkpoint::files::read_checkpoint(&source)?;
            let mut removed = Vec::new();
            if !keep("meta") {
                ck.meta.clear();
                removed.push("meta");
            }
            if !keep("optimizer") && ck.optimizer.take().is_some() {
                removed.push("optimizer");
            }
            if !keep("param_schedulers") && ck.param_schedulers.take().is_some() {
                removed.push("param_schedulers");
            }
            if !keep("message_hub") && ck.message_hub.take().is_some() {
                removed.push("message_hub");
            }
            if !keep("ema_state_dict") && ck.ema_state_dict.take().is_some() {
                removed.push("ema_state_dict");
            }
            ck.extra.clear();
            if !removed.is_empty() {
                self.strategy.logger.info(format!(
                    "Key {removed:?} will be removed because they are not in {keys:?}."
                ));
            }
            let bytes = ck.to_bytes()?;
            let sha = Sha256::digest(&bytes);
            let hex: String = sha.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let stem = source.with_extension("");
            let target = std::path::PathBuf::from(format!("{}-{hex}.safetensors", stem.display()));
            crate::checkpoint::files::write_atomic(&target, &bytes)?;
            self.strategy.logger.info(format!(
                "The checkpoint ({}) is published to {}.",
                source.display(),
                target.display()
            ));
        }
        Ok(())
    }
}
