//! A static file server on 127.0.0.1 for the built web app, with the MIME types
//! browsers insist on (`application/wasm` for streaming compilation). It keeps the
//! paths asked of it, so a test can tell what the page fetched and when.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

/// Serves a folder until dropped.
pub struct StaticServer {
    server: std::sync::Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    requested: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "toml" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl StaticServer {
    /// Serves `root` on a free port of 127.0.0.1.
    pub fn start(root: impl Into<PathBuf>) -> Result<Self> {
        let root: PathBuf = root.into();
        let server = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| anyhow::anyhow!("binding 127.0.0.1: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .context("server has an IP address")?
            .port();
        let server = std::sync::Arc::new(server);
        let worker = server.clone();
        let requested = Arc::new(Mutex::new(Vec::new()));
        let log = requested.clone();
        let thread = std::thread::spawn(move || {
            for request in worker.incoming_requests() {
                if let Ok(mut log) = log.lock() {
                    log.push(request.url().to_string());
                }
                let path = request
                    .url()
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("/")
                    .to_string();
                let rel = path.trim_start_matches('/');
                let rel = if rel.is_empty() { "index.html" } else { rel };
                let file = root.join(rel);
                // Never serve outside the root.
                let inside = !rel.split('/').any(|part| part == "..");
                let response = match (inside, std::fs::read(&file)) {
                    (true, Ok(bytes)) => {
                        let header = tiny_http::Header::from_bytes("Content-Type", mime(&file))
                            .expect("static header");
                        tiny_http::Response::from_data(bytes)
                            .with_header(header)
                            .boxed()
                    }
                    _ => tiny_http::Response::from_string("not found")
                        .with_status_code(404)
                        .boxed(),
                };
                let _ = request.respond(response);
            }
        });
        Ok(Self {
            server,
            thread: Some(thread),
            requested,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl StaticServer {
    /// Every URL asked of the server so far, as requested (`/index.html`,
    /// `/x.wasm?v=…`, …), in order.
    pub fn requested(&self) -> Vec<String> {
        self.requested.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
