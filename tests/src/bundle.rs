//! The web app's download as trunk lays it out in its dist folder: what the first
//! screen fetches (the page: `index.html`, its stylesheet and icon, the
//! `playground-web` glue and module; the presets are inside the module) and what the
//! first **Train** fetches (the `playground-trainer` glue and module, which hold the
//! backends).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// The first screen's download budget, gzipped (issue 19: at most 3 MB).
pub const PAGE_BUDGET_MB: f64 = 3.0;

/// The files of one built app, split by when the browser fetches them.
#[derive(Debug)]
pub struct Bundle {
    /// Fetched to show the first screen.
    pub page: Vec<PathBuf>,
    /// Fetched when the page first needs its trainer.
    pub trainer: Vec<PathBuf>,
}

impl Bundle {
    /// Reads `dist` (a trunk build of `web/index.html`); fails unless both modules are
    /// there, naming what is missing.
    pub fn read(dist: &Path) -> Result<Self> {
        let mut page = Vec::new();
        let mut trainer = Vec::new();
        for entry in
            std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))?
        {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if name.starts_with("playground-trainer") && matches!(ext, "js" | "wasm") {
                trainer.push(path);
            } else if name == "index.html"
                || name == "favicon.svg"
                || ext == "css"
                || (name.starts_with("playground-web") && matches!(ext, "js" | "wasm"))
            {
                page.push(path);
            }
        }
        for (files, what) in [(&page, "playground-web"), (&trainer, "playground-trainer")] {
            if !files
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "wasm"))
            {
                bail!(
                    "no {what} .wasm in {} (is it a trunk build of web/index.html?)",
                    dist.display()
                );
            }
        }
        page.sort();
        trainer.sort();
        Ok(Self { page, trainer })
    }
}

/// The files' total size in MB (10⁶ bytes), each gzipped at level 9 as a server
/// would send it.
pub fn gzipped_mb(paths: &[PathBuf]) -> Result<f64> {
    let mut total = 0;
    for p in paths {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        total += gz.finish()?.len();
    }
    Ok(total as f64 / 1e6)
}

/// The files' total size in MB, as they are.
pub fn raw_mb(paths: &[PathBuf]) -> Result<f64> {
    let mut total = 0;
    for p in paths {
        total += std::fs::metadata(p)
            .with_context(|| format!("reading {}", p.display()))?
            .len();
    }
    Ok(total as f64 / 1e6)
}
