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
    // Only files that exist: cargo takes a missing one as changed on every build (a
    // clone without `packed-refs` rebuilt this crate, and all that depends on it, in
    // every build). A ref packed later removes its loose file, which is a change.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let mut watched = vec![format!("{git_dir}/HEAD"), format!("{git_dir}/packed-refs")];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(format!("{git_dir}/{branch}"));
        }
        for path in watched.iter().filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let revision = std::env::var("PLAYGROUND_GIT_REVISION")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    if let Some(rev) = revision.filter(|r| !r.is_empty()) {
        println!("cargo:rustc-env=PLAYGROUND_GIT_REVISION={rev}");
    }
}
