//! What the faces show from inside a run, computed here so that a face only draws:
//! the decision boundary of a 2-D classifier and the lr each optimizer applied.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::Runner;
use crate::data::Samples;

/// A classifier's decision boundary over the plane of its 2-D training points.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionBoundary {
    /// `[x_min, x_max, y_min, y_max]`: the training points' box plus 5 % each side.
    pub range: [f32; 4],
    /// Cells per side.
    pub grid: usize,
    /// `grid × grid` probabilities of class 1 (softmax of the model's scores), row by
    /// row from the top.
    pub probs: Vec<f32>,
    /// Up to 300 training points, evenly spread: x, y, class.
    pub points: Vec<(f32, f32, i64)>,
    /// Up to 150 validation points: x, y, class.
    pub val_points: Vec<(f32, f32, i64)>,
}

/// Up to `max` points of `samples`, evenly spread: x, y, class.
fn points(samples: &Samples, max: usize) -> Vec<(f32, f32, i64)> {
    let step = (samples.len() / max.max(1)).max(1);
    (0..samples.len())
        .step_by(step)
        .map(|i| {
            (
                samples.features[2 * i],
                samples.features[2 * i + 1],
                samples.labels[i],
            )
        })
        .collect()
}

impl Runner {
    /// The class-1 probability on a `grid × grid` raster over the training points;
    /// `None` unless the data is 2-D with two classes and the model classifies.
    pub async fn decision_boundary(&self, grid: usize) -> Option<DecisionBoundary> {
        let samples = &self.train_loader.samples;
        if samples.sample_shape != [2]
            || samples.num_classes != 2
            || samples.is_empty()
            || grid == 0
        {
            return None;
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in samples.features.chunks_exact(2) {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        let (mx, my) = ((x1 - x0) * 0.05, (y1 - y0) * 0.05);
        let range = [x0 - mx, x1 + mx, y0 - my, y1 + my];
        let mut raster = Vec::with_capacity(grid * grid * 2);
        for row in 0..grid {
            let y = range[3] - (range[3] - range[2]) * (row as f32 + 0.5) / grid as f32;
            for col in 0..grid {
                raster.push(range[0] + (range[1] - range[0]) * (col as f32 + 0.5) / grid as f32);
                raster.push(y);
            }
        }
        let device = self.strategy.device.device.clone();
        let inputs: Tensor<2> =
            Tensor::from_data(TensorData::new(raster, [grid * grid, 2]), &device);
        let scores = self.prepared.model.predict(inputs)?;
        let probs = burn::tensor::activation::softmax(scores, 1).narrow(1, 1, 1);
        let probs: Vec<f32> = probs.into_data_async().await.ok()?.try_into_vec_as().ok()?;
        Some(DecisionBoundary {
            range,
            grid,
            probs,
            points: points(samples, 300),
            val_points: self
                .val_samples()
                .filter(|v| v.sample_shape == [2])
                .map(|v| points(v, 150))
                .unwrap_or_default(),
        })
    }

    /// The lr each optimizer applied, per iteration: `("lr", [(iter, lr), …])` for one
    /// optimizer, `("<name>.lr", …)` for several (the message hub's `train/*lr`).
    pub fn lr_series(&self) -> Vec<(String, Vec<(i64, f64)>)> {
        self.hub
            .keys()
            .filter(|k| k.starts_with("train/") && k.ends_with("lr"))
            .map(|k| {
                (
                    k.trim_start_matches("train/").to_string(),
                    self.hub.history(k).to_vec(),
                )
            })
            .collect()
    }
}
