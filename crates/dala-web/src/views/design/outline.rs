//! The question tree, each line selecting its item.

use super::*;

#[component]
pub(super) fn OutlineView(ed: Ed) -> impl IntoView {
    let rows = move || {
        ed.rev.get();
        let lang = ed.lang.get();
        ed.with(|d| outline(d.instrument(), &lang))
            .unwrap_or_default()
    };
    // Keyed by everything a row shows: an edit redraws the rows it changed, not all of them
    // (an instrument can have a thousand).
    view! {
        <ol class="tree">
            <For each=rows key=|row| row.clone() let:row>
                {
                    let at = row.path.clone();
                    let here = row.path.clone();
                    let label = if row.label.is_empty() { row.name.clone() } else { row.label.clone() };
                    let (name, depth) = (row.name.clone(), row.depth.to_string());
                    view! {
                        <li class="tree-row" data-name=name data-depth=depth>
                            <button class=move || if ed.selected.get().as_ref() == Some(&here) { "tree-item current" } else { "tree-item" }
                                on:click=move |_| ed.select(at.clone())>
                                <span class="type">{row.item_type.as_str()}</span>
                                <span class="tree-label">{label}</span>
                                <span class="muted">{row.name}</span>
                            </button>
                        </li>
                    }
                }
            </For>
        </ol>
    }
}
