//! Training off the page's thread: a Web Worker runs the strategy crate's `Runner`, so
//! the page never freezes while it trains.
//!
//! - [`protocol`]: the requests and responses, and how they travel.
//! - [`session`]: what the worker holds and does (build, train a chunk, save, resume).
//! - [`scope`]: the worker's message loop around the session.
//! - [`client`]: the page's handle on the worker.
//! - [`shared`]: the one worker the page's panels share, started on first need.

pub mod client;
pub mod protocol;
pub mod scope;
pub mod session;
pub mod shared;
