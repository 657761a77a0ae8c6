//! `playground-cli inspect`, `convert` and `test`: checkpoints from the command line.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use playground_strategy::checkpoint::files::{read_checkpoint, write_atomic};
use playground_strategy::checkpoint::{Checkpoint, ReviseKeys};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::device::DeviceChoice;
use playground_strategy::runner::{Runner, RunnerOptions};
use serde_json::{Value, json};

use crate::train_cmd::{DeviceArg, cli_error};

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The checkpoint (`.safetensors`).
    pub checkpoint: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
    pub format: InspectFormat,
}

/// Output formats of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    /// A readable summary.
    Text,
    /// The same as JSON.
    Json,
}

fn summary(ck: &Checkpoint) -> Value {
    let tensors: Vec<Value> = ck
        .state_dict
        .iter()
        .map(
            |t| json!({"name": format!("state_dict.{}", t.name), "shape": t.shape, "dtype": "F32"}),
        )
        .collect();
    let optimizer = ck.optimizer.as_ref().map(|o| {
        o.wrappers
            .iter()
            .map(|w| {
                json!({
                    "name": w.name,
                    "param_groups": w.param_groups.len(),
                    "lr": w.param_groups.first().and_then(|g| g.get("lr")),
                    "params_with_state": w.state.len(),
                    "steps": w.state.iter().map(|p| p.step).max(),
                    "buffers": w.state.first().map(|p| p.buffers.iter().map(|(b, _)| b.clone()).collect::<Vec<_>>()),
                })
            })
            .collect::<Vec<_>>()
    });
    let schedulers = ck.param_schedulers.as_ref().map(|s| match s {
        Value::Array(a) => json!({"count": a.len()}),
        Value::Object(m) => json!(
            m.iter()
                .map(|(k, v)| (k.clone(), json!({"count": v.as_array().map(Vec::len)})))
                .collect::<serde_json::Map<_, _>>()
        ),
        _ => Value::Null,
    });
    let params: usize = ck.state_dict.iter().map(|t| t.values.len()).sum();
    let mut meta = ck.meta.clone();
    meta.remove("cfg");
    meta.remove("param_order");
    let ema = ck.ema_state_dict.as_ref().map(|e| {
        json!({
            "steps": e.steps,
            "tensors": e.module.len(),
            "note": "state_dict holds the averaged weights, ema_state_dict the raw ones (MMEngine's EMAHook layout)",
        })
    });
    let best = ck
        .message_hub
        .as_ref()
        .and_then(|h| h.get("runtime_info"))
        .and_then(Value::as_object)
        .map(|info| {
            info.iter()
                .filter(|(k, _)| k.starts_with("best_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<serde_json::Map<_, _>>()
        })
        .filter(|m| !m.is_empty());
    json!({
        "meta": meta,
        "parameters": params,
        "tensors": tensors,
        "optimizer": optimizer,
        "param_schedulers": schedulers,
        "ema_state_dict": ema,
        "best": best,
        "has_config": ck.meta.contains_key("cfg"),
    })
}

/// Runs `inspect`.
pub fn inspect(args: &InspectArgs) -> Result<()> {
    let ck = read_checkpoint(&args.checkpoint)?;
    let s = summary(&ck);
    match args.format {
        InspectFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&s).context("serialising")?
        ),
        InspectFormat::Text => {
            println!("checkpoint {}", args.checkpoint.display());
            println!(
                "  epoch {}  iter {}  seed {}",
                ck.epoch(),
                ck.iter(),
                ck.meta.get("seed").unwrap_or(&Value::Null)
            );
            for key in ["experiment_name", "time", "playground"] {
                if let Some(v) = ck.meta.get(key) {
                    println!(
                        "  {key}: {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                    );
                }
            }
            if let Ok(meta) = ck.typed_meta()
                && let Some(d) = meta.dataset
            {
                println!(
                    "  dataset: {} of {} from [{}]{}{}",
                    d.task.name(),
                    d.target_name.as_deref().unwrap_or("the label"),
                    d.input_names().join(", "),
                    if d.class_names.is_empty() {
                        String::new()
                    } else {
                        format!(", classes [{}]", d.class_names.join(", "))
                    },
                    if d.normalization.is_some() {
                        ", standardised with the train split's statistics"
                    } else {
                        ""
                    }
                );
            }
            println!(
                "  {} parameters in {} tensors:",
                s["parameters"],
                ck.state_dict.len()
            );
            for t in &ck.state_dict {
                println!("    state_dict.{:<40} F32 {:?}", t.name, t.shape);
            }
            match &ck.optimizer {
                Some(o) => {
                    for w in &o.wrappers {
                        println!(
                            "  optimizer {}: {} groups, lr {}, state for {} parameters, {} steps",
                            w.name.as_deref().unwrap_or("(single)"),
                            w.param_groups.len(),
                            w.param_groups
                                .first()
                                .and_then(|g| g.get("lr"))
                                .map_or("?".into(), |v| format!("{v:e}")),
                            w.state.len(),
                            w.state.iter().map(|p| p.step).max().unwrap_or(0)
                        );
                    }
                }
                None => println!("  optimizer: not saved"),
            }
            println!("  param_schedulers: {}", s["param_schedulers"]);
            if let Some(e) = &ck.ema_state_dict {
                println!(
                    "  ema_state_dict: {} tensors, steps {} (state_dict holds the averaged weights)",
                    e.module.len(),
                    e.steps
                );
            }
            if !s["best"].is_null() {
                println!("  best: {}", s["best"]);
            }
        }
    }
    Ok(())
}

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// A PyTorch `.pth`/`.pt` (state dict or MMEngine checkpoint): written as a
    /// playground checkpoint (weights only). A playground checkpoint (`.safetensors`):
    /// its weights written as plain safetensors for PyTorch.
    pub input: PathBuf,
    /// The file to write.
    pub output: PathBuf,
    /// Key rewrites, `REGEX=REPLACEMENT`, applied in order (Python `re.sub` syntax;
    /// default for `.pth` input: `^module.=`, MMEngine's).
    #[arg(long, num_args = 1.., value_name = "REGEX=REPL")]
    pub revise_keys: Vec<String>,
}

/// Runs `convert`.
pub fn convert(args: &ConvertArgs) -> Result<()> {
    let ext = args
        .input
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let mut pairs: Vec<(String, String)> = args
        .revise_keys
        .iter()
        .map(|r| {
            r.split_once('=')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .with_context(|| format!("--revise-keys `{r}`: expected REGEX=REPLACEMENT"))
        })
        .collect::<Result<_>>()?;
    if ext == "pth" || ext == "pt" {
        if pairs.is_empty() {
            pairs = playground_strategy::checkpoint::default_revise_keys();
        }
        let ck = playground_strategy::checkpoint::pytorch::import_pytorch(&args.input, &pairs)?;
        write_atomic(&args.output, &ck.to_bytes()?)?;
        println!(
            "imported {} tensors from {} into the playground checkpoint {}",
            ck.state_dict.len(),
            args.input.display(),
            args.output.display()
        );
        return Ok(());
    }
    if ext != "safetensors" {
        bail!(
            "{}: expected a .pth/.pt PyTorch file or a .safetensors playground checkpoint",
            args.input.display()
        );
    }
    let revise = ReviseKeys::new(&pairs)?;
    let ck = read_checkpoint(&args.input)?;
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = ck
        .state_dict
        .iter()
        .map(|t| {
            (
                revise.apply(&t.name),
                t.shape.clone(),
                t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views = owned
        .iter()
        .map(|(n, s, b)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                .map(|v| (n.clone(), v))
                .with_context(|| format!("tensor {n}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, None).context("serialising the weights")?;
    write_atomic(&args.output, &bytes)?;
    println!("wrote {} tensors to {}", owned.len(), args.output.display());
    Ok(())
}

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The config file.
    pub config: PathBuf,
    /// The checkpoint whose weights to evaluate.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Overrides, `key.path=value`.
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    pub cfg_options: Vec<String>,
    /// The backend.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
}

/// Runs `test`: the checkpoint's weights (strict) on `test_dataloader` (or
/// `val_dataloader` when the config has no test set).
pub fn test(args: &TestArgs) -> Result<()> {
    let cfg = ExperimentConfig::load(&args.config, &args.cfg_options, &Registries::default())?;
    let ck = read_checkpoint(&args.checkpoint)?;
    let metrics = pollster::block_on(async {
        let mut runner = Runner::from_config(
            cfg,
            RunnerOptions {
                device: DeviceChoice::from(args.device),
                write_files: false,
                ..RunnerOptions::default()
            },
        )
        .await?;
        runner.load_weights(ck, true)?;
        let metrics = runner.test().await?;
        let matrix = runner.confusion_matrix("test").await?;
        let answers = runner.sequence_samples(SAMPLES_SHOWN, 120).await?;
        Ok::<_, playground_strategy::error::Error>((metrics, matrix, answers))
    })
    .map_err(|e| cli_error(e, &args.config))?;
    let (metrics, matrix, answers) = metrics;
    for (k, v) in &metrics {
        println!("{k}: {v:.4}");
    }
    if let Some(m) = matrix {
        println!("{m}");
    }
    if let Some(rows) = answers {
        print_answers(&rows);
    }
    Ok(())
}

/// Samples of a sequence model's answers `test` prints.
const SAMPLES_SHOWN: usize = 8;

/// A task's prompts with the model's answers (right ones marked), or text
/// completions.
fn print_answers(samples: &playground_strategy::runner::sequence::SequenceSamples) {
    if samples.is_text() {
        println!("completions:");
    } else {
        println!(
            "samples ({} of {} answered right, greedy decoding):",
            samples.correct(),
            samples.rows.len()
        );
    }
    for r in &samples.rows {
        if !samples.is_text() {
            let mark = if r.correct { "ok  " } else { "MISS" };
            println!(
                "  {mark} {} {}   (expected {})",
                r.prompt, r.answer, r.expected
            );
        } else {
            println!("  {:?} -> {:?}", r.prompt, r.answer);
        }
    }
}
