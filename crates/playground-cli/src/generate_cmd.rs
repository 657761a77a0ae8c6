//! `playground-cli generate`: complete a prompt with a sequence model from its
//! checkpoint alone (the model's config and vocabulary are in the checkpoint's meta).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use playground_strategy::base::KeyPath;
use playground_strategy::checkpoint::files::read_checkpoint;
use playground_strategy::device::{DeviceChoice, init_device};
use playground_strategy::model::sequence::Sampling;
use playground_strategy::runner::sequence::{
    encode_prompt, generate, join_tokens, sequence_model_from_checkpoint,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::train_cmd::DeviceArg;

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A checkpoint of a sequence model (`TinyGPT`, `CharGRU`).
    pub checkpoint: PathBuf,
    /// The text to continue (a task's tokens separated by spaces: `3 1 2 |`).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Tokens to add.
    #[arg(long, default_value_t = 200)]
    pub max_new_tokens: usize,
    /// Divides the scores before sampling; 0 always takes the most likely token.
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Draws only among the `k` most likely tokens.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The backend.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
}

/// Runs `generate`: prints the prompt and its continuation.
pub fn run(args: &GenerateArgs) -> Result<()> {
    if !(args.temperature >= 0.0 && args.temperature.is_finite()) {
        return Err(KeyPath::root()
            .key("--temperature")
            .error(format!(
                "expected a finite number >= 0, got {}",
                args.temperature
            ))
            .into());
    }
    if args.top_k == Some(0) {
        return Err(KeyPath::root()
            .key("--top-k")
            .error("expected k >= 1, got 0")
            .into());
    }
    let ck = read_checkpoint(&args.checkpoint)?;
    let text = pollster::block_on(async {
        let ready = init_device(DeviceChoice::from(args.device)).await?;
        let (model, schema) = sequence_model_from_checkpoint(&ck, &ready.device)?;
        let layout = schema.sequence.clone().unwrap_or_default();
        let vocab = &schema.class_names;
        let prompt = encode_prompt(vocab, &args.prompt, &layout)
            .map_err(|m| KeyPath::root().key("--prompt").error(m))?;
        let prompt = if prompt.is_empty() { vec![0] } else { prompt };
        let sampling = Sampling {
            temperature: args.temperature,
            top_k: args.top_k,
        };
        let mut rng = StdRng::seed_from_u64(args.seed);
        let new = generate(
            model.as_ref(),
            &ready.device,
            &ready.description,
            &prompt,
            args.max_new_tokens,
            sampling,
            &mut rng,
        )
        .await?;
        let sep = if layout.kind == "text" { "" } else { " " };
        Ok::<_, playground_strategy::Error>(format!(
            "{}{sep}{}",
            join_tokens(vocab, &prompt, &layout),
            join_tokens(vocab, &new, &layout)
        ))
    })
    .map_err(|e| match e {
        // A prompt the vocabulary cannot spell is the user's to fix: exit code 2.
        playground_strategy::Error::Config(c) => anyhow::Error::new(c),
        other => anyhow::Error::new(other)
            .context(format!("generating from {}", args.checkpoint.display())),
    })?;
    println!("{text}");
    Ok(())
}
