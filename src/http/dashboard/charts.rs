//! The dashboard's charts, drawn on the server as SVG with plotters: a bar per department against the
//! target line, and the rate's trend from the daily snapshots. Each chart is an image with a text
//! alternative; the tables beside them carry the exact figures.

use plotters::prelude::*;

// Narrow enough that the labels stay legible when a phone scales the chart to its width.
const WIDTH: u32 = 400;
const LABEL_PX: u32 = 15;
const BAR_HEIGHT: u32 = 26;
// The same colours mean the same things as on the page: green meets the target, red is behind it (the
// headline's border and the table's behind rows), the target itself is drawn in ink.
const BLUE: RGBColor = RGBColor(29, 78, 216);
const GREEN: RGBColor = RGBColor(21, 128, 61);
const BEHIND_RED: RGBColor = RGBColor(185, 28, 28);
const INK: RGBColor = RGBColor(31, 35, 40);
const GREY: RGBColor = RGBColor(75, 85, 99);

/// One bar per department (rate in percent), worst first as given, with the target as a vertical line.
pub fn department_bars(title: &str, bars: &[(String, f64)], target: f64) -> String {
    let height = 60 + BAR_HEIGHT * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(8)
                .margin_right(24)
                .x_label_area_size(28)
                .y_label_area_size(160)
                .build_cartesian_2d(0f64..100f64, (0..bars.len()).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_labels(6)
                .x_label_formatter(&|x| format!("{x:.0}%"))
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|y| match y {
                    SegmentValue::CenterOf(i) => bars.get(*i).map(|(name, _)| shorten(name, 9)).unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style(("sans-serif", LABEL_PX).into_font().color(&GREY))
                .draw()?;
            chart.draw_series(bars.iter().enumerate().map(|(i, (_, rate))| {
                let colour = if *rate >= target * 100.0 { GREEN } else { BEHIND_RED };
                Rectangle::new([(0.0, SegmentValue::Exact(i)), (*rate, SegmentValue::Exact(i + 1))], colour.filled())
            }))?;
            let line = target * 100.0;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(line, SegmentValue::Exact(0)), (line, SegmentValue::Last)],
                INK.stroke_width(2),
            )))?;
            root.present()?;
            Ok(())
        })();
        if let Err(error) = drawn {
            tracing::warn!(%error, "could not draw the department chart");
        }
    }
    accessible(svg, title)
}

/// The rate over the days of the snapshots (percent), with the target as a dashed horizontal line.
pub fn trend_line(title: &str, points: &[(String, f64)], target: f64) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 240)).into_drawing_area();
        let last = points.len().saturating_sub(1).max(1);
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .margin_right(28)
                .x_label_area_size(30)
                .y_label_area_size(44)
                .build_cartesian_2d(0..last, 0f64..100f64)?;
            chart
                .configure_mesh()
                .x_labels(4)
                .x_label_formatter(&|i| {
                    points.get(*i).map(|(day, _)| day.get(5..).unwrap_or(day).to_owned()).unwrap_or_default()
                })
                .y_labels(6)
                .y_label_formatter(&|y| format!("{y:.0}%"))
                .label_style(("sans-serif", LABEL_PX).into_font().color(&GREY))
                .draw()?;
            let line = target * 100.0;
            chart.draw_series(DashedLineSeries::new(vec![(0, line), (last, line)], 6, 4, INK.stroke_width(2)))?;
            chart.draw_series(LineSeries::new(
                points.iter().enumerate().map(|(i, (_, rate))| (i, *rate)),
                BLUE.stroke_width(3),
            ))?;
            if let Some((i, (_, rate))) = points.iter().enumerate().next_back() {
                chart.draw_series(std::iter::once(Circle::new((i, *rate), 4, BLUE.filled())))?;
            }
            root.present()?;
            Ok(())
        })();
        if let Err(error) = drawn {
            tracing::warn!(%error, "could not draw the trend chart");
        }
    }
    accessible(svg, title)
}

/// Long department names lose their middle rather than running off the chart.
fn shorten(name: &str, keep: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= keep {
        return name.to_owned();
    }
    let head: String = chars[..keep - 3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

/// Makes the SVG scale to its container and gives it a text alternative.
fn accessible(svg: String, title: &str) -> String {
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => {
            let open = svg[..end].replacen(" width=", " data-width=", 1).replacen(" height=", " data-height=", 1);
            let rest = &svg[end + 1..];
            format!("{open} class=\"chart\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>{rest}")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_scalable_labelled_svg_with_their_data() {
        let bars = department_bars("各部门接入率", &[("市民政局".into(), 40.0), ("市公安局".into(), 95.0)], 0.9);
        assert!(
            bars.starts_with("<svg") && bars.contains("role=\"img\"") && bars.contains("<title>各部门接入率</title>")
        );
        assert!(bars.contains("市民政局") && bars.contains("viewBox"), "labels are text: {bars}");
        let open_tag = &bars[..bars.find('>').unwrap()];
        assert!(!open_tag.contains(" width=") && !open_tag.contains(" height="), "the chart scales: {open_tag}");
        assert_eq!(bars.matches("<rect").count() - 1, 2, "a bar per department on the background");
        let trend = trend_line("趋势", &[("2026-11-01".into(), 50.0), ("2026-11-02".into(), 60.0)], 0.9);
        assert!(trend.contains("<polyline") || trend.contains("<path"), "the line is drawn");
        assert_eq!(shorten("福州市鼓楼区政务服务数据管理局", 9), "福州市鼓楼区…理局");
    }
}
