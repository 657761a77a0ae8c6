//! The page's data files: uploaded tables, drawn points and the presets' tables, by
//! the name a config's `CSVDataset.path` gives. They are handed to the training
//! worker with every build and kept across visits (localStorage, up to
//! [`KEEP_LIMIT`] bytes in all; a share link carries them when they are small).

use playground_strategy::config::ExperimentConfig;

use crate::presets::PRESETS;

/// localStorage key of the uploaded and drawn files.
const KEY: &str = "playground.files";
/// The most bytes of files kept in localStorage (its quota is ~5 MB per site).
pub const KEEP_LIMIT: usize = 2 << 20;
/// The most bytes of files a share link carries.
pub const SHARE_LIMIT: usize = 16 << 10;

/// `(name, text)` of every file.
pub type Files = Vec<(String, String)>;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn is_preset_file(name: &str) -> bool {
    PRESETS.iter().any(|p| {
        p.files.iter().any(|(n, _)| *n == name) || p.fetched.iter().any(|(n, _)| *n == name)
    })
}

/// The presets' fetched files `config` names that `files` lacks: `(name, URL)`.
pub fn missing_fetched(config: &str, files: &Files) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = PRESETS
        .iter()
        .flat_map(|p| p.fetched.iter().copied())
        .filter(|(name, _)| config.contains(name) && !files.iter().any(|(n, _)| n == name))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The text at `url` (relative to the page), fetched.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let fail = |e: wasm_bindgen::JsValue| format!("fetching {url}: {e:?}");
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(fail)?
        .dyn_into()
        .map_err(fail)?;
    if !response.ok() {
        return Err(format!("fetching {url}: HTTP {}", response.status()));
    }
    JsFuture::from(response.text().map_err(fail)?)
        .await
        .map_err(fail)?
        .as_string()
        .ok_or_else(|| format!("fetching {url}: not text"))
}

/// The files at start: every preset's tables, then what a shared link or the last
/// visit kept.
pub fn initial(shared: Option<Files>) -> Files {
    let mut files: Files = PRESETS
        .iter()
        .flat_map(|p| p.files.iter().map(|(n, t)| (n.to_string(), t.to_string())))
        .collect();
    let kept: Files = shared
        .or_else(|| serde_json::from_str(&storage()?.get_item(KEY).ok()??).ok())
        .unwrap_or_default();
    for (name, text) in kept {
        upsert(&mut files, name, text);
    }
    files
}

/// Adds or replaces the file `name`.
pub fn upsert(files: &mut Files, name: String, text: String) {
    match files.iter_mut().find(|(n, _)| *n == name) {
        Some(f) => f.1 = text,
        None => files.push((name, text)),
    }
}

/// The files a person added (not the presets'), newest last.
pub fn own(files: &Files) -> Files {
    files
        .iter()
        .filter(|(n, _)| !is_preset_file(n))
        .cloned()
        .collect()
}

/// Keeps the person's files in localStorage, newest first, up to [`KEEP_LIMIT`];
/// returns the names left out.
pub fn save(files: &Files) -> Vec<String> {
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    let mut size = 0;
    for (name, text) in own(files).into_iter().rev() {
        if size + text.len() <= KEEP_LIMIT {
            size += text.len();
            kept.push((name, text));
        } else {
            left_out.push(name);
        }
    }
    kept.reverse();
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(&kept)) {
        let _ = s.set_item(KEY, &json);
    }
    left_out
}

/// Reads the tables `cfg`'s datasets name from `files`, by the path the config gives,
/// as the CLI reads them from disk: the page's preview and data panel and the worker
/// all see the same rows. A name with no file becomes a problem naming it.
pub fn read_into(cfg: &mut ExperimentConfig, files: &Files) {
    cfg.read_data_files(&|name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone().into_bytes())
            .ok_or_else(|| {
                format!("no file named `{name}` here: upload it in the Data panel (its name is the path)")
            })
    });
}
