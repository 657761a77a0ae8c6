//! Presets and CPU runners, shared by the training and checkpoint tests.

use std::path::{Path, PathBuf};

use playground_strategy::config::{ExperimentConfig, Registries, Resume};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};

/// A preset of `public/configs`.
pub fn preset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/configs")
        .join(name)
}

/// Loads a config file with `--cfg-options`.
pub fn load(path: &Path, options: &[&str]) -> ExperimentConfig {
    let opts: Vec<String> = options.iter().map(|s| s.to_string()).collect();
    ExperimentConfig::load(path, &opts, &Registries::default()).expect("config loads")
}

/// A runner on the CPU backend writing into `work_dir`.
pub fn runner(cfg: ExperimentConfig, work_dir: &Path) -> Runner {
    pollster::block_on(Runner::from_config(
        cfg,
        RunnerOptions {
            device: DeviceChoice::Cpu,
            work_dir: Some(work_dir.to_path_buf()),
            ..RunnerOptions::default()
        },
    ))
    .expect("runner builds")
}

/// [`runner`], trained to the end.
pub fn run(cfg: ExperimentConfig, work_dir: &Path) -> Runner {
    let mut r = runner(cfg, work_dir);
    pollster::block_on(r.train()).expect("trains");
    r
}

/// Everything the law compares: weights, optimizer state, and the losses logged
/// from `from_iter` on (bits).
pub fn fingerprint(
    r: &Runner,
    from_iter: i64,
) -> (Vec<(String, Vec<u32>)>, String, Vec<(i64, u64)>) {
    pollster::block_on(async {
        let w = r
            .model_state_dict()
            .await
            .expect("weights")
            .into_iter()
            .map(|t| (t.name, t.values.iter().map(|v| v.to_bits()).collect()))
            .collect();
        let o = serde_json::to_string(&r.optim_state_dict().await.expect("optim")).expect("json");
        let l = r
            .hub
            .history("train/loss")
            .iter()
            .filter(|(i, _)| *i > from_iter)
            .map(|(i, v)| (*i, v.to_bits()))
            .collect();
        (w, o, l)
    })
}

/// The resume law on `preset_name` with `cfg_opts`: the full run equals the run
/// stopped once `resume_file` is saved (at `resume_iter`) and resumed to the end, bit
/// for bit (losses after the resume point, final weights, optimizer state).
pub fn law(cfg_opts: &[&str], preset_name: &str, resume_file: &str, resume_iter: i64) {
    let full_dir = tempfile::tempdir().expect("tempdir");
    let mut full = runner(load(&preset(preset_name), cfg_opts), full_dir.path());
    pollster::block_on(full.train()).expect("full run");

    // The same config, stopped after the checkpoint: train_iter until it exists.
    let part_dir = tempfile::tempdir().expect("tempdir");
    let mut part = runner(load(&preset(preset_name), cfg_opts), part_dir.path());
    while part.hub.iter < resume_iter {
        pollster::block_on(part.train_iter()).expect("partial run");
    }
    let ck_path = part_dir.path().join(resume_file);
    assert!(ck_path.is_file(), "{} was saved", ck_path.display());
    drop(part);

    let mut cfg = load(&preset(preset_name), cfg_opts);
    cfg.resume = Resume::Latest;
    let mut resumed = runner(cfg, part_dir.path());
    let used = resumed.load_or_resume().expect("resumes");
    assert_eq!(used.as_deref(), Some(ck_path.as_path()));
    assert_eq!(resumed.hub.iter, resume_iter);
    pollster::block_on(resumed.train()).expect("resumed run");

    let (wf, of, lf) = fingerprint(&full, resume_iter);
    let (wr, or, lr) = fingerprint(&resumed, resume_iter);
    assert!(!lf.is_empty());
    assert_eq!(lf, lr, "losses after the resume point");
    assert_eq!(wf, wr, "final weights");
    assert_eq!(of, or, "final optimizer state");
}
