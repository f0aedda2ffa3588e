//! The filters of the data view.

use super::*;

#[component]
pub(super) fn Filters(an: An) -> impl IntoView {
    let app = an.app;
    let set = move |f: &dyn Fn(&mut Filter)| {
        an.filter.update(|filter| f(filter));
        an.page.set(0);
    };
    let selects = move || {
        an.rev.get();
        an.instrument
            .with_value(|i| {
                i.as_ref().map(|i| {
                    questions(i)
                        .into_iter()
                        .filter(|(_, t)| *t == ItemType::SelectOne)
                        .map(|(name, _)| {
                            let codes = crate::analysis::codes(i, &name);
                            (name, codes)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card filters">
            <h3>{app.t(Msg::Filters)}</h3>
            <div class="filter-grid">
                <label>{app.t(Msg::Status)}
                    <select class="filter-status" on:change=move |ev| {
                        let status = match event_target_value(&ev).as_str() {
                            "finalized" => Some(Status::Finalized),
                            "draft" => Some(Status::Draft),
                            _ => None,
                        };
                        set(&|f| f.status = status);
                    }>
                        <option value="finalized" selected>{app.t(Msg::FinalizedOne)}</option>
                        <option value="draft">{app.t(Msg::Draft)}</option>
                        <option value="">{app.t(Msg::Any)}</option>
                    </select>
                </label>
                <label>{app.t(Msg::Enumerator)}
                    <select class="filter-enumerator" on:change=move |ev| {
                        let name = event_target_value(&ev);
                        set(&|f| f.enumerator = (!name.is_empty()).then(|| name.clone()));
                    }>
                        <option value="">{app.t(Msg::Any)}</option>
                        {move || {
                            an.rev.get();
                            an.data.with_value(|d| d.enumerators().into_iter().map(String::from).collect::<Vec<_>>())
                                .into_iter().map(|e| view! { <option value=e.clone()>{e.clone()}</option> }).collect_view()
                        }}
                    </select>
                </label>
                <label>{app.t(Msg::From)}
                    <input type="date" class="filter-from" on:change=move |ev| {
                        let day = event_target_value(&ev);
                        set(&|f| f.from = (!day.is_empty()).then(|| day.clone()));
                    }/>
                </label>
                <label>{app.t(Msg::To)}
                    <input type="date" class="filter-to" on:change=move |ev| {
                        let day = event_target_value(&ev);
                        set(&|f| f.to = (!day.is_empty()).then(|| day.clone()));
                    }/>
                </label>
                {move || selects().into_iter().map(|(name, codes)| {
                    let question = name.clone();
                    view! {
                        <label>{an.label(&name, "")}
                            <select class="filter-answer" data-name=name.clone() on:change=move |ev| {
                                let code = event_target_value(&ev);
                                let question = question.clone();
                                set(&|f| {
                                    f.answers.retain(|(q, _)| *q != question);
                                    if !code.is_empty() {
                                        f.answers.push((question.clone(), code.clone()));
                                    }
                                });
                            }>
                                <option value="">{app.t(Msg::Any)}</option>
                                {codes.into_iter().map(|c| view! {
                                    <option value=c.clone()>{an.label(&name, &c)}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
