//! Charts drawn on the server as SVG: no script, no CDN, printable, readable at 390 px (the
//! drawing scales to its box). Pure: numbers in, markup out.

/// One point of a monthly series: the month's label and a rate in basis points (10000 = 100%),
/// or None when there was nothing to count that month.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub bp: Option<i64>,
    /// What the rate is made of, e.g. "41/45", shown under the point's value.
    pub detail: String,
}

impl Point {
    /// "96.5%", or "—" for a month with nothing to count.
    pub fn shown(&self) -> String {
        self.bp.map_or("—".into(), percent)
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// "96.5%".
pub fn percent(bp: i64) -> String {
    format!("{}.{}%", bp / 100, (bp % 100) / 10)
}

/// A line of monthly rates on a 0–100% scale, with the value over each point and a gap where a
/// month had nothing to count.
pub fn rate_line(title: &str, points: &[Point]) -> String {
    const W: f64 = 420.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 36.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 28.0;
    const BOTTOM: f64 = 40.0;
    let n = points.len().max(1) as f64;
    let step = (W - LEFT - RIGHT) / n;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let y = |bp: i64| TOP + (H - TOP - BOTTOM) * (1.0 - (bp.clamp(0, 10_000) as f64) / 10_000.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\" class=\"chart-svg\"><title>{t}</title>",
        t = esc(title)
    );
    for g in [0, 5_000, 10_000] {
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e3e3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">{}%</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(g) + 4.0,
            g / 100,
            y = y(g)
        ));
    }
    // Segments join consecutive months that both have a value.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p.bp {
            Some(bp) => {
                path.push_str(&format!("{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(bp)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        svg.push_str(&format!("<path d=\"{}\" fill=\"none\" stroke=\"#d32f2f\" stroke-width=\"2.5\"/>", path.trim_end()));
    }
    for (i, p) in points.iter().enumerate() {
        svg.push_str(&format!("<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">{}</text>", x(i), H - BOTTOM + 16.0, esc(&p.label)));
        if let Some(bp) = p.bp {
            svg.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#b71c1c\"><title>{} {} {}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#b71c1c\">{}</text>",
                x(i),
                y(bp),
                esc(&p.label),
                percent(bp),
                esc(&p.detail),
                x(i),
                y(bp) - 7.0,
                percent(bp).trim_end_matches(".0%").trim_end_matches('%')
            ));
        } else {
            svg.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#999\">—</text>", x(i), y(0) - 4.0));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str, bp: Option<i64>) -> Point {
        Point { label: label.into(), bp, detail: String::new() }
    }

    #[test]
    fn a_gap_breaks_the_line_and_values_are_labelled() {
        let svg = rate_line("党费交纳率", &[p("1月", Some(10_000)), p("2月", None), p("3月", Some(5_000)), p("4月", Some(9_650))]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 3);
        // Two segments: M at January, M again at March (the gap), L to April.
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        assert!(svg.contains(">96.5<"), "value over the point");
        assert!(svg.contains("<title>党费交纳率</title>"));
    }

    #[test]
    fn text_is_escaped() {
        let svg = rate_line("<x>", &[p("a&b", Some(1))]);
        assert!(svg.contains("&lt;x&gt;") && svg.contains("a&amp;b"));
    }
}
