//! `RegressionMetric`: how far a one-output model's predictions are from the targets,
//! reported in the target's own units (the batch's schema undoes the standardisation):
//! `regression/mae`, `regression/rmse`, and `regression/r2` (1 − SSres/SStot, which
//! standardisation does not change).

use burn::tensor::Tensor;

use super::Metric;
use crate::data::loader::Batch;

/// Sums over every batch, on the device.
#[derive(Debug, Default)]
pub struct RegressionMetric {
    abs: Vec<Tensor<1>>,
    sq: Vec<Tensor<1>>,
    y: Vec<Tensor<1>>,
    y_sq: Vec<Tensor<1>>,
    n: usize,
    scale: f64,
}

impl Metric for RegressionMetric {
    /// outputs: [batch, 1] predictions, standardised as the targets are.
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let Some(values) = &batch.values else {
            return;
        };
        let diff = outputs - values.clone();
        self.abs.push(diff.clone().abs().sum());
        self.sq.push(diff.powf_scalar(2.0).sum());
        self.y.push(values.clone().sum());
        self.y_sq.push(values.clone().powf_scalar(2.0).sum());
        self.n += batch.len;
        self.scale = batch.schema.as_ref().map_or(1.0, |s| s.target_scale().1);
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        if self.n == 0 {
            return Vec::new();
        }
        let n = std::mem::take(&mut self.n) as f64;
        let sum = |v: &mut Vec<Tensor<1>>| Tensor::cat(std::mem::take(v), 0).sum();
        let (abs, sq, y, y_sq) = (
            sum(&mut self.abs),
            sum(&mut self.sq),
            sum(&mut self.y),
            sum(&mut self.y_sq),
        );
        let ss_tot = y_sq - y.powf_scalar(2.0).div_scalar(n);
        // A constant target has no variance to explain: R² is 0 then, not NaN.
        let r2 = sq
            .clone()
            .div(ss_tot.clamp_min(1e-12))
            .neg()
            .add_scalar(1.0);
        vec![
            ("regression/mae".into(), abs.mul_scalar(self.scale / n)),
            (
                "regression/rmse".into(),
                sq.div_scalar(n).sqrt().mul_scalar(self.scale),
            ),
            ("regression/r2".into(), r2),
        ]
    }
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use std::sync::Arc;

    use burn::tensor::{Device, Int, TensorData};

    use super::*;
    use crate::data::{DataSchema, Normalization, Task};

    #[test]
    fn errors_are_in_the_targets_units() {
        let device = Device::flex();
        let schema = DataSchema {
            task: Task::Regression,
            feature_names: vec!["x".into()],
            normalization: Some(Normalization {
                feature_mean: vec![0.0],
                feature_std: vec![1.0],
                target_mean: Some(100.0),
                target_std: Some(10.0),
            }),
            ..DataSchema::default()
        };
        // Standardised targets 1, -1, 0, 2; predictions off by +0.5, -0.5, +1, 0.
        let targets = [1.0f32, -1.0, 0.0, 2.0];
        let preds = [1.5f32, -1.5, 1.0, 2.0];
        let batch = Batch {
            inputs: Tensor::zeros([4, 1], &device),
            targets: Tensor::<1, Int>::zeros([4], &device),
            values: Some(Tensor::from_data(
                TensorData::new(targets.to_vec(), [4, 1]),
                &device,
            )),
            schema: Some(Arc::new(schema)),
            sequence: None,
            len: 4,
        };
        let mut m = RegressionMetric::default();
        m.process(
            &batch,
            Tensor::from_data(TensorData::new(preds.to_vec(), [4, 1]), &device),
        );
        let out: Vec<(String, f32)> = m
            .compute()
            .into_iter()
            .map(|(k, t)| (k, t.into_data().try_to_vec::<f32>().expect("f32")[0]))
            .collect();
        let get = |k: &str| out.iter().find(|(n, _)| n == k).expect(k).1;
        assert!((get("regression/mae") - 5.0).abs() < 1e-5); // 0.5 mean |d| × 10
        assert!((get("regression/rmse") - (1.5f32 / 4.0).sqrt() * 10.0).abs() < 1e-4);
        // SSres = 1.5, SStot = 6 - 4/4 = 5.
        assert!((get("regression/r2") - 0.7).abs() < 1e-5);
    }
}
