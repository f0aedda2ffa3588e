//! Publishing: what it would do (the version, the errors that block it, the changes that
//! break data already collected) and the button that does it.

use super::*;

/// What publishing would do, and the button that does it.
#[component]
pub(super) fn PublishPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    let confirm = move |_| {
        let published = ed.published.get_value();
        let Some(check) = ed.check.get_untracked() else {
            return;
        };
        if !check.errors.is_empty() {
            return;
        }
        let result = ed.design.try_update_value(|d| {
            d.as_mut()
                .map(|d| d.publish(published.as_ref(), &DataUse::default()))
        });
        let Some(Some(Ok(instrument))) = result else {
            return;
        };
        ed.changed();
        ed.panel_rev.update(|n| *n += 1);
        spawn_local(async move {
            let Some(store) = store() else { return };
            // The new version reads the same attached files as the one it replaces: their
            // lists go with it (the designer does not change attachments).
            let carried = async {
                store.put_instrument(&instrument).await?;
                let Some(before) = published
                    .as_ref()
                    .filter(|_| !instrument.attachments.is_empty())
                else {
                    return Ok(());
                };
                let settings = &before.settings;
                let lists = store
                    .get_lists(&settings.form_id, &settings.version)
                    .await?;
                if lists.is_empty() {
                    return Ok(());
                }
                let new = &instrument.settings;
                store.put_lists(&new.form_id, &new.version, &lists).await
            };
            match carried.await {
                Ok(()) => {
                    app.notice.set(Some(format!(
                        "{} {}",
                        app.t(Msg::PublishedVersion),
                        instrument.settings.version
                    )));
                    ed.published.set_value(Some(instrument));
                    ed.check.set(None);
                    app.data_rev.update(|n| *n += 1);
                }
                Err(e) => app.fail(app.t(Msg::SaveFailed), e),
            }
        });
    };
    move || {
        ed.check.get().map(|check| {
            let blocked = !check.errors.is_empty();
            view! {
                <div class="publish-check card" data-blocked=blocked.to_string()>
                    {blocked.then(|| view! {
                        <p>{app.t(Msg::PublishBlocked)}</p>
                        <ul class="problems">
                            {check.errors.iter().map(|d| {
                                let question = d.location.question.clone().unwrap_or_default();
                                let target = question.clone();
                                view! {
                                    <li>
                                        <button class="link" on:click=move |_| ed.select_named(&target)>{question}</button>
                                        ": "{crate::problems::instrument_problem(app.lang.get_untracked(), d)}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                    {(!check.breaking.is_empty()).then(|| view! {
                        <p>{app.t(Msg::Breaking)}</p>
                        <ul class="breaking">
                            {check.breaking.iter().map(|b| view! { <li>{crate::problems::breaking(app.lang.get_untracked(), b)}</li> }).collect_view()}
                        </ul>
                    })}
                    <div class="row">
                        <button class="button primary publish-confirm" disabled=blocked on:click=confirm>
                            {format!("{} {}", app.t(Msg::PublishAs), check.version)}
                        </button>
                        <button class="button" on:click=move |_| ed.check.set(None)>{app.t(Msg::Cancel)}</button>
                    </div>
                </div>
            }
        })
    }
}
