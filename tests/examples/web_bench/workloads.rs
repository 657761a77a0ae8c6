//! The browser benchmarks' workloads: what each trains, from which config, and so
//! which peers it has.

/// What a workload trains, which decides its peers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// An MLP: TensorFlow.js builds the same model on its page.
    Mlp,
    /// A sequence model: PyTorch + MMEngine trains the same config natively; speeds are
    /// tokens per second (`tokens` per iteration).
    Sequence { tokens: usize },
}

/// A workload: its label, config file (relative to the workspace root) and kind.
pub struct Workload {
    /// The short name `--workloads` takes.
    pub name: &'static str,
    /// What the rows call it.
    pub label: &'static str,
    /// The config file, relative to the workspace root.
    pub config: &'static str,
    /// Which peers it has.
    pub kind: Kind,
}

/// Every workload, in the order rounds run them.
pub const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "spiral",
        label: "spiral MLP 2-32-32-2 (tanh), batch 16, Adam",
        config: "crates/bench/workloads/spiral_mlp.toml",
        kind: Kind::Mlp,
    },
    Workload {
        name: "wide",
        label: "wide MLP 784-256-10 (ReLU), batch 64, SGD momentum",
        config: "crates/bench/workloads/wide_mlp.toml",
        kind: Kind::Mlp,
    },
    Workload {
        name: "gpt",
        label: "tiny GPT (2 layers, 4 heads, width 64, tied head) sorting 6 digits: 12 tokens, batch 64, AdamW, clip_grad",
        config: "public/configs/sort_gpt.toml",
        kind: Kind::Sequence { tokens: 64 * 12 },
    },
];
