//! Schedule simulation: ten schedulers chained over 1,000,000 iterations and the
//! 10,000-iteration curve the web preview redraws on every keystroke, against
//! MMEngine's own schedulers stepping an SGD optimizer over the same config.

use std::time::Instant;

use anyhow::{Context, Result};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::plan::simulate;
use serde_json::json;

use crate::peer::{Peer, Versions};
use crate::rows::Row;
use crate::stats::interleaved;

/// Ten schedulers over `iters` iterations, windows spread over the run so all of them
/// are active somewhere and several overlap (they compound).
pub fn chained(iters: i64) -> String {
    let q = iters / 10;
    format!(
        r#"[optim_wrapper.optimizer]
type = "SGD"
lr = 0.1
momentum = 0.9
[train_cfg]
by_epoch = false
max_iters = {iters}
[[param_scheduler]]
type = "LinearLR"
start_factor = 0.01
by_epoch = false
end = {q}
[[param_scheduler]]
type = "CosineAnnealingLR"
by_epoch = false
begin = {q}
end = {e1}
eta_min = 0.0001
[[param_scheduler]]
type = "StepLR"
step_size = {s}
gamma = 0.9
by_epoch = false
[[param_scheduler]]
type = "MultiStepLR"
milestones = [{m1}, {m2}, {m3}]
gamma = 0.5
by_epoch = false
[[param_scheduler]]
type = "ExponentialLR"
gamma = 0.9999999
by_epoch = false
[[param_scheduler]]
type = "PolyLR"
power = 2.0
eta_min = 0.00001
by_epoch = false
begin = {e1}
[[param_scheduler]]
type = "CosineRestartLR"
periods = [{q}, {q}, {q}]
restart_weights = [1.0, 0.8, 0.6]
eta_min = 0.0
by_epoch = false
begin = {e1}
end = {e2}
[[param_scheduler]]
type = "ConstantLR"
factor = 0.5
by_epoch = false
begin = {e2}
end = {e3}
[[param_scheduler]]
type = "CosineAnnealingMomentum"
by_epoch = false
eta_min = 0.85
[[param_scheduler]]
type = "LinearMomentum"
start_factor = 0.95
by_epoch = false
end = {q}
"#,
        e1 = 4 * q,
        e2 = 7 * q,
        e3 = 8 * q,
        s = q / 3,
        m1 = 2 * q,
        m2 = 5 * q,
        m3 = 9 * q,
    )
}

/// MMEngine steps the million-iteration schedule this far (per-iteration times are
/// compared: a million Python steps of ten schedulers take minutes).
const PEER_ITERS: i64 = 20_000;

/// Time per simulated iteration, ours against MMEngine's.
pub fn run(peer: &mut Peer, versions: &Versions, rounds: usize, machine: &str) -> Result<Vec<Row>> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let mut rows = Vec::new();
    for (iters, label) in [
        (
            1_000_000i64,
            "10 chained schedulers × 1,000,000 iterations (lr and momentum)",
        ),
        (
            10_000,
            "the web preview: the same 10 schedulers × 10,000 iterations",
        ),
    ] {
        eprintln!("bench: [schedules] {label}");
        let text = chained(iters);
        let file = dir.path().join(format!("chained_{iters}.toml"));
        std::fs::write(&file, &text).with_context(|| format!("writing {}", file.display()))?;
        let cfg = ExperimentConfig::from_text(&text, &Registries::default())
            .context("the chained schedule's config")?;
        let peer_iters = iters.min(PEER_ITERS);
        let ours = || -> Result<f64> {
            let t = Instant::now();
            let curves = simulate(&cfg, None).context("simulating")?;
            let secs = t.elapsed().as_secs_f64();
            std::hint::black_box(curves);
            Ok(secs * 1e9 / iters as f64)
        };
        let theirs = || -> Result<f64> {
            // Fresh schedulers every round (not timed), as the preview starts over.
            peer.call(json!({"cmd": "sched_setup", "config": file}))?;
            let s = peer.seconds(json!({"cmd": "sched", "iters": peer_iters}))?;
            Ok(s * 1e9 / peer_iters as f64)
        };
        let (ours, theirs) = interleaved(rounds, ours, theirs)?;
        rows.push(Row {
            group: "schedules".into(),
            workload: label.into(),
            ours,
            peer: format!(
                "MMEngine {} schedulers stepping a PyTorch {} SGD (Python {})",
                versions.mmengine, versions.torch, versions.python
            ),
            peer_value: Some(theirs),
            unit: "ns/iter".into(),
            higher_is_better: false,
            machine: machine.into(),
            note: if iters > PEER_ITERS {
                format!(
                    "ours: the whole {iters}-iteration curve; MMEngine: its first {PEER_ITERS} iterations (per-iteration time); median of {rounds} interleaved rounds"
                )
            } else {
                format!("the whole curve on both sides; median of {rounds} interleaved rounds")
            },
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chained_schedule_parses_and_simulates_every_iteration() {
        let cfg = ExperimentConfig::from_text(&chained(10_000), &Registries::default())
            .expect("the chained config parses");
        let curves = simulate(&cfg, None).expect("simulates");
        let json = curves.to_json();
        assert_eq!(json["iterations"], 10_000);
        let lr = json["lr"].as_array().expect("an lr curve");
        assert_eq!(lr.len(), 10_000);
        // The schedulers compound: the lr moves, and stays positive.
        let first = lr[0].as_f64().expect("a number");
        assert!(lr.iter().filter_map(|v| v.as_f64()).all(|v| v >= 0.0));
        assert!(lr.iter().filter_map(|v| v.as_f64()).any(|v| v != first));
    }
}
