//! Sequence models through the whole strategy: a TinyGPT's parameters carry
//! nanoGPT's names and PyTorch's layout, the usual weight-decay grouping applies to
//! them, a tiny GPT and a GRU learn (a task's answers, text), the views show answers
//! and attention, a checkpoint alone generates, and resuming is bit-identical.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use playground_strategy::checkpoint::files::read_checkpoint;
use playground_strategy::device::DeviceChoice;
use playground_strategy::model::sequence::Sampling;
use playground_strategy::runner::sequence::{
    encode_prompt, generate, join_tokens, sequence_model_from_checkpoint,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

use common::runs::{law, load, preset, run, runner};

/// A short sort run: 4 digits, few samples.
const SMALL_SORT: &[&str] = &[
    "train_dataloader.dataset.length=4",
    "val_dataloader.dataset.length=4",
    "train_dataloader.dataset.num_samples=4000",
    "val_dataloader.dataset.num_samples=4000",
    "train_cfg.max_iters=30",
    "train_cfg.val_interval=30",
];

#[test]
fn tiny_gpt_parameters_have_nanogpt_names_pytorch_layout_and_decay_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = runner(load(&preset("sort_gpt.toml"), SMALL_SORT), dir.path());
    let names: Vec<(String, Vec<usize>)> = pollster::block_on(r.model_state_dict())
        .expect("weights")
        .into_iter()
        .map(|t| (t.name, t.shape))
        .collect();
    let shape = |n: &str| {
        names
            .iter()
            .find(|(k, _)| k == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
            .1
            .clone()
    };
    // 4 digits + `|` = 11 tokens, 8 positions, width 64: nn.Linear is [out, in].
    assert_eq!(shape("transformer.wte.weight"), [11, 64]);
    assert_eq!(shape("transformer.wpe.weight"), [8, 64]);
    assert_eq!(shape("transformer.h.0.attn.c_attn.weight"), [192, 64]);
    assert_eq!(shape("transformer.h.1.mlp.c_fc.weight"), [256, 64]);
    assert_eq!(shape("transformer.h.1.mlp.c_proj.bias"), [64]);
    assert_eq!(shape("transformer.ln_f.weight"), [64]);
    // Tied: the head is the token embedding, no separate tensor.
    assert!(
        !names.iter().any(|(n, _)| n.starts_with("lm_head")),
        "{names:?}"
    );

    // norm_decay_mult = 0, bias_decay_mult = 0 and the embeddings' custom keys: decay
    // stays on the linear weights only.
    let (_, wrapper) = r.prepared.optim_wrapper.iter().next().expect("a wrapper");
    let mut decayed = Vec::new();
    for (group, params) in wrapper.groups.iter().zip(&wrapper.group_params) {
        if group.get("weight_decay").unwrap_or(0.0) > 0.0 {
            decayed.extend(params.iter().cloned());
        }
    }
    decayed.sort();
    let linear_weights = decayed
        .iter()
        .all(|n| n.ends_with(".weight") && (n.contains(".attn.") || n.contains(".mlp.")));
    assert!(linear_weights, "{decayed:?}");
    assert_eq!(decayed.len(), 2 * 4, "{decayed:?}");
}

/// The value of a validation metric after the run.
fn metric(r: &playground_strategy::runner::Runner, key: &str) -> f64 {
    r.hub
        .latest(&format!("val/{key}"))
        .unwrap_or_else(|| panic!("no val/{key}"))
}

#[test]
fn a_tiny_gpt_learns_to_sort_and_its_answers_and_attention_show_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(
        load(
            &preset("sort_gpt.toml"),
            &[
                "train_dataloader.dataset.length=4",
                "val_dataloader.dataset.length=4",
                "train_cfg.max_iters=400",
                "train_cfg.val_interval=400",
                "param_scheduler.1.end=400",
            ],
        ),
        dir.path(),
    );
    // Chance is 10 % a token and 0.01 % a whole answer.
    let token = metric(&r, "token_accuracy/top1");
    let exact = metric(&r, "exact_match/accuracy");
    assert!(token > 80.0, "token accuracy {token}");
    assert!(exact > 40.0, "exact match {exact}");

    let samples = pollster::block_on(r.sequence_samples(20, 0))
        .expect("answers")
        .expect("a sequence set");
    assert_eq!(samples.kind, "sort");
    assert_eq!(samples.rows.len(), 20);
    for row in &samples.rows {
        // Every prompt is four digits and the separator; the expected answer sorts them.
        let digits: Vec<&str> = row.prompt.split(' ').collect();
        assert_eq!(digits.len(), 5, "{row:?}");
        let mut sorted = digits[..4].to_vec();
        sorted.sort_unstable();
        assert_eq!(row.expected, sorted.join(" "), "{row:?}");
        assert_eq!(row.correct, row.answer == row.expected);
    }
    // Greedy decoding agrees with teacher-forced exact match, up to the sample.
    assert!(samples.correct() >= 4, "{samples:?}");

    let map = pollster::block_on(r.attention_map(3, 1, 2))
        .expect("map")
        .expect("a transformer");
    assert_eq!((map.layers, map.heads, map.tokens.len()), (2, 4, 8));
    for (i, row) in map.weights.chunks(8).enumerate() {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "row {i} sums to {sum}");
        // Causal: nothing attends to a later position.
        assert!(row[i + 1..].iter().all(|&w| w == 0.0), "row {i}: {row:?}");
    }
}

#[test]
fn a_gru_learns_text_and_its_checkpoint_alone_generates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(
        load(
            &preset("text_gru.toml"),
            &[
                "train_cfg.max_iters=150",
                "train_cfg.val_interval=150",
                "param_scheduler.0.end=150",
                "default_hooks.checkpoint.interval=150",
            ],
        ),
        dir.path(),
    );
    // 72 characters: a model that knows nothing scores ln 72 = 4.28 nats.
    let loss = metric(&r, "perplexity/loss");
    assert!(loss < 3.0, "validation loss {loss}");
    let ppl = metric(&r, "perplexity/ppl");
    assert!((ppl - loss.exp()).abs() < 1e-3 * ppl, "{ppl} vs e^{loss}");

    let ck = read_checkpoint(&dir.path().join("iter_150.safetensors")).expect("checkpoint");
    let device = pollster::block_on(playground_strategy::device::init_device(DeviceChoice::Cpu))
        .expect("cpu");
    let (model, schema) = sequence_model_from_checkpoint(&ck, &device.device).expect("rebuilt");
    let layout = schema.sequence.clone().expect("a sequence layout");
    assert_eq!(layout.kind, "text");
    let prompt = encode_prompt(&schema.class_names, "Alice was ", &layout).expect("spelled");
    let draw = |seed: u64| {
        let mut rng = StdRng::seed_from_u64(seed);
        let sampling = Sampling {
            temperature: 0.8,
            top_k: Some(10),
        };
        let out = pollster::block_on(generate(
            model.as_ref(),
            &device.device,
            &device.description,
            &prompt,
            40,
            sampling,
            &mut rng,
        ))
        .expect("generates");
        join_tokens(&schema.class_names, &out, &layout)
    };
    let (a, b, c) = (draw(1), draw(1), draw(2));
    assert_eq!(a.chars().count(), 40);
    assert_eq!(a, b, "the same seed draws the same text");
    assert_ne!(a, c, "another seed draws another");
    // A character outside the vocabulary is named.
    let e = encode_prompt(&schema.class_names, "Alice ~", &layout).unwrap_err();
    assert!(e.contains('~'), "{e}");
}

#[test]
fn resuming_a_tiny_gpt_with_dropout_is_bit_identical() {
    let mut opts = SMALL_SORT.to_vec();
    opts.extend([
        "model.dropout=0.1",
        "default_hooks.checkpoint={type='CheckpointHook',by_epoch=false,interval=10}",
    ]);
    law(&opts, "sort_gpt.toml", "iter_10.safetensors", 10);
}
