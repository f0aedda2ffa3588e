//! The project's records from the server: signed in, the analyst picks the project and
//! loads what changed since the last time into the device (the workspace then works
//! offline); each record's review state shows in the data view and is set in the record's
//! view; the server's own export is a download from here.

use super::*;
use crate::account::{Project, Projects, project_url, segment};
use crate::team_words::Words;
use crate::views::account::{SignedIn, account, problem_text};
use crate::views::manage::review::ReviewControl;
use workflows::server_records::{self, LoadProblem, PROJECT_SETTING};

/// Reads the project the analyst works on and its records' review states.
pub(super) async fn read_reviews(an: An) {
    let Some(store) = store() else { return };
    let Ok(Some(project)) = store.setting(PROJECT_SETTING).await else {
        return;
    };
    let Ok(project) = project.parse::<i64>() else {
        return;
    };
    let states = server_records::review_states(&*store, project)
        .await
        .unwrap_or_default();
    an.server.set(Some(project));
    an.reviews.set(states);
}

#[component]
pub(super) fn ServerRecords(an: An) -> impl IntoView {
    let app = an.app;
    view! {
        <section class="card server-records">
            <h3>{move || Words::FromServer.text(app.lang.get())}</h3>
            <SignedIn>
                <Loader an=an/>
            </SignedIn>
        </section>
    }
}

#[component]
fn Loader(an: An) -> impl IntoView {
    let app = an.app;
    let account = account();
    let w = move |word: Words| word.text(app.lang.get());
    let projects = RwSignal::new(Vec::<Project>::new());
    let said = RwSignal::new(None::<String>);
    spawn_local(async move {
        match account
            .call::<Projects>("GET", &format!("{}/projects", crate::account::API), None)
            .await
        {
            Ok(list) => {
                if an.server.get_untracked().is_none() {
                    an.server.set(list.projects.first().map(|p| p.id));
                }
                projects.set(list.projects);
            }
            Err(problem) => said.set(Some(problem_text(&problem))),
        }
    });
    let load = move |_| {
        let Some(project) = an.server.get_untracked() else {
            return;
        };
        let what = w(Words::LoadingFromServer).to_string();
        an.busy.set(Some((what.clone(), 0.0)));
        spawn_local(async move {
            let Some(store) = store() else { return };
            let _ = store
                .set_setting(PROJECT_SETTING, &project.to_string())
                .await;
            let csrf = account.session().map(|s| s.csrf).unwrap_or_default();
            let get = |url: String| {
                let csrf = csrf.clone();
                async move { browser::call_api("GET", &url, &csrf, None).await }
            };
            let files = crate::importer::ServerFormFiles { token: None };
            let result = server_records::load(&*store, project, get, &files, async |done| {
                an.busy.set(Some((format!("{what}: {done}"), 0.5)));
                browser::next_task().await;
            })
            .await;
            an.busy.set(None);
            match result {
                Ok(load) => {
                    said.set(Some(crate::team_words::loaded(
                        app.lang.get_untracked(),
                        load.added,
                        load.changed,
                        load.deleted,
                    )));
                    an.reviews.set(
                        server_records::review_states(&*store, project)
                            .await
                            .unwrap_or_default(),
                    );
                    // The records now on the device, read again into the workspace.
                    let form = an.form.get_untracked();
                    super::load::load(an, form).await;
                }
                Err(LoadProblem::Server(problem)) => said.set(Some(problem_text(&problem))),
                Err(LoadProblem::Store(e)) => said.set(Some(e.to_string())),
            }
        });
    };
    let export_url = move || {
        an.server.get().map(|p| {
            project_url(
                p,
                &format!("exports/{}?labels=true", segment(&an.form.get())),
            )
        })
    };
    view! {
        <div class="row">
            <label>{move || w(Words::Project)}
                <select class="server-project" on:change=move |ev| an.server.set(event_target_value(&ev).parse().ok())>
                    {move || projects.get().into_iter().map(|p| {
                        let selected = Some(p.id) == an.server.get_untracked();
                        view! { <option value=p.id.to_string() prop:selected=selected>{p.name}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>
        <div class="actions">
            <button class="button primary load-server" type="button" on:click=load
                prop:disabled=move || an.server.get().is_none() || an.busy.get().is_some()>
                {move || w(Words::LoadFromServer)}
            </button>
            {move || export_url().filter(|_| !an.form.get().is_empty()).map(|href| view! {
                <a class="button server-export" href=href download>{move || w(Words::ServerExport)}</a>
            })}
        </div>
        {move || said.get().map(|s| view! { <p class="said" role="status">{s}</p> })}
    }
}

/// The review of a record opened in the workspace, when the server holds it.
#[component]
pub(super) fn RecordReview(an: An, instance_id: String) -> impl IntoView {
    let current = an.reviews.with_untracked(|r| r.get(&instance_id).cloned());
    let project = an.server.get_untracked();
    let (Some(current), Some(project)) = (current, project) else {
        return ().into_any();
    };
    let id = instance_id.clone();
    let on_done = move |state: String| {
        let id = id.clone();
        an.reviews.update(|r| {
            r.insert(id.clone(), state.clone());
        });
        spawn_local(async move {
            if let Some(store) = store() {
                let _ = server_records::keep_review(&*store, project, &id, &state).await;
            }
        });
    };
    view! {
        <section class="card record-review">
            <SignedIn>
                <ReviewControl project=project instance_id=instance_id.clone() current=current.clone()
                    on_done=on_done.clone()/>
            </SignedIn>
        </section>
    }
    .into_any()
}
