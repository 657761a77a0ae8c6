//! The run's curves: the training loss, the main validation metric and the lr
//! applied, each a line chart with axes, a legend and a readout under the pointer.

use leptos::prelude::*;

use super::plot::{Frame, PALETTE, axes, legend, nearest, pointer_x};
use crate::run_state::RunView;

const W: f64 = 480.0;
const H: f64 = 190.0;

/// What a chart's `<svg>` carries for tests and tools (`data-*`; empty when unused).
#[derive(Clone, Debug, Default)]
pub struct ChartData {
    /// `data-iter`.
    pub iter: String,
    /// `data-speed`.
    pub speed: String,
    /// `data-device`.
    pub device: String,
    /// `data-last`: the last value.
    pub last: String,
}

/// A line chart with axes, a legend and a hover readout.
pub fn line_chart(
    testid: &'static str,
    label: &'static str,
    y_title: String,
    series: Vec<(String, &'static str, Vec<(f64, f64)>)>,
    x_max: f64,
    y_range: (f64, f64),
    data: ChartData,
) -> impl IntoView {
    let f = Frame::new(W, H, (0.0, x_max.max(1.0)), y_range);
    let hover = RwSignal::new(None::<f64>);
    let for_readout = series.clone();
    let readout = move || {
        hover.get().map(|x| {
            for_readout
                .iter()
                .filter_map(|(n, _, pts)| {
                    nearest(pts, x).map(|(i, v)| format!("{n} {v:.4} at iteration {i}"))
                })
                .collect::<Vec<_>>()
                .join(" · ")
        })
    };
    let items = series.iter().map(|(n, c, _)| (n.clone(), *c)).collect();
    view! {
        <svg class="chart" data-testid=testid viewBox=format!("0 0 {W} {H}") role="img" aria-label=label
            data-iter=data.iter data-speed=data.speed data-device=data.device data-last=data.last
            on:pointermove=move |ev| hover.set(pointer_x(&ev, W).map(|vx| f.x_at(vx)))
            on:pointerleave=move |_| hover.set(None)>
            {axes(f, "iteration", &y_title)}
            {series.iter().map(|(_, c, pts)| view! {
                <polyline class="series" stroke=*c points=f.polyline(pts) />
            }).collect_view()}
            {move || hover.get().map(|x| {
                let vx = f.px(x);
                view! { <line class="cursor" x1=format!("{vx:.1}") x2=format!("{vx:.1}") y1="8" y2=format!("{:.1}", H - f.bottom) /> }
            })}
        </svg>
        {legend(items)}
        <p class="muted hover" data-testid=format!("{testid}-hover")>{readout}</p>
    }
}

/// Iteration-indexed points as chart points.
pub fn as_f64(points: &[(i64, f64)]) -> Vec<(f64, f64)> {
    points.iter().map(|(i, v)| (*i as f64, *v)).collect()
}

/// The training loss, with the data the tests and benchmarks read (`data-iter`,
/// `data-speed`, `data-device`, `data-last`).
#[component]
pub fn LossChart(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let snap = view.snap;
    view! {
            <h3>"Loss"</h3>
            {move || {
                let s = snap.get();
                // Scaled to the losses seen, so a slow fall is visible.
                let (bottom, top) = if s.losses.is_empty() {
                    (0.0, 1.0)
                } else {
                    let top = s.losses.iter().map(|(_, v)| *v).fold(f64::MIN, f64::max);
                    let bottom = s.losses.iter().map(|(_, v)| *v).fold(f64::MAX, f64::min);
                    (bottom.min(top - 1e-6), top)
                };
                let pad = (top - bottom).abs() * 0.05;
                let data = ChartData {
                    iter: s.iter.to_string(),
                    speed: format!("{:.3}", s.speed),
                    device: s.device.clone(),
                    last: s.losses.last().map_or(String::new(), |(_, v)| v.to_string()),
                };
                line_chart(
                    "loss-chart",
                    "training loss",
                    "loss".into(),
                    vec![("train loss".into(), "#c2410c", as_f64(&s.losses))],
                    s.max_iters as f64,
                    (bottom - pad, top + pad),
                    data,
                )
            }}
    }
}

/// The main validation metric (accuracy, R², …).
#[component]
pub fn MetricChart(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let snap = view.snap;
    view! {
            <h3>{move || {
                let n = snap.with(|s| s.metric_name.clone());
                if n.is_empty() { "Validation metric".to_string() } else { format!("Validation {n}") }
            }}</h3>
            {move || {
                let s = snap.get();
                let values = as_f64(&s.metric);
                let (lo, hi) = if s.metric_name.contains("accuracy") || values.is_empty() {
                    (0.0, 100.0)
                } else {
                    let lo = values.iter().map(|p| p.1).fold(f64::MAX, f64::min);
                    let hi = values.iter().map(|p| p.1).fold(f64::MIN, f64::max);
                    let pad = ((hi - lo) * 0.1).max(1e-3);
                    (lo.min(hi) - pad, hi + pad)
                };
                let data = ChartData {
                    last: s.metric.last().map_or(String::new(), |(_, v)| v.to_string()),
                    ..ChartData::default()
                };
                let name = if s.metric_name.is_empty() { "metric".to_string() } else { s.metric_name.clone() };
                line_chart(
                    "metric-chart",
                    "validation metric",
                    name.clone(),
                    vec![(format!("val {name}"), "#15803d", values)],
                    s.max_iters as f64,
                    (lo, hi),
                    data,
                )
            }}
    }
}

/// The lr applied, one line per optimizer.
#[component]
pub fn LrChart(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let snap = view.snap;
    view! {
            <h3>"Learning rate applied"</h3>
            {move || {
                let s = snap.get();
                let top = s
                    .lrs
                    .iter()
                    .flat_map(|(_, h)| h.iter().map(|(_, v)| *v))
                    .fold(0.0f64, f64::max)
                    * 1.05;
                let data = ChartData {
                    last: s.lrs.first().and_then(|(_, h)| h.last()).map_or(String::new(), |(_, v)| v.to_string()),
                    ..ChartData::default()
                };
                let series = s
                    .lrs
                    .iter()
                    .enumerate()
                    .map(|(k, (name, h))| (name.clone(), PALETTE[k % PALETTE.len()], as_f64(h)))
                    .collect();
                line_chart("lr-chart", "learning rate applied", "lr".into(), series, s.max_iters as f64, (0.0, top.max(1e-12)), data)
            }}
    }
}
