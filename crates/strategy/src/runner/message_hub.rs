//! The run's runtime information in one place (MMEngine's `MessageHub`): where the
//! loop is (epoch, iteration), how long the run is, and the history of every logged
//! scalar (`train/lr`, `train/loss`, `val/accuracy/top1`, ...). Hooks read it.
//!
//! Losses stay on the device until someone needs them: [`MessageHub::push_pending`]
//! queues them and [`MessageHub::flush`] reads all queued values back in one
//! asynchronous transfer (WebGPU allows no blocking read). [`MessageHub::read_ahead`]
//! starts that transfer without waiting for it, and [`MessageHub::collect`] records
//! it later (the browser's chunks of iterations: see [`ReadBack`]).

use std::collections::{BTreeMap, VecDeque};

use burn::tensor::Tensor;
use serde_json::Value;

use super::read_back::ReadBack;
use crate::error::{Error, Result};

/// Queued values whose read-back has started: their keys and iterations, in order.
#[derive(Debug)]
struct InFlight {
    keys: Vec<(String, i64)>,
    device: String,
    values: ReadBack<std::result::Result<Vec<f32>, String>>,
}

/// Longest history kept per scalar (MMEngine's `HistoryBuffer` keeps a million).
pub const MAX_HISTORY: usize = 1_000_000;

/// Runtime information and scalar histories.
#[derive(Debug, Default)]
pub struct MessageHub {
    /// Current epoch: epochs completed (MMEngine's `runner.epoch`).
    pub epoch: i64,
    /// Iterations completed (MMEngine's `runner.iter`).
    pub iter: i64,
    /// Iteration inside the current epoch.
    pub inner_iter: i64,
    /// Epochs of the run (epoch-based loops).
    pub max_epochs: Option<i64>,
    /// Iterations of the run.
    pub max_iters: i64,
    /// Iterations per epoch.
    pub iters_per_epoch: i64,
    /// Batches of a validation.
    pub val_iters: i64,
    scalars: BTreeMap<String, Vec<(i64, f64)>>,
    /// The scalar keys in the order they first appeared (MMEngine's `log_scalars`
    /// is ordered: the log line follows it).
    order: Vec<String>,
    pending: Vec<(String, i64, Tensor<1>)>,
    in_flight: VecDeque<InFlight>,
    /// Other runtime facts (`seed`, `experiment_name`, ...), saved in checkpoints.
    pub info: BTreeMap<String, Value>,
}

impl MessageHub {
    /// Records `value` for `key` at the current iteration.
    pub fn update_scalar(&mut self, key: &str, value: f64) {
        let at = self.iter;
        self.record(key, at, value);
    }

    fn record(&mut self, key: &str, at: i64, value: f64) {
        if !self.scalars.contains_key(key) {
            self.order.push(key.to_string());
        }
        let history = self.scalars.entry(key.to_string()).or_default();
        if history.len() == MAX_HISTORY {
            history.remove(0);
        }
        history.push((at, value));
    }

    /// Queues a scalar still on the device, for the current iteration.
    pub fn push_pending(&mut self, key: &str, value: Tensor<1>) {
        self.pending.push((key.to_string(), self.iter, value));
    }

    /// Whether values wait to be read back (queued, or on their way).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || !self.in_flight.is_empty()
    }

    /// The earliest iteration with a value still on the device (queued, or on its
    /// way); `None` when everything is read back.
    pub fn unread_since(&self) -> Option<i64> {
        let in_flight = self
            .in_flight
            .iter()
            .flat_map(|f| f.keys.iter().map(|k| k.1));
        in_flight.chain(self.pending.iter().map(|p| p.1)).min()
    }

    /// Starts reading every queued scalar back in one transfer, without waiting:
    /// [`Self::collect`] or [`Self::flush`] records them.
    pub fn read_ahead(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let device = format!("{:?}", pending[0].2.device());
        let mut keys = Vec::with_capacity(pending.len());
        let mut tensors = Vec::with_capacity(pending.len());
        for (key, at, t) in pending {
            keys.push((key, at));
            tensors.push(t);
        }
        let values = ReadBack::start(Tensor::cat(tensors, 0), |data| {
            data.try_into_vec_as::<f32>().map_err(|e| format!("{e:?}"))
        });
        self.in_flight.push_back(InFlight {
            keys,
            device,
            values,
        });
    }

    /// Records the values whose read-back was started by [`Self::read_ahead`], waiting
    /// for those still on their way (not the values queued since). Returns whether
    /// there were any.
    pub async fn collect(&mut self) -> Result<bool> {
        let any = !self.in_flight.is_empty();
        while let Some(read) = self.in_flight.pop_front() {
            let values = read.values.finish().await;
            self.record_read(read.keys, &read.device, values)?;
        }
        Ok(any)
    }

    /// Reads every queued scalar back and records it, waiting for the values still on
    /// their way first.
    pub async fn flush(&mut self) -> Result<()> {
        self.read_ahead();
        self.collect().await.map(|_| ())
    }

    fn record_read(
        &mut self,
        keys: Vec<(String, i64)>,
        device: &str,
        values: std::result::Result<std::result::Result<Vec<f32>, String>, String>,
    ) -> Result<()> {
        let values = values.and_then(|v| v).map_err(|message| Error::Execution {
            device: device.to_string(),
            message,
        })?;
        for ((key, at), v) in keys.iter().zip(values) {
            self.record(key, *at, f64::from(v));
        }
        Ok(())
    }

    /// The latest value of `key`.
    pub fn latest(&self, key: &str) -> Option<f64> {
        self.scalars
            .get(key)
            .and_then(|h| h.last())
            .map(|(_, v)| *v)
    }

    /// Mean of the values of `key` recorded after iteration `since` (MMEngine's
    /// window mean over the last logging interval).
    pub fn mean_since(&self, key: &str, since: i64) -> Option<f64> {
        let h = self.scalars.get(key)?;
        let window: Vec<f64> = h
            .iter()
            .filter(|(at, _)| *at > since)
            .map(|(_, v)| *v)
            .collect();
        (!window.is_empty()).then(|| window.iter().sum::<f64>() / window.len() as f64)
    }

    /// Mean of the last `n` values of `key` (MMEngine's `HistoryBuffer.mean(n)`).
    pub fn mean_last(&self, key: &str, n: usize) -> Option<f64> {
        let h = self.scalars.get(key)?;
        let window = &h[h.len().saturating_sub(n)..];
        (!window.is_empty())
            .then(|| window.iter().map(|(_, v)| v).sum::<f64>() / window.len() as f64)
    }

    /// `(iteration, value)` history of `key`.
    pub fn history(&self, key: &str) -> &[(i64, f64)] {
        self.scalars.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every scalar key, in the order they first appeared.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    /// The latest value of every scalar (what a checkpoint's `message_hub` keeps).
    pub fn latest_all(&self) -> BTreeMap<String, f64> {
        self.scalars
            .iter()
            .filter_map(|(k, h)| h.last().map(|(_, v)| (k.clone(), *v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_means_cover_the_iterations_since_the_last_log() {
        let mut hub = MessageHub::default();
        for (i, loss) in [4.0, 2.0, 1.0, 3.0].into_iter().enumerate() {
            hub.iter = i as i64 + 1;
            hub.update_scalar("train/loss", loss);
        }
        assert_eq!(hub.latest("train/loss"), Some(3.0));
        assert_eq!(hub.mean_since("train/loss", 2), Some(2.0));
        assert_eq!(hub.mean_since("train/loss", 4), None);
        assert_eq!(hub.mean_last("train/loss", 3), Some(2.0));
        assert_eq!(hub.mean_last("train/loss", 10), Some(2.5));
        assert_eq!(hub.history("train/loss").len(), 4);
    }

    /// Queues `value` as `train/loss` of iteration `at`, on the CPU backend.
    #[cfg(all(feature = "cpu", not(target_family = "wasm")))]
    fn queue(hub: &mut MessageHub, at: i64, value: f32) {
        hub.iter = at;
        let device = burn::tensor::Device::flex();
        hub.push_pending("train/loss", Tensor::from_floats([value], &device));
    }

    #[cfg(all(feature = "cpu", not(target_family = "wasm")))]
    #[test]
    fn pending_device_values_are_read_back_in_order() {
        let mut hub = MessageHub::default();
        queue(&mut hub, 1, 0.5);
        queue(&mut hub, 2, 0.25);
        assert_eq!(hub.latest("train/loss"), None);
        pollster::block_on(hub.flush()).expect("reads");
        assert_eq!(hub.history("train/loss"), &[(1, 0.5), (2, 0.25)]);
        assert!(!hub.has_pending());
    }

    #[cfg(all(feature = "cpu", not(target_family = "wasm")))]
    #[test]
    fn values_read_ahead_are_recorded_in_order_when_collected() {
        let mut hub = MessageHub::default();
        queue(&mut hub, 1, 0.5);
        hub.read_ahead();
        assert!(hub.has_pending(), "on its way counts as pending");
        queue(&mut hub, 2, 0.25);
        hub.read_ahead();
        queue(&mut hub, 3, 0.125);
        assert_eq!(hub.unread_since(), Some(1));
        assert_eq!(pollster::block_on(hub.collect()).ok(), Some(true));
        assert_eq!(hub.history("train/loss"), &[(1, 0.5), (2, 0.25)]);
        assert_eq!(hub.unread_since(), Some(3));
        assert!(hub.has_pending(), "iteration 3 is still queued");
        assert_eq!(pollster::block_on(hub.collect()).ok(), Some(false));
        pollster::block_on(hub.flush()).expect("reads");
        assert_eq!(
            hub.history("train/loss"),
            &[(1, 0.5), (2, 0.25), (3, 0.125)]
        );
        assert!(!hub.has_pending());
        assert_eq!(hub.unread_since(), None);
    }
}
