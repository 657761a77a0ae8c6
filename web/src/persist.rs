//! Keeping the config across visits and sharing it: the text (and the chosen preset)
//! in localStorage, and a share link with the config compressed into the URL fragment
//! (`#cfg=<lz-string, URI-safe>`, the encoding many web playgrounds use).

/// localStorage key of the config text.
const TEXT_KEY: &str = "playground.config";
/// localStorage key of the preset index.
const PRESET_KEY: &str = "playground.preset";
/// URL fragment prefix of a shared config.
const FRAGMENT: &str = "#cfg=";

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

/// The config carried in the page's URL fragment, if any.
fn from_fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let packed = hash.strip_prefix(FRAGMENT)?;
    let wide = lz_str::decompress_from_encoded_uri_component(packed)?;
    String::from_utf16(&wide).ok()
}

/// Puts `text` into the URL fragment and returns the whole link to share.
pub fn share(text: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let fragment = format!(
        "{FRAGMENT}{}",
        lz_str::compress_to_encoded_uri_component(text)
    );
    location.set_hash(&fragment).ok()?;
    location.href().ok()
}
