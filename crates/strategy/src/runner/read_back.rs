//! Read-backs that start now and are collected later.
//!
//! Under WebGPU a read of a tensor waits until the device has run everything queued
//! before it, and then for the mapping to come back: on SwiftShader about 60 ms, two
//! spiral iterations (BENCHMARKS.md). Awaited at once, the loop stands still for it and
//! the device idles while the next work is encoded. A [`ReadBack`] queues the copy now
//! (burn's read is polled once, which submits the copy and asks for the mapping) and is
//! collected later, after more work has been queued behind it; by then the values have
//! usually arrived. On the CPU backend the values are there at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use burn::tensor::{Tensor, TensorData};

type Reading = Pin<Box<dyn Future<Output = Result<TensorData, String>> + Send>>;

enum State {
    Reading(Reading),
    Done(Result<TensorData, String>),
    Taken,
}

/// A tensor's values on their way back to the host, and what to make of them.
pub struct ReadBack<T> {
    state: State,
    finish: Option<Box<dyn FnOnce(TensorData) -> T + Send>>,
}

impl<T> fmt::Debug for ReadBack<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Reading(_) => "reading",
            State::Done(_) => "arrived",
            State::Taken => "taken",
        };
        f.debug_struct("ReadBack").field("state", &state).finish()
    }
}

/// A read-back dropped before its values arrived keeps its staging buffer: the device
/// may still be mapping it, and a buffer handed back to cubecl's pool while its mapping
/// is pending is taken by the next read, whose copy into it WebGPU refuses (the whole
/// submission with it). So the unfinished read is leaked, a few bytes to a few hundred
/// kilobytes once; the faces await their reads instead of dropping them where they can.
impl<T> Drop for ReadBack<T> {
    fn drop(&mut self) {
        if let State::Reading(reading) = std::mem::replace(&mut self.state, State::Taken) {
            std::mem::forget(reading);
        }
    }
}

impl<T> ReadBack<T> {
    /// Starts reading `tensor` back; `finish` turns its values into the result. The
    /// copy is queued on the device before this returns.
    pub fn start<const D: usize>(
        tensor: Tensor<D>,
        finish: impl FnOnce(TensorData) -> T + Send + 'static,
    ) -> Self {
        let reading: Reading =
            Box::pin(async move { tensor.into_data_async().await.map_err(|e| e.to_string()) });
        let mut read = Self {
            state: State::Reading(reading),
            finish: Some(Box::new(finish)),
        };
        read.is_ready();
        read
    }

    /// Whether the values have arrived; never waits.
    pub fn is_ready(&mut self) -> bool {
        if let State::Reading(reading) = &mut self.state
            && let Poll::Ready(out) = reading
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
        {
            self.state = State::Done(out);
        }
        !matches!(self.state, State::Reading(_))
    }

    /// The result if the values have arrived (once; `None` before and after).
    pub fn take(&mut self) -> Option<Result<T, String>> {
        if !self.is_ready() {
            return None;
        }
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Done(out) => {
                let finish = self.finish.take()?;
                Some(out.map(finish))
            }
            State::Reading(_) | State::Taken => None,
        }
    }

    /// The result, waiting for the values if they have not arrived.
    pub async fn finish(mut self) -> Result<T, String> {
        let out = match std::mem::replace(&mut self.state, State::Taken) {
            State::Reading(reading) => reading.await,
            State::Done(out) => out,
            State::Taken => return Err("the read-back was already taken".into()),
        };
        let finish = self
            .finish
            .take()
            .ok_or_else(|| "the read-back was already taken".to_string())?;
        out.map(finish)
    }
}

#[cfg(all(test, feature = "cpu", not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn a_read_back_on_the_cpu_is_ready_at_once_and_taken_once() {
        let device = burn::tensor::Device::flex();
        let t = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
        let mut read = ReadBack::start(t * 2.0, |d| d.try_to_vec::<f32>().expect("f32"));
        assert!(read.is_ready());
        assert_eq!(read.take(), Some(Ok(vec![2.0, 4.0, 6.0])));
        assert_eq!(read.take(), None);
        let t = Tensor::<1>::from_floats([5.0], &device);
        let read = ReadBack::start(t, |d| d.try_to_vec::<f32>().expect("f32"));
        assert_eq!(pollster::block_on(read.finish()), Ok(vec![5.0]));
    }
}
