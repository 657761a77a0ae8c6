//! The page's side: starts the training worker and exchanges messages with it.
//!
//! The worker is its own wasm module (`playground-trainer`, built by trunk next to the
//! page's): a tiny module script imports its JS glue (found next to the page's glue,
//! through `import.meta.url`) and initialises it; its `main` starts
//! [`super::scope::run`]. Nothing of it is fetched before the first `spawn`.
//! Requests sent before the worker says `Ready` are held and sent then.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::protocol::{Request, Response, decode, encode};

/// The training worker's JS glue, next to the page's (trunk names worker files after
/// their binary, without a content hash: their URLs carry [`build_tag`] instead).
pub const TRAINER_GLUE: &str = "playground-trainer.js";
/// The training worker's wasm module.
pub const TRAINER_WASM: &str = "playground-trainer_bg.wasm";

/// What the trainer's URLs carry (`?v=`), so that a browser never pairs a cached older
/// trainer (its files have no content hash) with a newer page: the page glue's file
/// name, which trunk hashes from its content, and the git revision of the build.
fn build_tag(page_glue: &str) -> String {
    let file = page_glue
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".js");
    let revision = playground_strategy::env::git_revision().unwrap_or("unknown");
    format!("{file}-{revision}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the page's JS glue.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MODULE_URL: String;
}

/// Messages held until the worker is ready.
#[derive(Default)]
struct Outbox {
    ready: bool,
    held: Vec<(JsValue, js_sys::Array)>,
}

/// A running training worker.
pub struct TrainerClient {
    worker: web_sys::Worker,
    outbox: Rc<RefCell<Outbox>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

impl TrainerClient {
    /// Starts the worker; `on_response` gets every message it sends after `Ready`,
    /// with the bytes of a checkpoint when one comes along.
    pub fn spawn(
        on_response: impl Fn(Response, Option<Vec<u8>>) + 'static,
    ) -> Result<Self, String> {
        let page_glue = MODULE_URL.with(Clone::clone);
        let tag = build_tag(&page_glue);
        let sibling = |name: &str| -> Result<String, String> {
            let url = web_sys::Url::new_with_base(&format!("{name}?v={tag}"), &page_glue)
                .map_err(|e| js_error(&e))?;
            serde_json::to_string(&url.href()).map_err(|e| e.to_string())
        };
        let (glue, wasm) = (sibling(TRAINER_GLUE)?, sibling(TRAINER_WASM)?);
        let script = format!(
            "import init from {glue};\n\
             init({{ module_or_path: {wasm} }}).catch((err) => self.postMessage([JSON.stringify(\n\
               {{ Error: {{ message: `the training worker could not start: ${{err}}` }} }})]));\n"
        );
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(
            &js_sys::Array::of1(&JsValue::from_str(&script)),
            &options,
        )
        .map_err(|e| js_error(&e))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_error(&e))?;
        let worker_options = web_sys::WorkerOptions::new();
        worker_options.set_type(web_sys::WorkerType::Module);
        worker_options.set_name("playground-trainer");
        let worker = web_sys::Worker::new_with_options(&url, &worker_options)
            .map_err(|e| format!("could not start the training worker: {}", js_error(&e)))?;
        let outbox = Rc::new(RefCell::new(Outbox::default()));
        let on_response = Rc::new(on_response);
        let on_message = {
            let outbox = outbox.clone();
            let worker = worker.clone();
            let on_response = on_response.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                match decode::<Response>(&ev.data()) {
                    Ok((Response::Ready, _)) => {
                        let held = {
                            let mut outbox = outbox.borrow_mut();
                            outbox.ready = true;
                            std::mem::take(&mut outbox.held)
                        };
                        for (message, transfer) in held {
                            if let Err(e) = worker.post_message_with_transfer(&message, &transfer) {
                                on_response(
                                    Response::Error {
                                        message: js_error(&e),
                                    },
                                    None,
                                );
                            }
                        }
                    }
                    Ok((response, bytes)) => on_response(response, bytes),
                    Err(e) => on_response(
                        Response::Error {
                            message: e.to_string(),
                        },
                        None,
                    ),
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = {
            let on_response = on_response.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                // A script that fails to load gives a plain `error` event, no message.
                let why = ev
                    .dyn_ref::<web_sys::ErrorEvent>()
                    .map(|e| e.message())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "its script did not load".into());
                on_response(
                    Response::Error {
                        message: format!("the training worker failed: {why}"),
                    },
                    None,
                );
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            outbox,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends `request` (with the bytes of a checkpoint to resume from), now or, before
    /// the worker is ready, as soon as it is.
    pub fn send(&self, request: &Request, bytes: Option<&[u8]>) -> Result<(), String> {
        let (message, transfer) = encode(request, bytes);
        let mut outbox = self.outbox.borrow_mut();
        if outbox.ready {
            self.worker
                .post_message_with_transfer(&message, &transfer)
                .map_err(|e| js_error(&e))
        } else {
            outbox.held.push((message, transfer));
            Ok(())
        }
    }
}

impl Drop for TrainerClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
