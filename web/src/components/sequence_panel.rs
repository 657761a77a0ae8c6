//! A sequence model's views: its answers after each validation (a task's prompts with
//! the model's greedy answers, right ones marked; text completions) and one attention
//! head's weights on one validation sample, as a heatmap of query × key positions.

use leptos::prelude::*;

use crate::run_state::RunView;
use crate::worker::protocol::{AttentionMap, SequenceSamples};

/// The samples table or the completions.
#[component]
pub fn SamplesPanel(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    move || view.samples.get().map(samples)
}

fn samples(s: SequenceSamples) -> impl IntoView {
    let right = s.correct();
    let total = s.rows.len();
    let text = s.is_text();
    view! {
        <div class="samples" data-testid="samples-panel" data-kind=s.kind.clone()
            data-correct=right.to_string() data-total=total.to_string()>
            <h3>{if text { "Completions (validation text)".to_string() } else {
                format!("Answers ({right} of {total} right, greedy)")
            }}</h3>
            {if text {
                view! {
                    <ul class="completions">
                        {s.rows.into_iter().map(|r| view! {
                            <li><span class="prompt">{r.prompt}</span><span class="answer">{r.answer}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! {
                    <table class="answers">
                        <thead><tr><th>"prompt"</th><th>"model"</th><th>"expected"</th><th></th></tr></thead>
                        <tbody>
                            {s.rows.into_iter().map(|r| {
                                let class = if r.correct { "right" } else { "wrong" };
                                view! {
                                    <tr class=class>
                                        <td class="prompt">{r.prompt}</td>
                                        <td class="answer">{r.answer}</td>
                                        <td class="expected">{r.expected}</td>
                                        <td>{if r.correct { "✓" } else { "✗" }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}

/// Side of the heatmap in SVG units.
const SIDE: f64 = 260.0;

/// The attention view with its layer, head and sample pickers.
#[component]
pub fn AttentionPanel(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let choice = view.attention_choice;
    let pick = move |which: usize| {
        move |ev: leptos::ev::Event| {
            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                choice.update(|c| match which {
                    0 => c.0 = v,
                    1 => c.1 = v,
                    _ => c.2 = v,
                });
            }
        }
    };
    move || {
        view.attention.get().map(|m| {
            let (sample, layer, head) = choice.get_untracked();
            let options = |n: usize, chosen: usize| {
                (0..n)
                    .map(|i| view! { <option value=i.to_string() selected=i == chosen>{i.to_string()}</option> })
                    .collect_view()
            };
            view! {
                <div class="attention">
                    <h3>"Attention"</h3>
                    <div class="pickers">
                        <label>"layer " <select data-testid="attention-layer" on:change=pick(1)>{options(m.layers, layer)}</select></label>
                        <label>"head " <select data-testid="attention-head" on:change=pick(2)>{options(m.heads, head)}</select></label>
                        <label>"sample " <select data-testid="attention-sample" on:change=pick(0)>{options(8, sample)}</select></label>
                    </div>
                    {heatmap(&m)}
                </div>
            }
        })
    }
}

fn heatmap(m: &AttentionMap) -> impl IntoView + use<> {
    let t = m.tokens.len().max(1);
    let label = 14.0;
    let cell = (SIDE - label) / t as f64;
    let rows: f32 = m.weights.chunks(t).map(|r| r.iter().sum::<f32>()).sum();
    view! {
        <svg class="chart attention-map" data-testid="attention-map" data-tokens=t.to_string()
            data-layer=m.layer.to_string() data-head=m.head.to_string()
            data-row-sum=format!("{:.3}", rows / t as f32)
            viewBox=format!("0 0 {SIDE} {SIDE}") role="img"
            aria-label="attention weights: rows are query positions, columns the positions they attend to">
            {m.tokens.iter().enumerate().map(|(i, tok)| {
                let pos = label + (i as f64 + 0.7) * cell;
                view! {
                    <text class="tok" x="2" y=format!("{pos:.1}")>{tok.clone()}</text>
                    <text class="tok" x=format!("{:.1}", label + i as f64 * cell + 1.0) y="10">{tok.clone()}</text>
                }
            }).collect_view()}
            {m.weights.iter().enumerate().map(|(k, w)| {
                let (i, j) = (k / t, k % t);
                view! {
                    <rect x=format!("{:.1}", label + j as f64 * cell) y=format!("{:.1}", label + i as f64 * cell)
                        width=format!("{cell:.1}") height=format!("{cell:.1}")
                        fill=format!("rgba(0, 114, 178, {:.3})", w.clamp(0.0, 1.0))>
                        <title>{format!("{} → {}: {w:.3}", m.tokens[i], m.tokens[j])}</title>
                    </rect>
                }
            }).collect_view()}
        </svg>
        <p class="muted">"rows: a position · columns: what it attends to (only itself and earlier ones)"</p>
    }
}
