//! `EMAHook` in the run: the averaged weights live on the training device beside the
//! model, are updated after every train iteration, swapped in for validation and
//! test and swapped back, go into every checkpoint as MMEngine puts them
//! (`state_dict` averaged, `ema_state_dict` raw) and come back on resume.
//!
//! MMEngine's hook runs at `NORMAL` priority; the runner calls it at that place in
//! the order (after the iteration, before logging and checkpoints; around
//! validation, before every after-validation hook), and no other hook reads or writes
//! the weights, so the order cannot change a result.

use burn::tensor::Tensor;

use super::Runner;
use crate::checkpoint::{Checkpoint, EmaStateDict};
use crate::hooks::ema::{EmaAction, EmaCfg, EmaCounter};
use crate::model::DynModel;

/// The averaged weights and their counter.
#[derive(Debug)]
pub struct EmaRun {
    /// The settings.
    pub cfg: EmaCfg,
    /// `steps` of the averaged model.
    pub counter: EmaCounter,
    /// The averaged parameters, in module order, flattened, on the device.
    pub avg: Vec<Tensor<1>>,
    /// The model's own parameters while the average is swapped in.
    swapped: Option<Vec<Tensor<1>>>,
}

/// `torch.lerp(avg, src, w)` on the device, in torch's two forms.
pub fn lerp(avg: Tensor<1>, src: Tensor<1>, w: f64) -> Tensor<1> {
    if w < 0.5 {
        avg.clone() + (src - avg) * w
    } else {
        src.clone() - (src - avg) * (1.0 - w)
    }
}

impl EmaRun {
    /// MMEngine's `before_run`: a copy of the model's current weights, `steps = 0`.
    pub fn new(cfg: EmaCfg, model: &dyn DynModel) -> Self {
        Self {
            cfg,
            counter: EmaCounter::default(),
            avg: model.flat_params(),
            swapped: None,
        }
    }

    /// After the train iteration of 0-based index `iter` in the 0-based `epoch`:
    /// before the start the average follows the model (`steps` unchanged); then
    /// copy, average or skip as the counter says.
    pub fn after_train_iter(&mut self, model: &dyn DynModel, epoch: i64, iter: i64) {
        let src = model.flat_params();
        if !self.cfg.started(epoch, iter) {
            self.avg = src;
            return;
        }
        match self.counter.call(&self.cfg) {
            EmaAction::Copy => self.avg = src,
            EmaAction::Average(w) => {
                let avg = std::mem::take(&mut self.avg);
                self.avg = avg
                    .into_iter()
                    .zip(src)
                    .map(|(a, s)| lerp(a, s, w))
                    .collect();
            }
            EmaAction::Skip => {}
        }
    }

    /// Puts the averaged weights into the model (validation, test, checkpoint).
    pub fn swap_in(&mut self, model: &mut dyn DynModel) {
        if self.swapped.is_none() {
            self.swapped = Some(model.flat_params());
            model.set_flat_params(&self.avg);
        }
    }

    /// Gives the model its own weights back.
    pub fn swap_back(&mut self, model: &mut dyn DynModel) {
        if let Some(raw) = self.swapped.take() {
            model.set_flat_params(&raw);
        }
    }
}

impl Runner {
    /// The EMA update after a train iteration (the counters already moved on).
    pub(super) fn ema_after_train_iter(&mut self) {
        if let Some(ema) = self.ema.as_mut() {
            ema.after_train_iter(
                self.prepared.model.as_ref(),
                self.hub.epoch,
                self.hub.iter - 1,
            );
        }
    }

    /// Swaps the average in before validation or test (`true`), back after (`false`).
    pub(super) fn ema_swap(&mut self, averaged: bool) {
        if let Some(ema) = self.ema.as_mut() {
            if averaged {
                ema.swap_in(self.prepared.model.as_mut());
            } else {
                ema.swap_back(self.prepared.model.as_mut());
            }
        }
    }

    /// MMEngine's `after_load_checkpoint` on resume: `state_dict` holds the average
    /// and `ema_state_dict` the raw weights; the average and `steps` are taken back
    /// and `ck` is left holding the raw weights for the model. A checkpoint without
    /// `ema_state_dict` starts the average from its weights (with MMEngine's warning).
    pub(super) fn ema_resume(&mut self, ck: &mut Checkpoint) {
        let Some(ema) = self.ema.as_mut() else {
            return;
        };
        let model = self.prepared.model.as_mut();
        match ck.ema_state_dict.take() {
            Some(EmaStateDict { steps, module }) => {
                model.load_state(&ck.state_dict);
                ema.avg = model.flat_params();
                ema.counter.steps = steps as i64;
                ck.state_dict = module;
            }
            None => {
                self.strategy.logger.warning(
                    "There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of `state_dict` as the initial `ema_state_dict`.",
                );
                model.load_state(&ck.state_dict);
                ema.avg = model.flat_params();
                ema.counter = EmaCounter::default();
            }
        }
    }

    /// After a plain load (`load_from`): the average starts from the loaded weights,
    /// `steps = 0`.
    pub(super) fn ema_after_load(&mut self) {
        if let Some(ema) = self.ema.as_mut() {
            ema.avg = self.prepared.model.flat_params();
            ema.counter = EmaCounter::default();
        }
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use burn::tensor::TensorData;
    use serde_json::Value;

    use super::*;

    /// The device-side lerp against MMEngine's float64 averages, in f32.
    #[test]
    fn the_device_average_matches_mmengine_within_f32() {
        let path = crate::base::reference_dir().join("hooks/ema_annealing_gamma10.json");
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the reference case"))
                .expect("JSON");
        let device = burn::tensor::Device::flex();
        let weights = |state: &Value| -> Tensor<1> {
            let mut v: Vec<f32> = Vec::new();
            for row in state["weight"].as_array().expect("rows") {
                v.extend(
                    row.as_array()
                        .expect("row")
                        .iter()
                        .map(|x| x.as_f64().expect("x") as f32),
                );
            }
            Tensor::from_data(TensorData::new(v.clone(), [v.len()]), &device)
        };
        let mut avg = weights(&case["input"]["initial_state"]);
        for (src, want) in case["input"]["source_state_per_call"]
            .as_array()
            .expect("sources")
            .iter()
            .zip(case["expected"]["per_call"].as_array().expect("calls"))
        {
            let src = weights(src);
            avg = match want["momentum_used"].as_f64() {
                Some(w) => lerp(avg, src, w),
                None if want["action"] == "copy" => src,
                None => avg,
            };
            let got: Vec<f32> = avg.to_data().try_to_vec::<f32>().expect("f32");
            let expected = weights(&want["averaged"])
                .to_data()
                .try_to_vec::<f32>()
                .expect("f32");
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() <= 1e-6 * (1.0 + e.abs()), "{g} vs {e}");
            }
        }
    }
}
