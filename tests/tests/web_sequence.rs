//! Sequence models in the built web app, in headless Chromium: the sorting preset
//! (shortened) trains on the CPU backend in the worker; the samples panel marks the
//! model's answers, the attention view follows the chosen head, the token-accuracy
//! chart is drawn; the text GRU preset fetches the shipped book and shows completions.
//! Run by `cargo xtask test` (which builds the app with trunk: `PLAYGROUND_WEB_DIST`).

use std::time::Duration;

use fantoccini::{Client, Locator};
use playground_tests::page::{
    click, editor_text, number, open_app, output_dir, set_editor, set_input, text_of, wait_attr,
    wait_finished,
};

/// A preset's text as the app ships it.
fn preset(file: &str) -> String {
    let path = format!("{}/../public/configs/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Picks preset `file` in the preset menu (by its position there).
async fn choose_preset(c: &Client, file: &str) {
    let index = c
        .execute(
            "const o = [...document.querySelectorAll('[data-testid=preset-select] option')];\
             return o.findIndex(x => x.textContent.includes(arguments[0]));",
            vec![serde_json::json!(label_of(file))],
        )
        .await
        .expect("preset options");
    let index = index.as_i64().unwrap_or(-1);
    assert!(index >= 0, "no preset option for {file}");
    set_input(c, "preset-select", &index.to_string()).await;
}

/// The words of the preset menu's label for `file`.
fn label_of(file: &str) -> &'static str {
    match file {
        "sort_gpt.toml" => "Sorting digits",
        "text_gru.toml" => "Text · GRU",
        other => panic!("no label for {other}"),
    }
}

/// Waits up to `secs` until the element at `css` exists.
async fn wait_for(c: &Client, css: &str, secs: u64) {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
async fn sorting_and_text_models_show_answers_attention_and_completions() {
    let (_server, browser) = open_app().await;
    let c = &browser.client;
    editor_text(c).await;

    // The sorting preset, shortened to 4 digits and 250 iterations.
    choose_preset(c, "sort_gpt.toml").await;
    assert!(editor_text(c).await.contains("type = \"TinyGPT\""));
    let short = preset("sort_gpt.toml")
        .replace("length = 6", "length = 4")
        .replace("max_iters = 2000", "max_iters = 250")
        .replace("val_interval = 500", "val_interval = 250")
        .replace("end = 2000", "end = 250");
    set_editor(c, &short).await;
    wait_for(c, "[data-testid=sequence-preview] li", 60).await;
    let preview = text_of(c, "[data-testid=sequence-preview]").await;
    assert!(preview.contains('|'), "prompts and answers: {preview}");
    set_input(c, "backend-select", "cpu").await;
    click(c, "train-button").await;
    wait_finished(c, 600).await;

    // The answers table: greedy answers to validation prompts, right ones marked.
    wait_attr(c, "[data-testid=samples-panel]", "data-kind", "sort").await;
    let total = number(c, "[data-testid=samples-panel]", "data-total").await;
    let right = number(c, "[data-testid=samples-panel]", "data-correct").await;
    let marked = c
        .find_all(Locator::Css("[data-testid=samples-panel] tr.right"))
        .await
        .expect("rows")
        .len();
    assert!(total >= 1.0, "answers shown");
    assert_eq!(marked as f64, right, "each right answer is marked");
    // The token-accuracy chart, over chance (10 %) after 250 iterations.
    let accuracy = number(c, "[data-testid=metric-chart]", "data-last").await;
    assert!(accuracy > 40.0, "token accuracy {accuracy}");

    // The attention view: causal rows that sum to one; it follows the chosen head.
    wait_attr(c, "[data-testid=attention-map]", "data-tokens", "8").await;
    wait_attr(c, "[data-testid=attention-map]", "data-row-sum", "1.000").await;
    set_input(c, "attention-head", "2").await;
    wait_attr(c, "[data-testid=attention-map]", "data-head", "2").await;
    set_input(c, "attention-layer", "1").await;
    wait_attr(c, "[data-testid=attention-map]", "data-layer", "1").await;
    browser
        .screenshot(&output_dir().join("web_sequence_sort.png"))
        .await
        .expect("screenshot");

    // The text GRU preset: the book is fetched from the site, completions follow.
    click(c, "reset-button").await;
    choose_preset(c, "text_gru.toml").await;
    let short = preset("text_gru.toml")
        .replace("max_iters = 3000", "max_iters = 20")
        .replace("val_interval = 500", "val_interval = 20")
        .replace("hidden_size = 192", "hidden_size = 32");
    set_editor(c, &short).await;
    wait_for(c, "[data-testid=sequence-preview] li", 60).await;
    click(c, "train-button").await;
    wait_finished(c, 600).await;
    wait_attr(c, "[data-testid=samples-panel]", "data-kind", "text").await;
    let completions = c
        .find_all(Locator::Css("[data-testid=samples-panel] li .answer"))
        .await
        .expect("completions");
    assert!(!completions.is_empty(), "completions shown");
    for el in completions {
        assert!(!el.text().await.unwrap_or_default().is_empty());
    }
    browser
        .screenshot(&output_dir().join("web_sequence_text.png"))
        .await
        .expect("screenshot");
    let console = browser.console().await.expect("console log");
    let severe: Vec<_> = console.iter().filter(|(l, _)| l == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");
    browser.close().await.expect("browser closes");
}
