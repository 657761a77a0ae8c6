//! Records the git revision the crate was built from, when there is one, so
//! `collect_env` can report it. A build outside a git checkout reports none.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=PLAYGROUND_GIT_REVISION");
    // Rebuild when HEAD moves: HEAD itself, the branch's ref file, and packed refs.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/packed-refs");
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={git_dir}/{branch}");
        }
    }
    let revision = std::env::var("PLAYGROUND_GIT_REVISION")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    if let Some(rev) = revision.filter(|r| !r.is_empty()) {
        println!("cargo:rustc-env=PLAYGROUND_GIT_REVISION={rev}");
    }
}
