//! The page's one training worker, shared by its panels (the Train panel's runs, the
//! Environment panel's backend report) and started by the first request that needs it:
//! the trainer's module is fetched and compiled once.

use std::rc::Rc;

use leptos::prelude::*;
use playground_strategy::env::EnvReport;

use super::client::TrainerClient;
use super::protocol::{Request, Response};

/// What the worker's messages (other than the environment report) go to.
type Handler = Rc<dyn Fn(Response, Option<Vec<u8>>)>;

/// A handle on the page's training worker; cheap to copy into every panel.
#[derive(Clone, Copy)]
pub struct SharedTrainer {
    client: StoredValue<Option<TrainerClient>, LocalStorage>,
    handler: StoredValue<Option<Handler>, LocalStorage>,
    /// The trainer's `collect_env` report, once asked for ([`Request::Env`]).
    pub env: RwSignal<Option<EnvReport>>,
    /// The worker's last error (it could not start, or a request failed).
    pub error: RwSignal<Option<String>>,
}

impl SharedTrainer {
    /// No worker yet.
    pub fn new() -> Self {
        Self {
            client: StoredValue::new_local(None),
            handler: StoredValue::new_local(None),
            env: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    /// Where the worker's messages go, except the environment report (the Train
    /// panel's handler).
    pub fn set_handler(&self, handler: impl Fn(Response, Option<Vec<u8>>) + 'static) {
        self.handler.set_value(Some(Rc::new(handler)));
    }

    /// Sends `request` (with a checkpoint's bytes), starting the worker when the
    /// request needs one ([`Request::needs_trainer`]); without a worker the others
    /// are dropped: there is no run to pause, reset, save or look into.
    pub fn send(&self, request: &Request, bytes: Option<&[u8]>) -> Result<(), String> {
        if self.client.with_value(Option::is_none) {
            if !request.needs_trainer() {
                return Ok(());
            }
            let (env, error, handler) = (self.env, self.error, self.handler);
            let client = TrainerClient::spawn(move |response, bytes| {
                let response = match response {
                    Response::Env(report) => return env.set(Some(*report)),
                    other => other,
                };
                if let Response::Error { message } = &response {
                    error.set(Some(message.clone()));
                }
                if let Some(h) = handler.get_value() {
                    h(response, bytes);
                }
            })?;
            self.client.set_value(Some(client));
        }
        self.client.with_value(|c| match c {
            Some(c) => c.send(request, bytes),
            None => Ok(()),
        })
    }
}

impl Default for SharedTrainer {
    fn default() -> Self {
        Self::new()
    }
}
