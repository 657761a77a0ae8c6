//! PyTorch's `GradScaler` as a state machine, backend-free: the scale, the growth
//! tracker, back-off after a step with inf/NaN gradients, growth after
//! `growth_interval` clean steps, MMEngine's static scale, and the state dict MMEngine
//! saves as `loss_scaler`. The wrapper multiplies the loss by [`LossScaler::scale`],
//! unscales the gradients by [`LossScaler::inv_scale`], and reports whether they
//! were finite through [`LossScaler::update`].

use serde::{Deserialize, Serialize};

use super::amp::{LossScale, ScalerConfig};

/// The scaler's state (PyTorch's `GradScaler.state_dict()` keys).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalerState {
    /// The current scale.
    pub scale: f64,
    /// Multiplies the scale after `growth_interval` clean steps.
    pub growth_factor: f64,
    /// Multiplies the scale after a step with inf/NaN gradients.
    pub backoff_factor: f64,
    /// Clean steps before growth.
    pub growth_interval: u32,
    /// Clean steps since the last growth or back-off.
    #[serde(rename = "_growth_tracker")]
    pub growth_tracker: u32,
}

/// A loss scaler (dynamic or static).
#[derive(Debug, Clone, PartialEq)]
pub struct LossScaler {
    state: ScalerState,
    /// MMEngine's static scale: `update(x)` sets the scale back to `x` every step.
    fixed: Option<f64>,
    enabled: bool,
}

/// What one optimizer step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The gradients were finite and the optimizer stepped.
    Stepped,
    /// inf/NaN gradients: the step was skipped.
    Skipped,
}

/// Rounds to f32, as PyTorch keeps the scale in a float32 tensor.
fn f32_round(v: f64) -> f64 {
    f64::from(v as f32)
}

impl LossScaler {
    /// A scaler for `loss_scale`.
    pub fn new(loss_scale: &LossScale) -> Self {
        let (config, fixed) = match *loss_scale {
            LossScale::Dynamic(c) => (c, None),
            LossScale::Static(x) => (
                ScalerConfig {
                    init_scale: x,
                    ..ScalerConfig::default()
                },
                Some(x),
            ),
        };
        Self {
            state: ScalerState {
                scale: f32_round(config.init_scale),
                growth_factor: config.growth_factor,
                backoff_factor: config.backoff_factor,
                growth_interval: config.growth_interval,
                growth_tracker: 0,
            },
            fixed,
            enabled: config.enabled,
        }
    }

    /// The factor the loss is multiplied by (1 when disabled).
    pub fn scale(&self) -> f64 {
        if self.enabled { self.state.scale } else { 1.0 }
    }

    /// The factor gradients are multiplied by to unscale them: PyTorch's
    /// `scale.double().reciprocal().float()`.
    pub fn inv_scale(&self) -> f64 {
        f32_round(1.0 / self.scale())
    }

    /// Whether scaling is on (`enabled`).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// After a step: `found_inf` says whether any unscaled gradient was inf or NaN
    /// (then the optimizer must not have stepped). Returns what the step was.
    pub fn update(&mut self, found_inf: bool) -> StepOutcome {
        if !self.enabled {
            return StepOutcome::Stepped;
        }
        let s = &mut self.state;
        if let Some(x) = self.fixed {
            s.scale = f32_round(x);
        } else if found_inf {
            s.scale = f32_round(s.scale * s.backoff_factor);
            s.growth_tracker = 0;
        } else {
            let successful = s.growth_tracker + 1;
            if successful == s.growth_interval {
                let grown = f32_round(s.scale * s.growth_factor);
                if grown.is_finite() && (grown as f32).is_finite() {
                    s.scale = grown;
                }
                s.growth_tracker = 0;
            } else {
                s.growth_tracker = successful;
            }
        }
        if found_inf {
            StepOutcome::Skipped
        } else {
            StepOutcome::Stepped
        }
    }

    /// `GradScaler.state_dict()` (empty when disabled, as PyTorch's).
    pub fn state_dict(&self) -> Option<ScalerState> {
        self.enabled.then_some(self.state)
    }

    /// Restores a saved state (MMEngine's `loss_scaler` key).
    pub fn load_state_dict(&mut self, state: ScalerState) {
        self.state = state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(growth_interval: u32) -> LossScaler {
        LossScaler::new(&LossScale::Dynamic(ScalerConfig {
            init_scale: 1024.0,
            growth_interval,
            ..ScalerConfig::default()
        }))
    }

    #[test]
    fn backs_off_on_overflow_and_grows_after_the_interval() {
        let mut s = dynamic(3);
        assert_eq!(s.update(true), StepOutcome::Skipped);
        assert_eq!(s.scale(), 512.0);
        for _ in 0..2 {
            assert_eq!(s.update(false), StepOutcome::Stepped);
            assert_eq!(s.scale(), 512.0);
        }
        s.update(false);
        assert_eq!(s.scale(), 1024.0);
        assert_eq!(s.state_dict().map(|st| st.growth_tracker), Some(0));
        // An overflow resets the count of clean steps.
        s.update(false);
        s.update(true);
        s.update(false);
        s.update(false);
        assert_eq!(s.scale(), 512.0);
    }

    #[test]
    fn a_static_scale_never_changes_but_overflows_still_skip() {
        let mut s = LossScaler::new(&LossScale::Static(4096.0));
        assert_eq!(s.update(true), StepOutcome::Skipped);
        assert_eq!(s.scale(), 4096.0);
        for _ in 0..5000 {
            s.update(false);
        }
        assert_eq!(s.scale(), 4096.0);
    }

    /// PyTorch's `GradScaler` on scripted gradients (`tests/data/amp/grad_scaler.json`,
    /// written by its `generate_scaler.py`): every scale, growth tracker and skipped
    /// step, and the final state dict.
    #[test]
    fn every_step_matches_pytorchs_grad_scaler() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/amp/grad_scaler.json"
        );
        let text = std::fs::read_to_string(path).expect("the reference is readable");
        let reference: serde_json::Value = serde_json::from_str(&text).expect("json");
        let script = reference["script"].as_array().expect("a script");
        let cases = reference["cases"].as_object().expect("cases");
        assert_eq!(cases.len(), 5);
        for (name, case) in cases {
            let kw = &case["kwargs"];
            let mut config = ScalerConfig::default();
            if let Some(x) = kw["init_scale"].as_f64() {
                config.init_scale = x;
            }
            if let Some(x) = kw["growth_factor"].as_f64() {
                config.growth_factor = x;
            }
            if let Some(x) = kw["backoff_factor"].as_f64() {
                config.backoff_factor = x;
            }
            if let Some(x) = kw["growth_interval"].as_u64() {
                config.growth_interval = x as u32;
            }
            let loss_scale = match case["static"].as_f64() {
                Some(x) => LossScale::Static(x),
                None => LossScale::Dynamic(config),
            };
            let mut scaler = LossScaler::new(&loss_scale);
            for (i, g) in script.iter().enumerate() {
                let found_inf = !g.is_number();
                let outcome = scaler.update(found_inf);
                let stepped = case["stepped"][i].as_bool().expect("bool");
                assert_eq!(outcome == StepOutcome::Stepped, stepped, "{name} step {i}");
                let want = case["scale_after_each_step"][i].as_f64().expect("scale");
                assert_eq!(scaler.scale(), want, "{name} step {i}");
                let tracker = case["growth_tracker_after_each_step"][i].as_u64();
                assert_eq!(
                    scaler.state_dict().map(|s| u64::from(s.growth_tracker)),
                    tracker,
                    "{name} step {i}"
                );
            }
            let saved = serde_json::to_value(scaler.state_dict().expect("enabled")).expect("json");
            assert_eq!(saved, case["state_dict"], "{name}");
        }
    }
}
