//! TensorFlow Playground's 2-D classification sets, generated as its `dataset.ts`
//! does (same shapes, radii, padding and noise model), from a seed instead of
//! `Math.random`: `Circle`, `Xor`, `Gauss`, `Spiral`. Labels are 1 for TF Playground's
//! positive class and 0 for its negative one.

use std::f64::consts::PI;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Which 2-D set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toy2d {
    /// A disc of one class inside a ring of the other.
    Circle,
    /// The four quadrants, alternating.
    Xor,
    /// Two Gaussian blobs.
    Gauss,
    /// Two interleaved spirals.
    Spiral,
}

/// Points and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// `[x, y]` per sample.
    pub xy: Vec<[f32; 2]>,
    /// 0 or 1 per sample.
    pub labels: Vec<u8>,
}

impl Toy2d {
    /// The config `type` of the set.
    pub fn name(self) -> &'static str {
        match self {
            Self::Circle => "Circle",
            Self::Xor => "Xor",
            Self::Gauss => "Gauss",
            Self::Spiral => "Spiral",
        }
    }

    /// The set named by a config `type`.
    pub fn from_type(name: &str) -> Option<Self> {
        match name {
            "Circle" => Some(Self::Circle),
            "Xor" => Some(Self::Xor),
            "Gauss" => Some(Self::Gauss),
            "Spiral" => Some(Self::Spiral),
            _ => None,
        }
    }

    /// `num_samples` points with `noise` in [0, 1] (TF Playground's slider / 100),
    /// always the same for the same seed.
    pub fn generate(self, num_samples: usize, noise: f64, seed: u64) -> Points {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut pts = Points {
            xy: Vec::with_capacity(num_samples),
            labels: Vec::with_capacity(num_samples),
        };
        let mut push = |x: f64, y: f64, positive: bool| {
            pts.xy.push([x as f32, y as f32]);
            pts.labels.push(u8::from(positive));
        };
        let mut uniform = |a: f64, b: f64| a + (b - a) * rng.random::<f64>();
        match self {
            Self::Circle => {
                let radius = 5.0;
                let label = |x: f64, y: f64| (x * x + y * y).sqrt() < radius * 0.5;
                for (n, (r_lo, r_hi)) in [
                    (num_samples / 2, (0.0, radius * 0.5)),
                    (num_samples - num_samples / 2, (radius * 0.7, radius)),
                ] {
                    for _ in 0..n {
                        let r = uniform(r_lo, r_hi);
                        let angle = uniform(0.0, 2.0 * PI);
                        let (x, y) = (r * angle.sin(), r * angle.cos());
                        let nx = uniform(-radius, radius) * noise;
                        let ny = uniform(-radius, radius) * noise;
                        push(x, y, label(x + nx, y + ny));
                    }
                }
            }
            Self::Xor => {
                let padding = 0.3;
                for _ in 0..num_samples {
                    let mut x = uniform(-5.0, 5.0);
                    x += if x > 0.0 { padding } else { -padding };
                    let mut y = uniform(-5.0, 5.0);
                    y += if y > 0.0 { padding } else { -padding };
                    let nx = uniform(-5.0, 5.0) * noise;
                    let ny = uniform(-5.0, 5.0) * noise;
                    push(x, y, (x + nx) * (y + ny) >= 0.0);
                }
            }
            Self::Gauss => {
                // TF Playground maps noise [0, 0.5] onto a variance of [0.5, 4].
                let variance = 0.5 + (4.0 - 0.5) * (noise / 0.5);
                let mut normal = |mean: f64| {
                    // TF Playground's normalRandom: Marsaglia's polar method.
                    loop {
                        let v1 = 2.0 * uniform(0.0, 1.0) - 1.0;
                        let v2 = 2.0 * uniform(0.0, 1.0) - 1.0;
                        let s = v1 * v1 + v2 * v2;
                        if s <= 1.0 && s > 0.0 {
                            return mean + variance.sqrt() * (-2.0 * s.ln() / s).sqrt() * v1;
                        }
                    }
                };
                for (n, c, positive) in [
                    (num_samples / 2, 2.0, true),
                    (num_samples - num_samples / 2, -2.0, false),
                ] {
                    for _ in 0..n {
                        let x = normal(c);
                        let y = normal(c);
                        push(x, y, positive);
                    }
                }
            }
            Self::Spiral => {
                for (n, delta, positive) in [
                    (num_samples / 2, 0.0, true),
                    (num_samples - num_samples / 2, PI, false),
                ] {
                    for i in 0..n {
                        let r = i as f64 / n as f64 * 5.0;
                        let t = 1.75 * i as f64 / n as f64 * 2.0 * PI + delta;
                        let x = r * t.sin() + uniform(-1.0, 1.0) * noise;
                        let y = r * t.cos() + uniform(-1.0, 1.0) * noise;
                        push(x, y, positive);
                    }
                }
            }
        }
        pts
    }
}

impl Points {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The `train`/`val` split [`super::DatasetSpec::len`] counts: a seeded shuffle, then the
    /// first `floor(n × val_ratio)` samples for `val` and the rest for `train`.
    pub fn split(&self, val_ratio: f64, seed: u64) -> (Points, Points) {
        let n = self.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_5b17);
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        let n_val = (n as f64 * val_ratio).floor() as usize;
        let take = |idx: &[usize]| Points {
            xy: idx.iter().map(|&i| self.xy[i]).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
        };
        (take(&order[n_val..]), take(&order[..n_val]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_points() {
        for set in [Toy2d::Circle, Toy2d::Xor, Toy2d::Gauss, Toy2d::Spiral] {
            let a = set.generate(200, 0.1, 7);
            assert_eq!(a, set.generate(200, 0.1, 7), "{set:?}");
            assert_ne!(a, set.generate(200, 0.1, 8), "{set:?}");
            assert_eq!(a.len(), 200);
            let positives = a.labels.iter().filter(|l| **l == 1).count();
            assert!(
                (60..=140).contains(&positives),
                "{set:?}: {positives} positives of 200"
            );
        }
    }

    #[test]
    fn noiseless_sets_are_separable_as_tf_playground_draws_them() {
        let c = Toy2d::Circle.generate(300, 0.0, 1);
        for (p, l) in c.xy.iter().zip(&c.labels) {
            let r = f64::from(p[0]).hypot(f64::from(p[1]));
            assert_eq!(*l == 1, r < 2.5, "{p:?}");
        }
        let x = Toy2d::Xor.generate(300, 0.0, 1);
        for (p, l) in x.xy.iter().zip(&x.labels) {
            assert_eq!(*l == 1, p[0] * p[1] >= 0.0, "{p:?}");
            assert!(p[0].abs() >= 0.3 && p[1].abs() >= 0.3, "padding: {p:?}");
        }
        let s = Toy2d::Spiral.generate(100, 0.0, 1);
        assert!(
            s.xy.iter()
                .all(|p| f64::from(p[0]).hypot(f64::from(p[1])) <= 5.0 + 1e-6)
        );
    }

    #[test]
    fn splits_match_dataset_len() {
        let pts = Toy2d::Spiral.generate(500, 0.1, 0);
        let (train, val) = pts.split(0.2, 0);
        assert_eq!((train.len(), val.len()), (400, 100));
        let cfg = serde_json::json!({"type": "Spiral", "num_samples": 500, "split": "train"});
        let spec = super::super::dataset_spec_registry()
            .build(&cfg, &crate::base::KeyPath::root())
            .expect("parses");
        assert_eq!(spec.len(), Some(400));
        let mut all: Vec<[u32; 2]> = train
            .xy
            .iter()
            .chain(&val.xy)
            .map(|p| [p[0].to_bits(), p[1].to_bits()])
            .collect();
        all.sort_unstable();
        let mut orig: Vec<[u32; 2]> = pts
            .xy
            .iter()
            .map(|p| [p[0].to_bits(), p[1].to_bits()])
            .collect();
        orig.sort_unstable();
        assert_eq!(all, orig, "the split is a partition");
    }
}
