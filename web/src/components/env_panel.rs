//! The Environment panel: the strategy crate's `collect_env` report, as a person reads it.

use leptos::prelude::*;
use playground_strategy::env::{EnvReport, WgpuReport, collect_env};

/// Shows which backend training will use here and why, the adapter, and the browser.
#[component]
pub fn EnvPanel() -> impl IntoView {
    let report = LocalResource::new(collect_env);
    view! {
        <section class="panel" data-testid="env-panel" aria-labelledby="env-title">
            <h2 id="env-title">"Environment"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Probing the browser for WebGPU…"</p> }>
                {move || report.get().map(|r| view! { <EnvDetails report=r /> })}
            </Suspense>
        </section>
    }
}

#[component]
fn EnvDetails(report: EnvReport) -> impl IntoView {
    let backend = report
        .auto_device
        .backend
        .map_or_else(|| "none".to_string(), |b| b.to_string());
    let adapter = match &report.wgpu {
        WgpuReport::Found { adapters } => adapters
            .iter()
            .map(|a| format!("{} ({}, {})", a.name, a.backend, a.device_type))
            .collect::<Vec<_>>()
            .join("; "),
        WgpuReport::NoAdapter { reason } => format!("none: {reason}"),
        WgpuReport::NotCompiled => "wgpu not compiled in".to_string(),
    };
    let browser = report.browser.clone();
    // Mixed precision (AmpOptimWrapper): what each backend computes in here.
    let webgpu_f16 = match &browser {
        Some(b) if b.webgpu_adapter && b.shader_f16 => "WebGPU: f16 (shader-f16)",
        Some(b) if b.webgpu_adapter => "WebGPU: f32 only (no shader-f16)",
        _ => "WebGPU: no adapter",
    };
    let cpu_f16 = match &report.cpu {
        Some(c) if c.f16 && c.bf16 => "CPU: f16 and bf16",
        Some(c) if c.f16 => "CPU: f16",
        Some(_) => "CPU: f32 only",
        None => "CPU: not compiled in",
    };
    let precision = format!(
        "{webgpu_f16}; {cpu_f16}. Mixed precision (AmpOptimWrapper) computes in f16 where \
         listed; elsewhere dtype_fallback = \"float32\" trains in f32 with its loss scaler"
    );
    let revision = report
        .git_revision
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let json = serde_json::to_string(&report).unwrap_or_default();
    view! {
        <dl class="env" data-testid="env-report" data-backend=backend.clone() data-report=json>
            <dt>"Training on"</dt>
            <dd>
                <span class=format!("badge {backend}")>{backend.clone()}</span>
                " "
                {report.auto_device.reason.clone()}
            </dd>
            <dt>"Strategy"</dt>
            <dd data-testid="env-strategy">
                "SingleDeviceStrategy, world size 1: a page trains on one device "
                "(DDPStrategy over several devices runs natively: "
                <code>"playground-cli train --devices cpu,cpu"</code>
                ")"
            </dd>
            <dt>"WebGPU adapter"</dt>
            <dd>{adapter}</dd>
            <dt>"CPU backend"</dt>
            <dd>
                {report
                    .cpu
                    .as_ref()
                    .map_or_else(|| "not compiled in".to_string(), |c| c.description.clone())}
            </dd>
            <dt>"Low precision"</dt>
            <dd data-testid="env-precision">{precision}</dd>
            <dt>"User agent"</dt>
            <dd>{browser.map(|b| b.user_agent).unwrap_or_default()}</dd>
            <dt>"Build"</dt>
            <dd>{format!("playground-strategy {} (git {revision})", report.crate_version)}</dd>
        </dl>
    }
}
