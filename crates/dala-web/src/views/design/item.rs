//! The selected item's columns, and the confirmation before removing it.

use super::*;

/// The selected item's columns.
#[component]
pub(super) fn ItemPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        let Some((at, item)) = ed.selected_item() else {
            return view! { <p class="muted">{app.t(Msg::SelectQuestion)}</p> }.into_any();
        };
        let languages = ed.languages.get_untracked();
        let lists: Vec<String> = ed
            .with(|d| d.instrument().choices.keys().cloned().collect())
            .unwrap_or_default();
        let name = item.name.clone();
        let text = |column: Column, l: &str| {
            column
                .text(&item)
                .and_then(|t| t.0.get(l).cloned())
                .unwrap_or_default()
        };
        let value = |column: Column| column.value(&item).cloned().unwrap_or_default();
        let (at_type, at_name, at_list) = (at.clone(), at.clone(), at.clone());
        let mut texts = Vec::new();
        for l in &languages {
            for column in [Column::Label, Column::Hint] {
                if let Some(field) = Field::of(column, Some(l)) {
                    texts.push(
                        column_input(ed, at.clone(), name.clone(), field, None, text(column, l))
                            .into_any(),
                    );
                }
            }
        }
        // The expression columns that apply to this item, in the order the sheet lists them.
        let applies = |column: Column| match column {
            Column::ChoiceFilter => item.item_type.is_select(),
            Column::RepeatCount => item.item_type == ItemType::Repeat,
            Column::Trigger => false,
            _ => true,
        };
        // Relevance first: what a designer sets most.
        let mut columns: Vec<Column> = Column::EXPRESSIONS
            .into_iter()
            .filter(|c| applies(*c))
            .collect();
        columns.sort_by_key(|c| *c != Column::Relevant);
        let expressions = columns
            .into_iter()
            .filter_map(|column| {
                let field = Field::of(column, None)?;
                Some(
                    column_input(
                        ed,
                        at.clone(),
                        name.clone(),
                        field,
                        Some(column),
                        value(column),
                    )
                    .into_any(),
                )
            })
            .collect::<Vec<_>>();
        let messages = languages
            .iter()
            .map(|l| {
                column_input(
                    ed,
                    at.clone(),
                    name.clone(),
                    Field::ConstraintMessage(l.clone()),
                    None,
                    text(Column::ConstraintMessage, l),
                )
                .into_any()
            })
            .collect::<Vec<_>>();
        let appearance = column_input(
            ed,
            at.clone(),
            name.clone(),
            Field::Appearance,
            None,
            value(Column::Appearance),
        );
        let item_type = item.item_type;
        let list_name = item.list.clone();
        let is_select = item_type.is_select();
        let moves = at.clone();
        let remove_at = at.clone();
        view! {
            <div class="item-panel" data-name=name.clone()>
                <div class="row">
                    <h3>{app.t(Msg::Question)}</h3>
                    <span class="spacer"></span>
                    <button class="button move-up" aria-label=app.t(Msg::MoveUp)
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_up(&at)) { ed.selected.set(Some(to)); } }}>"↑"</button>
                    <button class="button move-down" aria-label=app.t(Msg::MoveDown)
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_down(&at)) { ed.selected.set(Some(to)); } }}>"↓"</button>
                    <button class="button move-into"
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_into_previous(&at)) { ed.selected.set(Some(to)); } }}>{app.t(Msg::MoveInto)}</button>
                    <button class="button move-out"
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_out(&at)) { ed.selected.set(Some(to)); } }}>{app.t(Msg::MoveOut)}</button>
                    <button class="button danger delete"
                        on:click=move |_| {
                            let warnings = ed.with(|d| d.removal_warnings(&remove_at)).unwrap_or_default();
                            let lines = warnings.iter().map(|u| format!("{} ({})", if u.item.is_empty() { "settings" } else { &u.item }, u.column)).collect();
                            ed.removing.set(Some((remove_at.clone(), lines)));
                        }>{app.t(Msg::Delete)}</button>
                </div>
                <ConfirmRemove ed=ed/>
                <div class="columns">
                    <label class="field column-type">
                        <span>"type"</span>
                        <select on:change=move |ev| {
                            let value = event_target_value(&ev);
                            let at = at_type.clone();
                            ed.edit(|d| d.apply(Edit::Set { at, field: Field::Type, value: Some(value) }));
                        }>
                            {TYPES.iter().map(|t| view! {
                                <option value=t.as_str() prop:selected=*t == item_type>{t.as_str()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field column-name">
                        <span>"name"</span>
                        <input type="text" spellcheck="false" prop:value=name.clone()
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                let at = at_name.clone();
                                ed.edit(|d| d.rename(&at, value.trim()));
                            }/>
                    </label>
                    {texts}
                    {is_select.then(|| view! {
                        <label class="field column-list">
                            <span>"list"</span>
                            <select on:change=move |ev| {
                                let value = event_target_value(&ev);
                                let at = at_list.clone();
                                ed.edit(|d| {
                                    let mut edits = vec![Edit::Set { at: at.clone(), field: Field::List, value: Some(value.clone()) }];
                                    if !d.instrument().choices.contains_key(&value) {
                                        edits.push(Edit::SetChoices { list: value.clone(), choices: Some(Vec::new()) });
                                    }
                                    d.apply(Edit::Batch(edits))
                                });
                            }>
                                <option value="" prop:selected=list_name.is_none()>"—"</option>
                                {lists.iter().map(|l| view! {
                                    <option value=l.clone() prop:selected=list_name.as_deref() == Some(l.as_str())>{l.clone()}</option>
                                }).collect_view()}
                                <option value=format!("{name}_list")>{format!("{}: {name}_list", app.t(Msg::NewList))}</option>
                            </select>
                        </label>
                    })}
                    {expressions}
                    {messages}
                    {appearance}
                </div>
                {list_name.filter(|_| is_select).map(|list| view! { <ChoicesTable ed=ed list=list/> })}
            </div>
        }
        .into_any()
    }
}

#[component]
pub(super) fn ConfirmRemove(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        ed.removing.get().map(|(at, warnings)| {
            let remove = at.clone();
            view! {
                <div class="confirm card" role="alertdialog">
                    <p class="confirm-text">{app.t(Msg::ConfirmDeleteItem)}</p>
                    {(!warnings.is_empty()).then(|| view! {
                        <p>{app.t(Msg::UsedBy)}</p>
                        <ul class="usages">{warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                    })}
                    <div class="row">
                        <button class="button danger confirm-delete" on:click=move |_| {
                            let at = remove.clone();
                            ed.removing.set(None);
                            if ed.edit(|d| d.apply(Edit::Remove { at })).is_some() {
                                ed.selected.set(None);
                            }
                        }>{app.t(Msg::Delete)}</button>
                        <button class="button" on:click=move |_| ed.removing.set(None)>{app.t(Msg::Cancel)}</button>
                    </div>
                </div>
            }
        })
    }
}
