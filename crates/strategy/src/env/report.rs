//! The typed environment report and its plain-text rendering.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What `collect_env` found about the running environment.
///
/// The same structure is produced natively and in the browser, so the CLI, the
/// web app's Environment panel and bug reports all speak one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvReport {
    /// Version of `playground-strategy`.
    pub crate_version: String,
    /// Git revision the crate was built from, if known.
    pub git_revision: Option<String>,
    /// Operating system (`linux`, `macos`, `windows`, or `unknown` in the browser).
    pub os: String,
    /// CPU architecture (`x86_64`, `aarch64`, `wasm32`, ...).
    pub arch: String,
    /// Tensor backends compiled into this build.
    pub backends_compiled: Vec<BackendName>,
    /// burn's compile-time kernel options for wgpu ([`super::burn_kernels`]).
    #[serde(default)]
    pub burn_kernels: String,
    /// The wgpu adapters found, or why there are none.
    pub wgpu: WgpuReport,
    /// The CPU backend, when compiled in.
    pub cpu: Option<CpuBackendReport>,
    /// Browser facts, when running in one.
    pub browser: Option<BrowserReport>,
    /// The backend `--device auto` resolves to here, and why.
    pub auto_device: AutoDevice,
}

/// A tensor backend this crate can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendName {
    /// burn's pure-Rust CPU backend (burn-flex).
    Cpu,
    /// burn's wgpu backend (Vulkan/Metal/DX12 natively, WebGPU in the browser).
    Wgpu,
    /// A device of another machine through burn's remote backend (a
    /// `playground-cli worker`), whatever backend it computes on there.
    Remote,
}

impl fmt::Display for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Wgpu => "wgpu",
            Self::Remote => "remote",
        })
    }
}

/// Outcome of looking for wgpu adapters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WgpuReport {
    /// The `wgpu` feature is off in this build.
    NotCompiled,
    /// One entry per adapter found (never empty).
    Found {
        /// The adapters, in wgpu's enumeration order.
        adapters: Vec<AdapterReport>,
    },
    /// wgpu is compiled in but found nothing usable.
    NoAdapter {
        /// Why, and what to do about it.
        reason: String,
    },
}

impl WgpuReport {
    /// The adapters found (empty when none).
    pub fn adapters(&self) -> &[AdapterReport] {
        match self {
            Self::Found { adapters } => adapters,
            _ => &[],
        }
    }
}

/// The low precisions a device computes in, for the report.
fn precisions(f16: bool, bf16: bool) -> &'static str {
    match (f16, bf16) {
        (true, true) => "f16 and bf16",
        (true, false) => "f16 (no bf16)",
        (false, true) => "bf16 (no f16)",
        (false, false) => "f32 only",
    }
}

/// One wgpu adapter (a physical or software device behind a graphics API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterReport {
    /// Adapter name, e.g. `NVIDIA H200` or `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Graphics API: `vulkan`, `metal`, `dx12`, `gl`, `webgpu`.
    pub backend: String,
    /// `discrete_gpu`, `integrated_gpu`, `virtual_gpu`, `cpu` or `other`.
    pub device_type: String,
    /// Driver name (may be empty where the API does not say).
    pub driver: String,
    /// Driver version or details (may be empty).
    pub driver_info: String,
    /// Whether the adapter offers `SHADER_F16` (half-precision arithmetic in
    /// shaders: what `AmpOptimWrapper` with float16 needs on wgpu).
    #[serde(default)]
    pub shader_f16: bool,
}

impl AdapterReport {
    /// True for hardware GPUs (discrete, integrated or virtual), false for software
    /// rasterisers such as lavapipe or SwiftShader.
    pub fn is_hardware_gpu(&self) -> bool {
        matches!(
            self.device_type.as_str(),
            "discrete_gpu" | "integrated_gpu" | "virtual_gpu"
        )
    }
}

/// The CPU backend compiled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuBackendReport {
    /// Backend name (`flex`).
    pub name: String,
    /// What it is, in a few words.
    pub description: String,
    /// Threads available to it.
    pub threads: usize,
    /// Whether it computes in float16 (`AmpOptimWrapper`, `dtype = "float16"`).
    #[serde(default)]
    pub f16: bool,
    /// Whether it computes in bfloat16.
    #[serde(default)]
    pub bf16: bool,
}

/// Facts only a browser can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserReport {
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// Whether `navigator.gpu` exists at all.
    pub navigator_gpu: bool,
    /// Whether `navigator.gpu.requestAdapter()` gave an adapter.
    pub webgpu_adapter: bool,
    /// Whether that adapter offers WebGPU's optional `shader-f16` feature.
    #[serde(default)]
    pub shader_f16: bool,
}

/// The backend `auto` picks, with the reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoDevice {
    /// The backend chosen, or `None` when this build has no tensor backend.
    pub backend: Option<BackendName>,
    /// Why that one.
    pub reason: String,
}

impl fmt::Display for EnvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Strategy Playground environment")?;
        let rev = self.git_revision.as_deref().unwrap_or("unknown");
        writeln!(
            f,
            "  playground-strategy  {} (git {rev})",
            self.crate_version
        )?;
        writeln!(f, "  platform             {}/{}", self.os, self.arch)?;
        let compiled: Vec<String> = self
            .backends_compiled
            .iter()
            .map(|b| b.to_string())
            .collect();
        let compiled = if compiled.is_empty() {
            "none".to_string()
        } else {
            compiled.join(", ")
        };
        writeln!(f, "  backends compiled    {compiled}")?;
        if !self.burn_kernels.is_empty() {
            writeln!(f, "  wgpu kernel options  {}", self.burn_kernels)?;
        }
        match &self.cpu {
            Some(cpu) => writeln!(
                f,
                "  cpu backend          {} ({}), {} thread(s), {}",
                cpu.name,
                cpu.description,
                cpu.threads,
                precisions(cpu.f16, cpu.bf16)
            )?,
            None => writeln!(f, "  cpu backend          not compiled")?,
        }
        match &self.wgpu {
            WgpuReport::NotCompiled => writeln!(f, "  wgpu adapters        not compiled")?,
            WgpuReport::NoAdapter { reason } => {
                writeln!(f, "  wgpu adapters        none: {reason}")?
            }
            WgpuReport::Found { adapters } => {
                writeln!(f, "  wgpu adapters        {}", adapters.len())?;
                for (i, a) in adapters.iter().enumerate() {
                    let driver = [a.driver.as_str(), a.driver_info.as_str()]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let driver = if driver.is_empty() {
                        "driver unknown".into()
                    } else {
                        driver
                    };
                    writeln!(
                        f,
                        "    [{i}] {} ({}, {}, {driver}){}",
                        a.name,
                        a.backend,
                        a.device_type,
                        if a.shader_f16 { ", shader-f16" } else { "" }
                    )?;
                }
            }
        }
        if let Some(b) = &self.browser {
            writeln!(f, "  user agent           {}", b.user_agent)?;
            writeln!(
                f,
                "  navigator.gpu        {}",
                match (b.navigator_gpu, b.webgpu_adapter, b.shader_f16) {
                    (false, _, _) => "absent",
                    (true, false, _) => "present, but requestAdapter() gave no adapter",
                    (true, true, false) => "present, adapter available (no shader-f16)",
                    (true, true, true) => "present, adapter available, with shader-f16",
                }
            )?;
        }
        let auto = self
            .auto_device
            .backend
            .map_or_else(|| "none".to_string(), |b| b.to_string());
        write!(
            f,
            "  device auto          {auto}: {}",
            self.auto_device.reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EnvReport {
        EnvReport {
            crate_version: "0.1.0".into(),
            git_revision: None,
            os: "linux".into(),
            arch: "x86_64".into(),
            backends_compiled: vec![BackendName::Cpu, BackendName::Wgpu],
            burn_kernels: "fusion".into(),
            wgpu: WgpuReport::Found {
                adapters: vec![AdapterReport {
                    name: "llvmpipe".into(),
                    backend: "vulkan".into(),
                    device_type: "cpu".into(),
                    driver: "llvmpipe".into(),
                    driver_info: "Mesa 22.3.6".into(),
                    shader_f16: true,
                }],
            },
            cpu: Some(CpuBackendReport {
                name: "flex".into(),
                description: "burn-flex".into(),
                threads: 2,
                f16: true,
                bf16: true,
            }),
            browser: None,
            auto_device: AutoDevice {
                backend: Some(BackendName::Cpu),
                reason: "only software adapters".into(),
            },
        }
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let report = sample();
        let json = serde_json::to_string(&report).expect("serialises");
        let back: EnvReport = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, report);
        assert!(json.contains(r#""status":"found""#), "{json}");
    }

    #[test]
    fn text_names_adapter_driver_and_auto_choice() {
        let text = sample().to_string();
        assert!(
            text.contains("[0] llvmpipe (vulkan, cpu, llvmpipe Mesa 22.3.6)"),
            "{text}"
        );
        assert!(
            text.contains("device auto          cpu: only software adapters"),
            "{text}"
        );
        assert!(text.contains("git unknown"), "{text}");
        assert!(text.contains("wgpu kernel options  fusion"), "{text}");
    }

    #[test]
    fn software_adapters_are_not_hardware() {
        let mut a = sample().wgpu.adapters()[0].clone();
        assert!(!a.is_hardware_gpu());
        a.device_type = "discrete_gpu".into();
        assert!(a.is_hardware_gpu());
    }
}
