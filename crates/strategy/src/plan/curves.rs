//! The curves of a whole run: the values in effect at every iteration, per optimizer,
//! with where each scheduler acts (what the CLI prints and the web app draws).

use serde_json::{Map, Value, json};

/// Where one scheduler acts, in iterations of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// The scheduler's type (`LinearLR`; a `*ParamScheduler` driving lr shows as `*LR`).
    pub scheduler: String,
    /// The group key it drives.
    pub param_name: String,
    /// First iteration whose value it sets.
    pub start: usize,
    /// One past the last such iteration (clamped to the run).
    pub end: usize,
    /// False for an epoch-based scheduler in an iteration-based loop: it applies its
    /// first value when built and never steps (as in MMEngine).
    pub steps: bool,
    /// Iterations at which a step-wise scheduler changes the value: `MultiStep*`'s
    /// milestones, `Step*`'s decays (at most 64); empty for the other families.
    pub marks: Vec<usize>,
}

/// The values in effect during each iteration of one optimizer's first group.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The optimizer's name (`None` when there is one optimizer).
    pub optimizer: Option<String>,
    /// Learning rate per iteration.
    pub lr: Vec<f64>,
    /// Momentum (SGD/RMSprop momentum, Adam's `betas[0]`) per iteration; `None` for an
    /// optimizer without one (Adagrad).
    pub momentum: Option<Vec<f64>>,
    /// Where each of its schedulers acts, in config order.
    pub phases: Vec<Phase>,
}

/// A whole run's schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    /// Iterations simulated.
    pub iterations: usize,
    /// Iterations per epoch used (`None` for an iteration-based run that did not need it).
    pub iters_per_epoch: Option<i64>,
    /// Epoch boundaries matter for the view: true for an epoch-based loop.
    pub by_epoch: bool,
    /// One series per optimizer.
    pub series: Vec<Series>,
}

impl Curves {
    /// The stable JSON interface of `playground-cli schedule --format json`:
    /// `{"iterations": N, "lr": [...], "momentum": [...]}`, or with several optimizers
    /// `"<name>.lr"` / `"<name>.momentum"` keys. `momentum` is absent for optimizers
    /// without one.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("iterations".into(), json!(self.iterations));
        for s in &self.series {
            let key = |k: &str| {
                s.optimizer
                    .as_ref()
                    .map_or(k.to_string(), |n| format!("{n}.{k}"))
            };
            out.insert(key("lr"), json!(s.lr));
            if let Some(m) = &s.momentum {
                out.insert(key("momentum"), json!(m));
            }
        }
        Value::Object(out)
    }
}
