//! `strategy` and `launcher`: which Strategy runs the config, and how its ranks start.
//!
//! - `SingleDeviceStrategy`: one device. `DDPStrategy` (MMEngine's `FlexibleRunner`
//!   key): data parallel over the devices the run is given (`--devices`), one rank
//!   per device. FSDP, DeepSpeed and ColossalAI shard or offload what they train and
//!   are refused: running them as DDP would train with other memory and numerics
//!   than the config says.
//! - `launcher = "none"` and `"pytorch"` (torchrun's local launch) both run here: the
//!   ranks are threads of this process, one per device. `slurm` and `mpi` start
//!   processes on a cluster's nodes and are refused.

use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::registry::kind_of;
use crate::base::suggest::did_you_mean;

/// Strategies MMEngine has.
const STRATEGIES: [&str; 5] = [
    "SingleDeviceStrategy",
    "DDPStrategy",
    "FSDPStrategy",
    "DeepSpeedStrategy",
    "ColossalAIStrategy",
];

/// The config's `strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    /// `SingleDeviceStrategy`: one device, one rank.
    SingleDevice,
    /// `DDPStrategy`: one rank per device, gradients averaged after every backward.
    Ddp,
}

impl StrategyKind {
    /// MMEngine's class name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SingleDevice => "SingleDeviceStrategy",
            Self::Ddp => "DDPStrategy",
        }
    }
}

/// The config's `launcher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Launcher {
    /// `none`: this process runs every rank.
    #[default]
    None,
    /// `pytorch`: torchrun's local launch; here too the ranks are this process's
    /// threads, one per device.
    Pytorch,
}

impl Launcher {
    /// The launcher's config name.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pytorch => "pytorch",
        }
    }
}

/// Parses `strategy`: `{type = "SingleDeviceStrategy"}` or `{type = "DDPStrategy"}`
/// (with MMEngine's `model_wrapper` noted); the strategies that shard are refused.
pub fn parse_strategy(
    v: &Value,
    path: &KeyPath,
    notes: &mut Notes,
) -> Result<StrategyKind, ConfigError> {
    let Value::Object(t) = v else {
        return Err(path.error(format!(
            "expected a strategy table ({{type = \"DDPStrategy\"}}), found {}",
            kind_of(v)
        )));
    };
    let Some(name) = t.get("type").and_then(Value::as_str) else {
        return Err(path
            .key("type")
            .error("missing: the strategy's type (SingleDeviceStrategy or DDPStrategy)"));
    };
    let kind = match name {
        "SingleDeviceStrategy" => StrategyKind::SingleDevice,
        "DDPStrategy" => StrategyKind::Ddp,
        n if STRATEGIES.contains(&n) => {
            return Err(path.key("type").error(format!(
                "{n} is not available: it shards or offloads parameters, gradients and optimizer state, which this build does not; supported: SingleDeviceStrategy, DDPStrategy (running {n} as DDP would train with other memory and numerics than the config says)"
            )));
        }
        n => {
            return Err(path.key("type").error(format!(
                "unknown strategy `{n}`.{} Supported: SingleDeviceStrategy, DDPStrategy",
                did_you_mean(n, STRATEGIES)
            )));
        }
    };
    for (k, v) in t.iter().filter(|(k, _)| k.as_str() != "type") {
        match (kind, k.as_str()) {
            (StrategyKind::Ddp, "model_wrapper") => check_model_wrapper(v, &path.key(k), notes)?,
            (StrategyKind::Ddp, "sync_bn") if v.is_null() => {}
            (StrategyKind::Ddp, "sync_bn") => {
                return Err(path.key(k).error(
                    "sync_bn converts BatchNorm layers to synchronised ones; the built-in models have no BatchNorm, so there is nothing to convert: remove it",
                ));
            }
            (_, k) => {
                let known: &[&str] = match kind {
                    StrategyKind::Ddp => &["type", "model_wrapper", "sync_bn"],
                    StrategyKind::SingleDevice => &["type"],
                };
                return Err(path.key(k).error(format!(
                    "{} takes no `{k}` here (the devices are chosen with --devices).{} Known keys: {}",
                    kind.name(),
                    did_you_mean(k, known.iter().copied()),
                    known.join(", ")
                )));
            }
        }
    }
    Ok(kind)
}

/// `model_wrapper = {type = "MMDistributedDataParallel", ...}`: PyTorch DDP's
/// bucketing and bookkeeping knobs cannot change the averaged gradients.
fn check_model_wrapper(v: &Value, path: &KeyPath, notes: &mut Notes) -> Result<(), ConfigError> {
    const NOTED: [&str; 5] = [
        "find_unused_parameters",
        "broadcast_buffers",
        "bucket_cap_mb",
        "gradient_as_bucket_view",
        "static_graph",
    ];
    let Value::Object(t) = v else {
        return Err(path.error(format!(
            "expected a table ({{type = \"MMDistributedDataParallel\"}}), found {}",
            kind_of(v)
        )));
    };
    match t.get("type").and_then(Value::as_str) {
        None | Some("MMDistributedDataParallel") => {}
        Some(other) => {
            return Err(path.key("type").error(format!(
                "unknown model wrapper `{other}`.{} Supported: MMDistributedDataParallel",
                did_you_mean(other, ["MMDistributedDataParallel"])
            )));
        }
    }
    for k in t.keys().filter(|k| k.as_str() != "type") {
        if !NOTED.contains(&k.as_str()) {
            return Err(path.key(k).error(format!(
                "unknown model_wrapper option.{} Known: {}",
                did_you_mean(k, NOTED),
                NOTED.join(", ")
            )));
        }
        notes.add(
            &path.key(k),
            "a PyTorch DDP bookkeeping knob: the gradients are averaged over every parameter after every backward whatever it says",
        );
    }
    Ok(())
}

/// Parses `launcher`: `none` or `pytorch` (both run the ranks in this process).
pub fn parse_launcher(v: &Value, path: &KeyPath) -> Result<Launcher, ConfigError> {
    const LAUNCHERS: [&str; 4] = ["none", "pytorch", "slurm", "mpi"];
    match v.as_str() {
        Some("none") => Ok(Launcher::None),
        Some("pytorch") => Ok(Launcher::Pytorch),
        Some(l) if LAUNCHERS.contains(&l) => Err(path.error(format!(
            "launcher `{l}` starts processes on a cluster's nodes, which this build does not; supported: none, pytorch (the ranks run in this process, one per device given with --devices; other machines join as `playground-cli worker`s)"
        ))),
        Some(l) => Err(path.error(format!(
            "unknown launcher `{l}`.{} Supported: none, pytorch",
            did_you_mean(l, LAUNCHERS)
        ))),
        None => Err(path.error(format!("expected a launcher name, found {}", kind_of(v)))),
    }
}

/// The strategy and world size a run uses: the config's `strategy` with the number
/// of devices it is given. Several devices and no `strategy` mean DDP;
/// `SingleDeviceStrategy` with several devices is an error.
pub fn resolve_strategy(
    configured: Option<StrategyKind>,
    devices: usize,
) -> Result<StrategyKind, ConfigError> {
    match (configured, devices) {
        (Some(StrategyKind::SingleDevice), n) if n > 1 => Err(KeyPath::root()
            .key("strategy")
            .key("type")
            .error(format!(
                "SingleDeviceStrategy trains on one device, but {n} devices were given: use strategy = {{type = \"DDPStrategy\"}} (or give one device)"
            ))),
        (Some(k), _) => Ok(k),
        (None, n) if n > 1 => Ok(StrategyKind::Ddp),
        (None, _) => Ok(StrategyKind::SingleDevice),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ddp_is_understood_and_the_sharding_strategies_refused() {
        let p = KeyPath::root().key("strategy");
        let mut notes = Notes::default();
        assert_eq!(
            parse_strategy(&json!({"type": "SingleDeviceStrategy"}), &p, &mut notes),
            Ok(StrategyKind::SingleDevice)
        );
        assert_eq!(
            parse_strategy(
                &json!({"type": "DDPStrategy", "model_wrapper": {"type": "MMDistributedDataParallel", "find_unused_parameters": true}}),
                &p,
                &mut notes
            ),
            Ok(StrategyKind::Ddp)
        );
        assert_eq!(notes.0.len(), 1);
        for s in ["FSDPStrategy", "DeepSpeedStrategy", "ColossalAIStrategy"] {
            let e = parse_strategy(&json!({ "type": s }), &p, &mut notes).unwrap_err();
            assert_eq!(e.path, "strategy.type");
            assert!(
                e.message
                    .contains("supported: SingleDeviceStrategy, DDPStrategy"),
                "{e}"
            );
        }
        let e = parse_strategy(&json!({"type": "DDPStrategi"}), &p, &mut notes).unwrap_err();
        assert!(e.message.contains("Did you mean `DDPStrategy`?"), "{e}");
        let e = parse_strategy(
            &json!({"type": "DDPStrategy", "sync_bm": "torch"}),
            &p,
            &mut notes,
        )
        .unwrap_err();
        assert_eq!(e.path, "strategy.sync_bm");
        assert!(e.message.contains("Did you mean `sync_bn`?"), "{e}");
    }

    #[test]
    fn launchers_and_device_counts() {
        let l = KeyPath::root().key("launcher");
        assert_eq!(parse_launcher(&json!("none"), &l), Ok(Launcher::None));
        assert_eq!(parse_launcher(&json!("pytorch"), &l), Ok(Launcher::Pytorch));
        for bad in ["slurm", "mpi"] {
            let e = parse_launcher(&json!(bad), &l).unwrap_err();
            assert_eq!(e.path, "launcher");
        }
        assert_eq!(resolve_strategy(None, 1), Ok(StrategyKind::SingleDevice));
        assert_eq!(resolve_strategy(None, 2), Ok(StrategyKind::Ddp));
        assert_eq!(
            resolve_strategy(Some(StrategyKind::Ddp), 1),
            Ok(StrategyKind::Ddp)
        );
        let e = resolve_strategy(Some(StrategyKind::SingleDevice), 2).unwrap_err();
        assert_eq!(e.path, "strategy.type");
    }
}
