//! `train_cfg`, `val_cfg`, `test_cfg`: which loops run, for how long, and when
//! validation happens.

use serde::Deserialize;
use serde_json::Value;

use crate::base::key_path::{ConfigError, KeyPath};
use crate::base::notes::Notes;
use crate::base::typed::from_value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainCfgRaw {
    #[serde(rename = "type", default)]
    loop_type: Option<String>,
    #[serde(default)]
    by_epoch: Option<bool>,
    #[serde(default)]
    max_epochs: Option<i64>,
    #[serde(default)]
    max_iters: Option<i64>,
    #[serde(default = "one")]
    val_interval: i64,
    #[serde(default = "one")]
    val_begin: i64,
    #[serde(default)]
    dynamic_intervals: Option<Vec<(i64, i64)>>,
}

fn one() -> i64 {
    1
}

/// The loop a `train_cfg` describes, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainLoop {
    /// `max_epochs` epochs.
    EpochBased {
        /// Number of epochs.
        max_epochs: i64,
    },
    /// `max_iters` iterations.
    IterBased {
        /// Number of iterations.
        max_iters: i64,
    },
}

impl TrainLoop {
    /// Whether the loop counts epochs.
    pub fn by_epoch(self) -> bool {
        matches!(self, Self::EpochBased { .. })
    }
}

/// `train_cfg`, checked: the loop, and when to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainCfg {
    /// The loop and its length.
    pub train_loop: TrainLoop,
    /// Validate every this many epochs (or iterations) until the first dynamic
    /// milestone.
    pub val_interval: i64,
    /// First epoch (or iteration) that validates.
    pub val_begin: i64,
    /// MMEngine's `dynamic_intervals`: from epoch (iteration) `m` on, validate every
    /// `interval`; sorted by milestone.
    pub dynamic_intervals: Vec<(i64, i64)>,
}

impl TrainCfg {
    /// Parses and checks `train_cfg` (found at `path`).
    pub fn parse(v: &Value, path: &KeyPath) -> Result<Self, ConfigError> {
        let raw: TrainCfgRaw = from_value(v, path)?;
        let by_epoch = match (raw.loop_type.as_deref(), raw.by_epoch) {
            (Some("EpochBasedTrainLoop"), Some(false))
            | (Some("IterBasedTrainLoop"), Some(true)) => {
                return Err(path.key("by_epoch").error("contradicts `type`"));
            }
            (Some("EpochBasedTrainLoop"), _) => true,
            (Some("IterBasedTrainLoop"), _) => false,
            (Some(other), _) => {
                return Err(path.key("type").error(format!(
                    "unknown loop type `{other}`.{} Known types: EpochBasedTrainLoop, IterBasedTrainLoop",
                    crate::base::did_you_mean(other, ["EpochBasedTrainLoop", "IterBasedTrainLoop"])
                )));
            }
            (None, Some(b)) => b,
            (None, None) => raw.max_iters.is_none(),
        };
        if raw.val_interval < 1 {
            return Err(path.key("val_interval").error(format!(
                "expected a positive interval, got {}",
                raw.val_interval
            )));
        }
        let train_loop = if by_epoch {
            if raw.max_iters.is_some() {
                return Err(path
                    .key("max_iters")
                    .error("an epoch-based loop counts max_epochs; remove max_iters (or use IterBasedTrainLoop)"));
            }
            match raw.max_epochs {
                Some(n) if n >= 1 => TrainLoop::EpochBased { max_epochs: n },
                Some(n) => {
                    return Err(path
                        .key("max_epochs")
                        .error(format!("expected a positive number of epochs, got {n}")));
                }
                None => {
                    return Err(path
                        .key("max_epochs")
                        .error("missing: an epoch-based loop needs max_epochs"));
                }
            }
        } else {
            if raw.max_epochs.is_some() {
                return Err(path
                    .key("max_epochs")
                    .error("an iteration-based loop counts max_iters; remove max_epochs (or use EpochBasedTrainLoop)"));
            }
            match raw.max_iters {
                Some(n) if n >= 1 => TrainLoop::IterBased { max_iters: n },
                Some(n) => {
                    return Err(path
                        .key("max_iters")
                        .error(format!("expected a positive number of iterations, got {n}")));
                }
                None => {
                    return Err(path
                        .key("max_iters")
                        .error("missing: an iteration-based loop needs max_iters"));
                }
            }
        };
        let mut dynamic_intervals = raw.dynamic_intervals.unwrap_or_default();
        for (i, (m, interval)) in dynamic_intervals.iter().enumerate() {
            if *interval < 1 || *m < 0 {
                return Err(path.key("dynamic_intervals").index(i).error(format!(
                    "expected [milestone >= 0, interval >= 1], got [{m}, {interval}]"
                )));
            }
        }
        if dynamic_intervals.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(path
                .key("dynamic_intervals")
                .error("expected milestones in increasing order"));
        }
        dynamic_intervals.sort_unstable();
        Ok(Self {
            train_loop,
            val_interval: raw.val_interval,
            val_begin: raw.val_begin,
            dynamic_intervals,
        })
    }

    /// The validation interval in force for epoch (or iteration) `next` (1-based, the
    /// one about to run): MMEngine's `_decide_current_val_interval`, which bisects
    /// `[0, m1, m2, …]` with `next`.
    pub fn val_interval_at(&self, next: i64) -> i64 {
        self.dynamic_intervals
            .iter()
            .rev()
            .find(|(m, _)| *m <= next)
            .map_or(self.val_interval, |(_, i)| *i)
    }

    /// Whether the loop validates after epoch (or iteration) `done` (1-based, just
    /// finished) of `max`.
    pub fn validates_after(&self, done: i64, max: i64) -> bool {
        done >= self.val_begin && (done % self.val_interval_at(done) == 0 || done == max)
    }
}

/// `val_cfg` / `test_cfg`: MMEngine's `ValLoop` / `TestLoop` settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoopCfgRaw {
    #[serde(rename = "type", default)]
    loop_type: Option<String>,
    #[serde(default)]
    fp16: bool,
}

/// Checks `val_cfg` or `test_cfg` (`expected_type` is `ValLoop` or `TestLoop`).
/// Half precision (`fp16 = true`) would change the metrics, so it is refused.
pub fn check_loop_cfg(
    v: &Value,
    path: &KeyPath,
    expected_type: &str,
    notes: &mut Notes,
) -> Result<(), ConfigError> {
    let raw: LoopCfgRaw = from_value(v, path)?;
    if let Some(t) = raw.loop_type.as_deref()
        && t != expected_type
    {
        return Err(path.key("type").error(format!(
            "unknown loop type `{t}`; the playground runs MMEngine's `{expected_type}`"
        )));
    }
    if raw.loop_type.is_none() && v.as_object().is_some_and(|m| m.is_empty()) {
        notes.add(path, "empty: MMEngine's default loop, as here");
    }
    if raw.fp16 {
        return Err(path
            .key("fp16")
            .error("half-precision evaluation is not available here; remove fp16 (f32 is used)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<TrainCfg, ConfigError> {
        TrainCfg::parse(&v, &KeyPath::root().key("train_cfg"))
    }

    #[test]
    fn loops_and_their_mistakes() {
        assert_eq!(
            parse(json!({"max_epochs": 3})).map(|t| t.train_loop),
            Ok(TrainLoop::EpochBased { max_epochs: 3 })
        );
        assert_eq!(
            parse(json!({"type": "IterBasedTrainLoop", "max_iters": 9})).map(|t| t.train_loop),
            Ok(TrainLoop::IterBased { max_iters: 9 })
        );
        let e = parse(json!({"by_epoch": true})).unwrap_err();
        assert_eq!(e.path, "train_cfg.max_epochs");
        let e = parse(json!({"max_epochs": 3, "max_epoch": 4})).unwrap_err();
        assert_eq!(e.path, "train_cfg.max_epoch");
        assert!(e.message.contains("Did you mean `max_epochs`?"), "{e}");
        let e = parse(json!({"type": "EpochBasedTrainLop", "max_epochs": 3})).unwrap_err();
        assert!(
            e.message.contains("Did you mean `EpochBasedTrainLoop`?"),
            "{e}"
        );
    }

    #[test]
    fn dynamic_intervals_change_the_validation_interval_at_their_milestones() {
        // mmdetection's YOLOX: every 10 epochs, then every epoch from 285 on.
        let t =
            parse(json!({"max_epochs": 300, "val_interval": 10, "dynamic_intervals": [[285, 1]]}))
                .expect("parses");
        let validated: Vec<i64> = (1..=300).filter(|&e| t.validates_after(e, 300)).collect();
        assert_eq!(&validated[..3], &[10, 20, 30]);
        assert!(validated.contains(&280) && !validated.contains(&284));
        assert!((285..=300).all(|e| validated.contains(&e)));
        let e = parse(json!({"max_epochs": 3, "dynamic_intervals": [[5, 0]]})).unwrap_err();
        assert_eq!(e.path, "train_cfg.dynamic_intervals[0]");
    }
}
