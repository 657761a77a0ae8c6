//! `custom_hooks` and `save_best` through the whole loop on the CPU backend: EMA's
//! averaged weights are what validation sees and what `state_dict` holds, its resume
//! is bit-identical (the average included), and the best checkpoint of a real run is
//! the epoch with the best logged metric.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::checkpoint::files::read_checkpoint;
use playground_strategy::runner::Runner;
use playground_strategy::strategy::read_f32;

use common::runs::{fingerprint, law, load, preset, run, runner};

const EMA: &str = "custom_hooks=[{type='EMAHook',momentum=0.1}]";

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The averaged weights of a run, read back.
fn averaged(r: &Runner) -> Vec<Vec<u32>> {
    let ema = r.ema.as_ref().expect("an EMAHook");
    pollster::block_on(async {
        let mut out = Vec::new();
        for t in &ema.avg {
            out.push(bits(&read_f32(t.clone(), "cpu").await.expect("read back")));
        }
        out
    })
}

#[test]
fn an_ema_run_resumes_bit_identically_with_its_average() {
    let opts = [
        "train_cfg.max_epochs=4",
        "default_hooks.checkpoint.interval=2",
        EMA,
    ];
    // Weights, optimizer and losses after the resume point.
    law(&opts, "spiral_mlp.toml", "epoch_2.safetensors", 50);
    // And the average with its counter.
    let full_dir = tempfile::tempdir().expect("tempdir");
    let full = run(load(&preset("spiral_mlp.toml"), &opts), full_dir.path());
    let part_dir = tempfile::tempdir().expect("tempdir");
    let ck = read_checkpoint(&full_dir.path().join("epoch_2.safetensors")).expect("saved");
    let ema = ck.ema_state_dict.as_ref().expect("ema_state_dict saved");
    assert_eq!(ema.steps, 50, "one call per iteration");
    let mut resumed = runner(load(&preset("spiral_mlp.toml"), &opts), part_dir.path());
    resumed.resume(ck, true, true).expect("resumes");
    pollster::block_on(resumed.train()).expect("trains");
    assert_eq!(averaged(&full), averaged(&resumed), "the average");
    assert_eq!(
        full.ema.as_ref().map(|e| e.counter.steps),
        resumed.ema.as_ref().map(|e| e.counter.steps)
    );
}

#[test]
fn validation_sees_the_average_and_state_dict_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = [
        "train_cfg.max_epochs=3",
        "train_cfg.val_interval=3",
        "default_hooks.checkpoint.interval=3",
        EMA,
    ];
    let r = run(load(&preset("spiral_mlp.toml"), &opts), dir.path());
    let ck = read_checkpoint(&dir.path().join("epoch_3.safetensors")).expect("saved");
    let raw = ck.ema_state_dict.clone().expect("ema_state_dict");
    // The raw weights are the model's own after training (no swap left behind) …
    let (model, _, _) = fingerprint(&r, 0);
    let saved_raw: Vec<(String, Vec<u32>)> = raw
        .module
        .iter()
        .map(|t| (t.name.clone(), bits(&t.values)))
        .collect();
    assert_eq!(model, saved_raw, "ema_state_dict holds the raw weights");
    let saved_avg: Vec<(String, Vec<u32>)> = ck
        .state_dict
        .iter()
        .map(|t| (t.name.clone(), bits(&t.values)))
        .collect();
    assert_ne!(saved_avg, saved_raw, "state_dict holds the average");
    // … and a run without EMA that loads `state_dict` validates exactly as the EMA
    // run's last validation did: validation saw the average.
    let plain_dir = tempfile::tempdir().expect("tempdir");
    let mut plain = runner(
        load(&preset("spiral_mlp.toml"), &opts[..3]),
        plain_dir.path(),
    );
    plain.load_weights(ck, true).expect("loads");
    let metrics = pollster::block_on(plain.val()).expect("validates");
    assert_eq!(metrics, r.last_val);
}

#[test]
fn the_best_checkpoint_is_the_epoch_with_the_best_metric() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = [
        "train_cfg.max_epochs=8",
        "train_cfg.val_interval=1",
        "optim_wrapper.optimizer.lr=0.003",
        "default_hooks.checkpoint={type='CheckpointHook',interval=4,max_keep_ckpts=1,save_best='auto'}",
    ];
    let r = run(load(&preset("spiral_mlp.toml"), &opts), dir.path());
    let accs: Vec<f64> = r
        .hub
        .history("val/accuracy/top1")
        .iter()
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(accs.len(), 8);
    // The first epoch with the strictly best accuracy (a tie is no improvement).
    let mut best = (0, f64::NEG_INFINITY);
    for (i, a) in accs.iter().enumerate() {
        if *a > best.1 {
            best = (i + 1, *a);
        }
    }
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    files.sort();
    let name = format!("best_accuracy_top1_epoch_{}.safetensors", best.0);
    assert!(files.contains(&name), "{name} in {files:?} ({accs:?})");
    assert_eq!(
        files.iter().filter(|f| f.starts_with("best_")).count(),
        1,
        "{files:?}"
    );
    assert!(
        files.contains(&"epoch_8.safetensors".to_string()),
        "{files:?}"
    );
    let ck = read_checkpoint(&dir.path().join(&name)).expect("the best file");
    assert!(ck.optimizer.is_none(), "a best file holds the model only");
    assert_eq!(ck.epoch(), best.0 as i64);
    let hub = ck.message_hub.expect("message hub");
    assert_eq!(hub["runtime_info"]["best_score"].as_f64(), Some(best.1));
    assert_eq!(
        hub["runtime_info"]["best_ckpt"].as_str(),
        Some(name.as_str())
    );
}

#[test]
fn published_keys_write_the_last_and_best_weights_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = [
        "train_cfg.max_epochs=4",
        "train_cfg.val_interval=2",
        "default_hooks.checkpoint={type='CheckpointHook',interval=2,save_best='accuracy/top1',published_keys=['meta','state_dict']}",
        EMA,
    ];
    run(load(&preset("spiral_mlp.toml"), &opts), dir.path());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("work dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let published: Vec<&String> = names
        .iter()
        .filter(|n| n.len() > 21 && n.as_bytes()[n.len() - 21] == b'-')
        .collect();
    // epoch_4 (the last) and the best file, each as `<stem>-<8 hex>.safetensors`.
    assert_eq!(published.len(), 2, "{names:?}");
    assert!(
        published.iter().any(|n| n.starts_with("epoch_4-")),
        "{names:?}"
    );
    assert!(
        published
            .iter()
            .any(|n| n.starts_with("best_accuracy_top1_epoch_")),
        "{names:?}"
    );
    for n in published {
        let bytes = std::fs::read(dir.path().join(n)).expect("published");
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(n.ends_with(&format!("-{hex}.safetensors")), "{n} vs {hex}");
        let ck = read_checkpoint(&dir.path().join(n)).expect("reads");
        assert!(ck.optimizer.is_none() && ck.message_hub.is_none());
        assert!(ck.ema_state_dict.is_none() && ck.param_schedulers.is_none());
        assert!(!ck.state_dict.is_empty() && ck.meta.contains_key("epoch"));
    }
}

/// What a run's log sink saw, in order: each text line with the iterations finished
/// when it came, and each `scalars.json` record.
#[derive(Default)]
struct Events {
    lines: Vec<(i64, String)>,
    records: Vec<serde_json::Value>,
    iter: i64,
}

impl playground_strategy::base::log::LogSink for Events {
    fn line(&mut self, _level: playground_strategy::base::log::Level, text: &str) {
        self.lines.push((self.iter, text.to_string()));
    }

    fn scalars(&mut self, record: &serde_json::Value) {
        self.records.push(record.clone());
    }

    fn progress(&mut self, progress: &playground_strategy::base::log::Progress) {
        self.iter = progress.iter;
    }
}

/// Trains 2 epochs of the spiral (25 iterations each) logging every 5, with the
/// logger's read-backs deferred or not; returns what the sink saw.
fn logged(defer_log_reads: bool) -> Events {
    use playground_strategy::device::DeviceChoice;
    use playground_strategy::runner::RunnerOptions;

    let events = std::sync::Arc::new(std::sync::Mutex::new(Events::default()));
    let cfg = load(
        &preset("spiral_mlp.toml"),
        &["train_cfg.max_epochs=2", "default_hooks.logger.interval=5"],
    );
    let mut r = pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            write_files: false,
            defer_log_reads,
            sinks: vec![Box::new(events.clone())],
            ..RunnerOptions::default()
        },
    ))
    .expect("runner builds");
    if defer_log_reads {
        // As the browser's worker does: chunks of iterations, each ending by collecting
        // the read-back the previous chunk started and starting its own.
        while pollster::block_on(r.train_iter()).expect("trains") {
            if r.hub.iter % 15 == 0 {
                pollster::block_on(r.collect_reads()).expect("collects");
                r.read_ahead();
            }
        }
    } else {
        pollster::block_on(r.train()).expect("trains");
    }
    drop(r);
    std::mem::take(&mut *events.lock().expect("the sink's lock"))
}

/// `RunnerOptions::defer_log_reads` (the browser's WebGPU runs): the logger's lines
/// wait for the read-backs the caller starts and collects instead of forcing one every
/// `interval`, and are the same lines: every record's values but its timings are equal.
#[test]
fn deferred_log_reads_write_the_same_records_later() {
    let (now, later) = (logged(false), logged(true));
    let train_lines = |e: &Events| -> Vec<i64> {
        e.lines
            .iter()
            .filter(|(_, l)| l.starts_with("Epoch(train)"))
            .map(|(at, _)| *at)
            .collect()
    };
    // Without deferral a line comes before its iteration's progress report: after
    // 4, 9, 14, 19 and 24 iterations of each epoch (ignore_last drops none: 25 = 5·5).
    assert_eq!(
        train_lines(&now),
        vec![4, 9, 14, 19, 24, 29, 34, 39, 44, 49]
    );
    // Deferred, a line waits until its values are collected: those read ahead after 15
    // iterations are collected after 30, and so on; the run's end reads the rest
    // (the last line comes before the 50th report, the validation's after it).
    assert_eq!(
        train_lines(&later),
        vec![30, 30, 30, 45, 45, 45, 49, 49, 49, 49]
    );
    let untimed = |e: &Events| -> Vec<serde_json::Value> {
        e.records
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let Some(m) = r.as_object_mut() {
                    m.retain(|k, _| !k.contains("time") && k != "eta");
                }
                r
            })
            .collect()
    };
    assert_eq!(
        untimed(&now).len(),
        11,
        "10 training records, the final validation"
    );
    assert_eq!(untimed(&now), untimed(&later));
}
