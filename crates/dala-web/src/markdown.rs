//! The markdown XLSForm allows in labels and hints: `**bold**` / `__bold__`, `*italic*` /
//! `_italic_`, `[text](url)` and line breaks. Parsed into nodes that the view turns into DOM
//! elements one by one, never through innerHTML, so a label cannot inject markup. A link
//! whose address is not http or https is shown as its text.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Link { href: String, children: Vec<Inline> },
    LineBreak,
}

/// Parses a label; any text is accepted (what is not markup stays text).
pub fn parse(source: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, line) in source.split('\n').enumerate() {
        if i > 0 {
            out.push(Inline::LineBreak);
        }
        out.extend(parse_inline(line.trim_end_matches('\r'), 0));
    }
    out
}

/// True when `source` has nothing markup could start with, so it is one text node as it is.
pub fn is_plain(source: &str) -> bool {
    !source.contains(['*', '_', '[', '\n'])
}

/// Nesting is bounded so a label of many asterisks cannot recurse deeply.
const MAX_NESTING: usize = 8;

fn parse_inline(s: &str, depth: usize) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if depth < MAX_NESTING
            && let Some((node, after)) = markup_at(rest, depth)
        {
            if !text.is_empty() {
                out.push(Inline::Text(std::mem::take(&mut text)));
            }
            out.push(node);
            rest = after;
            continue;
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        out.push(Inline::Text(text));
    }
    out
}

/// The markup starting at the beginning of `s`, and what follows it.
fn markup_at(s: &str, depth: usize) -> Option<(Inline, &str)> {
    for (delimiter, strong) in [("**", true), ("__", true), ("*", false), ("_", false)] {
        let Some(body) = s.strip_prefix(delimiter) else {
            continue;
        };
        // The content must not start with a space (`a * b` is not emphasis) and must close.
        if body.starts_with(char::is_whitespace) || body.is_empty() {
            continue;
        }
        let Some(end) = body.find(delimiter) else {
            continue;
        };
        if end == 0 || body[..end].ends_with(char::is_whitespace) {
            continue;
        }
        let children = parse_inline(&body[..end], depth + 1);
        let node = if strong {
            Inline::Strong(children)
        } else {
            Inline::Emphasis(children)
        };
        return Some((node, &body[end + delimiter.len()..]));
    }
    if let Some(body) = s.strip_prefix('[') {
        let close = body.find("](")?;
        let after_text = &body[close + 2..];
        let end = after_text.find(')')?;
        let href = after_text[..end].trim();
        let children = parse_inline(&body[..close], depth + 1);
        let rest = &after_text[end + 1..];
        if is_web_address(href) {
            return Some((
                Inline::Link {
                    href: href.to_string(),
                    children,
                },
                rest,
            ));
        }
        // Not a web address: keep the text, drop the address.
        return Some((Inline::Text(plain(&children)), rest));
    }
    None
}

fn is_web_address(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !href.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The text of nodes without markup (for a refused link, and for titles).
pub fn plain(nodes: &[Inline]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Inline::Text(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Link { children: c, .. } => {
                out.push_str(&plain(c));
            }
            Inline::LineBreak => out.push('\n'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Inline::*;
    use super::*;

    fn t(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn bold_italic_and_breaks() {
        assert_eq!(
            parse("Is the **head** of _unit_ a woman?\nAsk *politely*"),
            vec![
                t("Is the "),
                Strong(vec![t("head")]),
                t(" of "),
                Emphasis(vec![t("unit")]),
                t(" a woman?"),
                LineBreak,
                t("Ask "),
                Emphasis(vec![t("politely")]),
            ]
        );
        assert_eq!(parse("__strong__"), vec![Strong(vec![t("strong")])]);
        assert_eq!(
            parse("**bold _and italic_**"),
            vec![Strong(vec![t("bold "), Emphasis(vec![t("and italic")])])]
        );
    }

    #[test]
    fn lone_or_spaced_markers_stay_text() {
        assert_eq!(parse("2 * 3 * 4"), vec![t("2 * 3 * 4")]);
        assert_eq!(parse("snake_case"), vec![t("snake_case")]);
        assert_eq!(parse("**"), vec![t("**")]);
        assert_eq!(parse("a ** b"), vec![t("a ** b")]);
    }

    #[test]
    fn only_web_links_become_links() {
        assert_eq!(
            parse("See [the guide](https://example.org/g) now"),
            vec![
                t("See "),
                Link {
                    href: "https://example.org/g".into(),
                    children: vec![t("the guide")]
                },
                t(" now"),
            ]
        );
        assert_eq!(
            parse("[click](javascript:alert(1))"),
            vec![t("click"), t(")")]
        );
        assert_eq!(parse("[x](data:text/html,hi)"), vec![t("x")]);
    }

    #[test]
    fn markup_characters_of_html_are_plain_text() {
        // The view makes text nodes of these: no element is ever built from label text.
        assert_eq!(
            parse("<img src=x onerror=alert(1)>"),
            vec![t("<img src=x onerror=alert(1)>")]
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "*".repeat(10_000);
        let _ = parse(&s);
        let nested = format!("{}x{}", "**_".repeat(50), "_**".repeat(50));
        assert!(plain(&parse(&nested)).contains('x'));
    }

    #[test]
    fn plain_labels_are_one_text_node() {
        for label in [
            "How old are you?",
            "Age (years) <b>",
            "Имя и фамилия",
            "a # b ` c",
        ] {
            assert!(is_plain(label));
            assert_eq!(parse(label), vec![t(label)]);
        }
        for label in ["a *b*", "a_b_", "[x](https://a)", "a\nb"] {
            assert!(!is_plain(label), "{label}");
        }
    }
}
