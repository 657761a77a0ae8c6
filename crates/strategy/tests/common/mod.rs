//! The reference data shared by the tests (`../shared/reference`, read, never copied).

#![allow(dead_code)] // each test binary uses a part

use std::path::PathBuf;

#[cfg(all(feature = "cpu", not(target_family = "wasm")))]
pub mod runs;

/// The reference folder: `$PLAYGROUND_REFERENCE_DIR`, or `shared/reference` beside the clone.
pub fn reference_dir() -> PathBuf {
    std::env::var_os("PLAYGROUND_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
        })
}

/// The `.json` cases of `reference/<kind>`, sorted; fails unless there are at least `min`.
pub fn reference_cases(kind: &str, min: usize) -> Vec<PathBuf> {
    let dir = reference_dir().join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "reading {}: {e} (set PLAYGROUND_REFERENCE_DIR)",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= min,
        "expected {min} reference cases in {}, found {}",
        dir.display(),
        files.len()
    );
    files
}
