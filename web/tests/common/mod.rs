//! Helpers the web crate's browser tests share: driving the worker's session on the
//! page's own thread without starving the page.

use playground_web::worker::protocol::Progress;
use playground_web::worker::session::Session;

/// One turn of the browser's event loop (a `setTimeout(0)`).
pub async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("a window")
            .set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Trains exactly `n` iterations (a chunk may stop early when its time is up).
pub async fn train(s: &mut Session, n: usize) -> Progress {
    let mut done = 0;
    while done < n {
        let d = s.chunk(n - done).await.expect("a chunk trains");
        assert!(d > 0, "a chunk made no progress");
        done += d;
        // Let the page answer the test runner between chunks, as the worker answers
        // the page between them.
        tick().await;
    }
    s.progress(false, false).await
}
