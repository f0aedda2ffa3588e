//! The review queue: the records in one review state, oldest change first, each with its
//! review control. The control serves the Analyse workspace's record view too.

use super::*;
use crate::account::{Listed, Listing, REVIEW_STATES, review_body, segment};

#[component]
pub(super) fn Review(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let wanted = RwSignal::new(REVIEW_STATES[0].to_string());
    let records: Fetched<Vec<Listed>> = RwSignal::new(None);
    let rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        rev.track();
        let query = format!("submissions?review_state={}&limit=200", wanted.get());
        fetch(account, url(project, &query), records, |l: Listing| {
            l.submissions
        });
    });
    view! {
        <section class="card manage-review">
            <h3>{move || w(app, Words::ReviewQueue)}</h3>
            <label>{move || w(app, Words::InState)}
                <select class="queue-state" on:change=move |ev| wanted.set(event_target_value(&ev))>
                    {REVIEW_STATES.into_iter().map(|s| view! {
                        <option value=s prop:selected=move || wanted.get() == s>{move || state_name(app, s)}</option>
                    }).collect_view()}
                </select>
            </label>
            {shown(records, move |records| {
                if records.is_empty() {
                    return view! { <p class="muted">{w(app, Words::NothingYet)}</p> }.into_any();
                }
                view! {
                    <ul class="queue">
                        {records.into_iter().map(|r| {
                            let name = r.record.as_ref().and_then(|s| s.instance_name.clone())
                                .unwrap_or_else(|| r.instance_id.clone());
                            let key = r.instance_id.clone();
                            view! {
                                <li class="queue-record" data-instance=key>
                                    <div>
                                        <strong>{name}</strong>
                                        <span class="muted">{format!(" · {} · {}", r.form_id, when(Some(&r.received)))}</span>
                                    </div>
                                    <ReviewControl project=project instance_id=r.instance_id current=r.review_state
                                        on_done=move |_| rev.update(|n| *n += 1)/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

/// A review state's name in the interface language.
pub fn state_name(app: AppState, state: &str) -> &'static str {
    match state {
        "has_issues" => w(app, Words::HasIssues),
        "approved" => w(app, Words::Approved),
        "rejected" => w(app, Words::Rejected),
        _ => w(app, Words::NotReviewed),
    }
}

/// Sets a record's review state with a comment; `on_done` gets the state set.
#[component]
pub fn ReviewControl(
    project: i64,
    instance_id: String,
    current: String,
    on_done: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let app = state();
    let account = account();
    let choice = RwSignal::new(current);
    let comment = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let path = format!("submissions/{}/review", segment(&instance_id));
        let state = choice.get_untracked();
        let body = review_body(&state, &comment.get_untracked());
        let on_done = on_done.clone();
        spawn_local(async move {
            let result = account.send("PUT", &url(project, &path), Some(body)).await;
            let ok = result.is_ok();
            said.set(Some(outcome(app, result, Words::ReviewSaved)));
            if ok {
                comment.set(String::new());
                on_done(state);
            }
        });
    };
    view! {
        <form class="row review-control" on:submit=save>
            <label>{move || w(app, Words::ReviewState)}
                <select class="review-state" on:change=move |ev| choice.set(event_target_value(&ev))>
                    {REVIEW_STATES.into_iter().map(|s| view! {
                        <option value=s prop:selected=move || choice.get() == s>{move || state_name(app, s)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="grow">{move || w(app, Words::Comment)}
                <input type="text" class="review-comment"
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))/>
            </label>
            <button class="button primary review-save" type="submit">{move || w(app, Words::SaveReview)}</button>
            {move || said.get().map(|s| view! { <span class="said" role="status">{s}</span> })}
        </form>
    }
}
