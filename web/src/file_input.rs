//! The file a person picked in an `<input type="file">`.

use wasm_bindgen::JsCast;

/// The file chosen in the input that fired `ev`, if any. The input is cleared, so
/// choosing the same file again fires another `change`.
pub fn take_chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    let file = input.files()?.get(0)?;
    input.set_value("");
    Some(file)
}
