//! The Environment panel: what the page can tell at once (the browser's WebGPU
//! adapter, and so the device `auto` trains on), and, on request, the strategy
//! crate's full `collect_env` report from the trainer's module (the backends), as a
//! person reads it.

use leptos::prelude::*;
use playground_strategy::env::{
    AutoDevice, BrowserReport, EnvReport, WgpuReport, auto_device_in_browser, backends_compiled,
    no_webgpu_reason, probe_browser,
};

use crate::worker::protocol::Request;
use crate::worker::shared::SharedTrainer;

/// Shows which backend training will use here and why, and the browser; the backends'
/// own report (adapter, CPU backend, precisions) once the trainer has been asked.
#[component]
pub fn EnvPanel(
    /// The page's training worker (shared with the Train panel).
    trainer: SharedTrainer,
) -> impl IntoView {
    let browser = LocalResource::new(probe_browser);
    let report = trainer.env;
    let probing = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    // An error from the worker while the report is awaited is the probe's.
    Effect::new(move |_| {
        if let Some(e) = trainer.error.get()
            && probing.get_untracked()
        {
            probing.set(false);
            failed.set(Some(e));
        }
    });
    let on_probe = move |_| {
        probing.set(true);
        failed.set(None);
        if let Err(e) = trainer.send(&Request::Env, None) {
            probing.set(false);
            failed.set(Some(e));
        }
    };
    view! {
        <section class="panel" data-testid="env-panel" aria-labelledby="env-title">
            <h2 id="env-title">"Environment"</h2>
            {move || match report.get() {
                Some(r) => view! { <EnvDetails report=r /> }.into_any(),
                None => view! {
                    <Suspense fallback=|| view! { <p class="muted">"Probing the browser for WebGPU…"</p> }>
                        {move || browser.get().map(|b| view! { <BrowserDetails browser=b /> })}
                    </Suspense>
                    <p>
                        <button data-testid="env-probe" on:click=on_probe disabled=move || probing.get()>
                            {move || if probing.get() { "Probing the backends…" } else { "Probe the backends" }}
                        </button>
                        <span class="muted">
                            " loads the trainer (the backends' module, the same worker the first Train uses) \
                             and shows its adapter and precisions"
                        </span>
                    </p>
                    {move || failed.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                }
                .into_any(),
            }}
        </section>
    }
}

/// The badge and reason of the device `auto` trains on.
fn training_on(auto: &AutoDevice) -> impl IntoView + use<> {
    let backend = auto
        .backend
        .map_or_else(|| "none".to_string(), |b| b.to_string());
    view! {
        <dt>"Training on"</dt>
        <dd>
            <span class=format!("badge {backend}")>{backend.clone()}</span>
            " "
            {auto.reason.clone()}
        </dd>
        <dt>"Strategy"</dt>
        <dd data-testid="env-strategy">
            "SingleDeviceStrategy, world size 1: a page trains on one device "
            "(DDPStrategy over several devices runs natively: "
            <code>"playground-cli train --devices cpu,cpu"</code>
            ")"
        </dd>
    }
}

/// What the page knows without the trainer: the browser's facts, and from them the
/// device `auto` will pick (the same decision the trainer makes).
#[component]
fn BrowserDetails(browser: Option<BrowserReport>) -> impl IntoView {
    let Some(b) = browser else {
        return view! { <p class="muted">"No browser facts (not in a browser)"</p> }.into_any();
    };
    let auto = auto_device_in_browser(&backends_compiled(), &b);
    let backend = auto
        .backend
        .map_or_else(|| "none".to_string(), |b| b.to_string());
    let webgpu = if b.webgpu_adapter {
        format!(
            "offered by the browser ({})",
            if b.shader_f16 {
                "with shader-f16"
            } else {
                "no shader-f16: f32 only"
            }
        )
    } else {
        format!("none: {}", no_webgpu_reason(&b))
    };
    let json = serde_json::to_string(&b).unwrap_or_default();
    view! {
        <dl class="env" data-testid="env-browser" data-backend=backend data-browser=json>
            {training_on(&auto)}
            <dt>"WebGPU adapter"</dt>
            <dd>{webgpu}</dd>
            <dt>"User agent"</dt>
            <dd>{b.user_agent.clone()}</dd>
        </dl>
    }
    .into_any()
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
        <dl class="env" data-testid="env-report" data-backend=backend data-report=json>
            {training_on(&report.auto_device)}
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
            <dt>"WebGPU kernels"</dt>
            <dd data-testid="env-kernels">
                {format!(
                    "burn's compile-time options: {} (fusion and autotune are chosen when the app is built, not at run time)",
                    report.burn_kernels,
                )}
            </dd>
        </dl>
    }
}
