//! Training on remote devices: `playground-cli worker`s started here on 127.0.0.1,
//! trained over with `train --devices ws://…,ws://…` (burn's remote backend over real
//! loopback sockets). Two workers give what one local device with the global batch
//! gives; a worker killed mid-run stops the trainer with an error naming it, and the
//! last checkpoint stays valid; an address where nothing answers is a clear error.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use playground_strategy::checkpoint::Checkpoint;
use playground_strategy::checkpoint::files::read_checkpoint;

/// A `playground-cli worker` on a free loopback port, killed when dropped.
struct Worker {
    child: Child,
    url: String,
}

impl Worker {
    fn start(log: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_playground-cli"))
            .args(["worker", "--listen", "127.0.0.1:0", "--device", "cpu"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("worker log"))
            .spawn()
            .expect("the worker starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines
            .read_line(&mut first)
            .expect("the worker says where it listens");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("ws://"))
            .unwrap_or_else(|| panic!("no address in `{first}`"))
            .to_string();
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
        });
        Self { child, url }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_playground-cli"))
}

/// The MLP on the circle set, batch `b` per device, Adam with clipping, `iters`
/// iterations, a checkpoint every `every`.
fn config(dir: &Path, name: &str, b: usize, iters: u64, every: u64) -> PathBuf {
    let text = format!(
        r#"
[randomness]
seed = 3

[model]
type = "MLP"
in_features = 2
hidden_sizes = [32, 32]
num_classes = 2
activation = "tanh"

[train_dataloader]
batch_size = {b}
drop_last = true

[train_dataloader.dataset]
type = "Circle"
num_samples = 500
noise = 0.1
seed = 0
split = "train"

[train_cfg]
type = "IterBasedTrainLoop"
max_iters = {iters}

[optim_wrapper]
type = "OptimWrapper"
clip_grad = {{ max_norm = 1.0, norm_type = 2 }}

[optim_wrapper.optimizer]
type = "Adam"
lr = 0.005

[default_hooks.logger]
type = "LoggerHook"
interval = 1

[default_hooks.checkpoint]
type = "CheckpointHook"
interval = {every}
by_epoch = false
"#
    );
    let path = dir.join(name);
    std::fs::write(&path, text).expect("config written");
    path
}

fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12) as f64;
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) as f64;
    diff / scale
}

/// The worst relative difference between two checkpoints' weights and Adam buffers.
fn worst(a: &Checkpoint, b: &Checkpoint) -> f64 {
    let mut worst: f64 = 0.0;
    for (x, y) in a.state_dict.iter().zip(&b.state_dict) {
        assert_eq!(x.name, y.name);
        worst = worst.max(rel_diff(&x.values, &y.values));
    }
    let (oa, ob) = (
        a.optimizer.as_ref().expect("optimizer state"),
        b.optimizer.as_ref().expect("optimizer state"),
    );
    for (x, y) in oa.wrappers[0].state.iter().zip(&ob.wrappers[0].state) {
        assert_eq!((&x.name, x.step), (&y.name, y.step));
        for ((n, u), (m, v)) in x.buffers.iter().zip(&y.buffers) {
            assert_eq!(n, m);
            worst = worst.max(rel_diff(u, v));
        }
    }
    worst
}

fn train(config: &Path, devices: &[&str], work_dir: &Path) -> std::process::Output {
    let mut cmd = cli();
    cmd.arg("train").arg(config).arg("--work-dir").arg(work_dir);
    match devices {
        [one] => cmd.args(["--device", one]),
        many => cmd.args(["--devices", &many.join(",")]),
    };
    cmd.output().expect("the trainer runs")
}

#[test]
fn two_remote_workers_train_as_one_device_with_the_global_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Worker::start(&dir.path().join("a.log"));
    let b = Worker::start(&dir.path().join("b.log"));
    let ddp_cfg = config(dir.path(), "ddp.toml", 8, 50, 50);
    let one_cfg = config(dir.path(), "one.toml", 16, 50, 50);
    let out = train(&ddp_cfg, &[&a.url, &b.url], &dir.path().join("remote"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("rank 1: remote {}", b.url)),
        "{stdout}"
    );
    let out = train(&one_cfg, &["cpu"], &dir.path().join("local"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let remote = read_checkpoint(&dir.path().join("remote/iter_50.safetensors")).expect("ck");
    let local = read_checkpoint(&dir.path().join("local/iter_50.safetensors")).expect("ck");
    assert_eq!(remote.typed_meta().expect("meta").world_size, Some(2));
    let d = worst(&remote, &local);
    eprintln!("two remote workers against one local device: worst relative difference {d:.2e}");
    assert!(d <= 1e-5, "{d:.3e}");
}

#[test]
fn a_worker_that_dies_stops_the_run_with_its_name_and_the_checkpoint_stays_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Worker::start(&dir.path().join("a.log"));
    let mut b = Worker::start(&dir.path().join("b.log"));
    let cfg = config(dir.path(), "long.toml", 8, 1_000_000, 20);
    let work = dir.path().join("work");
    let mut trainer = cli()
        .arg("train")
        .arg(&cfg)
        .arg("--work-dir")
        .arg(&work)
        .args(["--devices", &format!("{},{}", a.url, b.url)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the trainer starts");
    let first = work.join("iter_20.safetensors");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !first.is_file() {
        assert!(
            Instant::now() < deadline,
            "no checkpoint within two minutes"
        );
        assert!(
            trainer.try_wait().expect("trainer status").is_none(),
            "the trainer ended early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Instant::now();
    b.child.kill().expect("the worker is killed");
    let _ = b.child.wait();
    let status = loop {
        if let Some(s) = trainer.try_wait().expect("trainer status") {
            break s;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "the trainer did not stop within a minute of its worker's death"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    trainer
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr read");
    assert!(!status.success());
    assert!(
        stderr.contains(&b.url),
        "the error names the worker: {stderr}"
    );
    eprintln!(
        "stopped {:?} after the worker died: {}",
        killed.elapsed(),
        stderr.lines().next().unwrap_or_default()
    );
    // The newest checkpoint the run recorded reads back whole.
    let last = std::fs::read_to_string(work.join("last_checkpoint")).expect("last_checkpoint");
    let ck = read_checkpoint(Path::new(last.trim())).expect("the last checkpoint is valid");
    assert!(ck.iter() >= 20 && ck.iter() % 20 == 0, "{}", ck.iter());
    drop(a);
}

#[test]
fn an_address_where_nothing_answers_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), "c.toml", 8, 10, 10);
    // A port nothing listens on: refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address");
    let url = format!("ws://{closed}");
    let started = Instant::now();
    let out = train(&cfg, &["cpu", &url], &dir.path().join("w"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&url), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // A listener that never speaks the protocol: the connection times out, named.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a silent port");
    let url = format!("ws://{}", silent.local_addr().expect("address"));
    let started = Instant::now();
    let out = train(&cfg, &["cpu", &url], &dir.path().join("w2"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&url), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}

/// `worker` stops cleanly on Ctrl-C (SIGINT): exit code 0 and its last line.
#[cfg(unix)]
#[test]
fn a_worker_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_playground-cli"))
        .args(["worker", "--listen", "127.0.0.1:0", "--device", "cpu"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("w.log")).expect("log"))
        .spawn()
        .expect("the worker starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    assert!(first.contains("ws://127.0.0.1:"), "{first}");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("status") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    out.read_to_string(&mut rest)
        .expect("the rest of its output");
    assert!(status.success(), "{status:?}: {rest}");
    assert!(rest.contains("worker: stopped"), "{rest}");
}
