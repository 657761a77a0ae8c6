//! Inside the network (TensorFlow Playground's signature view) and a regression's
//! fit: every input's and hidden unit's value over the plane of a 2-D dataset, the
//! weights between layers, and predicted against true values. Computed here, drawn by
//! the faces.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::Runner;
use super::read_back::ReadBack;
use super::views::{axes, model_input, plane_raster};
use crate::data::Task;

/// One unit's values over the plane, quantised to bytes over its own range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitMap {
    /// The smallest value on the raster.
    pub min: f32,
    /// The largest value on the raster.
    pub max: f32,
    /// `grid × grid` values, row by row from the top, scaled so 0 is `min` and 255
    /// is `max`.
    pub cells: Vec<u8>,
}

/// Every layer's units over the plane, and the weights between layers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NeuronViews {
    /// Cells per side.
    pub grid: usize,
    /// `[x_min, x_max, y_min, y_max]` of the plane, in the data's units.
    pub range: [f32; 4],
    /// The plane's axes.
    pub axes: [String; 2],
    /// The model's input names (`x1`, `x1^2`, or a table's columns).
    pub input_names: Vec<String>,
    /// Layer 0 is the inputs (after feature inputs and standardisation), then every
    /// hidden layer; one map per unit.
    pub layers: Vec<Vec<UnitMap>>,
    /// `weights[l]` connects layer `l` to layer `l + 1` (the last to the outputs):
    /// `[in][out]`, row-major.
    pub weights: Vec<Vec<f32>>,
    /// The widths of every layer, inputs to outputs.
    pub widths: Vec<usize>,
}

/// Predicted against true values of a regression, in the target's units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegressionScatter {
    /// The target's name.
    pub target: String,
    /// `(true, predicted)` for up to 300 validation samples (training ones without a
    /// validation set).
    pub points: Vec<(f32, f32)>,
}

fn quantise(values: &[f32]) -> UnitMap {
    let min = values.iter().copied().fold(f32::INFINITY, f32::min);
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = (max - min).max(1e-12);
    UnitMap {
        min,
        max,
        cells: values
            .iter()
            .map(|v| (((v - min) / span) * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect(),
    }
}

/// `[n, k]` row-major values → one column per unit.
fn columns(values: &[f32], k: usize) -> Vec<Vec<f32>> {
    (0..k)
        .map(|u| values.iter().skip(u).step_by(k.max(1)).copied().collect())
        .collect()
}

impl Runner {
    /// Every input and hidden unit over a `grid × grid` raster of the plane, and the
    /// weights; `None` unless the raw data is 2-D and the model is a stack of dense
    /// layers (an MLP).
    pub async fn neuron_views(&self, grid: usize) -> Option<NeuronViews> {
        self.start_neuron_views(grid)?.finish().await.ok().flatten()
    }

    /// [`Self::neuron_views`], its one read-back (every layer's values and every
    /// weight, concatenated) started but not awaited.
    pub fn start_neuron_views(&self, grid: usize) -> Option<ReadBack<Option<NeuronViews>>> {
        let samples = &self.train_loader.samples;
        if samples.sample_shape != [2] || samples.is_empty() || grid == 0 {
            return None;
        }
        let model = &self.prepared.model;
        let device = self.strategy.device.device.clone();
        let (range, raster) = plane_raster(samples, grid);
        let inputs = model_input(samples, &raster, &device);
        let hidden = model.hidden_activations(inputs.clone())?;
        let weights = model.dense_weights()?;
        // Layer widths, inputs to outputs; the weights' shapes.
        let mut widths: Vec<usize> = Vec::with_capacity(hidden.len() + 2);
        let mut parts = Vec::with_capacity(hidden.len() + 1 + weights.len());
        for t in std::iter::once(inputs).chain(hidden) {
            widths.push(t.dims()[1]);
            parts.push(t.reshape([-1]));
        }
        widths.push(weights.last()?.dims()[1]);
        if weights.len() + 1 != widths.len() {
            return None;
        }
        let weight_lens: Vec<usize> = weights.iter().map(|w| w.dims().iter().product()).collect();
        parts.extend(weights.into_iter().map(|w| w.reshape([-1])));
        let layer_count = widths.len() - 1;
        let input_names = samples
            .schema
            .as_ref()
            .map_or_else(|| vec!["x1".into(), "x2".into()], |s| s.input_names());
        let axes = axes(samples);
        let cells = grid * grid;
        Some(ReadBack::start(Tensor::cat(parts, 0), move |data| {
            let values: Vec<f32> = data.try_into_vec_as().ok()?;
            let mut rest = values.as_slice();
            let mut layers = Vec::with_capacity(layer_count);
            for &k in &widths[..layer_count] {
                let (layer, tail) = rest.split_at_checked(cells * k)?;
                layers.push(columns(layer, k).iter().map(|c| quantise(c)).collect());
                rest = tail;
            }
            let mut flat = Vec::with_capacity(weight_lens.len());
            for len in weight_lens {
                let (w, tail) = rest.split_at_checked(len)?;
                flat.push(w.to_vec());
                rest = tail;
            }
            Some(NeuronViews {
                grid,
                range,
                axes,
                input_names,
                layers,
                weights: flat,
                widths,
            })
        }))
    }

    /// A regression's predictions against the truth on the validation set (the
    /// training set without one), in the target's units; `None` for a classifier.
    pub async fn regression_scatter(&self) -> Option<RegressionScatter> {
        let loader = self.val.as_ref().map_or(&self.train_loader, |v| &v.loader);
        let samples = &loader.samples;
        if samples.task() != Task::Regression || samples.is_empty() {
            return None;
        }
        let device = self.strategy.device.device.clone();
        let step = (samples.len() / 300).max(1);
        let picked: Vec<usize> = (0..samples.len()).step_by(step).collect();
        let k = samples.sample_size();
        let raw: Vec<f32> = picked
            .iter()
            .flat_map(|&i| samples.features[i * k..(i + 1) * k].iter().copied())
            .collect();
        let schema = samples.schema.as_ref()?;
        let input: Tensor<2> = Tensor::from_data(
            burn::tensor::TensorData::new(schema.encode(&raw), [picked.len(), schema.input_len()]),
            &device,
        );
        let out = self.prepared.model.predict(input)?;
        let preds: Vec<f32> = out
            .reshape([-1])
            .into_data_async()
            .await
            .ok()?
            .try_into_vec_as()
            .ok()?;
        Some(RegressionScatter {
            target: schema
                .target_name
                .clone()
                .unwrap_or_else(|| "target".into()),
            points: picked
                .iter()
                .zip(preds)
                .map(|(&i, p)| (samples.values[i], schema.decode_target(f64::from(p)) as f32))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_quantised_over_their_own_range() {
        let m = quantise(&[-1.0, 0.0, 1.0, 0.5]);
        assert_eq!((m.min, m.max), (-1.0, 1.0));
        assert_eq!(m.cells, vec![0, 128, 255, 191]);
        assert_eq!(
            columns(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3),
            vec![vec![1.0, 4.0], vec![2.0, 5.0], vec![3.0, 6.0]]
        );
    }
}
