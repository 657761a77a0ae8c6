//! Keeping the config across visits and sharing it: the text (and the chosen preset)
//! in localStorage, and a share link with the config compressed into the URL fragment
//! (`#cfg=<lz-string, URI-safe>`, the encoding many web playgrounds use), followed by
//! the person's data files when they are small (`&data=<lz-string of their JSON>`).

/// localStorage key of the config text.
const TEXT_KEY: &str = "playground.config";
/// localStorage key of the preset index.
const PRESET_KEY: &str = "playground.preset";
/// URL fragment prefix of a shared config.
const FRAGMENT: &str = "#cfg=";
/// What separates the shared data files from the config in the fragment.
const DATA: &str = "&data=";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The config to start from: a shared link wins, then what was stored, then nothing.
pub fn initial_text() -> Option<String> {
    from_fragment().or_else(|| storage()?.get_item(TEXT_KEY).ok()?)
}

/// The preset last chosen, if stored.
pub fn initial_preset() -> Option<usize> {
    storage()?.get_item(PRESET_KEY).ok()??.parse().ok()
}

/// Stores the config text (best effort: private windows may refuse).
pub fn save_text(text: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(TEXT_KEY, text);
    }
}

/// Stores the preset index.
pub fn save_preset(i: usize) {
    if let Some(s) = storage() {
        let _ = s.set_item(PRESET_KEY, &i.to_string());
    }
}

fn unpack(packed: &str) -> Option<String> {
    let wide = lz_str::decompress_from_encoded_uri_component(packed)?;
    String::from_utf16(&wide).ok()
}

/// The config carried in the page's URL fragment, if any.
fn from_fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let packed = hash.strip_prefix(FRAGMENT)?;
    unpack(packed.split(DATA).next()?)
}

/// The data files a shared link carries, if any.
pub fn shared_files() -> Option<crate::data_files::Files> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let data = hash.strip_prefix(FRAGMENT)?.split(DATA).nth(1)?;
    serde_json::from_str(&unpack(data)?).ok()
}

/// Puts `text` (and the person's data files, when together they are at most
/// [`crate::data_files::SHARE_LIMIT`] bytes) into the URL fragment and returns the
/// whole link to share.
pub fn share(text: &str, files: &crate::data_files::Files) -> Option<String> {
    let location = web_sys::window()?.location();
    let own = crate::data_files::own(files);
    let size: usize = own.iter().map(|(_, t)| t.len()).sum();
    let data = if !own.is_empty() && size <= crate::data_files::SHARE_LIMIT {
        let json = serde_json::to_string(&own).ok()?;
        format!("{DATA}{}", lz_str::compress_to_encoded_uri_component(&json))
    } else {
        String::new()
    };
    let fragment = format!(
        "{FRAGMENT}{}{data}",
        lz_str::compress_to_encoded_uri_component(text)
    );
    location.set_hash(&fragment).ok()?;
    location.href().ok()
}
