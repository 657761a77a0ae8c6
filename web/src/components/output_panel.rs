//! The output: a classifier's decision regions in one colour per class (k classes)
//! over its training and validation points, or a regression's predicted against true
//! values; the loss and metric curves; a sequence model's answers; the confusion
//! matrix of the last validation.

use leptos::prelude::*;

use super::curves::{LossChart, MetricChart};
use super::plot::{Frame, PALETTE, axes, legend, pointer_xy};
use super::sequence_panel::SamplesPanel;
use crate::run_state::RunView;
use crate::worker::protocol::{Boundary, ConfusionMatrix, RegressionScatter};

const SIZE: f64 = 300.0;

/// The output panel.
#[component]
pub fn OutputPanel(
    /// The run's views.
    view: RunView,
) -> impl IntoView {
    let RunView {
        bound,
        confusion,
        scatter,
        snap,
        ..
    } = view;
    view! {
        <section class="panel output" aria-labelledby="output-title">
            <h2 id="output-title">"Output"</h2>
            {move || {
                let s = snap.get();
                (s.max_iters == 0).then(|| view! {
                    <p class="muted">"Press ▶ Train: the regions, the confusion matrix or the fit appear here."</p>
                })
            }}
            {move || bound.get().map(regions)}
            {move || scatter.get().map(fit)}
            <LossChart view=view />
            <MetricChart view=view />
            <SamplesPanel view=view />
            {move || confusion.get().map(matrix)}
        </section>
    }
}

fn regions(b: Boundary) -> impl IntoView {
    let grid = b.grid.max(1);
    let [x0, x1, y0, y1] = b.range;
    let f = Frame::new(
        SIZE,
        SIZE,
        (f64::from(x0), f64::from(x1)),
        (f64::from(y0), f64::from(y1)),
    );
    let (cw, ch) = (
        (f.px(f.x.1) - f.px(f.x.0)) / grid as f64,
        (f.py(f.y.0) - f.py(f.y.1)) / grid as f64,
    );
    let mut used: Vec<u16> = b.classes.clone();
    used.sort_unstable();
    used.dedup();
    let cells = b
        .classes
        .iter()
        .zip(&b.confidence)
        .enumerate()
        .map(|(i, (c, p))| {
            let (row, col) = (i / grid, i % grid);
            let k = b.class_names.len().max(2) as f32;
            // 1/k (a guess) is transparent, certainty is opaque.
            let alpha = ((p - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0) * 0.75 + 0.1;
            view! {
                <rect class="cell" x=format!("{:.2}", f.px(f.x.0) + col as f64 * cw) y=format!("{:.2}", f.py(f.y.1) + row as f64 * ch)
                    width=format!("{:.2}", cw + 0.2) height=format!("{:.2}", ch + 0.2)
                    fill=PALETTE[*c as usize % PALETTE.len()] fill-opacity=format!("{alpha:.2}") />
            }
        })
        .collect_view();
    let dot = |(x, y, c): &(f32, f32, i64), ring: bool| {
        let color = PALETTE[*c as usize % PALETTE.len()];
        view! {
            <circle class=if ring { "pt val" } else { "pt" } cx=format!("{:.1}", f.px(f64::from(*x))) cy=format!("{:.1}", f.py(f64::from(*y)))
                r=if ring { "3" } else { "2.4" } fill=if ring { "none" } else { color } stroke=if ring { color } else { "#fff" } />
        }
    };
    let points = b.points.iter().map(|p| dot(p, false)).collect_view();
    let val = b.val_points.iter().map(|p| dot(p, true)).collect_view();
    let hover = RwSignal::new(None::<String>);
    let (names, classes, confidence) = (
        b.class_names.clone(),
        b.classes.clone(),
        b.confidence.clone(),
    );
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some((vx, vy)) = pointer_xy(&ev, SIZE, SIZE) else {
            return;
        };
        let (x, y) = (f.x_at(vx), f.y_at(vy));
        let col = ((x - f.x.0) / (f.x.1 - f.x.0) * grid as f64).floor();
        let row = ((f.y.1 - y) / (f.y.1 - f.y.0) * grid as f64).floor();
        if (0.0..grid as f64).contains(&col) && (0.0..grid as f64).contains(&row) {
            let i = row as usize * grid + col as usize;
            let c = classes[i] as usize;
            hover.set(Some(format!(
                "({x:.2}, {y:.2}): {} with p = {:.2}",
                names.get(c).cloned().unwrap_or_default(),
                confidence[i]
            )));
        }
    };
    let items = b
        .class_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    view! {
        <h3>"Decision regions · filled: training points, rings: validation points"</h3>
        <svg class="chart boundary" data-testid="decision-boundary" data-classes=used.len().to_string()
            viewBox=format!("0 0 {SIZE} {SIZE}") role="img"
            aria-label="decision regions with the training (filled) and validation (ringed) points"
            on:mousemove=on_move on:mouseleave=move |_| hover.set(None)>
            {axes(f, &b.axes[0], &b.axes[1])}
            {cells}
            {points}
            {val}
        </svg>
        {legend(items)}
        <p class="muted hover" data-testid="boundary-hover">{move || hover.get().unwrap_or_default()}</p>
    }
}

fn matrix(m: ConfusionMatrix) -> impl IntoView {
    let max = m.counts.iter().flatten().copied().max().unwrap_or(1).max(1);
    let recall = m.recall();
    view! {
        <h3>"Confusion matrix (validation)"</h3>
        <div class="table-wrap">
            <table class="confusion" data-testid="confusion-matrix" data-total=m.total().to_string()>
                <caption class="muted">{format!("rows: true class · columns: predicted · accuracy {:.1} % of {}", 100.0 * m.accuracy(), m.total())}</caption>
                <thead><tr>
                    <th></th>
                    {m.class_names.iter().map(|n| view! { <th scope="col">{n.clone()}</th> }).collect_view()}
                    <th scope="col">"recall"</th>
                </tr></thead>
                <tbody>
                    {m.class_names.iter().zip(&m.counts).zip(recall).enumerate().map(|(i, ((n, row), r))| view! {
                        <tr>
                            <th scope="row">{n.clone()}</th>
                            {row.iter().enumerate().map(|(j, c)| {
                                let shade = *c as f64 / max as f64;
                                let color = if i == j { "0, 114, 178" } else { "213, 94, 0" };
                                view! { <td style=format!("background: rgba({color}, {:.2})", shade * 0.6)>{c.to_string()}</td> }
                            }).collect_view()}
                            <td>{r.map_or("-".to_string(), |r| format!("{:.0} %", 100.0 * r))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn fit(s: RegressionScatter) -> impl IntoView {
    let all = s
        .points
        .iter()
        .flat_map(|(t, p)| [f64::from(*t), f64::from(*p)]);
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let f = Frame::new(SIZE, SIZE, (lo - pad, hi + pad), (lo - pad, hi + pad));
    let hover = RwSignal::new(None::<String>);
    let points = s.points.clone();
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some((vx, vy)) = pointer_xy(&ev, SIZE, SIZE) else {
            return;
        };
        let near = points.iter().min_by(|a, b| {
            let d = |p: &(f32, f32)| (f.px(f64::from(p.0)) - vx).hypot(f.py(f64::from(p.1)) - vy);
            d(a).total_cmp(&d(b))
        });
        hover
            .set(near.map(|(t, p)| format!("true {t:.2} · predicted {p:.2} · error {:.2}", p - t)));
    };
    view! {
        <h3>{format!("Predicted against true {} (validation)", s.target)}</h3>
        <svg class="chart scatter" data-testid="regression-scatter" data-points=s.points.len().to_string()
            viewBox=format!("0 0 {SIZE} {SIZE}") role="img" aria-label="predicted against true values"
            on:mousemove=on_move on:mouseleave=move |_| hover.set(None)>
            {axes(f, &format!("true {}", s.target), "predicted")}
            <line class="ideal" x1=format!("{:.1}", f.px(f.x.0)) y1=format!("{:.1}", f.py(f.y.0))
                x2=format!("{:.1}", f.px(f.x.1)) y2=format!("{:.1}", f.py(f.y.1)) />
            {s.points.iter().map(|(t, p)| view! {
                <circle class="pt" cx=format!("{:.1}", f.px(f64::from(*t))) cy=format!("{:.1}", f.py(f64::from(*p))) r="2.4" fill=PALETTE[0] />
            }).collect_view()}
        </svg>
        {legend(vec![("a validation sample".into(), PALETTE[0]), ("predicted = true".into(), "#64748b")])}
        <p class="muted hover" data-testid="scatter-hover">{move || hover.get().unwrap_or_default()}</p>
    }
}
