//! The wgpu backend on a real adapter (Mesa's lavapipe on machines without a GPU,
//! set up by `cargo xtask test`). No mock adapter: these fail where wgpu finds none.
#![cfg(not(target_family = "wasm"))]

use playground_strategy::device::{DeviceChoice, init_device, smoke_test};
use playground_strategy::env::{BackendName, WgpuReport, collect_env};

#[test]
fn collect_env_lists_at_least_one_wgpu_adapter() {
    let report = pollster::block_on(collect_env());
    let WgpuReport::Found { adapters } = &report.wgpu else {
        panic!("no wgpu adapter found: {:?}\n{report}", report.wgpu);
    };
    assert!(!adapters.is_empty());
    for a in adapters {
        assert!(!a.name.is_empty(), "adapter without a name: {a:?}");
        assert!(!a.backend.is_empty(), "adapter without a backend: {a:?}");
    }
    assert!(report.backends_compiled.contains(&BackendName::Wgpu));
    assert!(report.auto_device.backend.is_some(), "{report}");
}

#[test]
fn wgpu_backend_computes_matmul_and_gradient() {
    let ready = pollster::block_on(init_device(DeviceChoice::Wgpu)).expect("a wgpu device");
    assert_eq!(ready.backend, BackendName::Wgpu);
    let out = pollster::block_on(smoke_test(&ready)).expect("the smoke test runs on wgpu");
    assert_eq!(
        out,
        vec![19.0, 22.0, 43.0, 50.0, 2.0, 4.0, 6.0],
        "on {}",
        ready.description
    );
}
