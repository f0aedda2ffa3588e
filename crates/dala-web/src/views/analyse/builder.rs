//! Picking a table from the instrument's questions.

use super::*;

/// Picks a table from the instrument's questions.
#[component]
pub(super) fn TableBuilder(an: An) -> impl IntoView {
    let app = an.app;
    let kind = RwSignal::new(Kind::Frequency);
    let variable = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let by = RwSignal::new(String::new());
    let weight = RwSignal::new(String::new());
    let pair = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let listed = move || {
        an.rev.get();
        an.instrument
            .with_value(|i| i.as_ref().map(questions))
            .unwrap_or_default()
    };
    let options = move |want: &dyn Fn(ItemType) -> bool, none: bool| {
        let mut out: Vec<(String, String)> = Vec::new();
        if none {
            out.push((String::new(), app.t(Msg::None).to_string()));
        }
        for (name, t) in listed() {
            if want(t) {
                out.push((name.clone(), format!("{name} · {}", an.label(&name, ""))));
            }
        }
        out.into_iter()
            .map(|(value, text)| view! { <option value=value>{text}</option> })
            .collect_view()
    };
    let add = move |_| {
        let Some(spec) = an.instrument.with_value(|i| {
            i.as_ref().and_then(|i| {
                analysis::table_spec(
                    i,
                    kind.get_untracked(),
                    &variable.get_untracked(),
                    &second.get_untracked(),
                    &by.get_untracked(),
                    &weight.get_untracked(),
                    &pair.get_untracked(),
                    &category.get_untracked(),
                )
            })
        }) else {
            return;
        };
        an.plan.update(|p| {
            if !p.table.iter().any(|t| t.id == spec.id) {
                p.table.push(spec);
            }
        });
    };
    let select =
        |signal: RwSignal<String>| move |ev: leptos::ev::Event| signal.set(event_target_value(&ev));
    view! {
        <div class="table-builder row">
            <label>{app.t(Msg::Kind)}
                <select class="builder-kind" on:change=move |ev| {
                    kind.set(match event_target_value(&ev).as_str() {
                        "summary" => Kind::Summary,
                        "crosstab" => Kind::Crosstab,
                        "prepost" => Kind::Prepost,
                        _ => Kind::Frequency,
                    });
                    variable.set(String::new());
                    second.set(String::new());
                    category.set(String::new());
                }>
                    <option value="frequency">{app.t(Msg::Frequency)}</option>
                    <option value="summary">{app.t(Msg::Summary)}</option>
                    <option value="crosstab">{app.t(Msg::Crosstab)}</option>
                    <option value="prepost">{app.t(Msg::PrePost)}</option>
                </select>
            </label>
            {move || {
                let k = kind.get();
                let numbers = matches!(k, Kind::Summary | Kind::Prepost);
                view! {
                    <label>{app.t(Msg::Question)}
                        <select class="builder-variable" on:change=move |ev| { variable.set(event_target_value(&ev)); category.set(String::new()); }>
                            {options(&move |t| if numbers { is_number(t) } else { matches!(t, ItemType::SelectOne | ItemType::SelectMultiple) }, true)}
                        </select>
                    </label>
                    {(k == Kind::Frequency).then(|| view! {
                        <label>{app.t(Msg::CategoryOfInterest)}
                            <select class="builder-category" on:change=select(category)>
                                {move || {
                                    let question = variable.get();
                                    let codes = an.instrument.with_value(|i| i.as_ref().map(|i| analysis::codes(i, &question))).unwrap_or_default();
                                    std::iter::once((String::new(), app.t(Msg::None).to_string()))
                                        .chain(codes.into_iter().map(|c| { let l = an.label(&question, &c); (c, l) }))
                                        .map(|(value, text)| view! { <option value=value>{text}</option> })
                                        .collect_view()
                                }}
                            </select>
                        </label>
                    })}
                    {matches!(k, Kind::Crosstab | Kind::Prepost).then(|| view! {
                        <label>{if k == Kind::Crosstab { app.t(Msg::Columns) } else { app.t(Msg::Wave) }}
                            <select class="builder-second" on:change=select(second)>
                                {options(&|t| t == ItemType::SelectOne, true)}
                            </select>
                        </label>
                    })}
                    {(k == Kind::Prepost).then(|| view! {
                        <label>{app.t(Msg::PairBy)}
                            <select class="builder-pair" on:change=select(pair)>
                                {options(&|t| !matches!(t, ItemType::SelectMultiple), true)}
                            </select>
                        </label>
                    })}
                }
            }}
            <label>{app.t(Msg::By)}
                <select class="builder-by" on:change=select(by)>
                    {move || options(&|t| t == ItemType::SelectOne, true)}
                </select>
            </label>
            {move || (kind.get() != Kind::Prepost).then(|| view! {
                <label>{app.t(Msg::Weight)}
                    <select class="builder-weight" on:change=select(weight)>
                        {options(&is_number, true)}
                    </select>
                </label>
            })}
            <button class="button primary add-table" on:click=add>{app.t(Msg::AddTable)}</button>
        </div>
    }
}
