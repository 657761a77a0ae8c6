//! The Python peer (`python/peer.py`): a process that answers one JSON request per
//! line with one JSON answer, so each of its measurements can alternate with ours. It
//! is replaced by a fresh process after each training workload ([`Peer::restart`]), so
//! every workload, and every group after the training ones, starts on a peer that has
//! trained nothing.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// The peer script, shipped in the crate (under [`crate::train::workspace_root`]).
pub fn script() -> std::path::PathBuf {
    crate::train::workspace_root().join("crates/bench/python/peer.py")
}

/// A running peer.
pub struct Peer {
    python: PathBuf,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    /// Starts `python peer.py`. Its stderr (MMEngine's log) goes to ours.
    pub fn start(python: &Path) -> Result<Self> {
        let mut child = Command::new(python)
            .arg(script())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting the Python peer with {}", python.display()))?;
        let stdin = child.stdin.take().context("the peer's stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("the peer's stdout")?);
        Ok(Self {
            python: python.to_path_buf(),
            child,
            stdin,
            stdout,
        })
    }

    /// Ends this process and starts a fresh one on the same Python: a new interpreter,
    /// allocator and PyTorch state, as a workload run on its own would have.
    pub fn restart(&mut self) -> Result<()> {
        let fresh = Self::start(&self.python)?;
        // The old process is told to quit and waited for when it is dropped here.
        drop(std::mem::replace(self, fresh));
        Ok(())
    }

    /// Sends one request and returns the answer; an `error` answer is an error.
    pub fn call(&mut self, request: Value) -> Result<Value> {
        let cmd = request["cmd"].as_str().unwrap_or("?").to_string();
        writeln!(self.stdin, "{request}").context("writing to the Python peer")?;
        self.stdin.flush().context("writing to the Python peer")?;
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .context("reading the Python peer's answer")?;
        if n == 0 {
            bail!("the Python peer exited during `{cmd}` (its error is printed above)");
        }
        let answer: Value = serde_json::from_str(&line)
            .with_context(|| format!("the Python peer answered `{cmd}` with {line:?}"))?;
        if let Some(e) = answer.get("error").and_then(Value::as_str) {
            bail!("the Python peer: {e}");
        }
        Ok(answer)
    }

    /// Sends a request whose answer carries `seconds`.
    pub fn seconds(&mut self, request: Value) -> Result<f64> {
        let answer = self.call(request)?;
        answer["seconds"]
            .as_f64()
            .with_context(|| format!("the Python peer's answer has no seconds: {answer}"))
    }

    /// The peer's versions: Python, PyTorch, MMEngine, the CUDA device if any.
    pub fn versions(&mut self) -> Result<Versions> {
        let v = self.call(json!({"cmd": "versions"}))?;
        let text = |k: &str| v[k].as_str().unwrap_or("?").to_string();
        Ok(Versions {
            python: text("python"),
            torch: text("torch"),
            mmengine: text("mmengine"),
            cuda: v["cuda"].as_str().map(str::to_string),
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"cmd": "quit"}));
        let _ = self.stdin.flush();
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.wait();
        }
    }
}

/// What the peer runs on.
#[derive(Debug, Clone)]
pub struct Versions {
    /// Python's version.
    pub python: String,
    /// PyTorch's version (`2.15.0+cu132`).
    pub torch: String,
    /// MMEngine's version.
    pub mmengine: String,
    /// The CUDA device's name, when PyTorch sees one.
    pub cuda: Option<String>,
}
