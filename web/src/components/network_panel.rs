//! Inside the network (TensorFlow Playground's signature view): the layers and
//! their units, each unit's value over the plane as a small heatmap (the inputs
//! after feature inputs and standardisation, then every hidden layer), and the
//! weights between them as lines whose width shows the magnitude and whose colour
//! shows the sign. Drawn on canvases, once per progress report.

use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};

use super::sequence_panel::AttentionPanel;
use crate::run_state::RunView;
use crate::worker::protocol::NeuronViews;

/// Heatmap side in CSS pixels for layers of up to 8, 16 and more units.
fn unit_px(width: usize) -> f64 {
    match width {
        0..=8 => 44.0,
        9..=16 => 30.0,
        _ => 18.0,
    }
}
/// The most weight lines drawn between two layers (the strongest ones).
const MAX_LINES: usize = 256;
/// Units per column row before a layer wraps into several columns.
const PER_COLUMN: usize = 16;
const GAP: f64 = 4.0;
const COLUMN_GAP: f64 = 56.0;

/// Blue for negative, white for zero, orange for positive (TensorFlow Playground's
/// colours), scaled to the unit's largest magnitude.
fn color(v: f32, scale: f32) -> [u8; 3] {
    let t = (v / scale.max(1e-12)).clamp(-1.0, 1.0);
    let mix = |a: f32, b: f32| (a + (b - a) * t.abs()) as u8;
    if t >= 0.0 {
        [mix(255.0, 245.0), mix(255.0, 147.0), mix(255.0, 34.0)]
    } else {
        [mix(255.0, 8.0), mix(255.0, 119.0), mix(255.0, 189.0)]
    }
}

/// Where each unit's heatmap sits: `(x, y, side)` per layer and unit.
fn layout(v: &NeuronViews) -> (Vec<Vec<(f64, f64, f64)>>, f64, f64) {
    let mut x = 0.0;
    let mut height: f64 = 0.0;
    let mut out = Vec::with_capacity(v.layers.len());
    for layer in &v.layers {
        let side = unit_px(layer.len());
        let cols = layer.len().div_ceil(PER_COLUMN).max(1);
        let units = layer
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let (c, r) = (i / PER_COLUMN, i % PER_COLUMN);
                (
                    x + c as f64 * (side + GAP),
                    18.0 + r as f64 * (side + GAP),
                    side,
                )
            })
            .collect::<Vec<_>>();
        height = height.max(18.0 + layer.len().min(PER_COLUMN) as f64 * (side + GAP));
        x += cols as f64 * (side + GAP) + COLUMN_GAP;
        out.push(units);
    }
    (out, x - COLUMN_GAP, height)
}

fn draw(host: &web_sys::HtmlElement, v: &NeuronViews) -> Result<(), wasm_bindgen::JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    host.set_inner_html("");
    let (places, width, height) = layout(v);
    web_sys::HtmlElement::style(host).set_property("width", &format!("{width}px"))?;
    web_sys::HtmlElement::style(host).set_property("height", &format!("{height}px"))?;
    // The weights first, under the heatmaps.
    let svg = document.create_element_ns(Some("http://www.w3.org/2000/svg"), "svg")?;
    svg.set_attribute("class", "weights")?;
    svg.set_attribute("width", &width.to_string())?;
    svg.set_attribute("height", &height.to_string())?;
    for (l, w) in v
        .weights
        .iter()
        .enumerate()
        .take(places.len().saturating_sub(1))
    {
        let (from, to) = (&places[l], &places[l + 1]);
        let outs = to.len();
        let mut order: Vec<usize> = (0..w.len().min(from.len() * outs)).collect();
        order.sort_by(|&a, &b| w[b].abs().total_cmp(&w[a].abs()));
        let strongest = order.first().map_or(1.0, |&i| w[i].abs()).max(1e-12);
        for &k in order.iter().take(MAX_LINES) {
            let (i, o) = (k / outs, k % outs);
            let (a, b) = (from[i], to[o]);
            let line = document.create_element_ns(Some("http://www.w3.org/2000/svg"), "line")?;
            line.set_attribute("x1", &format!("{:.1}", a.0 + a.2))?;
            line.set_attribute("y1", &format!("{:.1}", a.1 + a.2 / 2.0))?;
            line.set_attribute("x2", &format!("{:.1}", b.0))?;
            line.set_attribute("y2", &format!("{:.1}", b.1 + b.2 / 2.0))?;
            line.set_attribute("stroke", if w[k] >= 0.0 { "#f59322" } else { "#0877bd" })?;
            line.set_attribute(
                "stroke-width",
                &format!("{:.2}", 0.3 + 3.0 * w[k].abs() / strongest),
            )?;
            line.set_attribute("class", "weight")?;
            svg.append_child(&line)?;
        }
    }
    host.append_child(&svg)?;
    let grid = v.grid as u32;
    for (l, layer) in v.layers.iter().enumerate() {
        let title = document.create_element("div")?;
        title.set_class_name("layer-title");
        title.set_text_content(Some(&if l == 0 {
            "inputs".to_string()
        } else {
            format!("hidden {l} · {}", layer.len())
        }));
        let first = places[l].first().copied().unwrap_or((0.0, 18.0, 0.0));
        title
            .dyn_ref::<web_sys::HtmlElement>()
            .map(web_sys::HtmlElement::style)
            .ok_or("not html")?
            .set_property("left", &format!("{}px", first.0))?;
        host.append_child(&title)?;
        for (u, unit) in layer.iter().enumerate() {
            let (x, y, side) = places[l][u];
            let canvas: web_sys::HtmlCanvasElement =
                document.create_element("canvas")?.dyn_into()?;
            canvas.set_width(grid);
            canvas.set_height(grid);
            canvas.set_class_name(if l == 0 { "unit input" } else { "unit" });
            let name = if l == 0 {
                v.input_names.get(u).cloned().unwrap_or_default()
            } else {
                format!("hidden {l}, unit {u}")
            };
            canvas.set_title(&format!("{name}: from {:.3} to {:.3}", unit.min, unit.max));
            let style = web_sys::HtmlElement::style(&canvas);
            style.set_property("left", &format!("{x}px"))?;
            style.set_property("top", &format!("{y}px"))?;
            style.set_property("width", &format!("{side}px"))?;
            style.set_property("height", &format!("{side}px"))?;
            let scale = unit.min.abs().max(unit.max.abs());
            let mut rgba = Vec::with_capacity(unit.cells.len() * 4);
            for &c in &unit.cells {
                let value = unit.min + (unit.max - unit.min) * f32::from(c) / 255.0;
                let [r, g, b] = color(value, scale);
                rgba.extend_from_slice(&[r, g, b, 255]);
            }
            let ctx: web_sys::CanvasRenderingContext2d = canvas
                .get_context("2d")?
                .ok_or("no 2d context")?
                .dyn_into()?;
            let image =
                web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), grid, grid)?;
            ctx.put_image_data(&image, 0.0, 0.0)?;
            host.append_child(&canvas)?;
            if l == 0 {
                let label = document.create_element("span")?;
                label.set_class_name("input-name");
                label.set_text_content(Some(&name));
                let label: web_sys::HtmlElement = label.dyn_into()?;
                web_sys::HtmlElement::style(&label)
                    .set_property("left", &format!("{}px", x + side + 2.0))?;
                web_sys::HtmlElement::style(&label)
                    .set_property("top", &format!("{}px", y + side / 2.0 - 7.0))?;
                host.append_child(&label)?;
            }
        }
    }
    Ok(())
}

/// The network panel.
#[component]
pub fn NetworkPanel(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let units = Memo::new(move |_| {
        view.neurons.with(|n| {
            n.as_ref()
                .map(|v| v.layers.iter().skip(1).map(Vec::len).sum::<usize>())
        })
    });
    Effect::new(move |_| {
        view.neurons.with(|n| {
            if let (Some(v), Some(el)) = (n.as_ref(), host.get()) {
                if let Err(e) = draw(&el, v) {
                    leptos::logging::warn!("the neuron grid could not be drawn: {e:?}");
                }
            } else if let Some(el) = host.get() {
                el.set_inner_html("");
            }
        });
    });
    let widths = move || {
        view.neurons.with(|n| {
            n.as_ref().map(|v| {
                let names: Vec<String> = v.widths.iter().map(ToString::to_string).collect();
                format!(
                    "{} inputs ({}) → {} → {} outputs · lines: the {MAX_LINES} strongest weights between two layers (orange positive, blue negative)",
                    v.widths.first().copied().unwrap_or(0),
                    v.input_names.join(", "),
                    names[1..names.len().saturating_sub(1)].join(" → "),
                    v.widths.last().copied().unwrap_or(0)
                )
            })
        })
    };
    view! {
        <section class="panel network" aria-labelledby="network-title">
            <h2 id="network-title">"Network"</h2>
            <p class="muted" data-testid="network-shape">
                {move || widths().unwrap_or_else(|| "Each unit's value over the plane appears here once a 2-D dataset trains with an MLP; a transformer's attention, once it trains.".into())}
            </p>
            <div class="neuron-scroll">
                <div class="neuron-grid" data-testid="neuron-grid" node_ref=host
                    data-hidden-units=move || units.get().map_or(String::new(), |u| u.to_string())></div>
            </div>
            <AttentionPanel view=view />
        </section>
    }
}
