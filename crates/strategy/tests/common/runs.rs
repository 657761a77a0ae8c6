//! Presets and CPU runners, shared by the training and checkpoint tests.

use std::path::{Path, PathBuf};

use playground_strategy::config::{ExperimentConfig, Registries};
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
