//! Charts of a schedule (plotters): lr on the left axis, momentum on the right.

use anyhow::{Context, Result, anyhow};
use playground_strategy::plan::Curves;
use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (960, 540);
pub(crate) const COLORS: [RGBColor; 4] = [
    RGBColor(29, 111, 216),
    RGBColor(217, 95, 2),
    RGBColor(27, 158, 119),
    RGBColor(117, 112, 179),
];

/// The chart as an SVG document.
///
/// Both formats lay text out with a TrueType font from the system (DejaVu Sans or
/// Liberation Sans; Debian: fonts-dejavu-core or fonts-liberation).
pub fn svg(curves: &Curves, title: &str) -> Result<String> {
    register_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, curves, title)?;
        root.present()
            .map_err(|e| anyhow!("drawing the SVG: {e}"))?;
    }
    Ok(text)
}

/// The chart as PNG bytes.
pub fn png(curves: &Curves, title: &str) -> Result<Vec<u8>> {
    register_font()?;
    let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&root, curves, title)?;
        root.present()
            .map_err(|e| anyhow!("drawing the PNG: {e}"))?;
    }
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut png);
    image::ImageEncoder::write_image(
        encoder,
        &pixels,
        SIZE.0,
        SIZE.1,
        image::ExtendedColorType::Rgb8,
    )
    .context("encoding the PNG")?;
    Ok(png)
}

pub(crate) fn register_font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    REGISTERED
        .get_or_init(|| load_font().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn load_font() -> Result<()> {
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
    ];
    let bytes = CANDIDATES
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .ok_or_else(|| anyhow!("no TrueType font found for PNG text (looked in {}); install fonts-dejavu-core or use --format svg", CANDIDATES.join(", ")))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow!("the system font could not be read as TrueType"))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &Curves,
    title: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing the chart: {e}");
    root.fill(&WHITE).map_err(err)?;
    let n = curves.iterations.max(1);
    let lr_max = curves
        .series
        .iter()
        .flat_map(|s| s.lr.iter().copied())
        .fold(0.0f64, f64::max);
    let lr_top = if lr_max > 0.0 { lr_max * 1.05 } else { 1.0 };
    let m_max = curves
        .series
        .iter()
        .filter_map(|s| s.momentum.as_ref())
        .flat_map(|m| m.iter().copied())
        .fold(0.0f64, f64::max);
    let m_top = if m_max > 0.0 { m_max * 1.05 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{title}: learning rate and momentum"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0usize..n, 0f64..lr_top)
        .map_err(err)?
        .set_secondary_coord(0usize..n, 0f64..m_top);
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("learning rate")
        .y_label_formatter(&|v| format!("{v:.2e}"))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("momentum")
        .draw()
        .map_err(err)?;
    for (k, s) in curves.series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let name = s
            .optimizer
            .as_deref()
            .map_or_else(String::new, |n| format!("{n} "));
        chart
            .draw_series(LineSeries::new(
                s.lr.iter().copied().enumerate(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("{name}lr"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        if let Some(m) = &s.momentum {
            let dashed = color.mix(0.55);
            chart
                .draw_secondary_series(LineSeries::new(
                    m.iter().copied().enumerate(),
                    dashed.stroke_width(1),
                ))
                .map_err(err)?
                .label(format!("{name}momentum (right axis)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], dashed.stroke_width(1))
                });
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}
