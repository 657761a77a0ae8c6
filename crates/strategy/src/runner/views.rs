//! What the faces show from inside a run, computed here so that a face only draws:
//! the decision regions of a 2-D classifier (k classes) and the lr each optimizer
//! applied; [`super::inside`] has the neuron views and a regression's scatter.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::Runner;
use super::read_back::ReadBack;
use crate::data::{Samples, Task};

/// A classifier's decision regions over the plane of its 2-D training points (in the
/// data's own units: a table's two columns, or the plane before feature inputs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionBoundary {
    /// `[x_min, x_max, y_min, y_max]`: the training points' box plus 5 % each side.
    pub range: [f32; 4],
    /// Cells per side.
    pub grid: usize,
    /// `grid × grid` predicted classes, row by row from the top.
    pub classes: Vec<u16>,
    /// `grid × grid` probabilities of the predicted class (softmax of the scores).
    pub confidence: Vec<f32>,
    /// Class names by index.
    pub class_names: Vec<String>,
    /// The two axes' names (`x1`, `x2`, or the table's columns).
    pub axes: [String; 2],
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

/// The training points' box plus 5 % each side, and a `grid × grid` raster of cell
/// centres over it (rows from the top), as raw `[x, y]` pairs.
pub(super) fn plane_raster(samples: &Samples, grid: usize) -> ([f32; 4], Vec<f32>) {
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for p in samples.features.chunks_exact(2) {
        x0 = x0.min(p[0]);
        x1 = x1.max(p[0]);
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    let (mx, my) = (((x1 - x0) * 0.05).max(1e-3), ((y1 - y0) * 0.05).max(1e-3));
    let range = [x0 - mx, x1 + mx, y0 - my, y1 + my];
    let mut raster = Vec::with_capacity(grid * grid * 2);
    for row in 0..grid {
        let y = range[3] - (range[3] - range[2]) * (row as f32 + 0.5) / grid as f32;
        for col in 0..grid {
            raster.push(range[0] + (range[1] - range[0]) * (col as f32 + 0.5) / grid as f32);
            raster.push(y);
        }
    }
    (range, raster)
}

/// The model's input for raw plane points (the schema's feature inputs and
/// standardisation), `[n, inputs]` on `device`.
pub(super) fn model_input(
    samples: &Samples,
    raw: &[f32],
    device: &burn::tensor::Device,
) -> Tensor<2> {
    let n = raw.len() / 2;
    let (values, width) = match &samples.schema {
        Some(s) => (s.encode(raw), s.input_len()),
        None => (raw.to_vec(), 2),
    };
    Tensor::from_data(TensorData::new(values, [n, width]), device)
}

/// The names of a plane's two axes.
pub(super) fn axes(samples: &Samples) -> [String; 2] {
    match &samples.schema {
        Some(s) if s.feature_names.len() == 2 => {
            [s.feature_names[0].clone(), s.feature_names[1].clone()]
        }
        _ => ["x1".into(), "x2".into()],
    }
}

impl Runner {
    /// The predicted class and its probability on a `grid × grid` raster over the
    /// training points; `None` unless the raw data is 2-D, has classes, and the model
    /// classifies.
    pub async fn decision_boundary(&self, grid: usize) -> Option<DecisionBoundary> {
        self.start_decision_boundary(grid)?
            .finish()
            .await
            .ok()
            .flatten()
    }

    /// [`Self::decision_boundary`], its read-back started but not awaited: collect it
    /// when more work has been queued behind it.
    pub fn start_decision_boundary(
        &self,
        grid: usize,
    ) -> Option<ReadBack<Option<DecisionBoundary>>> {
        let samples = &self.train_loader.samples;
        if samples.sample_shape != [2]
            || samples.task() != Task::Classification
            || samples.num_classes < 2
            || samples.is_empty()
            || grid == 0
        {
            return None;
        }
        let (range, raster) = plane_raster(samples, grid);
        let device = self.strategy.device.device.clone();
        let scores = self
            .prepared
            .model
            .predict(model_input(samples, &raster, &device))?;
        let probs = burn::tensor::activation::softmax(scores, 1);
        let best = probs.clone().max_dim(1).reshape([-1]);
        let class = probs.argmax(1).float().reshape([-1]);
        let both = Tensor::cat(vec![best, class], 0);
        let class_names = samples.class_names();
        let axes = axes(samples);
        let val_points = self
            .val_samples()
            .filter(|v| v.sample_shape == [2] && v.task() == Task::Classification)
            .map(|v| points(v, 150))
            .unwrap_or_default();
        let points = points(samples, 300);
        Some(ReadBack::start(both, move |data| {
            let values: Vec<f32> = data.try_into_vec_as().ok()?;
            let (confidence, classes) = values.split_at(grid * grid);
            Some(DecisionBoundary {
                range,
                grid,
                classes: classes.iter().map(|&c| c as u16).collect(),
                confidence: confidence.to_vec(),
                class_names,
                axes,
                points,
                val_points,
            })
        }))
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
