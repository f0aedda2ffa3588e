//! Charts as SVG text, drawn from the numbers of a table: a bar per choice with its 95%
//! interval (frequency tables), stacked bars of row percentages (crosstabs), and dots with
//! whiskers (pre/post change). Plain functions from numbers to a string: tested natively, and the
//! same drawing serves the browser (inline SVG, or a file to download) and the command line.
//!
//! Layout: 660 units wide; a label column of 200 on the left, the plot 400 wide, 60 on the
//! right for values; a row of 28 per bar under a 40-unit title band, and 30 for the axis.

use crate::plan::{Kind, TableSpec};
use crate::tidy::TidyRow;
use std::fmt::Write as _;

const WIDTH: f64 = 660.0;
const LABELS: f64 = 200.0;
const PLOT: f64 = 400.0;
const TOP: f64 = 40.0;
const ROW: f64 = 28.0;
const BAR: f64 = 18.0;
const AXIS: f64 = 30.0;
const INK: &str = "#1c2421";
/// Colours of stacked segments, in turn; distinguishable in greyscale print as well.
const PALETTE: [&str; 6] = [
    "#0f5c4d", "#6fb3a3", "#c9a227", "#8c4f7d", "#4f6d8c", "#b5b5b5",
];

/// One bar of a frequency chart: a percent and its interval, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub percent: f64,
    pub ci: Option<(f64, f64)>,
}

/// One row of a stacked chart: its segments' percents, in the order of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub label: String,
    pub percents: Vec<f64>,
}

/// One estimate with its interval, drawn as a dot and a whisker (a mean change, for one group).
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Text for SVG: `&`, `<`, `>` and quotes escaped, so a label is never markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A number as SVG writes it: at most two decimals, no trailing zeros, NaN as 0.
fn n(x: f64) -> String {
    let x = if x.is_finite() { x } else { 0.0 };
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A percent kept within 0-100 (NaN as 0): a chart never draws outside its plot.
fn clamp_percent(p: f64) -> f64 {
    if p.is_finite() {
        p.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

fn x_percent(p: f64) -> f64 {
    LABELS + clamp_percent(p) / 100.0 * PLOT
}

fn open(out: &mut String, title: &str, height: f64) {
    let title = escape(title);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}" font-family="sans-serif" font-size="13" fill="{INK}">"#,
        w = n(WIDTH),
        h = n(height),
    );
    let _ = write!(
        out,
        r#"<title>{title}</title><text x="0" y="20" font-weight="bold">{title}</text>"#
    );
}

fn row_label(out: &mut String, y: f64, label: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        n(LABELS - 8.0),
        n(y + 18.0),
        escape(label)
    );
}

/// Gridlines and their labels at the given values, over `rows` rows.
fn axis(out: &mut String, rows: usize, ticks: &[(f64, String)]) {
    let bottom = TOP + rows as f64 * ROW;
    for (x, label) in ticks {
        let _ = write!(
            out,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#d5dcd9"/><text x="{x}" y="{y}" text-anchor="middle">{label}</text>"##,
            x = n(*x),
            top = n(TOP),
            bottom = n(bottom),
            y = n(bottom + 18.0),
            label = escape(label),
        );
    }
}

fn percent_ticks() -> Vec<(f64, String)> {
    [0.0, 25.0, 50.0, 75.0, 100.0]
        .into_iter()
        .map(|p| (x_percent(p), format!("{}%", n(p))))
        .collect()
}

/// A horizontal whisker from `x1` to `x2` at `y`, with end ticks.
fn whisker(out: &mut String, x1: f64, x2: f64, y: f64) {
    let _ = write!(
        out,
        r#"<path d="M{a} {top}V{bottom}M{a} {y}H{b}M{b} {top}V{bottom}" stroke="{INK}" fill="none"/>"#,
        a = n(x1),
        b = n(x2),
        y = n(y),
        top = n(y - 5.0),
        bottom = n(y + 5.0),
    );
}

/// A frequency table as bars of percent, each with its 95% interval and its value.
pub fn frequency_bars(title: &str, bars: &[Bar]) -> String {
    let height = TOP + bars.len() as f64 * ROW + AXIS;
    let mut out = String::new();
    open(&mut out, title, height);
    axis(&mut out, bars.len(), &percent_ticks());
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        row_label(&mut out, y, &bar.label);
        let end = x_percent(bar.percent);
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
            n(LABELS),
            n(y + 5.0),
            n(end - LABELS),
            n(BAR),
            PALETTE[0]
        );
        let mut right = end;
        if let Some((low, high)) = bar.ci {
            let (a, b) = (x_percent(low), x_percent(high));
            whisker(&mut out, a, b, y + 14.0);
            right = right.max(b);
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{}%</text>"#,
            n(right + 4.0),
            n(y + 18.0),
            format_percent(bar.percent)
        );
    }
    out.push_str("</svg>");
    out
}

fn format_percent(p: f64) -> String {
    format!("{:.1}", if p.is_finite() { p } else { 0.0 })
}

/// A crosstab as one bar per row, its segments the row percentages, with a legend.
pub fn stacked_bars(title: &str, legend: &[String], rows: &[Stack]) -> String {
    let legend_rows = legend.len();
    let height = TOP + rows.len() as f64 * ROW + AXIS + legend_rows as f64 * 20.0;
    let mut out = String::new();
    open(&mut out, title, height);
    axis(&mut out, rows.len(), &percent_ticks());
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        row_label(&mut out, y, &row.label);
        let mut start = 0.0;
        for (j, p) in row.percents.iter().enumerate() {
            // Segments stop at 100%: rounding in a table never draws past the plot.
            let end = (start + clamp_percent(*p)).min(100.0);
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}%</title></rect>"#,
                n(x_percent(start)),
                n(y + 5.0),
                n(x_percent(end) - x_percent(start)),
                n(BAR),
                PALETTE[j % PALETTE.len()],
                escape(legend.get(j).map(String::as_str).unwrap_or("")),
                format_percent(*p)
            );
            start = end;
        }
    }
    let legend_top = TOP + rows.len() as f64 * ROW + AXIS;
    for (j, name) in legend.iter().enumerate() {
        let y = legend_top + j as f64 * 20.0;
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            n(LABELS),
            n(y),
            PALETTE[j % PALETTE.len()],
            n(LABELS + 18.0),
            n(y + 11.0),
            escape(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// Estimates with intervals (mean pre/post changes) on an axis symmetric around zero.
pub fn dots_and_whiskers(title: &str, dots: &[Dot]) -> String {
    let reach = dots
        .iter()
        .flat_map(|d| [d.value, d.low, d.high])
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let reach = if reach > 0.0 { reach } else { 1.0 };
    let x = |v: f64| {
        let v = if v.is_finite() {
            v.clamp(-reach, reach)
        } else {
            0.0
        };
        LABELS + PLOT / 2.0 + v / reach * (PLOT / 2.0)
    };
    let height = TOP + dots.len() as f64 * ROW + AXIS;
    let mut out = String::new();
    open(&mut out, title, height);
    let ticks: Vec<(f64, String)> = [-reach, -reach / 2.0, 0.0, reach / 2.0, reach]
        .into_iter()
        .map(|v| (x(v), n(v)))
        .collect();
    axis(&mut out, dots.len(), &ticks);
    for (i, dot) in dots.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        row_label(&mut out, y, &dot.label);
        whisker(&mut out, x(dot.low), x(dot.high), y + 14.0);
        let _ = write!(
            out,
            r#"<circle cx="{}" cy="{}" r="5" fill="{}"/>"#,
            n(x(dot.value)),
            n(y + 14.0),
            PALETTE[0]
        );
    }
    out.push_str("</svg>");
    out
}

/// The chart of one table of a plan, from its tidy rows; `label(question, code)` names a code
/// in the reader's language. A frequency table with a benchmark category, disaggregated, is a
/// bar per group of that category's percent (the share of women by district); another
/// frequency table is a bar per code of the whole sample; a crosstab is stacked row
/// percentages; a pre/post table is a dot per group. Summaries have no chart: their table says
/// more.
pub fn for_table(
    spec: &TableSpec,
    rows: &[TidyRow],
    label: &dyn Fn(&str, &str) -> String,
) -> Option<String> {
    let rows: Vec<&TidyRow> = rows.iter().filter(|r| r.table == spec.id).collect();
    let title = spec.title.clone().unwrap_or_else(|| spec.id.clone());
    let stat = |group: &str, category: &str, statistic: &str| {
        rows.iter()
            .find(|r| r.group == group && r.category == category && r.statistic == statistic)
            .map(|r| r.value)
    };
    let groups = groups(&rows);
    let group_label = |group: &str| match group.split_once('=') {
        Some((question, code)) => label(question, code),
        None => label("", ""),
    };
    match spec.kind {
        Kind::Frequency => {
            let variable = spec.variable.as_deref().unwrap_or_default();
            let bar = |group: &str, category: &str, text: String| Bar {
                label: text,
                percent: stat(group, category, "percent").unwrap_or(f64::NAN),
                ci: stat(group, category, "ci_low").zip(stat(group, category, "ci_high")),
            };
            let bars: Vec<Bar> = match (&spec.category, spec.by.is_some()) {
                (Some(category), true) => groups
                    .iter()
                    .map(|g| bar(g, category, group_label(g)))
                    .collect(),
                _ => categories(&rows, "")
                    .into_iter()
                    .filter(|c| !c.is_empty())
                    .map(|c| bar("", c, label(variable, c)))
                    .collect(),
            };
            let title = match (&spec.category, spec.by.is_some()) {
                (Some(category), true) => format!("{title}: {}", label(variable, category)),
                _ => title,
            };
            (!bars.is_empty()).then(|| frequency_bars(&title, &bars))
        }
        Kind::Crosstab => {
            let (row_question, column_question) = (
                spec.rows.as_deref().unwrap_or_default(),
                spec.columns.as_deref().unwrap_or_default(),
            );
            let cells = categories(&rows, "");
            let mut row_codes: Vec<&str> = Vec::new();
            let mut column_codes: Vec<&str> = Vec::new();
            for cell in &cells {
                if let Some((r, c)) = cell.split_once('|') {
                    if !row_codes.contains(&r) {
                        row_codes.push(r);
                    }
                    if !column_codes.contains(&c) {
                        column_codes.push(c);
                    }
                }
            }
            let legend: Vec<String> = column_codes
                .iter()
                .map(|c| label(column_question, c))
                .collect();
            let stacks: Vec<Stack> = row_codes
                .iter()
                .map(|r| Stack {
                    label: label(row_question, r),
                    percents: column_codes
                        .iter()
                        .map(|c| stat("", &format!("{r}|{c}"), "row_percent").unwrap_or(0.0))
                        .collect(),
                })
                .collect();
            (!stacks.is_empty()).then(|| stacked_bars(&title, &legend, &stacks))
        }
        Kind::Prepost => {
            let dots: Vec<Dot> = groups
                .iter()
                .filter_map(|g| {
                    Some(Dot {
                        label: group_label(g),
                        value: stat(g, "", "mean_change")?,
                        low: stat(g, "", "ci_low").unwrap_or(f64::NAN),
                        high: stat(g, "", "ci_high").unwrap_or(f64::NAN),
                    })
                })
                .collect();
            (!dots.is_empty()).then(|| dots_and_whiskers(&title, &dots))
        }
        Kind::Summary => None,
    }
}

/// The groups of a table's rows in order, the whole sample ("") first.
fn groups<'a>(rows: &[&'a TidyRow]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        if !out.contains(&r.group.as_str()) {
            out.push(&r.group);
        }
    }
    out
}

fn categories<'a>(rows: &[&'a TidyRow], group: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r.group == group) {
        if !out.contains(&r.category.as_str()) {
            out.push(&r.category);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, percent: f64, ci: Option<(f64, f64)>) -> Bar {
        Bar {
            label: label.into(),
            percent,
            ci,
        }
    }

    fn tidy(table: &str, group: &str, category: &str, statistic: &str, value: f64) -> TidyRow {
        TidyRow {
            table: table.into(),
            variable: String::new(),
            group: group.into(),
            category: category.into(),
            statistic: statistic.into(),
            value,
        }
    }

    fn spec(text: &str) -> TableSpec {
        let plan = crate::plan::parse(text).expect("plan");
        plan.table.into_iter().next().expect("a table")
    }

    fn label(question: &str, code: &str) -> String {
        match (question, code) {
            ("", "") => "All".into(),
            ("district", "osh") => "Osh".into(),
            ("sex", "f") => "Women".into(),
            (_, code) => code.to_uppercase(),
        }
    }

    #[test]
    fn a_share_by_group_is_a_bar_per_group_of_the_benchmark_category() {
        let spec = spec(
            "[[table]]\nid = \"w\"\nkind = \"frequency\"\nvariable = \"sex\"\nby = \"district\"\ncategory = \"f\"\nbenchmark = 50.6",
        );
        let rows = [
            tidy("w", "", "f", "percent", 40.0),
            tidy("w", "", "f", "ci_low", 30.0),
            tidy("w", "", "f", "ci_high", 50.0),
            tidy("w", "", "m", "percent", 60.0),
            tidy("w", "district=osh", "f", "percent", 25.0),
            tidy("w", "district=osh", "f", "ci_low", 10.0),
            tidy("w", "district=osh", "f", "ci_high", 50.0),
            tidy("other", "", "f", "percent", 99.0),
        ];
        let svg = for_table(&spec, &rows, &label).expect("a chart");
        // Title names the category; two bars (All, Osh): height 40 + 2 × 28 + 30 = 126.
        assert!(svg.contains("viewBox=\"0 0 660 126\""), "{svg}");
        assert!(svg.contains(">w: Women</text>"), "{svg}");
        // All: 40% → 160 wide at y 45; Osh: 25% → 100 wide at y 73, interval 10-50% → x 240-400.
        assert!(svg.contains(r#"<rect x="200" y="45" width="160""#), "{svg}");
        assert!(svg.contains(r#"<rect x="200" y="73" width="100""#), "{svg}");
        assert!(svg.contains("M240 77V87M240 82H400"), "{svg}");
        assert!(svg.contains(">Osh</text>"), "{svg}");
        assert!(!svg.contains("99.0%"), "another table's rows stay out");
    }

    #[test]
    fn other_tables_chart_their_whole_sample() {
        let frequency = spec("[[table]]\nid = \"t\"\nkind = \"frequency\"\nvariable = \"trust\"");
        let rows = [
            tidy("t", "", "a", "percent", 75.0),
            tidy("t", "", "b", "percent", 25.0),
            tidy("t", "", "", "missing", 3.0),
        ];
        let svg = for_table(&frequency, &rows, &label).expect("a chart");
        // A bar per code (A 300 wide, B 100 wide); the missing count is no bar.
        assert!(
            svg.contains(r#"width="300""#) && svg.contains(r#"width="100""#),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");

        let crosstab =
            spec("[[table]]\nid = \"x\"\nkind = \"crosstab\"\nrows = \"rank\"\ncolumns = \"sex\"");
        let rows = [
            tidy("x", "", "r1|f", "row_percent", 25.0),
            tidy("x", "", "r1|m", "row_percent", 75.0),
            tidy("x", "", "r2|f", "row_percent", 50.0),
            tidy("x", "", "r2|m", "row_percent", 50.0),
            tidy("x", "", "", "chi_square", 1.0),
        ];
        let svg = for_table(&crosstab, &rows, &label).expect("a chart");
        // Row R1: f from x 200 (100 wide), m from 300 (300 wide); legend Women, M.
        assert!(svg.contains(r#"<rect x="200" y="45" width="100""#), "{svg}");
        assert!(svg.contains(r#"<rect x="300" y="45" width="300""#), "{svg}");
        assert!(
            svg.contains(">Women</text>") && svg.contains(">M</text>"),
            "{svg}"
        );

        let prepost = spec(
            "[[table]]\nid = \"c\"\nkind = \"prepost\"\nvariable = \"s\"\nwave = \"w\"\npre = \"a\"\npost = \"b\"\npair_by = \"id\"",
        );
        let rows = [
            tidy("c", "", "", "mean_change", 1.0),
            tidy("c", "", "", "ci_low", -1.0),
            tidy("c", "", "", "ci_high", 2.0),
        ];
        let svg = for_table(&prepost, &rows, &label).expect("a chart");
        // Reach 2: the dot at 1 sits at 400 + 1/2 × 200 = 500; whisker from 300 to 600.
        assert!(svg.contains(r#"cx="500""#), "{svg}");
        assert!(svg.contains("H600"), "{svg}");

        let summary = spec("[[table]]\nid = \"s\"\nkind = \"summary\"\nvariable = \"age\"");
        assert_eq!(for_table(&summary, &rows, &label), None);
        assert_eq!(
            for_table(&frequency, &[], &label),
            None,
            "no rows, no chart"
        );
    }

    #[test]
    fn bars_are_percent_of_the_plot_with_their_interval() {
        // Hand layout: plot x from 200 to 600, 4 units per percent; rows of 28 from y 40.
        let svg = frequency_bars(
            "Women in the unit",
            &[bar("Yes", 50.0, Some((40.0, 60.0))), bar("No", 12.5, None)],
        );
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 660 126""#),
            "{svg}"
        );
        // 50% -> 200 wide; its interval 40-60% -> x 360 to 440 at y 40 + 14.
        assert!(
            svg.contains(r##"<rect x="200" y="45" width="200" height="18" fill="#0f5c4d"/>"##),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<path d="M360 49V59M360 54H440M440 49V59""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<text x="444" y="58">50.0%</text>"#),
            "{svg}"
        );
        // 12.5% -> 50 wide, second row at y 68; its value right after the bar.
        assert!(
            svg.contains(r#"<rect x="200" y="73" width="50" height="18""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<text x="254" y="86">12.5%</text>"#),
            "{svg}"
        );
        // Gridlines at 0, 25, 50, 75, 100% -> x 200, 300, 400, 500, 600.
        for x in ["200", "300", "400", "500", "600"] {
            assert!(
                svg.contains(&format!(r#"<line x1="{x}" y1="40" x2="{x}" y2="96""#)),
                "{x}: {svg}"
            );
        }
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn labels_are_text_and_numbers_stay_in_the_plot() {
        let svg = frequency_bars(
            "<script>\"x\" & y",
            &[bar("a<b>", f64::NAN, Some((-5.0, 130.0)))],
        );
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;&quot;x&quot; &amp; y"));
        assert!(
            svg.contains(r#"width="0" height="18""#),
            "NaN draws nothing: {svg}"
        );
        assert!(
            svg.contains(r#"<path d="M200 49V59M200 54H600M600 49V59""#),
            "clamped to 0-100%: {svg}"
        );
    }

    #[test]
    fn stacked_segments_follow_one_another_and_stop_at_the_end() {
        let legend = vec!["Women".to_string(), "Men".to_string()];
        let svg = stacked_bars(
            "Sex by district",
            &legend,
            &[
                Stack {
                    label: "Sokuluk".into(),
                    percents: vec![25.0, 75.0],
                },
                Stack {
                    label: "Osh".into(),
                    percents: vec![60.4, 39.7],
                },
            ],
        );
        // 25% from x 200 (100 wide), then 75% from x 300 (300 wide).
        assert!(svg.contains(r##"<rect x="200" y="45" width="100" height="18" fill="#0f5c4d"><title>Women: 25.0%</title>"##), "{svg}");
        assert!(svg.contains(r##"<rect x="300" y="45" width="300" height="18" fill="#6fb3a3"><title>Men: 75.0%</title>"##), "{svg}");
        // 60.4 + 39.7 = 100.1: the second segment stops at 600 (x 441.6, 158.4 wide).
        assert!(
            svg.contains(r#"<rect x="441.6" y="73" width="158.4" height="18""#),
            "{svg}"
        );
        // Height: title 40 + 2 rows + axis 30 + 2 legend lines of 20.
        assert!(svg.contains(r#"viewBox="0 0 660 166""#), "{svg}");
    }

    #[test]
    fn dots_sit_on_an_axis_symmetric_around_zero() {
        let svg = dots_and_whiskers(
            "Change in parenting score",
            &[Dot {
                label: "School 12".into(),
                value: 2.0,
                low: -4.0,
                high: 8.0,
            }],
        );
        // Reach 8: x(0) = 400, 25 units per point: 2 -> 450, -4 -> 300, 8 -> 600.
        assert!(svg.contains(r#"<circle cx="450" cy="54" r="5""#), "{svg}");
        assert!(
            svg.contains(r#"<path d="M300 49V59M300 54H600M600 49V59""#),
            "{svg}"
        );
        for (x, label) in [
            ("200", "-8"),
            ("300", "-4"),
            ("400", "0"),
            ("500", "4"),
            ("600", "8"),
        ] {
            assert!(
                svg.contains(&format!(r#"text-anchor="middle">{label}</text>"#)),
                "{label}: {svg}"
            );
            assert!(svg.contains(&format!(r#"<line x1="{x}""#)), "{x}: {svg}");
        }
    }

    #[test]
    fn every_chart_is_well_formed_xml() {
        // Every element opened is closed, in order (a small check, not a parser).
        let charts = [
            frequency_bars("t", &[bar("a", 10.0, Some((5.0, 20.0)))]),
            stacked_bars(
                "t",
                &["x".into()],
                &[Stack {
                    label: "r".into(),
                    percents: vec![100.0],
                }],
            ),
            dots_and_whiskers(
                "t",
                &[Dot {
                    label: "d".into(),
                    value: 0.0,
                    low: 0.0,
                    high: 0.0,
                }],
            ),
        ];
        for svg in charts {
            let mut open: Vec<String> = Vec::new();
            let mut rest = svg.as_str();
            while let Some(start) = rest.find('<') {
                let end = rest[start..]
                    .find('>')
                    .map(|e| start + e)
                    .expect("a closed tag");
                let tag = &rest[start + 1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    assert_eq!(open.pop().as_deref(), Some(name), "{svg}");
                } else if !tag.ends_with('/') {
                    open.push(
                        tag.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
                rest = &rest[end + 1..];
            }
            assert!(open.is_empty(), "{svg}");
        }
    }
}
