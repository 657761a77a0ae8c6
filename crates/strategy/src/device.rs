//! Choosing and initialising the burn device at run time: `auto`, `cpu`, `wgpu`
//! (the default adapter) or `wgpu:K` (the K-th discrete GPU), and lists of them
//! (`--devices cpu,cpu`, one data-parallel rank each).
//!
//! burn 0.22 tensors carry no backend type: the device decides. The wgpu runtime can
//! be initialised once per process (the browser needs the async form), so the first
//! initialised wgpu device is kept and handed out again.

use std::str::FromStr;

#[cfg(any(feature = "cpu", feature = "wgpu"))]
use crate::env::{BackendName, collect_env};
use crate::error::{Error, Result};

/// What the user asked for (`--device`, or the web app's backend picker).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The rule of [`crate::env::AutoDevice`]: a hardware GPU natively, WebGPU in the
    /// browser, the CPU backend otherwise.
    #[default]
    Auto,
    /// burn's CPU backend (burn-flex).
    Cpu,
    /// burn's wgpu backend on the default adapter.
    Wgpu,
    /// burn's wgpu backend on the K-th discrete GPU (`wgpu:K`).
    WgpuDiscrete(usize),
    /// Device 0 of a `playground-cli worker` on another machine (`ws://HOST:PORT`),
    /// through burn's remote backend (native builds with the `remote` feature).
    Remote(String),
}

/// Parses a comma-separated device list (`cpu,cpu`, `wgpu:0,wgpu:1`): one
/// data-parallel rank per entry, rank 0 first.
pub fn parse_device_list(list: &str) -> Result<Vec<DeviceChoice>> {
    list.split(',').map(str::parse).collect()
}

impl FromStr for DeviceChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            other if other.starts_with("ws://") || other.starts_with("wss://") => {
                Ok(Self::Remote(s.trim().to_string()))
            }
            other => match other.strip_prefix("wgpu:").map(str::parse::<usize>) {
                Some(Ok(k)) => Ok(Self::WgpuDiscrete(k)),
                _ => Err(Error::UnknownDevice {
                    given: s.to_string(),
                }),
            },
        }
    }
}

/// An initialised device, ready for tensors.
#[cfg(any(feature = "cpu", feature = "wgpu"))]
#[derive(Debug, Clone)]
pub struct ReadyDevice {
    /// The burn device.
    pub device: burn::tensor::Device,
    /// Which backend it is.
    pub backend: BackendName,
    /// A human description (`cpu (flex)`, `wgpu: llvmpipe on vulkan`).
    pub description: String,
}

/// Initialises the device the user chose.
///
/// `Auto` probes the environment first ([`collect_env`]). Asking for a backend that
/// is not compiled in, or a wgpu device where no adapter works, is an error that says
/// so; nothing falls back silently.
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub async fn init_device(choice: DeviceChoice) -> Result<ReadyDevice> {
    let backend = match choice {
        DeviceChoice::Cpu => BackendName::Cpu,
        DeviceChoice::Wgpu | DeviceChoice::WgpuDiscrete(_) => BackendName::Wgpu,
        DeviceChoice::Remote(ref url) => return remote_device(url).await,
        DeviceChoice::Auto => {
            collect_env()
                .await
                .auto_device
                .backend
                .ok_or(Error::BackendNotCompiled {
                    backend: "cpu",
                    feature: "cpu",
                })?
        }
    };
    match (backend, choice) {
        (BackendName::Wgpu, DeviceChoice::WgpuDiscrete(k)) => wgpu_discrete(k).await,
        (BackendName::Cpu, _) => cpu_device(),
        (BackendName::Wgpu, _) => wgpu_device().await,
        (BackendName::Remote, _) => Err(Error::BackendNotCompiled {
            backend: "remote",
            feature: "remote",
        }),
    }
}

/// How long a worker may take to answer before the trainer gives up on it.
#[cfg(all(
    feature = "remote",
    not(target_family = "wasm"),
    any(feature = "cpu", feature = "wgpu")
))]
pub const REMOTE_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Device 0 of the worker at `url`, connected within [`REMOTE_CONNECT_TIMEOUT`]: an
/// address where nothing answers is an error naming it, not a hang.
#[cfg(all(
    feature = "remote",
    not(target_family = "wasm"),
    any(feature = "cpu", feature = "wgpu")
))]
async fn remote_device(url: &str) -> Result<ReadyDevice> {
    use burn::remote::RemoteHost;

    let failed = |message: String| Error::Remote {
        url: url.to_string(),
        message,
    };
    let options = burn::tensor::Device::remote_options(&RemoteHost::websocket(url));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("connect {url}"))
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || options.init()));
            let _ = tx.send(outcome);
        })
        .map_err(|e| failed(format!("could not start the connection thread: {e}")))?;
    match rx.recv_timeout(REMOTE_CONNECT_TIMEOUT) {
        Ok(Ok(Ok(device))) => Ok(ReadyDevice {
            device,
            backend: BackendName::Remote,
            description: format!("remote {url}"),
        }),
        Ok(Ok(Err(e))) => Err(failed(e.to_string())),
        Ok(Err(panic)) => Err(failed(crate::error::panic_message(panic.as_ref()))),
        Err(_) => Err(failed(format!(
            "no answer within {} s: is `playground-cli worker` running there, and reachable?",
            REMOTE_CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Serves `ready` to remote trainers on `listener` (burn's remote server over
/// WebSocket) until the process gets Ctrl-C or SIGTERM: `playground-cli worker`.
#[cfg(all(
    feature = "remote",
    not(target_family = "wasm"),
    any(feature = "cpu", feature = "wgpu")
))]
pub fn serve_device(ready: &ReadyDevice, listener: std::net::TcpListener) -> Result<()> {
    use burn::server::{RemoteServer, WebSocketTransport};

    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    RemoteServer::new([ready.device.clone()])
        .serve(WebSocketTransport::from_listener(listener))
        .map_err(|e| Error::Remote {
            url: format!("ws://{addr}"),
            message: format!("serving {}: {e}", ready.description),
        })
}

#[cfg(all(
    any(feature = "cpu", feature = "wgpu"),
    not(all(feature = "remote", not(target_family = "wasm")))
))]
async fn remote_device(url: &str) -> Result<ReadyDevice> {
    Err(Error::Remote {
        url: url.to_string(),
        message: "this build has no remote devices (the strategy crate's `remote` feature, native only; playground-cli has it)".into(),
    })
}

#[cfg(feature = "cpu")]
fn cpu_device() -> Result<ReadyDevice> {
    Ok(ReadyDevice {
        device: burn::tensor::Device::flex(),
        backend: BackendName::Cpu,
        description: "cpu (burn-flex)".to_string(),
    })
}

#[cfg(all(not(feature = "cpu"), feature = "wgpu"))]
fn cpu_device() -> Result<ReadyDevice> {
    Err(Error::BackendNotCompiled {
        backend: "cpu",
        feature: "cpu",
    })
}

#[cfg(feature = "wgpu")]
async fn wgpu_device() -> Result<ReadyDevice> {
    use std::sync::Mutex;

    static READY: Mutex<Option<ReadyDevice>> = Mutex::new(None);
    let cached = || READY.lock().ok().and_then(|guard| guard.clone());
    if let Some(ready) = cached() {
        return Ok(ready);
    }
    match burn::tensor::Device::wgpu_options()
        .init_with_setup_async()
        .await
    {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let ready = ReadyDevice {
                device,
                backend: BackendName::Wgpu,
                description: format!("wgpu: {} on {}", info.name, info.backend.to_str()),
            };
            if let Ok(mut guard) = READY.lock() {
                *guard = Some(ready.clone());
            }
            Ok(ready)
        }
        // Another caller initialised the runtime while we waited: use theirs.
        Err(e) => cached().ok_or_else(|| Error::WgpuInit(e.to_string())),
    }
}

/// The K-th discrete GPU (`wgpu:K`), initialised once per process and index.
#[cfg(feature = "wgpu")]
async fn wgpu_discrete(k: usize) -> Result<ReadyDevice> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    static READY: Mutex<BTreeMap<usize, ReadyDevice>> = Mutex::new(BTreeMap::new());
    let cached = || READY.lock().ok().and_then(|m| m.get(&k).cloned());
    if let Some(ready) = cached() {
        return Ok(ready);
    }
    match burn::tensor::Device::wgpu_options()
        .device_kind(burn::tensor::DeviceKind::DiscreteGpu(k))
        .init_with_setup_async()
        .await
    {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let ready = ReadyDevice {
                device,
                backend: BackendName::Wgpu,
                description: format!("wgpu:{k}: {} on {}", info.name, info.backend.to_str()),
            };
            if let Ok(mut m) = READY.lock() {
                m.insert(k, ready.clone());
            }
            Ok(ready)
        }
        Err(e) => cached()
            .ok_or_else(|| Error::WgpuInit(format!("wgpu:{k} (discrete GPU number {k}): {e}"))),
    }
}

#[cfg(all(not(feature = "wgpu"), feature = "cpu"))]
async fn wgpu_discrete(_: usize) -> Result<ReadyDevice> {
    wgpu_device().await
}

#[cfg(all(not(feature = "wgpu"), feature = "cpu"))]
async fn wgpu_device() -> Result<ReadyDevice> {
    Err(Error::BackendNotCompiled {
        backend: "wgpu",
        feature: "wgpu",
    })
}

/// Runs a small matmul and an autodiff backward pass on `ready`, reading the results
/// back asynchronously (the browser's way, which works everywhere).
///
/// Returns `[a·b (2×2, row-major)..., d(sum(x²))/dx for x = [1, 2, 3]...]`, that is
/// `[19, 22, 43, 50, 2, 4, 6]` on a correct backend. Used by tests and by
/// `playground-cli env --check` to show a backend really computes.
#[cfg(any(feature = "cpu", feature = "wgpu"))]
pub async fn smoke_test(ready: &ReadyDevice) -> Result<Vec<f32>> {
    use burn::tensor::Tensor;

    let failed = |e: &dyn std::fmt::Display| Error::Execution {
        device: ready.description.clone(),
        message: e.to_string(),
    };
    let device = &ready.device;
    let a = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], device);
    let b = Tensor::<2>::from_floats([[5.0, 6.0], [7.0, 8.0]], device);
    let product = a
        .matmul(b)
        .into_data_async()
        .await
        .map_err(|e| failed(&e))?;
    let mut out: Vec<f32> = product
        .try_to_vec()
        .map_err(|e| failed(&format!("{e:?}")))?;

    let grad_device = device.clone().autodiff();
    let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &grad_device).require_grad();
    let grads = x.clone().powf_scalar(2.0).sum().backward();
    let grad = x
        .grad(&grads)
        .ok_or_else(|| failed(&"backward produced no gradient for x"))?;
    let grad = grad.into_data_async().await.map_err(|e| failed(&e))?;
    out.extend(
        grad.try_to_vec::<f32>()
            .map_err(|e| failed(&format!("{e:?}")))?,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_and_unknown_ones_are_named_in_the_error() {
        assert_eq!(
            "AUTO".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Auto)
        );
        assert_eq!("cpu".parse::<DeviceChoice>().ok(), Some(DeviceChoice::Cpu));
        assert_eq!(
            "wgpu".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Wgpu)
        );
        assert_eq!(
            parse_device_list("cpu,wgpu:1").ok(),
            Some(vec![DeviceChoice::Cpu, DeviceChoice::WgpuDiscrete(1)])
        );
        assert!(parse_device_list("cpu,,cpu").is_err());
        let err = "cuda"
            .parse::<DeviceChoice>()
            .expect_err("cuda is not a choice");
        assert_eq!(
            err.to_string(),
            "unknown device `cuda`: expected one of auto, cpu, wgpu, wgpu:K"
        );
    }

    #[cfg(all(feature = "cpu", not(target_family = "wasm")))]
    #[test]
    fn cpu_backend_computes_matmul_and_gradient() {
        let ready = pollster::block_on(init_device(DeviceChoice::Cpu)).expect("cpu device");
        let out = pollster::block_on(smoke_test(&ready)).expect("runs");
        assert_eq!(out, vec![19.0, 22.0, 43.0, 50.0, 2.0, 4.0, 6.0]);
    }
}
