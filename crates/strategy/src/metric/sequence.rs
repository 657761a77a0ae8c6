//! Next-token metrics over the scored positions of token sequences (the answer; every
//! position of a text window): `TokenAccuracy`, `ExactMatch` and `Perplexity`. The
//! outputs are the model's scores `[batch × block, vocab]`.

use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

use super::evaluate::Metric;
use crate::data::loader::{Batch, SequenceTargets};

fn targets(batch: &Batch) -> &SequenceTargets {
    batch
        .sequence
        .as_ref()
        .expect("a sequence metric runs on sequence data (checked when the run is built)")
}

/// 1 where the most likely token is not the target, at scored positions only.
fn wrong(batch: &Batch, outputs: Tensor<2>) -> Tensor<1> {
    let seq = targets(batch);
    let pred: Tensor<1, burn::tensor::Int> = outputs.argmax(1).reshape([-1]);
    pred.not_equal(seq.targets.clone()).float() * seq.mask.clone()
}

fn percent(hits: &mut Vec<Tensor<1>>, total: &mut usize, name: &str) -> Vec<(String, Tensor<1>)> {
    if hits.is_empty() {
        return Vec::new();
    }
    let n = std::mem::take(total).max(1) as f64;
    let sum = Tensor::cat(std::mem::take(hits), 0).sum();
    vec![(name.to_string(), sum.mul_scalar(100.0 / n))]
}

/// `token_accuracy/top1`: scored next tokens predicted right, percent.
#[derive(Debug, Default)]
pub struct TokenAccuracy {
    hits: Vec<Tensor<1>>,
    total: usize,
}

impl Metric for TokenAccuracy {
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let seq = targets(batch);
        let wrong = wrong(batch, outputs).sum();
        self.hits.push(wrong.neg().add_scalar(seq.scored as f64));
        self.total += seq.scored;
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        percent(&mut self.hits, &mut self.total, "token_accuracy/top1")
    }
}

/// `exact_match/accuracy`: sequences whose every scored token is right, percent.
#[derive(Debug, Default)]
pub struct ExactMatch {
    hits: Vec<Tensor<1>>,
    total: usize,
}

impl Metric for ExactMatch {
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let block = targets(batch).block;
        let per_sample: Tensor<2> = wrong(batch, outputs).reshape([batch.len, block]).sum_dim(1);
        self.hits.push(per_sample.equal_elem(0.0).float().sum());
        self.total += batch.len;
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        percent(&mut self.hits, &mut self.total, "exact_match/accuracy")
    }
}

/// `perplexity/loss` (mean cross-entropy of the scored tokens, nats) and
/// `perplexity/ppl` (its exponential).
#[derive(Debug, Default)]
pub struct Perplexity {
    nll: Vec<Tensor<1>>,
    total: usize,
}

impl Metric for Perplexity {
    fn process(&mut self, batch: &Batch, outputs: Tensor<2>) {
        let seq = targets(batch);
        let picked: Tensor<1> = log_softmax(outputs, 1)
            .gather(1, seq.targets.clone().unsqueeze_dim(1))
            .reshape([-1]);
        self.nll.push((picked * seq.mask.clone()).sum().neg());
        self.total += seq.scored;
    }

    fn compute(&mut self) -> Vec<(String, Tensor<1>)> {
        if self.nll.is_empty() {
            return Vec::new();
        }
        let n = std::mem::take(&mut self.total).max(1) as f64;
        let loss = Tensor::cat(std::mem::take(&mut self.nll), 0)
            .sum()
            .div_scalar(n);
        vec![
            ("perplexity/loss".to_string(), loss.clone()),
            ("perplexity/ppl".to_string(), loss.exp()),
        ]
    }
}

#[cfg(all(test, feature = "cpu"))]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    /// Two sequences of two positions; the first position of each is the prompt.
    fn batch(device: &Device) -> Batch {
        let host = vec![-1i64, 1, -1, 0];
        Batch {
            inputs: Tensor::zeros([2, 2], device),
            targets: Tensor::zeros([2], device),
            values: None,
            schema: None,
            len: 2,
            sequence: Some(SequenceTargets {
                targets: Tensor::from_data(TensorData::new(vec![0i64, 1, 0, 0], [4]), device),
                mask: Tensor::from_data(TensorData::new(vec![0.0f32, 1.0, 0.0, 1.0], [4]), device),
                host_targets: host,
                scored: 2,
                block: 2,
            }),
        }
    }

    fn run(metric: &mut dyn Metric, scores: [[f32; 2]; 4]) -> Vec<(String, f32)> {
        let device = Device::flex();
        metric.process(&batch(&device), Tensor::<2>::from_floats(scores, &device));
        metric
            .compute()
            .into_iter()
            .map(|(k, v)| (k, v.into_scalar::<f32>()))
            .collect()
    }

    #[test]
    fn only_the_answer_counts() {
        // Prompt positions are wrong on purpose; answers: first right, second wrong.
        let scores = [[0.0, 9.0], [0.0, 9.0], [0.0, 9.0], [0.0, 9.0]];
        assert_eq!(
            run(&mut TokenAccuracy::default(), scores),
            [("token_accuracy/top1".to_string(), 50.0)]
        );
        assert_eq!(
            run(&mut ExactMatch::default(), scores),
            [("exact_match/accuracy".to_string(), 50.0)]
        );
        let right = [[9.0, 0.0], [0.0, 9.0], [0.0, 9.0], [9.0, 0.0]];
        assert_eq!(
            run(&mut ExactMatch::default(), right),
            [("exact_match/accuracy".to_string(), 100.0)]
        );
        // Uniform scores: the loss is ln 2 per token, the perplexity 2 (the vocabulary).
        let ppl = run(&mut Perplexity::default(), [[0.0, 0.0]; 4]);
        assert!((ppl[0].1 - std::f32::consts::LN_2).abs() < 1e-6, "{ppl:?}");
        assert!((ppl[1].1 - 2.0).abs() < 1e-5, "{ppl:?}");
    }
}
