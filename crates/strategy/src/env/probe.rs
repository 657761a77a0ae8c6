//! The probes behind `collect_env`: wgpu adapters, the CPU backend, the browser.

use super::report::{BrowserReport, CpuBackendReport, WgpuReport};

/// Threads the CPU backend can use.
fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The CPU backend compiled in, if any.
pub(super) fn cpu_backend() -> Option<CpuBackendReport> {
    #[cfg(feature = "cpu")]
    let (f16, bf16) = {
        use burn::tensor::{DType, Device};
        let device = Device::flex();
        (
            device.supports_dtype(DType::F16),
            device.supports_dtype(DType::BF16),
        )
    };
    #[cfg(not(feature = "cpu"))]
    let (f16, bf16) = (false, false);
    cfg!(feature = "cpu").then(|| CpuBackendReport {
        name: "flex".to_string(),
        description: "burn-flex, burn's pure-Rust CPU backend".to_string(),
        threads: available_threads(),
        f16,
        bf16,
    })
}

/// Lists the wgpu adapters, or says why there are none.
#[cfg(feature = "wgpu")]
pub(super) async fn wgpu_adapters(browser: Option<&BrowserReport>) -> WgpuReport {
    use super::report::AdapterReport;

    if let Some(b) = browser
        && !b.webgpu_adapter
    {
        return WgpuReport::NoAdapter {
            reason: super::no_webgpu_reason(b).to_string(),
        };
    }
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
    if adapters.is_empty() {
        return WgpuReport::NoAdapter {
            reason:
                "wgpu found no Vulkan, Metal, DX12 or GL adapter; on Linux install a Vulkan driver \
                     (Debian: mesa-vulkan-drivers, whose lavapipe runs on the CPU)"
                    .to_string(),
        };
    }
    let adapters = adapters
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            // Browsers hide the adapter's name from pages.
            let name = if info.name.is_empty() {
                format!("unnamed {} adapter", info.backend.to_str())
            } else {
                info.name
            };
            AdapterReport {
                name,
                backend: info.backend.to_str().to_string(),
                device_type: match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
                    wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
                    wgpu::DeviceType::VirtualGpu => "virtual_gpu",
                    wgpu::DeviceType::Cpu => "cpu",
                    wgpu::DeviceType::Other => "other",
                }
                .to_string(),
                driver: info.driver,
                driver_info: info.driver_info,
                shader_f16: adapter.features().contains(wgpu::Features::SHADER_F16),
            }
        })
        .collect();
    WgpuReport::Found { adapters }
}

/// Without the `wgpu` feature there is nothing to probe.
#[cfg(not(feature = "wgpu"))]
pub(super) async fn wgpu_adapters(_browser: Option<&BrowserReport>) -> WgpuReport {
    WgpuReport::NotCompiled
}

/// Natively there is no browser.
#[cfg(not(target_family = "wasm"))]
pub(super) async fn browser() -> Option<BrowserReport> {
    None
}

/// Reads `navigator` from the global scope (a window or a worker) and asks
/// `navigator.gpu` for an adapter.
#[cfg(target_family = "wasm")]
pub(super) async fn browser() -> Option<BrowserReport> {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let user_agent = Reflect::get(&navigator, &JsValue::from_str("userAgent"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let gpu = Reflect::get(&navigator, &JsValue::from_str("gpu"))
        .ok()
        .filter(|g| !g.is_undefined() && !g.is_null());
    let mut webgpu_adapter = false;
    let mut shader_f16 = false;
    if let Some(gpu) = &gpu
        && let Ok(request) = Reflect::get(gpu, &JsValue::from_str("requestAdapter"))
        && let Ok(request) = request.dyn_into::<Function>()
        && let Ok(promise) = request.call0(gpu)
        && let Ok(promise) = promise.dyn_into::<Promise>()
        && let Ok(adapter) = wasm_bindgen_futures::JsFuture::from(promise).await
    {
        webgpu_adapter = !adapter.is_undefined() && !adapter.is_null();
        // `adapter.features.has("shader-f16")`: WebGPU's optional half floats.
        shader_f16 = webgpu_adapter
            && Reflect::get(&adapter, &JsValue::from_str("features"))
                .ok()
                .and_then(|features| {
                    let has = Reflect::get(&features, &JsValue::from_str("has")).ok()?;
                    let has = has.dyn_into::<Function>().ok()?;
                    has.call1(&features, &JsValue::from_str("shader-f16")).ok()
                })
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
    }
    Some(BrowserReport {
        user_agent,
        navigator_gpu: gpu.is_some(),
        webgpu_adapter,
        shader_f16,
    })
}
