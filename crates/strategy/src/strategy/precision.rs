//! Mixed precision at `prepare`: each `AmpOptimWrapper`'s dtype checked against the
//! training device (`Device::supports_dtype`), then used, or replaced by f32 with a
//! note (`dtype_fallback = "float32"`), or refused with the device's name; in the
//! browser, each wrapper's inf/NaN check deferred to the loop.

use burn::tensor::{DType, FloatDType};

use crate::device::ReadyDevice;
use crate::error::Error as RunError;
use crate::optim::config::{AmpDtype, DtypeFallback};
use crate::optim::wrapper_dict::OptimWrapperDict;

/// Whether steps leave their inf/NaN decision to the loop, which reads the flag back
/// asynchronously after the model's `train_step` (a page cannot read WebGPU
/// synchronously): in the browser. Natively the flag is read inside the step, as
/// PyTorch's `GradScaler.step` does.
const DEFER_INF_CHECK: bool = cfg!(target_family = "wasm");

/// The burn dtype of an AMP dtype (None: f32, nothing to cast).
pub fn float_dtype(dtype: AmpDtype) -> Option<FloatDType> {
    match dtype {
        AmpDtype::Float16 => Some(FloatDType::F16),
        AmpDtype::BFloat16 => Some(FloatDType::BF16),
        AmpDtype::Float32 => None,
    }
}

/// Whether `device` computes in `dtype` (storage, conversion and arithmetic).
pub fn supports(device: &burn::tensor::Device, dtype: FloatDType) -> bool {
    device.supports_dtype(DType::from(dtype))
}

/// Sets every wrapper's compute dtype for `device`; returns the notes to log.
pub fn resolve(
    optim: &mut OptimWrapperDict,
    device: &ReadyDevice,
) -> Result<Vec<String>, RunError> {
    let mut notes = Vec::new();
    let several = optim.len() > 1;
    for (name, w) in optim.iter_mut() {
        let Some(amp) = w.spec.amp else {
            continue;
        };
        let at = match name {
            Some(n) => format!("optim_wrapper.{n}"),
            None => "optim_wrapper".to_string(),
        };
        if DEFER_INF_CHECK {
            if several {
                return Err(RunError::Usage(format!(
                    "{at}: mixed precision with several optimizer wrappers does not run in \
                     the browser: each step's inf/NaN check is read back after the \
                     iteration here, and a model with several wrappers (a GAN) needs the \
                     first step's weights before its second; use OptimWrapper here, or train \
                     this config with playground-cli"
                )));
            }
            w.defer_inf_check = true;
        }
        let Some(dtype) = float_dtype(amp.dtype) else {
            notes.push(format!(
                "{at}.dtype: float32: forward and backward in f32, the loss scaler still runs"
            ));
            continue;
        };
        if supports(&device.device, dtype) {
            w.compute_dtype = Some(dtype);
            notes.push(format!(
                "{at}: mixed precision: forward and backward in {} on {}, f32 master weights \
                 and optimizer state, loss scale {}",
                amp.dtype.name(),
                device.description,
                w.scaler.as_ref().map_or(1.0, |s| s.scale())
            ));
            continue;
        }
        match amp.fallback {
            DtypeFallback::Error => {
                return Err(RunError::Usage(format!(
                    "{at}.dtype: {} cannot run on {} (the device does not compute in it); set \
                     {at}.dtype_fallback = \"float32\" to train in f32 there",
                    amp.dtype.name(),
                    device.description
                )));
            }
            DtypeFallback::Float32 => notes.push(format!(
                "{at}.dtype: {} cannot run on {}: training in f32 (dtype_fallback = \
                 \"float32\"); the loss scaler still runs",
                amp.dtype.name(),
                device.description
            )),
        }
    }
    Ok(notes)
}
