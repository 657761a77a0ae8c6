//! Records the git revision the crate was built from, when there is one, so
//! `collect_env` can report it. A build outside a git checkout reports none.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PLAYGROUND_GIT_REVISION");
    if let Ok(out) = Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .output()
        && out.status.success()
    {
        let git_dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/refs/heads");
    }
    let revision = std::env::var("PLAYGROUND_GIT_REVISION").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    if let Some(rev) = revision.filter(|r| !r.is_empty()) {
        println!("cargo:rustc-env=PLAYGROUND_GIT_REVISION={rev}");
    }
}
