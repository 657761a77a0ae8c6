//! The static constructors' one run, shared by both binaries (`mod ctors;` in each).
//! Not in the library: a test binary linking a reference to `__wasm_call_ctors` would no
//! longer be a "command" (below), and its constructors would never run.

/// Runs the module's static constructors (`inventory` registrations: cubecl's kernel
/// compiler registers its IR dialects this way) once, here.
///
/// A wasm binary that never calls `__wasm_call_ctors` itself is linked by wasm-ld as a
/// "command": every export is wrapped to run *all* constructors first. wasm-bindgen
/// calls an export for every callback, and on WebGPU every awaited GPU result is one,
/// so training re-ran thousands of constructors per step (the worker spent most of
/// its time in them: 0.03x TensorFlow.js's webgl in the benchmarks). One explicit call
/// tells wasm-ld not to wrap the exports.
#[cfg(target_family = "wasm")]
#[allow(unsafe_code)]
pub fn run_once() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: `__wasm_call_ctors` is the constructor list wasm-ld synthesises. `main`
    // runs once per instance (wasm-bindgen's start function), before any other Rust
    // code of its module runs, so the constructors run exactly once, as on any other
    // platform.
    unsafe { __wasm_call_ctors() }
}

/// Natively there is nothing to run (the crate builds natively only for `cargo check`).
#[cfg(not(target_family = "wasm"))]
pub fn run_once() {}
