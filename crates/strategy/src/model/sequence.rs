//! What the sequence models share: PyTorch's `LayerNorm` (weight and optional bias,
//! named as PyTorch names them), the masked next-token loss (only the answer's targets
//! count), the training step, and sampling the next token (temperature, top-k).

use burn::module::{Module, Param};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor};
use rand::RngExt;
use rand::rngs::StdRng;

use super::{LossTensors, init};
use crate::data::loader::{Batch, SequenceTargets};
use crate::optim::wrapper_dict::OptimWrapperDict;

/// Layer normalisation over the last dimension (`torch.nn.LayerNorm`, eps 1e-5), with
/// an optional bias (nanoGPT's `bias = False`). Its name makes `norm_decay_mult`
/// apply to it, as MMEngine's paramwise rules count `LayerNorm`.
#[derive(Module, Debug)]
pub struct LayerNorm {
    /// The scale, ones at first.
    pub weight: Param<Tensor<1>>,
    /// The shift, zeros at first; none without bias.
    pub bias: Option<Param<Tensor<1>>>,
}

impl LayerNorm {
    /// A layer norm over `width` features.
    pub fn new(width: usize, bias: bool, device: &Device) -> Self {
        Self {
            weight: init::constant([width], 1.0, device),
            bias: bias.then(|| init::constant([width], 0.0, device)),
        }
    }

    /// Normalises `x` `[batch, time, width]` over `width`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let (var, mean) = x.clone().var_mean_bias(2);
        let y = (x - mean) / (var + 1e-5).sqrt();
        let y = y * self.weight.val().unsqueeze::<3>();
        match &self.bias {
            Some(b) => y + b.val().unsqueeze::<3>(),
            None => y,
        }
    }
}

/// The mean cross-entropy of `logits` `[batch × block, vocab]` over the scored targets
/// only (the prompt's positions are masked out), as `F.cross_entropy(...,
/// ignore_index=-1)`.
pub fn masked_cross_entropy(logits: Tensor<2>, seq: &SequenceTargets) -> Tensor<1> {
    // In f32 whatever the forward's dtype (as autocast runs its losses).
    let logp = log_softmax(logits.cast(burn::tensor::FloatDType::F32), 1);
    let picked: Tensor<1> = logp
        .gather(1, seq.targets.clone().unsqueeze_dim(1))
        .reshape([-1]);
    (picked * seq.mask.clone())
        .sum()
        .neg()
        .div_scalar(seq.scored.max(1) as f64)
}

/// A sequence model's training step: the masked cross-entropy of `logits` and one
/// `update_params` through `optim`. Logs `loss` and `acc`, the batch's scored tokens
/// predicted right before the update, in percent (MMDetection's heads log `acc` the
/// same way; MMEngine sums only the `loss` keys). With full-batch training, as in
/// the grokking preset, `acc` is the training split's accuracy.
pub fn sequence_step<M: Module>(
    model: M,
    logits: Tensor<2>,
    batch: &Batch,
    optim: &mut OptimWrapperDict,
) -> (M, LossTensors) {
    let seq = batch
        .sequence
        .as_ref()
        .expect("a sequence model is only built for sequence data (ModelSpec::fit)");
    let acc = batch_accuracy(logits.clone().detach(), seq);
    let loss = masked_cross_entropy(logits, seq);
    let logged = loss.clone().detach();
    let model = optim.update_params(loss, model);
    (
        model,
        vec![("loss".to_string(), logged), ("acc".to_string(), acc)],
    )
}

/// The percentage of scored targets whose most likely token is right.
pub fn batch_accuracy(logits: Tensor<2>, seq: &SequenceTargets) -> Tensor<1> {
    let pred: Tensor<1, Int> = logits.argmax(1).reshape([-1]);
    (pred.equal(seq.targets.clone()).float() * seq.mask.clone())
        .sum()
        .mul_scalar(100.0 / seq.scored.max(1) as f64)
}

/// How the next token is drawn from the model's scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Divides the scores; 0 means greedy (the most likely token).
    pub temperature: f64,
    /// Keeps the `k` most likely tokens only; `None`: all.
    pub top_k: Option<usize>,
}

impl Sampling {
    /// Always the most likely token.
    pub const GREEDY: Sampling = Sampling {
        temperature: 0.0,
        top_k: None,
    };

    /// A token id drawn from `scores` (one per vocabulary entry) with `rng`.
    pub fn draw(&self, scores: &[f32], rng: &mut StdRng) -> usize {
        let best = scores
            .iter()
            .enumerate()
            .fold(0, |b, (i, &s)| if s > scores[b] { i } else { b });
        if self.temperature <= 0.0 || scores.len() < 2 {
            return best;
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        order.truncate(self.top_k.unwrap_or(scores.len()).clamp(1, scores.len()));
        let top = f64::from(scores[order[0]]);
        let weights: Vec<f64> = order
            .iter()
            .map(|&i| ((f64::from(scores[i]) - top) / self.temperature).exp())
            .collect();
        let mut u = rng.random::<f64>() * weights.iter().sum::<f64>();
        for (w, &i) in weights.iter().zip(&order) {
            if u < *w {
                return i;
            }
            u -= w;
        }
        order[order.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn greedy_takes_the_best_and_top_k_never_leaves_the_top() {
        let scores = [0.1f32, 3.0, 2.9, -1.0];
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(Sampling::GREEDY.draw(&scores, &mut rng), 1);
        let top2 = Sampling {
            temperature: 1.0,
            top_k: Some(2),
        };
        let mut seen = [0usize; 4];
        for _ in 0..2000 {
            seen[top2.draw(&scores, &mut rng)] += 1;
        }
        assert_eq!((seen[0], seen[3]), (0, 0));
        // exp(3.0 - 2.9) : 1, so about 52.5 % against 47.5 %.
        assert!((900..1200).contains(&seen[1]) && seen[2] > 800, "{seen:?}");
    }

    #[test]
    fn the_masked_loss_counts_only_the_answer() {
        use burn::tensor::TensorData;
        let device = Device::flex();
        // Two positions; only the second is scored, and its target is certain.
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 0.0, -50.0, 50.0], [2, 2]),
            &device,
        );
        let seq = SequenceTargets {
            targets: Tensor::from_data(TensorData::new(vec![0i64, 1], [2]), &device),
            mask: Tensor::from_data(TensorData::new(vec![0.0f32, 1.0], [2]), &device),
            host_targets: vec![-1, 1],
            scored: 1,
            block: 2,
        };
        let loss: f32 = masked_cross_entropy(logits, &seq).into_scalar();
        assert!(loss.abs() < 1e-6, "{loss}");
    }

    #[test]
    fn the_batch_accuracy_counts_only_the_answer() {
        use burn::tensor::TensorData;
        let device = Device::flex();
        // Position 0 (prompt) is right but not scored; 1 is right, 2 is wrong.
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 0.0], [3, 2]),
            &device,
        );
        let seq = SequenceTargets {
            targets: Tensor::from_data(TensorData::new(vec![0i64, 1, 1], [3]), &device),
            mask: Tensor::from_data(TensorData::new(vec![0.0f32, 1.0, 1.0], [3]), &device),
            host_targets: vec![-1, 1, 1],
            scored: 2,
            block: 3,
        };
        let acc: f32 = batch_accuracy(logits, &seq).into_scalar();
        assert!((acc - 50.0).abs() < 1e-5, "{acc}");
    }
}
