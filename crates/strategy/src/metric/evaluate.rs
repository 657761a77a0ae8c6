//! The metrics themselves, on the device (with a tensor backend).

use std::sync::Arc;

use burn::tensor::Tensor;

use super::spec::MetricSpec;
use crate::base::registry::Registry;
use crate::base::{ConfigError, KeyPath};
use crate::data::loader::Batch;

/// A metric: fed every evaluation batch, then asked for its values (on the device,
/// read back by the loop).
pub trait Metric: Send {
    /// Consumes one batch's outputs.
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>);
    /// The values over every batch since the last call, then resets.
    fn compute(&mut self) -> Vec<(String, Tensor<1>)>;
}

/// Builds a fresh metric.
pub type MetricFactory = Arc<dyn Fn() -> Box<dyn Metric> + Send + Sync>;

/// Top-k accuracy in percent; a sample counts for `k` when fewer than `k` classes
/// score strictly higher than its true class.
#[derive(Debug)]
pub struct Accuracy {
    topk: Vec<usize>,
    correct: Vec<Vec<Tensor<1>>>,
    total: usize,
}

impl Accuracy {
    /// Accuracy at each `k` of `topk`.
    pub fn new(topk: Vec<usize>) -> Self {
        Self {
            correct: vec![Vec::new(); topk.len()],
            topk,
            total: 0,
        }
    }
}

impl Metric for Accuracy {
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let target = outputs
            .clone()
            .gather(1, batch.targets.clone().unsqueeze_dim(1));
        let [_, classes] = outputs.dims();
        let higher = outputs
            .greater(target.expand([batch.len, classes]))
            .int()
            .sum_dim(1)
            .float();
        for (i, &k) in self.topk.iter().enumerate() {
            let hits = higher.clone().lower_elem(k as f64).float().sum();
            self.correct[i].push(hits);
        }
        self.total += batch.len;
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        let total = self.total.max(1) as f64;
        self.total = 0;
        self.topk
            .iter()
            .zip(self.correct.iter_mut())
            .filter(|(_, hits)| !hits.is_empty())
            .map(|(k, hits)| {
                let sum = Tensor::cat(std::mem::take(hits), 0).sum();
                (format!("accuracy/top{k}"), sum.mul_scalar(100.0 / total))
            })
            .collect()
    }
}

/// The Chamfer distance between generated points (outputs) and the batch's real ones.
#[derive(Debug, Default)]
pub struct SampleDistance {
    sums: Vec<Tensor<1>>,
    batches: usize,
}

impl Metric for SampleDistance {
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let fake = outputs;
        let real = batch.inputs.clone();
        let [n, d] = fake.dims();
        let [m, _] = real.dims();
        let diff = fake.unsqueeze_dim::<3>(1).expand([n, m, d])
            - real.unsqueeze_dim::<3>(0).expand([n, m, d]);
        let dist: Tensor<2> = diff.powf_scalar(2.0).sum_dim(2).sqrt().reshape([n, m]);
        let to_real = dist.clone().min_dim(1).mean();
        let to_fake = dist.min_dim(0).mean();
        self.sums.push(to_real + to_fake);
        self.batches += 1;
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        if self.sums.is_empty() {
            return Vec::new();
        }
        let n = std::mem::take(&mut self.batches) as f64;
        let mean = Tensor::cat(std::mem::take(&mut self.sums), 0)
            .sum()
            .div_scalar(n);
        vec![("chamfer".to_string(), mean)]
    }
}

/// The runtime registry for metric types users add (the built-in ones are built from
/// their checked configs by [`metric_factory`]).
pub fn metric_registry() -> Registry<MetricFactory> {
    Registry::new("metric")
}

/// The builder of a checked metric config; a user's own type through `external`.
pub fn metric_factory(
    spec: &MetricSpec,
    external: &Registry<MetricFactory>,
    path: &KeyPath,
) -> Result<MetricFactory, ConfigError> {
    Ok(match spec {
        MetricSpec::Accuracy { topk } => {
            let topk = topk.clone();
            Arc::new(move || Box::new(Accuracy::new(topk.clone())) as Box<dyn Metric>)
        }
        MetricSpec::SampleDistance => {
            Arc::new(|| Box::new(SampleDistance::default()) as Box<dyn Metric>)
        }
        MetricSpec::Regression => {
            Arc::new(|| Box::new(super::regression::RegressionMetric::default()) as Box<dyn Metric>)
        }
        MetricSpec::TokenAccuracy => {
            Arc::new(|| Box::new(super::sequence::TokenAccuracy::default()) as Box<dyn Metric>)
        }
        MetricSpec::ExactMatch => {
            Arc::new(|| Box::new(super::sequence::ExactMatch::default()) as Box<dyn Metric>)
        }
        MetricSpec::Perplexity => {
            Arc::new(|| Box::new(super::sequence::Perplexity::default()) as Box<dyn Metric>)
        }
        MetricSpec::External { table, .. } => {
            external.build(&serde_json::Value::Object(table.clone()), path)?
        }
    })
}

/// The builders of an evaluator's metrics, in order.
pub fn build_evaluator(
    specs: &[MetricSpec],
    path: &KeyPath,
    external: &Registry<MetricFactory>,
) -> Result<Vec<MetricFactory>, ConfigError> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| metric_factory(s, external, &path.index(i)))
        .collect()
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    fn batch(targets: Vec<i64>, device: &Device) -> Batch {
        let n = targets.len();
        Batch {
            inputs: Tensor::zeros([n, 2], device),
            targets: Tensor::from_data(TensorData::new(targets, [n]), device),
            values: None,
            schema: None,
            len: n,
            sequence: None,
        }
    }

    #[test]
    fn accuracy_counts_top1_and_top2_in_percent() {
        let device = Device::flex();
        let mut acc = Accuracy::new(vec![1, 2]);
        let scores = Tensor::<2>::from_floats(
            [
                [0.1, 0.7, 0.2],
                [0.8, 0.1, 0.1],
                [0.3, 0.3, 0.4],
                [0.2, 0.5, 0.3],
            ],
            &device,
        );
        // True classes 1, 2, 2, 0. Top-1 hits: the first and third (50 %). The second
        // has one class above its true one (a top-2 hit); the fourth has two (a miss).
        acc.process(&batch(vec![1, 2, 2, 0], &device), scores);
        let out = acc.compute();
        let values: Vec<(String, f32)> = out
            .into_iter()
            .map(|(k, v)| (k, v.into_scalar::<f32>()))
            .collect();
        assert_eq!(
            values,
            vec![
                ("accuracy/top1".to_string(), 50.0),
                ("accuracy/top2".to_string(), 75.0)
            ]
        );
    }

    #[test]
    fn chamfer_distance_is_zero_for_the_same_cloud_and_grows_with_a_shift() {
        let device = Device::flex();
        let pts = Tensor::<2>::from_floats([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], &device);
        let mut b = batch(vec![0, 0, 0], &device);
        b.inputs = pts.clone();
        let mut m = SampleDistance::default();
        m.process(&b, pts.clone());
        let same = m.compute()[0].1.clone().into_scalar::<f32>();
        m.process(&b, pts.add_scalar(3.0));
        let shifted = m.compute()[0].1.clone().into_scalar::<f32>();
        assert!(same.abs() < 1e-6, "{same}");
        assert!(shifted > 5.0, "{shifted}");
    }
}
