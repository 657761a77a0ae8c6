//! `AmpOptimWrapper`'s own keys (MMEngine's `loss_scale`, `dtype`, `use_fsdp`, and the
//! playground's `dtype_fallback`), parsed and checked. Backend-free: the schedule
//! preview accepts a mixed-precision config without knowing whether its dtype can
//! run here.

use serde_json::{Map, Value};

use crate::base::registry::kind_of;
use crate::base::{ConfigError, KeyPath};

/// PyTorch's `GradScaler` arguments (MMEngine passes a `loss_scale` dict as them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalerConfig {
    /// The first scale.
    pub init_scale: f64,
    /// Multiplies the scale after `growth_interval` steps without inf/NaN.
    pub growth_factor: f64,
    /// Multiplies the scale after a step with inf/NaN gradients.
    pub backoff_factor: f64,
    /// Clean steps before the scale grows.
    pub growth_interval: u32,
    /// `enabled = false` turns scaling off (every step is taken, scale 1).
    pub enabled: bool,
}

impl Default for ScalerConfig {
    fn default() -> Self {
        Self {
            init_scale: 65536.0,
            growth_factor: 2.0,
            backoff_factor: 0.5,
            growth_interval: 2000,
            enabled: true,
        }
    }
}

/// `loss_scale`: MMEngine's three forms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossScale {
    /// `"dynamic"` or a dict: a `GradScaler` that backs off and grows.
    Dynamic(ScalerConfig),
    /// A float: the scale never changes (MMEngine calls `scaler.update(x)` each step);
    /// steps with inf/NaN gradients are still skipped.
    Static(f64),
}

/// The low-precision type of forward and backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmpDtype {
    /// IEEE half precision (MMEngine's default on CUDA: `dtype = None`).
    Float16,
    /// bfloat16.
    BFloat16,
    /// float32: autocast to f32, i.e. no lower precision; the scaler still runs.
    Float32,
}

impl AmpDtype {
    /// MMEngine's / PyTorch's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Float16 => "float16",
            Self::BFloat16 => "bfloat16",
            Self::Float32 => "float32",
        }
    }
}

/// What a run does when the device cannot compute in the requested dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DtypeFallback {
    /// Stop with an error naming the device and the dtype (the default).
    #[default]
    Error,
    /// Train in f32 (the scaler still runs) and say so in the log.
    Float32,
}

/// An `AmpOptimWrapper`'s mixed-precision settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmpSpec {
    /// The loss scaler.
    pub loss_scale: LossScale,
    /// The compute dtype (`None` in the config means float16, CUDA autocast's).
    pub dtype: AmpDtype,
    /// What to do where `dtype` cannot run.
    pub fallback: DtypeFallback,
}

/// The keys an `AmpOptimWrapper` adds to `OptimWrapper`'s.
pub const AMP_KEYS: &[&str] = &["loss_scale", "dtype", "use_fsdp", "dtype_fallback"];

const SCALER_KEYS: &[&str] = &[
    "init_scale",
    "growth_factor",
    "backoff_factor",
    "growth_interval",
    "enabled",
    "device",
];

fn number(v: &Value, at: &KeyPath, what: &str) -> Result<f64, ConfigError> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| at.error(format!("expected {what}, found {}", kind_of(v))))
}

fn parse_loss_scale(v: Option<&Value>, at: &KeyPath) -> Result<LossScale, ConfigError> {
    match v {
        None => Ok(LossScale::Dynamic(ScalerConfig::default())),
        Some(Value::String(s)) if s == "dynamic" => Ok(LossScale::Dynamic(ScalerConfig::default())),
        // MMEngine checks `isinstance(loss_scale, float)`: 512 is refused, 512.0 taken.
        Some(Value::Number(n)) if n.is_f64() => {
            let x = number(v.unwrap_or(&Value::Null), at, "a scale")?;
            if x > 0.0 {
                Ok(LossScale::Static(x))
            } else {
                Err(at.error(format!("expected a positive scale, got {x}")))
            }
        }
        Some(Value::Number(n)) => Err(at.error(format!(
            "loss_scale must be of type float, dict, or \"dynamic\", but got the integer {n} \
             (MMEngine refuses an int too): write {n}.0"
        ))),
        Some(Value::Object(d)) => {
            crate::optim::keys::check_keys(
                d,
                at,
                "loss_scale (GradScaler's arguments)",
                SCALER_KEYS,
            )?;
            let mut c = ScalerConfig::default();
            let get = |k: &str| d.get(k).map(|x| number(x, &at.key(k), "a number"));
            if let Some(x) = get("init_scale") {
                c.init_scale = x?;
            }
            if let Some(x) = get("growth_factor") {
                c.growth_factor = x?;
            }
            if let Some(x) = get("backoff_factor") {
                c.backoff_factor = x?;
            }
            if let Some(x) = d.get("growth_interval") {
                c.growth_interval = x
                    .as_u64()
                    .filter(|n| *n >= 1 && *n <= u64::from(u32::MAX))
                    .ok_or_else(|| {
                        at.key("growth_interval")
                            .error(format!("expected a positive integer, got {x}"))
                    })? as u32;
            }
            if let Some(x) = d.get("enabled") {
                c.enabled = x.as_bool().ok_or_else(|| {
                    at.key("enabled")
                        .error(format!("expected true or false, found {}", kind_of(x)))
                })?;
            }
            // PyTorch's own checks.
            if !(c.init_scale > 0.0) {
                return Err(at.key("init_scale").error("expected a positive scale"));
            }
            if !(c.growth_factor > 1.0) {
                return Err(at
                    .key("growth_factor")
                    .error("the growth factor must be > 1.0"));
            }
            if !(c.backoff_factor > 0.0 && c.backoff_factor < 1.0) {
                return Err(at
                    .key("backoff_factor")
                    .error("the backoff factor must be < 1.0"));
            }
            Ok(LossScale::Dynamic(c))
        }
        Some(other) => Err(at.error(format!(
            "loss_scale must be of type float, dict, or \"dynamic\", but got {}",
            match other {
                Value::String(s) => format!("\"{s}\""),
                v => kind_of(v).to_string(),
            }
        ))),
    }
}

/// Parses an `AmpOptimWrapper`'s own keys from its table (`path`: the wrapper's).
/// `ignored` gains a note for `use_fsdp = false` and `loss_scale.device`.
pub fn parse_amp(
    dict: &Map<String, Value>,
    path: &KeyPath,
    ignored: &mut Vec<String>,
) -> Result<AmpSpec, ConfigError> {
    let loss_scale = parse_loss_scale(dict.get("loss_scale"), &path.key("loss_scale"))?;
    if let Some(Value::Object(d)) = dict.get("loss_scale")
        && d.contains_key("device")
    {
        ignored.push(format!(
            "{}: the scaler lives where the model trains; naming its device cannot change the result",
            path.key("loss_scale").key("device")
        ));
    }
    let dtype = match dict.get("dtype") {
        None | Some(Value::Null) => AmpDtype::Float16,
        Some(Value::String(s)) => match s.as_str() {
            "float16" | "torch.float16" | "half" => AmpDtype::Float16,
            "bfloat16" | "torch.bfloat16" => AmpDtype::BFloat16,
            "float32" | "torch.float32" => AmpDtype::Float32,
            "float64" | "torch.float64" => {
                return Err(path.key("dtype").error(
                    "float64 is not supported: the backends here compute in float32 at most",
                ));
            }
            other => {
                return Err(path.key("dtype").error(format!(
                    "expected \"float16\", \"bfloat16\" or \"float32\", got \"{other}\"{}",
                    crate::optim::keys::did_you_mean(other, &["float16", "bfloat16", "float32"])
                )));
            }
        },
        Some(other) => {
            return Err(path
                .key("dtype")
                .error(format!("expected a dtype name, found {}", kind_of(other))));
        }
    };
    match dict.get("use_fsdp") {
        None | Some(Value::Bool(false)) => {
            if dict.contains_key("use_fsdp") {
                ignored.push(format!(
                    "{}: false is MMEngine's default (a plain GradScaler)",
                    path.key("use_fsdp")
                ));
            }
        }
        Some(Value::Bool(true)) => {
            return Err(path.key("use_fsdp").error(
                "FSDP's ShardedGradScaler is not supported: the playground does not shard \
                 models; remove use_fsdp",
            ));
        }
        Some(other) => {
            return Err(path
                .key("use_fsdp")
                .error(format!("expected true or false, found {}", kind_of(other))));
        }
    }
    let fallback = match dict.get("dtype_fallback") {
        None => DtypeFallback::Error,
        Some(Value::String(s)) if s == "error" => DtypeFallback::Error,
        Some(Value::String(s)) if s == "float32" => DtypeFallback::Float32,
        Some(other) => {
            return Err(path.key("dtype_fallback").error(format!(
                "expected \"error\" (stop where the dtype cannot run) or \"float32\" (train in \
                 f32 there, with a note), found {other}"
            )));
        }
    };
    Ok(AmpSpec {
        loss_scale,
        dtype,
        fallback,
    })
}
