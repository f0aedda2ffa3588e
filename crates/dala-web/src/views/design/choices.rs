//! A choice list as a table.

use super::*;

/// A choice list as a table: a row per choice, its name and a label per language.
#[component]
pub(super) fn ChoicesTable(ed: Ed, list: String) -> impl IntoView {
    let app = ed.app;
    let languages = ed.languages.get_untracked();
    let choices = ed
        .with(|d| {
            d.instrument()
                .choices
                .get(&list)
                .cloned()
                .unwrap_or_default()
        })
        .unwrap_or_default();
    // Every change is one edit of dala-core's design, one undo step.
    let set = move |list: String, change: ChoiceEdit| {
        ed.edit(|d| d.edit_choice(&list, change));
    };
    let add_list = list.clone();
    view! {
        <div class="choices-table" data-list=list.clone()>
            <h4>{format!("{} · {list}", app.t(Msg::Choices))}</h4>
            <table>
                <thead><tr>
                    <th>"name"</th>
                    {languages.iter().map(|l| view! { <th>{format!("label ({l})")}</th> }).collect_view()}
                    <th></th>
                </tr></thead>
                <tbody>
                    {choices.into_iter().enumerate().map(|(row, choice)| {
                        let (l1, l2) = (list.clone(), list.clone());
                        view! {
                            <tr>
                                <td data-label="name"><input type="text" class="choice-name" prop:value=choice.name.clone()
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        set(l1.clone(), ChoiceEdit::Rename { row, name: value });
                                    }/></td>
                                {languages.iter().map(|l| {
                                    let (lang, list) = (l.clone(), list.clone());
                                    view! {
                                        <td data-label=format!("label ({l})")><input type="text" class="choice-label" prop:value=choice.label.0.get(l).cloned().unwrap_or_default()
                                            on:change=move |ev| {
                                                let value = event_target_value(&ev);
                                                set(list.clone(), ChoiceEdit::Label { row, language: lang.clone(), text: value });
                                            }/></td>
                                    }
                                }).collect_view()}
                                <td class="choice-remove"><button class="button danger" aria-label=app.t(Msg::Delete)
                                    on:click=move |_| set(l2.clone(), ChoiceEdit::Remove { row })>"×"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <button class="button add-choice" on:click=move |_| set(add_list.clone(), ChoiceEdit::Add)>{app.t(Msg::AddChoice)}</button>
        </div>
    }
}
