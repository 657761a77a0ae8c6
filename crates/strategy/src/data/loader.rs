//! Batches on a device: MMEngine's `DefaultSampler` (a fresh seeded shuffle every
//! epoch, `seed + epoch`, sharded by rank; see [`super::sampler`]) and the default
//! collate (stack the samples).

use std::sync::Arc;

use super::sampler::DefaultSampler;
use super::samples::Samples;
use super::schema::{DataSchema, Task};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// One batch on the device: inputs `[batch, features...]` flattened to 2-D
/// (models reshape), and the class (or target value) of each sample.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[batch, input_size]`: the raw features through the schema's inputs and
    /// standardisation.
    pub inputs: Tensor<2>,
    /// `[batch]` class indices (zeros for regression).
    pub targets: Tensor<1, Int>,
    /// `[batch, 1]` regression targets, standardised as the schema says; `None` for a
    /// classifier.
    pub values: Option<Tensor<2>>,
    /// What the data means (a metric reports a regression in the target's units).
    pub schema: Option<Arc<DataSchema>>,
    /// Samples in the batch.
    pub len: usize,
    /// A token sequence batch's targets (`Task::Sequence`); `inputs` then holds the
    /// input token ids `[batch, block]` (as floats: ids below 2^24 are exact).
    pub sequence: Option<SequenceTargets>,
}

/// The next-token targets of a batch of token sequences, flattened `[batch × block]`
/// position-major within each sample.
#[derive(Debug, Clone)]
pub struct SequenceTargets {
    /// The next token at every position (0 where not scored).
    pub targets: Tensor<1, Int>,
    /// 1 where the target is scored (the answer), 0 elsewhere (the prompt).
    pub mask: Tensor<1>,
    /// The same on the host.
    pub host_targets: Vec<i64>,
    /// Scored targets in the batch.
    pub scored: usize,
    /// Input tokens per sample.
    pub block: usize,
}

impl Batch {
    /// The same batch with its float inputs in `dtype` (mixed precision). Token ids
    /// stay as they are (a half float holds integers exactly only up to 2048);
    /// targets stay in f32 (losses are computed in f32).
    pub fn with_inputs_in(&self, dtype: burn::tensor::FloatDType) -> Self {
        let mut out = self.clone();
        if out.sequence.is_none() {
            out.inputs = out.inputs.cast(dtype);
        }
        out
    }

    /// The input token ids `[batch, block]` of a sequence batch.
    pub fn token_ids(&self) -> Tensor<2, Int> {
        self.inputs.clone().int()
    }
}

/// A dataloader for one rank: the samples, the batch size, the sampler (shuffle, seed,
/// rank and world size), and whether to drop a short last batch.
#[derive(Debug, Clone)]
pub struct DataLoader {
    /// The dataset.
    pub samples: Arc<Samples>,
    /// Samples per batch.
    pub batch_size: usize,
    /// Drop the last batch when it is short (per rank, as PyTorch's DataLoader).
    pub drop_last: bool,
    /// Which samples this rank draws, in which order.
    pub sampler: DefaultSampler,
}

impl DataLoader {
    /// Batches per epoch on this rank (`len(dataloader)`).
    pub fn len(&self) -> usize {
        let n = self.sampler.num_samples(self.samples.len());
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// This rank's sample order in `epoch` (0-based): the same for the same seed and
    /// epoch, so a resumed run sees the batches the uninterrupted run would have.
    pub fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        self.sampler.indices(self.samples.len(), epoch)
    }

    /// The same loader for `rank` of `world_size` (a rank's own shard of every epoch).
    pub fn for_rank(&self, rank: usize, world_size: usize) -> Self {
        Self {
            sampler: DefaultSampler {
                rank,
                world_size,
                ..self.sampler
            },
            ..self.clone()
        }
    }

    /// Batch `index` of an epoch whose order is `order`, on `device`.
    pub fn batch(&self, order: &[usize], index: usize, device: &Device) -> Batch {
        let start = (index * self.batch_size).min(order.len());
        let end = (start + self.batch_size).min(order.len());
        let picked = &order[start..end];
        let s = &self.samples;
        let k = s.sample_size();
        let width = s.input_size();
        let mut features = Vec::with_capacity(picked.len() * width);
        for &i in picked {
            let raw = &s.features[i * k..(i + 1) * k];
            match &s.schema {
                Some(schema) => schema.encode_into(raw, &mut features),
                None => features.extend_from_slice(raw),
            }
        }
        let n = picked.len();
        let sequence = (!s.token_targets.is_empty()).then(|| {
            let mut host = Vec::with_capacity(n * k);
            for &i in picked {
                host.extend_from_slice(&s.token_targets[i * k..(i + 1) * k]);
            }
            let ids: Vec<i64> = host.iter().map(|&t| t.max(0)).collect();
            let mask: Vec<f32> = host
                .iter()
                .map(|&t| if t >= 0 { 1.0 } else { 0.0 })
                .collect();
            SequenceTargets {
                targets: Tensor::from_data(TensorData::new(ids, [n * k]), device),
                mask: Tensor::from_data(TensorData::new(mask, [n * k]), device),
                scored: host.iter().filter(|&&t| t >= 0).count(),
                host_targets: host,
                block: k,
            }
        });
        let (labels, values) = match s.task() {
            Task::Sequence => (vec![0i64; n], None),
            Task::Classification => (picked.iter().map(|&i| s.labels[i]).collect(), None),
            Task::Regression => {
                let encode = |v: f32| s.schema.as_ref().map_or(v, |sc| sc.encode_target(v));
                let v: Vec<f32> = picked.iter().map(|&i| encode(s.values[i])).collect();
                (
                    vec![0i64; n],
                    Some(Tensor::from_data(TensorData::new(v, [n, 1]), device)),
                )
            }
        };
        Batch {
            inputs: Tensor::from_data(TensorData::new(features, [n, width]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
            values,
            schema: s.schema.clone(),
            len: n,
            sequence,
        }
    }
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use super::*;

    fn loader(n: usize, batch_size: usize, drop_last: bool) -> DataLoader {
        DataLoader {
            samples: Arc::new(Samples {
                features: (0..n * 2).map(|v| v as f32).collect(),
                sample_shape: vec![2],
                labels: (0..n as i64).collect(),
                num_classes: n,
                ..Samples::default()
            }),
            batch_size,
            drop_last,
            sampler: DefaultSampler::single(true, 5),
        }
    }

    #[test]
    fn epochs_are_reshuffled_reproducibly_and_cover_every_sample() {
        let l = loader(10, 4, false);
        assert_eq!(l.len(), 3);
        assert_eq!(loader(10, 4, true).len(), 2);
        let (a, b) = (l.epoch_order(0), l.epoch_order(1));
        assert_eq!(a, l.epoch_order(0));
        assert_ne!(a, b);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        let device = Device::flex();
        let last = l.batch(&a, 2, &device);
        assert_eq!(last.len, 2);
        assert_eq!(last.inputs.dims(), [2, 2]);
        let labels: Vec<i64> = last.targets.into_data().try_to_vec_as().expect("i64");
        assert_eq!(labels, vec![a[8] as i64, a[9] as i64]);
    }

    #[test]
    fn lengths_per_rank_are_mmengines() {
        // MMEngine: N=10, W=3, round_up, batch 2: 4 samples and 2 batches per rank.
        let l = loader(10, 2, false).for_rank(1, 3);
        assert_eq!(l.len(), 2);
        assert_eq!(l.epoch_order(0).len(), 4);
        // N=10, W=4 without round_up: 3, 3, 2, 2 samples; batch 2: 2, 2, 1, 1.
        let lens: Vec<usize> = (0..4)
            .map(|r| {
                let mut l = loader(10, 2, false).for_rank(r, 4);
                l.sampler.round_up = false;
                l.len()
            })
            .collect();
        assert_eq!(lens, [2, 2, 1, 1]);
    }
}
