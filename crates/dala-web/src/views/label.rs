//! Label and hint text with XLSForm's markdown, built as DOM nodes (text nodes for text), so
//! nothing in an instrument is ever parsed as HTML.

use crate::markdown::{Inline, is_plain, parse};
use leptos::prelude::*;

pub fn rich(text: &str) -> AnyView {
    // Most labels are plain text: one text node, without building the markup tree (a page
    // of hundreds of questions pays for every allocation per label).
    if is_plain(text) {
        return text.to_string().into_any();
    }
    nodes(parse(text))
}

fn nodes(list: Vec<Inline>) -> AnyView {
    list.into_iter().map(node).collect_view().into_any()
}

fn node(inline: Inline) -> AnyView {
    match inline {
        Inline::Text(text) => text.into_any(),
        Inline::Strong(children) => view! { <strong>{nodes(children)}</strong> }.into_any(),
        Inline::Emphasis(children) => view! { <em>{nodes(children)}</em> }.into_any(),
        Inline::Link { href, children } => view! {
            <a href=href target="_blank" rel="noopener noreferrer">{nodes(children)}</a>
        }
        .into_any(),
        Inline::LineBreak => view! { <br/> }.into_any(),
    }
}
