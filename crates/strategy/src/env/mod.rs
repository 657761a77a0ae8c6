//! `collect_env`: what the running environment offers for training.
//!
//! MMEngine's `collect_env` reports Python, CUDA and PyTorch versions; here the
//! questions are which burn backends are compiled in, which wgpu adapters exist
//! (or why none), and, in the browser, whether WebGPU gave an adapter. The report
//! also says which backend `--device auto` would use, with the reason.

mod probe;
mod report;

pub use report::{
    AdapterReport, AutoDevice, BackendName, BrowserReport, CpuBackendReport, EnvReport, WgpuReport,
};

/// The tensor backends compiled into this build (its `cpu` and `wgpu` features).
///
/// Reads no device: a page that has not loaded its trainer can ask.
pub fn backends_compiled() -> Vec<BackendName> {
    let mut compiled = Vec::new();
    if cfg!(feature = "cpu") {
        compiled.push(BackendName::Cpu);
    }
    if cfg!(feature = "wgpu") {
        compiled.push(BackendName::Wgpu);
    }
    compiled
}

/// The git revision this crate was built from (`PLAYGROUND_GIT_REVISION`, else the
/// checkout's `HEAD`), if known.
pub fn git_revision() -> Option<&'static str> {
    option_env!("PLAYGROUND_GIT_REVISION")
}

/// burn's compile-time kernel options in this build, for the wgpu backend: `"none"`,
/// `"fusion"`, `"autotune"` or `"fusion + autotune"` (the `fusion` and `autotune`
/// features), with `"autotune (uncached)"` for the `autotune-uncached` feature (no
/// cache of the choices). The CPU backend is the same in every build.
pub fn burn_kernels() -> &'static str {
    let autotune = match (
        cfg!(feature = "autotune"),
        cfg!(feature = "autotune-uncached"),
    ) {
        (true, _) => Some(false),
        (false, true) => Some(true),
        (false, false) => None,
    };
    match (cfg!(feature = "fusion"), autotune) {
        (false, None) => "none",
        (true, None) => "fusion",
        (false, Some(false)) => "autotune",
        (true, Some(false)) => "fusion + autotune",
        (false, Some(true)) => "autotune (uncached)",
        (true, Some(true)) => "fusion + autotune (uncached)",
    }
}

/// The browser's facts (user agent, `navigator.gpu`, whether it gives an adapter and
/// offers `shader-f16`); `None` natively.
///
/// Touches no backend: the web app's page asks this before its trainer (the module
/// with the backends) is loaded, and [`collect_env`] asks it too.
pub async fn probe_browser() -> Option<BrowserReport> {
    probe::browser().await
}

/// The device `auto` resolves to in a browser, from the browser's facts alone.
///
/// The same decision as [`collect_env`]'s there (any WebGPU adapter, else the CPU
/// backend), without loading wgpu to name the adapter: the reason says "WebGPU".
pub fn auto_device_in_browser(compiled: &[BackendName], browser: &BrowserReport) -> AutoDevice {
    let wgpu = if !compiled.contains(&BackendName::Wgpu) {
        WgpuReport::NotCompiled
    } else if browser.webgpu_adapter {
        WgpuReport::Found {
            adapters: vec![AdapterReport {
                name: "WebGPU".into(),
                backend: "webgpu".into(),
                device_type: "other".into(),
                driver: String::new(),
                driver_info: String::new(),
                shader_f16: browser.shader_f16,
            }],
        }
    } else {
        WgpuReport::NoAdapter {
            reason: no_webgpu_reason(browser).to_string(),
        }
    };
    choose_auto(compiled, &wgpu, Some(browser))
}

/// Why a browser gives no WebGPU adapter (what [`collect_env`] reports there).
pub fn no_webgpu_reason(browser: &BrowserReport) -> &'static str {
    if browser.navigator_gpu {
        "navigator.gpu.requestAdapter() returned no adapter (Chromium without a GPU: start it with --enable-unsafe-webgpu)"
    } else {
        "this browser has no navigator.gpu (WebGPU is unavailable or disabled)"
    }
}

/// Collects the environment report.
///
/// Async because asking the browser for a WebGPU adapter is; natively, drive it with
/// any executor (`pollster::block_on(collect_env())`). Never fails: whatever cannot
/// be found is reported with the reason.
pub async fn collect_env() -> EnvReport {
    let browser = probe::browser().await;
    let wgpu = probe::wgpu_adapters(browser.as_ref()).await;
    let backends_compiled = backends_compiled();
    let auto_device = choose_auto(&backends_compiled, &wgpu, browser.as_ref());
    EnvReport {
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        git_revision: git_revision().map(str::to_string),
        os: if cfg!(target_family = "wasm") {
            "browser".to_string()
        } else {
            std::env::consts::OS.to_string()
        },
        arch: std::env::consts::ARCH.to_string(),
        backends_compiled,
        burn_kernels: burn_kernels().to_string(),
        wgpu,
        cpu: probe::cpu_backend(),
        browser,
        auto_device,
    }
}

/// The rule behind `--device auto`.
///
/// Natively a hardware GPU adapter wins; software rasterisers (lavapipe, SwiftShader)
/// lose to the CPU backend, which is much faster than emulating a GPU on the same
/// cores. In the browser the page trains on WebGPU whenever the browser offers an
/// adapter, since the CPU backend there runs on one thread.
pub(crate) fn choose_auto(
    compiled: &[BackendName],
    wgpu: &WgpuReport,
    browser: Option<&BrowserReport>,
) -> AutoDevice {
    let has_cpu = compiled.contains(&BackendName::Cpu);
    let cpu_or_none = |why: String| {
        if has_cpu {
            AutoDevice {
                backend: Some(BackendName::Cpu),
                reason: format!("{why}; using the CPU backend"),
            }
        } else {
            AutoDevice {
                backend: None,
                reason: format!("{why}, and the CPU backend is not compiled in"),
            }
        }
    };
    let adapters = match wgpu {
        WgpuReport::NotCompiled => return cpu_or_none("wgpu is not compiled in".into()),
        WgpuReport::NoAdapter { reason } => {
            return cpu_or_none(format!("no wgpu adapter ({reason})"));
        }
        WgpuReport::Found { adapters } => adapters,
    };
    if browser.is_some() {
        let a = &adapters[0];
        return AutoDevice {
            backend: Some(BackendName::Wgpu),
            reason: format!("the browser offers a WebGPU adapter ({})", a.name),
        };
    }
    match adapters
        .iter()
        .find(|a| a.is_hardware_gpu() && a.backend != "gl")
    {
        Some(a) => AutoDevice {
            backend: Some(BackendName::Wgpu),
            reason: format!("hardware GPU adapter {} on {}", a.name, a.backend),
        },
        None => cpu_or_none(format!(
            "only software or GL adapters found ({})",
            adapters
                .iter()
                .map(|a| format!("{} on {}", a.name, a.backend))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, backend: &str, device_type: &str) -> AdapterReport {
        AdapterReport {
            name: name.into(),
            backend: backend.into(),
            device_type: device_type.into(),
            driver: String::new(),
            driver_info: String::new(),
            shader_f16: false,
        }
    }

    const BOTH: &[BackendName] = &[BackendName::Cpu, BackendName::Wgpu];

    #[test]
    fn auto_prefers_a_hardware_gpu_natively() {
        let wgpu = WgpuReport::Found {
            adapters: vec![
                adapter("llvmpipe", "vulkan", "cpu"),
                adapter("NVIDIA H200", "vulkan", "discrete_gpu"),
            ],
        };
        let auto = choose_auto(BOTH, &wgpu, None);
        assert_eq!(auto.backend, Some(BackendName::Wgpu));
        assert!(auto.reason.contains("NVIDIA H200"), "{}", auto.reason);
    }

    #[test]
    fn auto_takes_the_cpu_backend_over_a_software_rasteriser() {
        let wgpu = WgpuReport::Found {
            adapters: vec![adapter("llvmpipe", "vulkan", "cpu")],
        };
        let auto = choose_auto(BOTH, &wgpu, None);
        assert_eq!(auto.backend, Some(BackendName::Cpu));
        assert!(auto.reason.contains("llvmpipe"), "{}", auto.reason);
    }

    #[test]
    fn auto_skips_gl_adapters_burn_cannot_use() {
        let wgpu = WgpuReport::Found {
            adapters: vec![adapter("Mesa", "gl", "integrated_gpu")],
        };
        assert_eq!(
            choose_auto(BOTH, &wgpu, None).backend,
            Some(BackendName::Cpu)
        );
    }

    #[test]
    fn auto_uses_any_webgpu_adapter_in_the_browser() {
        let wgpu = WgpuReport::Found {
            adapters: vec![adapter("SwiftShader", "webgpu", "cpu")],
        };
        let browser = BrowserReport {
            user_agent: "test".into(),
            navigator_gpu: true,
            webgpu_adapter: true,
            shader_f16: false,
        };
        assert_eq!(
            choose_auto(BOTH, &wgpu, Some(&browser)).backend,
            Some(BackendName::Wgpu)
        );
    }

    #[test]
    fn the_page_predicts_the_trainers_choice_from_the_browser_alone() {
        for (navigator_gpu, webgpu_adapter) in [(true, true), (true, false), (false, false)] {
            let browser = BrowserReport {
                user_agent: "test".into(),
                navigator_gpu,
                webgpu_adapter,
                shader_f16: false,
            };
            for compiled in [BOTH, &[BackendName::Cpu][..], &[BackendName::Wgpu][..]] {
                // What `collect_env` decides in that browser, adapter named or not.
                let wgpu = if !compiled.contains(&BackendName::Wgpu) {
                    WgpuReport::NotCompiled
                } else if webgpu_adapter {
                    WgpuReport::Found {
                        adapters: vec![adapter("SwiftShader", "webgpu", "cpu")],
                    }
                } else {
                    WgpuReport::NoAdapter {
                        reason: no_webgpu_reason(&browser).into(),
                    }
                };
                let trainer = choose_auto(compiled, &wgpu, Some(&browser));
                let page = auto_device_in_browser(compiled, &browser);
                assert_eq!(page.backend, trainer.backend, "{compiled:?} {browser:?}");
                if !webgpu_adapter {
                    assert_eq!(page.reason, trainer.reason);
                }
            }
        }
    }

    #[test]
    fn auto_reports_when_nothing_can_run() {
        let auto = choose_auto(
            &[BackendName::Wgpu],
            &WgpuReport::NoAdapter {
                reason: "none".into(),
            },
            None,
        );
        assert_eq!(auto.backend, None);
        assert!(auto.reason.contains("not compiled in"), "{}", auto.reason);
    }
}
