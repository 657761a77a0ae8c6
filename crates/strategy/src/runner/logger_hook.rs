//! MMEngine's `LoggerHook` with its `LogProcessor`: every `interval` iterations a
//! text line and a `scalars.json` record (the processor's statistics of the message
//! hub: window means of losses and times, the latest lr, `custom_cfg`'s own), and
//! after every validation the metrics with the validation's timing.
//!
//! When the runner leaves the losses on the device at the logger's intervals
//! (`RunnerOptions::defer_log_reads`, the browser's WebGPU runs), a due line waits
//! with the loop's position until they are read back, and is then made from the
//! values recorded up to its iteration: the same line, written later.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::RunError;
use super::hooks::{Hook, HookContext};
use super::message_hub::MessageHub;
use crate::hooks::log_processor::{LogProcessorCfg, LoopState, TagValue};

/// Logs training and validation. As MMEngine with `ignore_last = true` (its
/// default), the short window at an epoch's end is not logged unless the epoch is no
/// longer than `interval`.
#[derive(Debug)]
pub struct LoggerHook {
    /// Iterations between records.
    pub interval: i64,
    /// Skip the short last window of an epoch.
    pub ignore_last: bool,
    /// How values are summarised and printed (`log_processor`; `by_epoch` resolved).
    pub processor: LogProcessorCfg,
    /// Lines due while their losses were still on the device, oldest first.
    waiting: Vec<Waiting>,
}

/// A training line that waits for its values: the loop's position when it was due.
#[derive(Debug)]
struct Waiting {
    st: LoopState,
    batch_idx: i64,
    eta: Option<f64>,
    by_epoch: bool,
    step: i64,
}

impl LoggerHook {
    /// Logs every `interval` iterations with MMEngine's default processor.
    pub fn new(interval: i64) -> Self {
        Self {
            interval: interval.max(1),
            ignore_last: true,
            processor: LogProcessorCfg::default(),
            waiting: Vec::new(),
        }
    }

    fn due(&self, hub: &MessageHub) -> bool {
        if hub.max_epochs.is_some() {
            hub.inner_iter % self.interval == 0
                || (hub.inner_iter == hub.iters_per_epoch
                    && (!self.ignore_last || hub.iters_per_epoch <= self.interval))
        } else {
            hub.iter % self.interval == 0
        }
    }

    fn by_epoch(&self, cx: &HookContext<'_>) -> bool {
        self.processor.by_epoch.unwrap_or(cx.by_epoch)
    }

    /// Writes the waiting training lines whose values have all been read back (those
    /// of iterations before the first one still on the device).
    fn write_waiting(&mut self, cx: &mut HookContext<'_>) {
        let unread = cx.hub.unread_since();
        let due = self
            .waiting
            .iter()
            .take_while(|w| unread.is_none_or(|first| w.step < first))
            .count();
        for w in self.waiting.drain(..due).collect::<Vec<_>>() {
            let owned = histories_until(cx.hub, "train/", w.step);
            let view: Vec<(&str, &[f64])> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect();
            let processor = LogProcessorCfg {
                by_epoch: Some(w.by_epoch),
                ..self.processor.clone()
            };
            let (tag, line) = processor.after_train_iter(&view, &w.st, w.batch_idx, w.eta);
            cx.log.info(line);
            cx.log.scalars(&record(&tag, w.step));
        }
    }
}

/// The hub's histories of `prefix` keys, in the order they first appeared.
fn histories(hub: &MessageHub, prefix: &str) -> Vec<(String, Vec<f64>)> {
    histories_until(hub, prefix, i64::MAX)
}

/// [`histories`] with only the values recorded at iterations up to `step` (a key
/// without one left out).
fn histories_until(hub: &MessageHub, prefix: &str, step: i64) -> Vec<(String, Vec<f64>)> {
    hub.keys()
        .filter(|k| k.starts_with(prefix))
        .filter_map(|k| {
            let values: Vec<f64> = hub
                .history(k)
                .iter()
                .filter(|(at, _)| *at <= step)
                .map(|(_, v)| *v)
                .collect();
            (!values.is_empty()).then(|| (k.to_string(), values))
        })
        .collect()
}

fn record(tag: &[(String, TagValue)], step: i64) -> Value {
    let mut m = Map::new();
    for (k, v) in tag {
        let v = match v {
            TagValue::Float(x) => json!(x),
            TagValue::Int(n) => json!(n),
        };
        m.insert(k.clone(), v);
    }
    m.insert("step".into(), json!(step));
    Value::Object(m)
}

impl Hook for LoggerHook {
    fn name(&self) -> &str {
        "LoggerHook"
    }

    fn priority(&self) -> i32 {
        60
    }

    fn wants_scalars(&self, hub: &MessageHub) -> bool {
        self.due(hub)
    }

    fn after_train_iter(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        self.write_waiting(cx);
        let hub = &*cx.hub;
        if !self.due(hub) {
            return Ok(());
        }
        let by_epoch = self.by_epoch(cx);
        let st = LoopState {
            epoch: hub.epoch,
            iter: hub.iter - 1,
            max_epochs: hub.max_epochs,
            max_iters: hub.max_iters,
            loader_len: hub.iters_per_epoch,
        };
        // MMEngine's IterBasedTrainLoop passes the global iteration as `batch_idx`.
        let batch_idx = if cx.by_epoch {
            hub.inner_iter - 1
        } else {
            hub.iter - 1
        };
        // The runtime info's eta: the mean iteration time of this process times the
        // iterations left.
        let times = hub.history("train/time");
        let eta = (!times.is_empty()).then(|| {
            times.iter().map(|(_, t)| t).sum::<f64>() / times.len() as f64
                * (hub.max_iters - hub.iter) as f64
        });
        self.waiting.push(Waiting {
            st,
            batch_idx,
            eta,
            by_epoch,
            step: hub.iter,
        });
        self.write_waiting(cx);
        Ok(())
    }

    fn after_scalars(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        self.write_waiting(cx);
        Ok(())
    }

    fn after_train_epoch(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        cx.log.sync();
        Ok(())
    }

    fn after_val_epoch(
        &mut self,
        cx: &mut HookContext<'_>,
        _metrics: &BTreeMap<String, f64>,
    ) -> Result<(), RunError> {
        self.write_waiting(cx);
        let hub = &*cx.hub;
        let owned = histories(hub, "val/");
        let view: Vec<(&str, &[f64])> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let by_epoch = self.by_epoch(cx);
        let len = hub.val_iters.max(1);
        let st = LoopState {
            epoch: hub.epoch,
            iter: hub.iter - 1,
            max_epochs: hub.max_epochs,
            max_iters: hub.max_iters,
            loader_len: len,
        };
        let processor = LogProcessorCfg {
            by_epoch: Some(by_epoch),
            ..self.processor.clone()
        };
        // MMEngine passes `len(val_dataloader)` as the batch index: the timing's
        // "epoch" window reaches one value into the previous validation.
        let (tag, line) = processor.after_val_epoch(&view, &st, len, "val");
        let step = if cx.by_epoch { hub.epoch } else { hub.iter };
        cx.log.info(line);
        cx.log.scalars(&record(&tag, step));
        cx.log.sync();
        Ok(())
    }

    fn after_train(&mut self, cx: &mut HookContext<'_>) -> Result<(), RunError> {
        self.write_waiting(cx);
        cx.log.sync();
        Ok(())
    }
}
