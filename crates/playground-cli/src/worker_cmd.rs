//! `playground-cli worker`: serves this machine's device to trainers on other machines
//! (`train --devices ws://HOST:PORT,...`), with burn's remote server over WebSocket.
//! The trainer keeps the model's graph and the loop; the worker computes.

use std::io::Write;
use std::net::TcpListener;

use anyhow::{Context, Result};
use clap::Args;
use playground_strategy::device::{DeviceChoice, init_device, serve_device};

use crate::train_cmd::DeviceArg;

/// Arguments of `worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Where to listen, `HOST:PORT` (`0.0.0.0:3000` for every interface; port 0 picks a
    /// free one, which the first line printed names).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: String,
    /// The device to serve.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
}

/// Runs `worker` until Ctrl-C (or SIGTERM).
pub fn run(args: &WorkerArgs) -> Result<()> {
    let ready = pollster::block_on(init_device(DeviceChoice::from(args.device)))
        .context("initialising the device to serve")?;
    let listener = TcpListener::bind(&args.listen)
        .with_context(|| format!("--listen {}: could not listen there", args.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    // burn's server handles Ctrl-C once it is serving; a Ctrl-C that comes before
    // (or that it does not see) still ends the worker cleanly, a moment later.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;
    std::thread::spawn(move || {
        if stop_rx.recv().is_ok() {
            std::thread::sleep(std::time::Duration::from_secs(2));
            println!("worker: stopped");
            std::process::exit(0);
        }
    });
    println!(
        "worker: serving {} on ws://{addr} (train with --devices ws://{addr},...; Ctrl-C stops)",
        ready.description
    );
    std::io::stdout()
        .flush()
        .context("writing to standard output")?;
    serve_device(&ready, listener)?;
    println!("worker: stopped");
    Ok(())
}
