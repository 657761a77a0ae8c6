//! DDPStrategy's laws on the CPU backend, with two ranks on this machine's two cores:
//! data parallelism over N devices with batch `b` is one device with batch `N × b`
//! (weights, optimizer state, losses), every rank sees its own shard, the world size
//! can change on resume, and rank 0 alone writes.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

use std::path::Path;

use playground_strategy::config::{ExperimentConfig, Registries, Resume};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use playground_strategy::strategy::Strategy;

/// What a law compares: weights and optimizer buffers by name, and the losses.
struct Trace {
    weights: Vec<(String, Vec<f32>)>,
    optim: Vec<(String, Vec<f32>)>,
    losses: Vec<f64>,
}

fn trace(r: &Runner) -> Trace {
    pollster::block_on(async {
        let weights = r
            .model_state_dict()
            .await
            .expect("weights")
            .into_iter()
            .map(|t| (t.name, t.values))
            .collect();
        let optim = r
            .optim_state_dict()
            .await
            .expect("optimizer state")
            .wrappers
            .into_iter()
            .flat_map(|w| w.state)
            .flat_map(|p| {
                p.buffers
                    .into_iter()
                    .map(move |(b, v)| (format!("{}.{b}", p.name), v))
            })
            .collect();
        let losses = r
            .hub
            .history("train/loss")
            .iter()
            .map(|(_, v)| *v)
            .collect();
        Trace {
            weights,
            optim,
            losses,
        }
    })
}

/// The largest difference relative to the largest magnitude (f32 reduction order
/// moves the last bits, not more).
fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12) as f64;
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) as f64;
    diff / scale
}

/// The worst relative difference over everything a trace holds.
fn worst(a: &Trace, b: &Trace) -> (f64, String) {
    let mut worst = (0.0, String::new());
    for (x, y) in a
        .weights
        .iter()
        .zip(&b.weights)
        .chain(a.optim.iter().zip(&b.optim))
    {
        assert_eq!(x.0, y.0);
        let d = rel_diff(&x.1, &y.1);
        if d > worst.0 {
            worst = (d, x.0.clone());
        }
    }
    assert_eq!(a.weights.len(), b.weights.len());
    assert_eq!(a.optim.len(), b.optim.len());
    assert_eq!(a.losses.len(), b.losses.len());
    for (i, (x, y)) in a.losses.iter().zip(&b.losses).enumerate() {
        let d = (x - y).abs() / y.abs().max(1e-12);
        if d > worst.0 {
            worst = (d, format!("loss at iteration {}", i + 1));
        }
    }
    worst
}

/// A config for `model` ("mlp" or "cnn") with `optimizer`, per-rank batch `batch`,
/// accumulation `acc`, clipping on, 50 iterations, no validation.
fn config(model: &str, optimizer: &str, batch: usize, acc: u32, extra: &str) -> String {
    let (model, dataset) = match model {
        "mlp" => (
            "type = \"MLP\"\nin_features = 2\nhidden_sizes = [32, 32]\nnum_classes = 2\nactivation = \"tanh\"",
            "type = \"Circle\"\nnum_samples = 500\nnoise = 0.1\nseed = 0\nsplit = \"train\"",
        ),
        _ => (
            "type = \"DigitsCNN\"\nnum_classes = 10",
            "type = \"Digits\"\nsplit = \"train\"",
        ),
    };
    format!(
        r#"
[randomness]
seed = 3

[model]
{model}

[train_dataloader]
batch_size = {batch}
drop_last = true

[train_dataloader.dataset]
{dataset}

[train_cfg]
type = "IterBasedTrainLoop"
max_iters = 50

[optim_wrapper]
type = "OptimWrapper"
accumulative_counts = {acc}
clip_grad = {{ max_norm = 1.0, norm_type = 2 }}

[optim_wrapper.optimizer]
{optimizer}

[[param_scheduler]]
type = "LinearLR"
start_factor = 0.1
by_epoch = false
begin = 0
end = 20

{extra}
"#
    )
}

fn build(text: &str, devices: &[DeviceChoice], work_dir: &Path) -> Runner {
    let cfg = ExperimentConfig::from_text(text, &Registries::default()).expect("config");
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            devices: devices.to_vec(),
            work_dir: Some(work_dir.to_path_buf()),
            ..RunnerOptions::default()
        },
    ))
    .expect("runner builds")
}

fn train(text: &str, devices: &[DeviceChoice], work_dir: &Path) -> Runner {
    let mut r = build(text, devices, work_dir);
    pollster::block_on(r.train()).expect("trains");
    r
}

const CPU2: [DeviceChoice; 2] = [DeviceChoice::Cpu, DeviceChoice::Cpu];
const SGD: &str = "type = \"SGD\"\nlr = 0.05\nmomentum = 0.9\nweight_decay = 0.0001";
const ADAM: &str = "type = \"Adam\"\nlr = 0.005";
const ADAMW: &str = "type = \"AdamW\"\nlr = 0.003\nweight_decay = 0.01";

/// Law 1: two ranks with batch `b` against one device with batch `2b`.
fn ddp_equals_the_large_batch(model: &str, optimizer: &str, b: usize, acc: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ddp = train(
        &config(model, optimizer, b, acc, ""),
        &CPU2,
        &dir.path().join("ddp"),
    );
    let large = train(
        &config(model, optimizer, 2 * b, acc, ""),
        &[DeviceChoice::Cpu],
        &dir.path().join("large"),
    );
    assert_eq!(ddp.world_size(), 2);
    assert_eq!(
        ddp.train_loader.len(),
        large.train_loader.len(),
        "the same iterations per epoch"
    );
    assert_eq!(ddp.hub.iter, 50);
    let (a, l) = (trace(&ddp), trace(&large));
    let (d, at) = worst(&a, &l);
    eprintln!("{model} {optimizer:?} acc {acc}: worst relative difference {d:.2e} ({at})");
    assert!(d <= 1e-5, "{model}: {d:.3e} at {at}");
    let (first, last) = (
        a.losses[..5].iter().sum::<f64>() / 5.0,
        a.losses[45..].iter().sum::<f64>() / 5.0,
    );
    assert!(last < first, "{model}: the loss fell ({first} -> {last})");
    // The comparison can fail: one device with batch b is another run.
    let small = train(
        &config(model, optimizer, b, acc, ""),
        &[DeviceChoice::Cpu],
        &dir.path().join("small"),
    );
    let (d, _) = worst(&trace(&small), &l);
    assert!(d > 1e-3, "{model}: batch b differs from batch 2b ({d:.3e})");
    // Every replica took the same steps: rank 1 holds rank 0's weights, bit for bit.
    let dp = ddp.prepared.data_parallel.as_ref().expect("replicas");
    let replica = pollster::block_on(ddp.strategy.model_state_dict(dp.replicas[0].model.as_ref()))
        .expect("replica weights");
    let main = pollster::block_on(ddp.model_state_dict()).expect("weights");
    for (r, m) in replica.iter().zip(&main) {
        assert!(
            r.values == m.values,
            "{}: the replica drifted by {:.3e}",
            m.name,
            rel_diff(&r.values, &m.values)
        );
    }
}

#[test]
fn ddp_mlp_sgd_with_accumulation_equals_the_large_batch() {
    ddp_equals_the_large_batch("mlp", SGD, 8, 2);
}

#[test]
fn ddp_mlp_adam_equals_the_large_batch() {
    ddp_equals_the_large_batch("mlp", ADAM, 8, 1);
}

#[test]
fn ddp_cnn_sgd_equals_the_large_batch() {
    ddp_equals_the_large_batch("cnn", SGD, 16, 1);
}

#[test]
fn ddp_cnn_adamw_with_accumulation_equals_the_large_batch() {
    ddp_equals_the_large_batch("cnn", ADAMW, 16, 2);
}

/// Law 2: in every epoch the ranks' samples, interleaved, are the padded shuffled
/// order; a rank sees a sample twice only through the padding.
#[test]
fn each_rank_trains_on_its_own_shard() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 400 training samples over 3 ranks: padded to 402.
    let r = build(
        &config("mlp", SGD, 8, 1, ""),
        &[DeviceChoice::Cpu, DeviceChoice::Cpu, DeviceChoice::Cpu],
        dir.path(),
    );
    let n = r.train_loader.samples.len();
    for epoch in 0..3 {
        let ranks = r.rank_orders(epoch);
        assert_eq!(ranks.len(), 3);
        let per_rank = n.div_ceil(3);
        assert!(ranks.iter().all(|o| o.len() == per_rank));
        let mut interleaved = Vec::new();
        for i in 0..per_rank {
            for o in &ranks {
                interleaved.push(o[i]);
            }
        }
        let base = playground_strategy::data::sampler::torch_randperm(n, 3 + epoch);
        let padded: Vec<usize> = (0..per_rank * 3).map(|i| base[i % n]).collect();
        assert_eq!(interleaved, padded, "epoch {epoch}");
        let mut seen = interleaved[..n].to_vec();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>(), "every sample once");
    }
}

/// Law 3: a checkpoint from two ranks resumes on one device with the global batch
/// (and the reverse) and continues the same trajectory; it records its world size.
#[test]
fn the_world_size_can_change_on_resume() {
    let checkpoints =
        "[default_hooks.checkpoint]\ntype = \"CheckpointHook\"\ninterval = 25\nby_epoch = false";
    let dir = tempfile::tempdir().expect("tempdir");
    let two = |b| config("mlp", ADAM, b, 1, checkpoints);
    let ddp = train(&two(8), &CPU2, &dir.path().join("ddp"));
    let single = train(&two(16), &[DeviceChoice::Cpu], &dir.path().join("single"));
    let ck = playground_strategy::checkpoint::files::read_checkpoint(
        &dir.path().join("ddp/iter_25.safetensors"),
    )
    .expect("checkpoint");
    assert_eq!(ck.typed_meta().expect("meta").world_size, Some(2));

    for (from, text, devices, reference) in [
        ("ddp", two(16), &[DeviceChoice::Cpu][..], &single),
        ("single", two(8), &CPU2[..], &ddp),
    ] {
        let mut cfg = ExperimentConfig::from_text(&text, &Registries::default()).expect("config");
        cfg.resume = Resume::Path(
            dir.path()
                .join(from)
                .join("iter_25.safetensors")
                .to_string_lossy()
                .into_owned(),
        );
        let mut r = pollster::block_on(Runner::from_config(
            cfg,
            RunnerOptions {
                devices: devices.to_vec(),
                work_dir: Some(dir.path().join(format!("from_{from}"))),
                ..RunnerOptions::default()
            },
        ))
        .expect("builds");
        r.load_or_resume().expect("resumes");
        assert_eq!(r.hub.iter, 25);
        pollster::block_on(r.train()).expect("continues");
        let (mut a, mut b) = (trace(&r), trace(reference));
        // The resumed run logged only its own iterations.
        b.losses.drain(..25);
        a.losses.drain(..a.losses.len() - 25);
        let (d, at) = worst(&a, &b);
        assert!(d <= 1e-5, "resumed from {from}: {d:.3e} at {at}");
    }
}

/// Law 4: one log, one `scalars.json`, one checkpoint per interval, however many
/// ranks.
#[test]
fn rank_zero_alone_writes() {
    let checkpoints =
        "[default_hooks.checkpoint]\ntype = \"CheckpointHook\"\ninterval = 20\nby_epoch = false";
    let dir = tempfile::tempdir().expect("tempdir");
    let files = |devices: &[DeviceChoice], name: &str| {
        let work = dir.path().join(name);
        train(&config("mlp", SGD, 8, 1, checkpoints), devices, &work);
        let mut out: Vec<String> = walk(&work)
            .into_iter()
            .map(|p| {
                let rel = p
                    .strip_prefix(&work)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                // The log folder and file are named by the start time.
                rel.split('/')
                    .map(|s| match (s.starts_with("20"), s.ends_with(".log")) {
                        (true, true) => "<time>.log",
                        (true, false) => "<time>",
                        _ => s,
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        out.sort();
        out
    };
    let one = files(&[DeviceChoice::Cpu], "one");
    let three = files(
        &[DeviceChoice::Cpu, DeviceChoice::Cpu, DeviceChoice::Cpu],
        "three",
    );
    assert_eq!(
        three,
        [
            "<time>/<time>.log",
            "<time>/vis_data/config.json",
            "<time>/vis_data/scalars.json",
            "iter_20.safetensors",
            "iter_40.safetensors",
            "iter_50.safetensors",
            "last_checkpoint",
        ],
        "one set of files from three ranks"
    );
    assert_eq!(one, three, "the same files as one device");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("reads").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The environment says what runs: the strategy, the world size and every device.
#[test]
fn collect_env_reports_the_strategy_and_every_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = build(&config("mlp", SGD, 8, 1, ""), &CPU2, dir.path());
    assert_eq!((r.rank(), r.world_size(), r.distributed()), (0, 2, true));
    let one = build(
        &config("mlp", SGD, 8, 1, ""),
        &[DeviceChoice::Cpu],
        &dir.path().join("one"),
    );
    assert_eq!(
        (one.rank(), one.world_size(), one.distributed()),
        (0, 1, false)
    );
    let (_, runtime) = pollster::block_on(r.strategy.collect_env());
    assert_eq!(runtime["strategy"], "DDPStrategy");
    assert_eq!(runtime["world_size"], 2);
    assert_eq!(runtime["Distributed training"], true);
    assert_eq!(runtime["devices"].as_array().map(Vec::len), Some(2));
}

/// The config's strategy meets the devices: several devices and SingleDeviceStrategy
/// is an error; `auto_scale_lr` scales by the global batch.
#[test]
fn strategy_keys_and_auto_scale_lr_follow_the_world_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config(
        "mlp",
        SGD,
        8,
        1,
        "[strategy]\ntype = \"SingleDeviceStrategy\"",
    );
    let cfg = ExperimentConfig::from_text(&text, &Registries::default()).expect("config");
    let err = pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            devices: CPU2.to_vec(),
            work_dir: Some(dir.path().to_path_buf()),
            ..RunnerOptions::default()
        },
    ))
    .err()
    .expect("refused");
    assert!(err.to_string().contains("strategy.type"), "{err}");

    let scaled = "[auto_scale_lr]\nenable = true\nbase_batch_size = 8";
    let r = build(
        &config("mlp", SGD, 8, 1, scaled),
        &CPU2,
        &dir.path().join("a"),
    );
    let lr = r.prepared.optim_wrapper.get_lr()["lr"][0];
    // 2 ranks × 8 / 8 = 2, times LinearLR's start factor 0.1: 0.05 × 2 × 0.1.
    assert!((lr - 0.01).abs() < 1e-12, "{lr}");
    let replica_lr = r.prepared.data_parallel.as_ref().expect("dp").replicas[0]
        .optim_wrapper
        .get_lr()["lr"][0];
    assert_eq!(replica_lr, lr);
}

/// `randomness.diff_rank_seed`: rank `r` draws its dropout masks from `seed + r`; off,
/// every rank draws the same ones (MMEngine seeds every rank alike). Either way the
/// replicas stay identical, since the averaged gradients are.
#[test]
fn diff_rank_seed_gives_each_rank_its_own_dropout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let with_dropout = |diff: bool| {
        config("mlp", ADAM, 8, 1, "")
            .replace(
                "activation = \"tanh\"",
                "activation = \"tanh\"\ndropout = 0.3",
            )
            .replace(
                "[randomness]\nseed = 3",
                &format!("[randomness]\nseed = 3\ndiff_rank_seed = {diff}"),
            )
    };
    let same = train(&with_dropout(false), &CPU2, &dir.path().join("same"));
    let own = train(&with_dropout(true), &CPU2, &dir.path().join("own"));
    let again = train(&with_dropout(true), &CPU2, &dir.path().join("again"));
    let (s, o, a) = (trace(&same), trace(&own), trace(&again));
    assert!(worst(&s, &o).0 > 1e-4, "per-rank seeds change the masks");
    assert_eq!(worst(&o, &a).0, 0.0, "and are repeatable");
    for r in [&same, &own] {
        let dp = r.prepared.data_parallel.as_ref().expect("replicas");
        let replica =
            pollster::block_on(r.strategy.model_state_dict(dp.replicas[0].model.as_ref()))
                .expect("replica weights");
        let main = pollster::block_on(r.model_state_dict()).expect("weights");
        assert!(
            replica.iter().zip(&main).all(|(x, y)| x.values == y.values),
            "the replica stayed identical"
        );
    }
}
