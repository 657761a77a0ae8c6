//! The strategy's checkpoints: MMEngine's `checkpoint`, `load_checkpoint`, `resume`
//! and their file-level forms, and reading tensors back to the host.

use serde_json::{Value, json};

use super::{Prepared, SingleDeviceStrategy, Strategy, timestamp_now};
use crate::error::Error as RunError;
use crate::model::{DynModel, StateDictReport};

impl SingleDeviceStrategy {
    /// The strategy's part of a checkpoint (MMEngine's `save_checkpoint` without the
    /// file): `state_dict`, `optimizer` (if `save_optimizer` and there is one),
    /// `param_schedulers` (if `save_param_scheduler` and there are some), and `meta`
    /// (`seed`, `experiment_name`, `time`, `playground` version), then `extra_ckpt`
    /// merged in, then `callback`.
    pub async fn checkpoint(
        &self,
        prepared: &Prepared,
        save_optimizer: bool,
        save_param_scheduler: bool,
        extra_ckpt: serde_json::Map<String, Value>,
        callback: Option<&dyn Fn(&mut crate::checkpoint::Checkpoint)>,
    ) -> Result<crate::checkpoint::Checkpoint, RunError> {
        let mut ck = crate::checkpoint::Checkpoint {
            state_dict: self.model_state_dict(prepared.model.as_ref()).await?,
            ..Default::default()
        };
        ck.meta.insert("seed".into(), json!(self.seed));
        ck.meta
            .insert("experiment_name".into(), json!(self.experiment_name));
        ck.meta.insert("time".into(), json!(timestamp_now()));
        ck.meta
            .insert("playground".into(), json!(env!("CARGO_PKG_VERSION")));
        ck.meta.insert(
            "param_order".into(),
            json!(
                ck.state_dict
                    .iter()
                    .map(|t| t.name.clone())
                    .collect::<Vec<_>>()
            ),
        );
        if save_optimizer {
            ck.optimizer = Some(self.optim_state_dict(&prepared.optim_wrapper).await?);
        }
        if save_param_scheduler && prepared.has_schedulers() {
            ck.param_schedulers = Some(self.scheduler_state_dict(prepared));
        }
        for (k, v) in extra_ckpt {
            match (k.as_str(), v) {
                ("meta", Value::Object(m)) => ck.meta.extend(m),
                ("message_hub", v) => ck.message_hub = Some(v),
                (_, v) => {
                    ck.extra.insert(k, v);
                }
            }
        }
        if let Some(cb) = callback {
            cb(&mut ck);
        }
        Ok(ck)
    }

    /// MMEngine's `load_checkpoint` on a parsed checkpoint: `callback` first, then the
    /// keys rewritten by `revise_keys` (default: strip `^module.`), then the weights
    /// loaded. `strict` makes any misfit an error that lists them all (and changes
    /// nothing); otherwise the report lists them and a warning is logged.
    pub fn load_checkpoint(
        &mut self,
        model: &mut dyn DynModel,
        mut ck: crate::checkpoint::Checkpoint,
        strict: bool,
        revise_keys: &[(String, String)],
        callback: Option<&dyn Fn(&mut crate::checkpoint::Checkpoint)>,
    ) -> Result<(crate::checkpoint::Checkpoint, StateDictReport), RunError> {
        if let Some(cb) = callback {
            cb(&mut ck);
        }
        let revise = crate::checkpoint::ReviseKeys::new(revise_keys)?;
        for t in &mut ck.state_dict {
            t.name = revise.apply(&t.name);
        }
        let report = self.load_model_state_dict(model, &ck.state_dict, strict)?;
        if !report.is_exact() {
            self.logger.warning(format!(
                "The model and loaded state dict do not match exactly\nunexpected key in source state_dict: {}\nmissing keys in source state_dict: {}{}",
                report.unexpected_keys.join(", "),
                report.missing_keys.join(", "),
                report
                    .shape_mismatches
                    .iter()
                    .map(|(n, a, b)| format!("\nsize mismatch for {n}: the model has {a:?}, the checkpoint {b:?}"))
                    .collect::<String>()
            ));
        }
        Ok((ck, report))
    }

    /// MMEngine's `resume` (the strategy's part): weights (non-strict, default
    /// `revise_keys`), then the optimizer and the schedulers when asked and present.
    /// The seed in the checkpoint becomes the run's seed. Returns the checkpoint for
    /// the loop to restore its counters.
    pub fn resume(
        &mut self,
        prepared: &mut Prepared,
        ck: crate::checkpoint::Checkpoint,
        resume_optimizer: bool,
        resume_param_scheduler: bool,
        callback: Option<&dyn Fn(&mut crate::checkpoint::Checkpoint)>,
    ) -> Result<crate::checkpoint::Checkpoint, RunError> {
        // Everything that can refuse the checkpoint is checked before anything of it is
        // applied, so a refused resume leaves the run as it was.
        let mut ck = ck;
        if let Some(cb) = callback {
            cb(&mut ck);
        }
        let meta = ck.typed_meta()?;
        if resume_optimizer && ck.optimizer.is_none() {
            return Err(crate::checkpoint::CheckpointError::MissingPart {
                part: "optimizer state",
                saved_with: "save_optimizer = false",
                hint: "resume_optimizer = false",
            }
            .into());
        }
        if resume_param_scheduler && prepared.has_schedulers() && ck.param_schedulers.is_none() {
            return Err(crate::checkpoint::CheckpointError::MissingPart {
                part: "scheduler states",
                saved_with: "save_param_scheduler = false",
                hint: "resume_param_scheduler = false",
            }
            .into());
        }
        let (ck, _) = self.load_checkpoint(
            prepared.model.as_mut(),
            ck,
            false,
            &crate::checkpoint::default_revise_keys(),
            None,
        )?;
        if let Some(seed) = meta.seed
            && seed != self.seed
        {
            if self.randomness.seed.is_some() {
                self.logger.warning(format!(
                    "The value of random seed in the checkpoint \"{seed}\" is different from the value in `randomness` config \"{}\"",
                    self.seed
                ));
            }
            self.seed = seed;
            // MMEngine's `_set_randomness(resumed_seed, ...)`: the config's record too.
            self.randomness.seed = Some(seed);
        }
        if resume_optimizer && let Some(opt) = &ck.optimizer {
            self.load_optim_state_dict(&mut prepared.optim_wrapper, opt)?;
        }
        if resume_param_scheduler {
            match (&ck.param_schedulers, prepared.has_schedulers()) {
                (Some(state), true) => self.load_scheduler_state_dict(prepared, state)?,
                (Some(_), false) => self
                    .logger
                    .warning("the checkpoint has scheduler states but this run has no schedulers"),
                _ => {}
            }
        }
        Ok(ck)
    }
}

#[cfg(not(target_family = "wasm"))]
impl SingleDeviceStrategy {
    /// MMEngine's `save_checkpoint(filename, save_optimizer, save_param_scheduler,
    /// extra_ckpt, callback)`: [`checkpoint`](Self::checkpoint) written to `filename`
    /// atomically (temp file, fsync, rename).
    pub async fn save_checkpoint(
        &self,
        prepared: &Prepared,
        filename: &std::path::Path,
        save_optimizer: bool,
        save_param_scheduler: bool,
        extra_ckpt: serde_json::Map<String, Value>,
        callback: Option<&dyn Fn(&mut crate::checkpoint::Checkpoint)>,
    ) -> Result<(), RunError> {
        let ck = self
            .checkpoint(
                prepared,
                save_optimizer,
                save_param_scheduler,
                extra_ckpt,
                callback,
            )
            .await?;
        crate::checkpoint::files::write_checkpoint(filename, &ck)?;
        Ok(())
    }

    /// MMEngine's `load_checkpoint(filename, strict, revise_keys, callback)` from a
    /// file: a playground checkpoint, or a PyTorch `.pth`/`.pt` (weights only). The
    /// weights go to this strategy's device (MMEngine's `map_location` has nothing to
    /// choose here).
    pub fn load_checkpoint_file(
        &mut self,
        model: &mut dyn DynModel,
        filename: &std::path::Path,
        strict: bool,
        revise_keys: &[(String, String)],
        callback: Option<&dyn Fn(&mut crate::checkpoint::Checkpoint)>,
    ) -> Result<(crate::checkpoint::Checkpoint, StateDictReport), RunError> {
        let is_pytorch = filename
            .extension()
            .is_some_and(|e| e == "pth" || e == "pt");
        let ck = if is_pytorch {
            crate::checkpoint::pytorch::import_pytorch(filename, &[])?
        } else {
            crate::checkpoint::files::read_checkpoint(filename)?
        };
        self.load_checkpoint(model, ck, strict, revise_keys, callback)
    }
}

/// Reads a flattened tensor back to the host asynchronously.
pub async fn read_f32(t: burn::tensor::Tensor<1>, device: &str) -> Result<Vec<f32>, RunError> {
    let failed = |message: String| crate::error::Error::Execution {
        device: device.to_string(),
        message,
    };
    let data = t
        .into_data_async()
        .await
        .map_err(|e| failed(e.to_string()))?;
    data.try_into_vec_as().map_err(|e| failed(format!("{e:?}")))
}
