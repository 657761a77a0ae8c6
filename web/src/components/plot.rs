//! What every chart shares: a plot frame with margins for the axes, "nice" ticks,
//! labelled axes, polylines, a legend, the class palette, and the hover readout's
//! nearest point. Views are SVG groups a chart puts inside its own `<svg>`.

use leptos::prelude::*;

/// Colours of classes and series (colour-blind-safe, after Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

/// A chart's drawing area inside a `w × h` view box, and the data ranges it maps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// View-box width.
    pub w: f64,
    /// View-box height.
    pub h: f64,
    /// Left margin (the y axis' labels).
    pub left: f64,
    /// Bottom margin (the x axis' labels).
    pub bottom: f64,
    /// Right margin (a second y axis' labels, when there is one).
    pub right: f64,
    /// x range.
    pub x: (f64, f64),
    /// y range.
    pub y: (f64, f64),
}

impl Frame {
    /// A frame with room for the axes.
    pub fn new(w: f64, h: f64, x: (f64, f64), y: (f64, f64)) -> Self {
        // An empty or flat series still gets a drawable range (never NaN in the SVG).
        let widen = |(a, b): (f64, f64)| {
            if !a.is_finite() || !b.is_finite() || a.abs() > 1e300 || b.abs() > 1e300 {
                (0.0, 1.0)
            } else if b > a {
                (a, b)
            } else {
                (a - 0.5, a + 0.5)
            }
        };
        Self {
            w,
            h,
            left: 46.0,
            bottom: 30.0,
            right: 8.0,
            x: widen(x),
            y: widen(y),
        }
    }

    /// The view-box x of data `x`.
    pub fn px(&self, x: f64) -> f64 {
        self.left + (self.w - self.left - self.right) * (x - self.x.0) / (self.x.1 - self.x.0)
    }

    /// The view-box y of data `y`.
    pub fn py(&self, y: f64) -> f64 {
        let top = 8.0;
        self.h - self.bottom - (self.h - self.bottom - top) * (y - self.y.0) / (self.y.1 - self.y.0)
    }

    /// The data y at view-box y `vy`.
    pub fn y_at(&self, vy: f64) -> f64 {
        let top = 8.0;
        self.y.0
            + (self.h - self.bottom - vy) / (self.h - self.bottom - top) * (self.y.1 - self.y.0)
    }

    /// The data x at view-box x `vx`.
    pub fn x_at(&self, vx: f64) -> f64 {
        self.x.0 + (vx - self.left) / (self.w - self.left - self.right) * (self.x.1 - self.x.0)
    }

    /// `points` as an SVG `points` attribute (at most ~600 of them), clamped to the frame.
    pub fn polyline(&self, points: &[(f64, f64)]) -> String {
        let step = points.len().div_ceil(600).max(1);
        let mut picked: Vec<&(f64, f64)> = points.iter().step_by(step).collect();
        if !points.is_empty() && (points.len() - 1) % step != 0 {
            picked.extend(points.last());
        }
        picked
            .into_iter()
            .map(|&(x, y)| {
                let y = y.clamp(self.y.0, self.y.1);
                format!("{:.1},{:.1}", self.px(x), self.py(y))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// About `n` round tick values covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(hi > lo) || !lo.is_finite() || !hi.is_finite() {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    (0..=n * 2 + 2)
        .map(|i| first + i as f64 * step)
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect()
}

/// A tick label: short, without float noise.
pub fn label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.0e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{}", (v * 100.0).round() / 100.0)
    } else {
        format!("{}", (v * 10_000.0).round() / 10_000.0)
    }
}

/// The frame, grid lines, ticks and axis titles.
pub fn axes(f: Frame, x_title: &str, y_title: &str) -> impl IntoView + use<> {
    let xs = ticks(f.x.0, f.x.1, 5);
    let ys = ticks(f.y.0, f.y.1, 4);
    let (x0, x1, y0, y1) = (f.px(f.x.0), f.px(f.x.1), f.py(f.y.0), f.py(f.y.1));
    view! {
        <g class="axes">
            <rect class="frame" x=format!("{x0:.1}") y=format!("{y1:.1}")
                width=format!("{:.1}", x1 - x0) height=format!("{:.1}", y0 - y1) />
            {xs.into_iter().map(|v| {
                let x = f.px(v);
                view! {
                    <line class="grid" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{y1:.1}") y2=format!("{:.1}", y0 + 4.0) />
                    <text class="tick" x=format!("{x:.1}") y=format!("{:.1}", y0 + 14.0) text-anchor="middle">{label(v)}</text>
                }
            }).collect_view()}
            {ys.into_iter().map(|v| {
                let y = f.py(v);
                view! {
                    <line class="grid" x1=format!("{:.1}", x0 - 4.0) x2=format!("{x1:.1}") y1=format!("{y:.1}") y2=format!("{y:.1}") />
                    <text class="tick" x=format!("{:.1}", x0 - 6.0) y=format!("{:.1}", y + 3.5) text-anchor="end">{label(v)}</text>
                }
            }).collect_view()}
            <text class="axis-title" x=format!("{:.1}", (x0 + x1) / 2.0) y=format!("{:.1}", f.h - 3.0) text-anchor="middle">{x_title.to_string()}</text>
            <text class="axis-title" transform=format!("translate(11 {:.1}) rotate(-90)", (y0 + y1) / 2.0) text-anchor="middle">{y_title.to_string()}</text>
        </g>
    }
}

/// A second y axis on the right for values in `(0, top)` drawn scaled onto the frame's
/// y range: its ticks and title.
pub fn right_axis(f: Frame, top: f64, title: &str) -> impl IntoView + use<> {
    let x = f.px(f.x.1);
    let scale = move |v: f64| f.y.0 + (v / top.max(1e-300)) * (f.y.1 - f.y.0);
    view! {
        <g class="axes right">
            {ticks(0.0, top, 4).into_iter().map(|v| {
                let y = f.py(scale(v));
                view! {
                    <line class="grid" x1=format!("{x:.1}") x2=format!("{:.1}", x + 4.0) y1=format!("{y:.1}") y2=format!("{y:.1}") />
                    <text class="tick" x=format!("{:.1}", x + 6.0) y=format!("{:.1}", y + 3.5)>{label(v)}</text>
                }
            }).collect_view()}
            <text class="axis-title" transform=format!("translate({:.1} {:.1}) rotate(90)", f.w - 4.0, (f.py(f.y.0) + f.py(f.y.1)) / 2.0)
                text-anchor="middle">{title.to_string()}</text>
        </g>
    }
}

/// A legend below a chart: a coloured dash and a name per series.
pub fn legend(items: Vec<(String, &'static str)>) -> impl IntoView {
    view! {
        <p class="legend" data-testid="chart-legend">
            {items.into_iter().map(|(name, color)| view! {
                <span class="key"><span class="swatch" style=format!("background: {color}")></span>{name}</span>
            }).collect_view()}
        </p>
    }
}

/// The point of `points` nearest to `x` (by x).
pub fn nearest(points: &[(f64, f64)], x: f64) -> Option<(f64, f64)> {
    points
        .iter()
        .copied()
        .min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs()))
}

/// The view-box x of a pointer event over an `<svg>` `w` wide.
pub fn pointer_x(ev: &leptos::ev::PointerEvent, w: f64) -> Option<f64> {
    use wasm_bindgen::JsCast;
    let width = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map_or(0, |e| e.client_width());
    (width > 0).then(|| f64::from(ev.offset_x()) / f64::from(width) * w)
}

/// The view-box `(x, y)` of a mouse event over an `<svg>` of `w × h` (from the
/// element's box, so a click on a child shape counts where it lands).
pub fn pointer_xy(ev: &leptos::ev::MouseEvent, w: f64, h: f64) -> Option<(f64, f64)> {
    use wasm_bindgen::JsCast;
    let el = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())?;
    let r = el.get_bounding_client_rect();
    (r.width() > 0.0 && r.height() > 0.0).then(|| {
        (
            (f64::from(ev.client_x()) - r.left()) / r.width() * w,
            (f64::from(ev.client_y()) - r.top()) / r.height() * h,
        )
    })
}
