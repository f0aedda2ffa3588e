//! A column of the selected item as a field: the input, its text and its name.

use super::*;

/// A text input bound to one column of the selected item: every keystroke is an edit (one
/// undo step while typing), and the column's problems show under it with their span marked.
pub(super) fn column_input(
    ed: Ed,
    at: ItemPath,
    name: String,
    field: Field,
    column: Option<Column>,
    value: String,
) -> impl IntoView {
    let at_problems = at.clone();
    let problems = move || {
        ed.rev.get();
        let Some(column) = column else {
            return Vec::new();
        };
        ed.with(|d| {
            let source = d
                .item(&at_problems)
                .map(|i| current_text(i, column))
                .unwrap_or_default();
            column_problems(
                &ed.diagnostics.get(),
                &name,
                column,
                &source,
                ed.app.lang.get(),
            )
        })
        .unwrap_or_default()
    };
    let label = field_label(&field);
    let class = format!("field {}", field_class(&field));
    let at_edit = at.clone();
    view! {
        <label class=class>
            <span>{label}</span>
            <input type="text" spellcheck="false" prop:value=value
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    let (at, field) = (at_edit.clone(), field.clone());
                    ed.typed(|d| d.type_into(&at, field, Some(text)));
                }/>
            {move || problems().into_iter().map(|p: Marked| view! {
                <span class="error expr-problem" role="alert">
                    <span class="message">{p.message}</span>
                    <code>{p.before}<mark>{p.marked}</mark>{p.after}</code>
                </span>
            }).collect_view()}
        </label>
    }
}

pub(super) fn current_text(item: &Item, column: Column) -> String {
    column.value(item).cloned().unwrap_or_default()
}

/// The class that names a column's field on the page (tests and styles find it by this).
pub(super) fn field_class(field: &Field) -> String {
    let label = field_label(field);
    let words: Vec<&str> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!("column-{}", words.join("-"))
}

pub(super) fn field_label(field: &Field) -> String {
    match field.language() {
        // XLSForm's own words: `label::ru` reads "label (ru)" here.
        Some(language) => format!("{} ({language})", field.column().as_str().replace('_', " ")),
        None => field.column().as_str().to_string(),
    }
}
