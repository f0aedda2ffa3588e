//! Charts as SVG text, drawn from the numbers of a table: a bar per choice with its 95%
//! interval (frequency tables), stacked bars of row percentages (crosstabs), and dots with
//! whiskers (pre/post change). Plain functions from numbers to a string: tested natively, and the
//! same drawing serves the browser (inline SVG, or a file to download) and the command line.
//!
//! Layout ([`WIDE`]): 660 units wide; a label column of 200 on the left, the plot 400 wide, 60
//! on the right for values ([`NARROW`], for a phone: 360, 130 and 180); a row of 28 per bar under a 40-unit title band, and 30 for the axis.
//! Long labels and titles wrap at word boundaries (never cut): each further line adds 15 to
//! its row or to the title band.

use crate::grouped::Grouped;
use crate::plan::{Kind, TableSpec};
use crate::tidy::TidyRow;
use std::fmt::Write as _;

/// The sizes of a chart: its width, the label column, the plot, and the characters a label
/// line and a title line hold. The rest (values) is the margin on the right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub labels: f64,
    pub plot: f64,
    pub label_chars: usize,
    pub title_chars: usize,
}

/// For a screen or a page: 660 wide.
pub const WIDE: Geometry = Geometry {
    width: 660.0,
    labels: 200.0,
    plot: 400.0,
    label_chars: LABEL_CHARS,
    title_chars: TITLE_CHARS,
};

/// For a phone: 360 wide, so shown at its own size its text stays at 13 pixels.
pub const NARROW: Geometry = Geometry {
    width: 360.0,
    labels: 130.0,
    plot: 180.0,
    label_chars: 16,
    title_chars: 42,
};

const TOP: f64 = 40.0;
const ROW: f64 = 28.0;
const BAR: f64 = 18.0;
const AXIS: f64 = 30.0;
/// Each further line of a wrapped label or title.
const LINE: f64 = 15.0;
/// Characters of a label line (13-unit text in the 192 units left of the plot) and of a title
/// line (bold, across the chart).
const LABEL_CHARS: usize = 26;
const TITLE_CHARS: usize = 80;
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
    let s = format!("{x:.2}");
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

fn x_percent(g: &Geometry, p: f64) -> f64 {
    g.labels + clamp_percent(p) / 100.0 * g.plot
}

/// Splits text into lines of at most `width` characters at spaces; a word longer than a line
/// is split (nothing is ever cut off).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if word.is_empty() {
            continue;
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Where everything goes once titles and labels are wrapped: the title's lines, each row's
/// label lines and top, and the bottom of the last row.
struct Layout {
    g: Geometry,
    title: Vec<String>,
    labels: Vec<Vec<String>>,
    tops: Vec<f64>,
    top: f64,
    bottom: f64,
}

impl Layout {
    fn new<'a>(g: &Geometry, title: &str, labels: impl IntoIterator<Item = &'a str>) -> Layout {
        let title = wrap(title, g.title_chars);
        let top = TOP + (title.len() - 1) as f64 * LINE;
        let labels: Vec<Vec<String>> = labels.into_iter().map(|l| wrap(l, g.label_chars)).collect();
        let mut tops = Vec::with_capacity(labels.len());
        let mut y = top;
        for lines in &labels {
            tops.push(y);
            y += ROW + (lines.len() - 1) as f64 * LINE;
        }
        Layout {
            g: *g,
            title,
            labels,
            tops,
            top,
            bottom: y,
        }
    }
}

fn open(out: &mut String, layout: &Layout, height: f64) {
    let whole = escape(&layout.title.join(" "));
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{whole}" font-family="sans-serif" font-size="13" fill="{INK}">"#,
        w = n(layout.g.width),
        h = n(height),
    );
    let _ = write!(out, r#"<title>{whole}</title>"#);
    for (i, line) in layout.title.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="0" y="{}" font-weight="bold">{}</text>"#,
            n(20.0 + i as f64 * LINE),
            escape(line)
        );
    }
}

/// The label of row `i`, its lines right-aligned against the plot.
fn row_label(out: &mut String, layout: &Layout, i: usize) {
    let y = layout.tops[i];
    for (k, line) in layout.labels[i].iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            n(layout.g.labels - 8.0),
            n(y + 18.0 + k as f64 * LINE),
            escape(line)
        );
    }
}

/// Gridlines over the rows and their labels under them, at the given values.
fn axis(out: &mut String, layout: &Layout, ticks: &[(f64, String)]) {
    let (top, bottom) = (layout.top, layout.bottom);
    for (x, label) in ticks {
        let _ = write!(
            out,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#d5dcd9"/><text x="{x}" y="{y}" text-anchor="middle">{label}</text>"##,
            x = n(*x),
            top = n(top),
            bottom = n(bottom),
            y = n(bottom + 18.0),
            label = escape(label),
        );
    }
}

fn percent_ticks(g: &Geometry) -> Vec<(f64, String)> {
    [0.0, 25.0, 50.0, 75.0, 100.0]
        .into_iter()
        .map(|p| (x_percent(g, p), format!("{}%", n(p))))
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
    frequency_bars_in(&WIDE, title, bars)
}

pub fn frequency_bars_in(g: &Geometry, title: &str, bars: &[Bar]) -> String {
    let layout = Layout::new(g, title, bars.iter().map(|b| b.label.as_str()));
    let height = layout.bottom + AXIS;
    let mut out = String::new();
    open(&mut out, &layout, height);
    axis(&mut out, &layout, &percent_ticks(g));
    for (i, bar) in bars.iter().enumerate() {
        let y = layout.tops[i];
        row_label(&mut out, &layout, i);
        let end = x_percent(g, bar.percent);
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
            n(g.labels),
            n(y + 5.0),
            n(end - g.labels),
            n(BAR),
            PALETTE[0]
        );
        let mut right = end;
        if let Some((low, high)) = bar.ci {
            let (a, b) = (x_percent(g, low), x_percent(g, high));
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
    stacked_bars_in(&WIDE, title, legend, rows)
}

pub fn stacked_bars_in(g: &Geometry, title: &str, legend: &[String], rows: &[Stack]) -> String {
    let layout = Layout::new(g, title, rows.iter().map(|r| r.label.as_str()));
    let legend_chars = ((g.width - g.labels - 18.0) / 7.5) as usize;
    let legend: Vec<Vec<String>> = legend.iter().map(|l| wrap(l, legend_chars)).collect();
    let legend_height: f64 = legend
        .iter()
        .map(|lines| 20.0 + (lines.len() - 1) as f64 * LINE)
        .sum();
    let height = layout.bottom + AXIS + legend_height;
    let mut out = String::new();
    open(&mut out, &layout, height);
    axis(&mut out, &layout, &percent_ticks(g));
    for (i, row) in rows.iter().enumerate() {
        let y = layout.tops[i];
        row_label(&mut out, &layout, i);
        let mut start = 0.0;
        for (j, p) in row.percents.iter().enumerate() {
            // Segments stop at 100%: rounding in a table never draws past the plot.
            let end = (start + clamp_percent(*p)).min(100.0);
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}%</title></rect>"#,
                n(x_percent(g, start)),
                n(y + 5.0),
                n(x_percent(g, end) - x_percent(g, start)),
                n(BAR),
                PALETTE[j % PALETTE.len()],
                escape(&legend.get(j).map(|l| l.join(" ")).unwrap_or_default()),
                format_percent(*p)
            );
            start = end;
        }
    }
    let mut y = layout.bottom + AXIS;
    for (j, lines) in legend.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/>"#,
            n(g.labels),
            n(y),
            PALETTE[j % PALETTE.len()],
        );
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                out,
                r#"<text x="{}" y="{}">{}</text>"#,
                n(g.labels + 18.0),
                n(y + 11.0 + k as f64 * LINE),
                escape(line)
            );
        }
        y += 20.0 + (lines.len() - 1) as f64 * LINE;
    }
    out.push_str("</svg>");
    out
}

/// Estimates with intervals (mean pre/post changes) on an axis symmetric around zero.
pub fn dots_and_whiskers(title: &str, dots: &[Dot]) -> String {
    dots_and_whiskers_in(&WIDE, title, dots)
}

pub fn dots_and_whiskers_in(g: &Geometry, title: &str, dots: &[Dot]) -> String {
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
        g.labels + g.plot / 2.0 + v / reach * (g.plot / 2.0)
    };
    let layout = Layout::new(g, title, dots.iter().map(|d| d.label.as_str()));
    let height = layout.bottom + AXIS;
    let mut out = String::new();
    open(&mut out, &layout, height);
    let ticks: Vec<(f64, String)> = [-reach, -reach / 2.0, 0.0, reach / 2.0, reach]
        .into_iter()
        .map(|v| (x(v), n(v)))
        .collect();
    axis(&mut out, &layout, &ticks);
    for (i, dot) in dots.iter().enumerate() {
        let y = layout.tops[i];
        row_label(&mut out, &layout, i);
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

/// The title of a table: its own, or one made of its questions' labels with punctuation
/// only (no words of any language): "Sex: Female / District", "Rank × Sex",
/// "Score: Before → After / School". `label(question, "")` names a question.
pub fn table_title(spec: &TableSpec, label: &dyn Fn(&str, &str) -> String) -> String {
    if let Some(title) = &spec.title {
        return title.clone();
    }
    let question = |q: &Option<String>| label(q.as_deref().unwrap_or_default(), "");
    let mut title = match spec.kind {
        Kind::Frequency => match &spec.category {
            Some(category) => format!(
                "{}: {}",
                question(&spec.variable),
                label(spec.variable.as_deref().unwrap_or_default(), category)
            ),
            None => question(&spec.variable),
        },
        Kind::Summary => question(&spec.variable),
        Kind::Crosstab => format!("{} × {}", question(&spec.rows), question(&spec.columns)),
        Kind::Prepost => {
            let wave = spec.wave.as_deref().unwrap_or_default();
            format!(
                "{}: {} → {}",
                question(&spec.variable),
                label(wave, spec.pre.as_deref().unwrap_or_default()),
                label(wave, spec.post.as_deref().unwrap_or_default())
            )
        }
    };
    if spec.by.is_some() {
        title.push_str(" / ");
        title.push_str(&question(&spec.by));
    }
    title
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
    for_table_in(&WIDE, spec, rows, label)
}

/// [`for_table`] in the given geometry (a phone's narrow chart).
pub fn for_table_in(
    g: &Geometry,
    spec: &TableSpec,
    rows: &[TidyRow],
    label: &dyn Fn(&str, &str) -> String,
) -> Option<String> {
    let table = Grouped::table(rows, &spec.id);
    let title = table_title(spec, label);
    let stat = |group: &str, category: &str, statistic: &str| table.get(group, category, statistic);
    let groups: Vec<&str> = table.groups.iter().map(|g| g.key).collect();
    // The categories of the whole sample, in order.
    let whole: Vec<&str> = table
        .group("")
        .map(|g| g.categories.iter().map(|c| c.code).collect())
        .unwrap_or_default();
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
                _ => whole
                    .iter()
                    .map(|c| bar("", c, label(variable, c)))
                    .collect(),
            };
            // A title of the plan's own names the category charted; a made one already does.
            let title = match (&spec.category, spec.by.is_some(), &spec.title) {
                (Some(category), true, Some(_)) => {
                    format!("{title}: {}", label(variable, category))
                }
                _ => title,
            };
            (!bars.is_empty()).then(|| frequency_bars_in(g, &title, &bars))
        }
        Kind::Crosstab => {
            let (row_question, column_question) = (
                spec.rows.as_deref().unwrap_or_default(),
                spec.columns.as_deref().unwrap_or_default(),
            );
            let cells = &whole;
            let mut row_codes: Vec<&str> = Vec::new();
            let mut column_codes: Vec<&str> = Vec::new();
            for cell in cells {
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
            (!stacks.is_empty()).then(|| stacked_bars_in(g, &title, &legend, &stacks))
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
            (!dots.is_empty()).then(|| dots_and_whiskers_in(g, &title, &dots))
        }
        Kind::Summary => None,
    }
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
        TidyRow::new(table, group, category, statistic, value)
    }

    fn spec(text: &str) -> TableSpec {
        let plan = crate::plan::parse(text).expect("plan");
        plan.table.into_iter().next().expect("a table")
    }

    fn label(question: &str, code: &str) -> String {
        match (question, code) {
            ("", "") => "All".into(),
            ("sex", "") => "Sex".into(),
            ("district", "") => "District".into(),
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
        // A table without a title is named by its questions and the category; two bars (All,
        // Osh): height 40 + 2 × 28 + 30 = 126.
        assert!(svg.contains("viewBox=\"0 0 660 126\""), "{svg}");
        assert!(svg.contains(">Sex: Women / District</text>"), "{svg}");
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
    fn text_wraps_at_spaces_and_splits_only_a_word_too_long_for_a_line() {
        assert_eq!(wrap("Sokuluk district", 26), ["Sokuluk district"]);
        assert_eq!(
            wrap(
                "Oktyabr district of the city of Bishkek, police department",
                26
            ),
            [
                "Oktyabr district of the",
                "city of Bishkek, police",
                "department"
            ]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    /// Issue 16: long labels were cut on screen and in the PNG.
    #[test]
    fn a_long_label_wraps_and_its_row_grows_by_a_line_each() {
        let svg = frequency_bars(
            "Share",
            &[
                bar(
                    "Oktyabr district of the city of Bishkek, police department",
                    50.0,
                    None,
                ),
                bar("Osh", 25.0, None),
            ],
        );
        // Row 0: top 40, three lines (40 + 18, + 15, + 15); 28 + 2 x 15 = 58 high.
        for (y, line) in [
            (58, "Oktyabr district of the"),
            (73, "city of Bishkek, police"),
            (88, "department"),
        ] {
            assert!(
                svg.contains(&format!(r#"y="{y}" text-anchor="end">{line}</text>"#)),
                "{line}: {svg}"
            );
        }
        // Row 1 starts at 98: its label at 116, its bar at 103; the chart is 98 + 28 + 30 high.
        assert!(
            svg.contains(r#"y="116" text-anchor="end">Osh</text>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<rect x="200" y="103" width="100""#),
            "{svg}"
        );
        assert!(svg.contains(r#"height="156""#), "{svg}");
    }

    /// Issue 16: on a phone charts shrank to unreadable text; a narrow chart is drawn for it.
    #[test]
    fn a_narrow_chart_has_its_own_plot_and_wraps_sooner() {
        let svg = frequency_bars_in(
            &NARROW,
            "Share",
            &[bar("Osh", 50.0, None), bar("Kara-Suu district", 25.0, None)],
        );
        // 360 wide; the plot from 130, 180 wide: 50% is 90, 25% is 45.
        assert!(svg.contains(r#"viewBox="0 0 360 141""#), "{svg}");
        assert!(svg.contains(r#"<rect x="130" y="45" width="90""#), "{svg}");
        // "Kara-Suu district" (17) wraps at 16: two lines, its row 28 + 15 high from 68.
        assert!(
            svg.contains(r#"x="122" y="86" text-anchor="end">Kara-Suu</text>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"x="122" y="101" text-anchor="end">district</text>"#),
            "{svg}"
        );
        assert!(svg.contains(r#"<rect x="130" y="73" width="45""#), "{svg}");
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
