//! Every problem of the instrument, each a link to its question.

use super::*;

/// Every problem of the instrument, each a link to its question.
#[component]
pub(super) fn Problems(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        let list = ed.diagnostics.get();
        let count = list.len().to_string();
        view! {
            <div class="all-problems" data-count=count>
                <h3>{app.t(Msg::Problems)}</h3>
                {list.is_empty().then(|| view! { <p class="muted">{app.t(Msg::NoProblems)}</p> })}
                <ul class="problems">
                    {list.into_iter().map(|d| {
                        let question = d.location.question.clone().unwrap_or_default();
                        let target = question.clone();
                        view! {
                            <li data-code=d.code.to_string() class=if d.code.is_warning() { "warning" } else { "error" }>
                                <span class="code">{d.code.to_string()}</span>" "
                                <button class="link" on:click=move |_| ed.select_named(&target)>{question}</button>
                                " "{crate::problems::instrument_problem(app.lang.get(), &d)}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
    }
}
