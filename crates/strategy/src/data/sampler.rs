//! MMEngine's `DefaultSampler`, exactly: the epoch's order is `torch.randperm(n)` from
//! a generator seeded with `seed + epoch` (so the same seed gives PyTorch's order),
//! padded to a multiple of the world size by repeating its start (`round_up`), and
//! rank `r` takes positions `r, r + W, r + 2W, …`.

use rand_mt::Mt;

/// `torch.randperm(n)` on the CPU with a `torch.Generator` seeded by `seed`: MT19937
/// seeded with `seed mod 2³²`, then for `i` in `0..n-1` swap `r[i]` with
/// `r[i + next_u32() % (n - i)]` (torch's algorithm for `n < 2³²/20`).
pub fn torch_randperm(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut mt = Mt::new(seed as u32);
    for i in 0..n.saturating_sub(1) {
        let z = mt.next_u32() as usize % (n - i);
        order.swap(i, i + z);
    }
    order
}

/// One rank's view of MMEngine's `DefaultSampler(shuffle, seed, round_up)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultSampler {
    /// Shuffle every epoch (with `seed + epoch`).
    pub shuffle: bool,
    /// The shuffling seed.
    pub seed: u64,
    /// Pad the order to a multiple of the world size (MMEngine's default, `true`).
    pub round_up: bool,
    /// This rank.
    pub rank: usize,
    /// How many ranks share the data.
    pub world_size: usize,
}

impl DefaultSampler {
    /// The sampler of a single device.
    pub fn single(shuffle: bool, seed: u64) -> Self {
        Self {
            shuffle,
            seed,
            round_up: true,
            rank: 0,
            world_size: 1,
        }
    }

    /// The whole order of `epoch` (before padding and sharding): `randperm` with
    /// `seed + epoch`, or `0..n`.
    pub fn base_order(&self, n: usize, epoch: u64) -> Vec<usize> {
        if self.shuffle {
            torch_randperm(n, self.seed.wrapping_add(epoch))
        } else {
            (0..n).collect()
        }
    }

    /// The padded length every rank draws from: `ceil(n / W) · W` with `round_up`,
    /// else `n`.
    pub fn total_size(&self, n: usize) -> usize {
        let w = self.world_size.max(1);
        if self.round_up { n.div_ceil(w) * w } else { n }
    }

    /// This rank's samples per epoch (`len(sampler)`).
    pub fn num_samples(&self, n: usize) -> usize {
        let w = self.world_size.max(1);
        if self.round_up {
            n.div_ceil(w)
        } else {
            n.saturating_sub(self.rank).div_ceil(w)
        }
    }

    /// This rank's indices in `epoch`, in order.
    pub fn indices(&self, n: usize, epoch: u64) -> Vec<usize> {
        let base = self.base_order(n, epoch);
        if base.is_empty() {
            return base;
        }
        let total = self.total_size(n);
        let w = self.world_size.max(1);
        (self.rank..total)
            .step_by(w)
            .map(|i| base[i % base.len()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn reference(name: &str) -> Value {
        let path = format!(
            "{}/../../../shared/reference/hooks/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("reference json")
    }

    fn as_usizes(v: &Value) -> Vec<usize> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_u64().expect("index") as usize)
            .collect()
    }

    #[test]
    fn randperm_is_torchs() {
        let r = reference("randperm_torch_cpu");
        let pairs = r["input"]["pairs"].as_array().expect("pairs");
        let expected = r["expected"]["perms"]
            .as_array()
            .or_else(|| r["expected"].as_array())
            .expect("expected permutations");
        assert_eq!(pairs.len(), expected.len());
        for (pair, want) in pairs.iter().zip(expected) {
            let n = pair[0].as_u64().expect("n") as usize;
            let seed = pair[1].as_u64().expect("seed");
            let want = want
                .get("perm")
                .map(as_usizes)
                .unwrap_or_else(|| as_usizes(want));
            assert_eq!(torch_randperm(n, seed), want, "n={n} seed={seed}");
        }
    }

    #[test]
    fn shards_are_mmengines() {
        for name in [
            "sampler_single_noshuffle",
            "sampler_ws3_noshuffle_roundup",
            "sampler_ws3_shuffle_seed42_epoch0",
            "sampler_ws3_shuffle_seed42_epoch1",
            "sampler_ws4_shuffle_noroundup",
            "sampler_ws8_len3_roundup",
        ] {
            let r = reference(name);
            let cfg = &r["config"];
            let input = &r["input"];
            let n = input["dataset_len"].as_u64().expect("len") as usize;
            let world = input["world_size"].as_u64().unwrap_or(1) as usize;
            let epoch = input["epoch"].as_u64().unwrap_or(0);
            let base = DefaultSampler::single(
                cfg["shuffle"].as_bool().unwrap_or(true),
                cfg["seed"].as_u64().unwrap_or(0),
            );
            assert_eq!(
                base.base_order(n, epoch),
                as_usizes(&r["expected"]["base_order"]),
                "{name}"
            );
            for rank in r["expected"]["ranks"].as_array().expect("ranks") {
                let s = DefaultSampler {
                    shuffle: cfg["shuffle"].as_bool().unwrap_or(true),
                    seed: cfg["seed"].as_u64().unwrap_or(0),
                    round_up: cfg["round_up"].as_bool().unwrap_or(true),
                    rank: rank["rank"].as_u64().expect("rank") as usize,
                    world_size: world,
                };
                assert_eq!(s.indices(n, epoch), as_usizes(&rank["indices"]), "{name}");
                assert_eq!(
                    s.num_samples(n) as u64,
                    rank["num_samples"].as_u64().expect("num_samples"),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn the_ranks_together_are_the_padded_order() {
        for (n, w) in [(10, 3), (12, 4), (7, 2), (3, 8)] {
            let ranks: Vec<Vec<usize>> = (0..w)
                .map(|rank| {
                    DefaultSampler {
                        shuffle: true,
                        seed: 5,
                        round_up: true,
                        rank,
                        world_size: w,
                    }
                    .indices(n, 2)
                })
                .collect();
            let base = DefaultSampler::single(true, 5).base_order(n, 2);
            let total = n.div_ceil(w) * w;
            let mut interleaved = Vec::new();
            for i in 0..ranks[0].len() {
                for r in &ranks {
                    interleaved.push(r[i]);
                }
            }
            let padded: Vec<usize> = (0..total).map(|i| base[i % n]).collect();
            assert_eq!(interleaved, padded, "n={n} w={w}");
        }
    }
}
