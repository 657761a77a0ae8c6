//! The worker's side: listens for requests, queues them, and trains between them.
//!
//! One task owns the session. Every request goes through one queue and is handled in
//! order between chunks of training, so a `Pause` sent after a `Train` always wins and
//! nothing touches the runner while an iteration runs. Between chunks the task yields
//! to the worker's event loop, where new messages arrive; with nothing to do it sleeps
//! until a message wakes it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use playground_strategy::device::DeviceChoice;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::DedicatedWorkerGlobalScope;

use super::protocol::{Request, Response, decode, encode};
use super::session::Session;

/// Requests received and not yet handled, and the wake-up of a sleeping task.
#[derive(Default)]
struct Inbox {
    queue: VecDeque<(Request, Option<Vec<u8>>)>,
    wake: Option<js_sys::Function>,
}

/// Starts the worker: installs the message handler and the training task.
pub fn run() {
    // A panic in the worker is told to the page (which shows it) as well as logged.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        post(
            &scope,
            &Response::Error {
                message: format!("the training worker stopped: {info}"),
            },
            None,
        );
    }));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let inbox = Rc::new(RefCell::new(Inbox::default()));
    let on_message = {
        let inbox = inbox.clone();
        let scope = scope.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            match decode::<Request>(&ev.data()) {
                Ok(message) => {
                    let wake = {
                        let mut inbox = inbox.borrow_mut();
                        inbox.queue.push_back(message);
                        inbox.wake.take()
                    };
                    if let Some(wake) = wake {
                        let _ = wake.call0(&JsValue::NULL);
                    }
                }
                Err(e) => post(
                    &scope,
                    &Response::Error {
                        message: e.to_string(),
                    },
                    None,
                ),
            }
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    wasm_bindgen_futures::spawn_local(pump(scope, inbox));
}

fn post(scope: &DedicatedWorkerGlobalScope, response: &Response, bytes: Option<&[u8]>) {
    let (message, transfer) = encode(response, bytes);
    if let Err(e) = scope.post_message_with_transfer(&message, &transfer) {
        web_sys::console::error_1(&e);
    }
}

/// Lets the worker's event loop deliver messages before the next chunk.
async fn yield_now(scope: &DedicatedWorkerGlobalScope) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = scope.set_timeout_with_callback(&resolve);
    });
    let _ = JsFuture::from(promise).await;
}

/// Sleeps until a message arrives (returns at once when one is waiting).
async fn next_message(inbox: &Rc<RefCell<Inbox>>) {
    if !inbox.borrow().queue.is_empty() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
    let _ = JsFuture::from(promise).await;
}

/// The training task: owns the session, handles requests in order, trains while it has
/// iterations to do.
async fn pump(scope: DedicatedWorkerGlobalScope, inbox: Rc<RefCell<Inbox>>) {
    let mut worker = Worker {
        scope,
        session: Session::new(DeviceChoice::Auto),
        budget: 0,
    };
    worker.post(&Response::Ready, None);
    loop {
        loop {
            let next = inbox.borrow_mut().queue.pop_front();
            let Some((request, bytes)) = next else { break };
            worker.handle(request, bytes).await;
        }
        if worker.budget > 0 && worker.session.is_built() && !worker.session.is_finished() {
            worker.chunk().await;
            yield_now(&worker.scope).await;
        } else {
            worker.budget = 0;
            next_message(&inbox).await;
        }
    }
}

/// The session and how many iterations are still to train without a further request
/// (`usize::MAX`: until paused).
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    session: Session,
    budget: usize,
}

impl Worker {
    fn post(&self, response: &Response, bytes: Option<&[u8]>) {
        post(&self.scope, response, bytes);
    }

    fn fail(&self, message: String) {
        self.post(&Response::Error { message }, None);
    }

    async fn progress(&mut self, full: bool) {
        // A stopped session's report has every loss (a running one's arrive a chunk
        // or two later).
        if self.budget == 0
            && let Err(e) = self.session.settle().await
        {
            self.fail(e);
        }
        let p = self.session.progress(full, self.budget > 0).await;
        self.post(&Response::Progress(p), None);
    }

    /// Builds the runner on `backend` unless one exists; reports a config error (and
    /// stops).
    async fn build(&mut self, config: &str, backend: &str) {
        if self.session.is_built() {
            return;
        }
        match backend.parse::<DeviceChoice>() {
            Ok(device) => self.session.set_device(device),
            Err(e) => {
                self.budget = 0;
                self.fail(e.to_string());
                return;
            }
        }
        match self.session.ensure(config).await {
            Ok(()) => self.progress(true).await,
            Err(e) => {
                self.budget = 0;
                self.fail(e);
            }
        }
    }

    async fn chunk(&mut self) {
        match self.session.chunk(self.budget).await {
            Ok(done) => {
                self.budget = self.budget.saturating_sub(done);
                if self.session.is_finished() {
                    self.budget = 0;
                }
            }
            Err(e) => {
                self.budget = 0;
                self.fail(e);
            }
        }
        self.progress(false).await;
    }

    async fn handle(&mut self, request: Request, bytes: Option<Vec<u8>>) {
        match request {
            Request::Files { files } => self.session.set_files(files),
            // The budget is set first, so the report of a fresh build says "running".
            Request::Train { config, backend } => {
                self.budget = usize::MAX;
                self.build(&config, &backend).await;
            }
            Request::Step {
                config,
                backend,
                iters,
            } => {
                self.budget = iters;
                self.build(&config, &backend).await;
            }
            Request::View {
                sample,
                layer,
                head,
            } => {
                self.session.set_attention(sample, layer, head);
                if self.budget == 0 {
                    self.progress(false).await;
                }
            }
            Request::Pause => {
                self.budget = 0;
                self.progress(false).await;
            }
            Request::Reset => {
                self.budget = 0;
                self.session.reset().await;
                self.progress(true).await;
            }
            Request::Evaluate { config, backend } => {
                // Training, if any, goes on after it.
                let budget = self.budget;
                self.build(&config, &backend).await;
                self.budget = budget;
                if self.session.is_built() {
                    match self.session.evaluate().await {
                        Ok((iter, metrics)) => {
                            self.post(&Response::Evaluated { iter, metrics }, None)
                        }
                        Err(e) => self.fail(e),
                    }
                }
            }
            Request::Env => {
                let report = playground_strategy::env::collect_env().await;
                self.post(&Response::Env(Box::new(report)), None);
            }
            Request::Checkpoint => match self.session.checkpoint().await {
                Ok((name, bytes)) => self.post(&Response::Checkpoint { name }, Some(&bytes)),
                Err(e) => self.fail(e),
            },
            Request::Resume {
                config,
                backend,
                name,
            } => {
                self.budget = 0;
                if !self.session.is_built()
                    && let Ok(device) = backend.parse::<DeviceChoice>()
                {
                    self.session.set_device(device);
                }
                let Some(bytes) = bytes else {
                    self.fail(format!("{name}: the file's bytes did not arrive"));
                    return;
                };
                match self.session.resume(&config, &name, &bytes).await {
                    Ok(()) => {
                        self.post(&Response::Resumed { name }, None);
                        self.progress(true).await;
                    }
                    Err(e) => {
                        self.fail(e);
                        // A runner built for this upload is shown; an existing one is
                        // unchanged.
                        self.progress(true).await;
                    }
                }
            }
        }
    }
}
