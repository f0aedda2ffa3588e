//! Design with the project's server: signed in (designer or manager), the designer opens
//! the versions the project publishes in the editor, and publishes the device's newest
//! version of an instrument to the project. The server keeps versions immutable and refuses
//! one that breaks collected data; its words are shown as they come.

use super::*;
use crate::account::{
    self, Instruments, Project, Projects, PublishedVersion, ServerProblem, project_url, segment,
};
use crate::sync::{self, Fetched};
use crate::team_words::Words;
use crate::views::account::{SignedIn, account, problem_text};
use crate::workflows::server_records::PROJECT_SETTING;

#[component]
pub(super) fn ServerDesigns() -> impl IntoView {
    let app = state();
    view! {
        <section class="card server-designs">
            <h3>{move || Words::FromServer.text(app.lang.get())}</h3>
            <SignedIn>
                <OnServer/>
            </SignedIn>
        </section>
    }
}

#[component]
fn OnServer() -> impl IntoView {
    let app = state();
    let account = account();
    let w = move |word: Words| word.text(app.lang.get());
    let projects = RwSignal::new(Vec::<Project>::new());
    let project = RwSignal::new(None::<i64>);
    let versions = RwSignal::new(Vec::<PublishedVersion>::new());
    let said = RwSignal::new(None::<String>);
    spawn_local(async move {
        let kept = match store() {
            Some(store) => store.setting(PROJECT_SETTING).await.ok().flatten(),
            None => None,
        };
        match account
            .call::<Projects>("GET", &format!("{}/projects", account::API), None)
            .await
        {
            Ok(list) => {
                let kept = kept.and_then(|k| k.parse().ok());
                project.set(
                    list.projects
                        .iter()
                        .find(|p| Some(p.id) == kept)
                        .or(list.projects.first())
                        .map(|p| p.id),
                );
                projects.set(list.projects);
            }
            Err(problem) => said.set(Some(problem_text(&problem))),
        }
    });
    let rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        rev.track();
        let Some(p) = project.get() else { return };
        spawn_local(async move {
            if let Some(store) = store() {
                let _ = store.set_setting(PROJECT_SETTING, &p.to_string()).await;
            }
            match account
                .call::<Instruments>("GET", &project_url(p, "instruments"), None)
                .await
            {
                Ok(list) => versions.set(list.instruments),
                Err(problem) => said.set(Some(problem_text(&problem))),
            }
        });
    });
    // The newest version of each form on the server.
    let newest = move || {
        let mut by_form: Vec<PublishedVersion> = Vec::new();
        for v in versions.get() {
            match by_form.iter_mut().find(|n| n.form_id == v.form_id) {
                Some(n) if v.published >= n.published => *n = v,
                Some(_) => {}
                None => by_form.push(v),
            }
        }
        by_form
    };
    let open = move |version: PublishedVersion| {
        let Some(p) = project.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let path = format!(
                "instruments/{}/{}",
                segment(&version.form_id),
                segment(&version.version)
            );
            let result = async {
                let store = store().ok_or("no database")?;
                let stored = store
                    .get_instrument(&version.form_id, &version.version)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(stored) = stored
                    && sync::has_its_files(&*store, &stored)
                        .await
                        .map_err(|e| e.to_string())?
                {
                    return Ok(stored.settings.form_id);
                }
                // Fetched as a tablet fetches it: with its lists and files.
                let csrf = account.session().map(|s| s.csrf).unwrap_or_default();
                let mut get = |url: String, _: String| {
                    let csrf = csrf.clone();
                    async move { browser::call_api("GET", &url, &csrf, None).await }
                };
                let files = crate::importer::ServerFormFiles { token: None };
                let url = project_url(p, &path);
                match sync::fetch_version(&*store, &url, "", &mut get, &files)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    Fetched::Stored(instrument) => Ok(instrument.settings.form_id),
                    Fetched::NotYet => Err(w(Words::FilesNotOnServer).to_string()),
                    Fetched::Stopped(stopped) => Err(problem_text(&stopped.into())),
                }
            }
            .await;
            match result {
                Ok(form) => {
                    app.data_rev.update(|n| *n += 1);
                    app.go(Route::Design(form));
                }
                Err(e) => said.set(Some(e)),
            }
        });
    };
    // The device's newest version of each instrument, to publish.
    let local = RwSignal::new(Vec::<Instrument>::new());
    Effect::new(move |_| {
        app.data_rev.get();
        spawn_local(async move {
            if let Some(store) = store()
                && let Ok(found) = designs::published_latest(&*store).await
            {
                local.set(found);
            }
        });
    });
    let publish = move |instrument: Instrument| {
        let Some(p) = project.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let lang = app.lang.get_untracked();
            said.set(Some(
                publish_with_files(account, lang, p, &instrument).await,
            ));
            rev.update(|n| *n += 1);
        });
    };
    view! {
        <label>{move || w(Words::Project)}
            <select class="server-project" on:change=move |ev| project.set(event_target_value(&ev).parse().ok())>
                {move || projects.get().into_iter().map(|p| {
                    let selected = Some(p.id) == project.get_untracked();
                    view! { <option value=p.id.to_string() prop:selected=selected>{p.name}</option> }
                }).collect_view()}
            </select>
        </label>
        {move || said.get().map(|s| view! { <p class="said" role="status">{s}</p> })}
        <h4>{move || w(Words::OpenFromServer)}</h4>
        <ul class="server-versions">
            {move || newest().into_iter().map(|v| {
                let label = format!("{} v{}", v.form_id, v.version);
                let key = v.form_id.clone();
                view! {
                    <li data-form=key>
                        <span>{label}</span>" "
                        <button class="button open-server" type="button" on:click=move |_| open(v.clone())>
                            {move || w(Words::Open)}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <h4>{move || w(Words::PublishToServer)}</h4>
        <ul class="local-versions">
            {move || local.get().into_iter().map(|instrument| {
                let label = format!("{} v{}", instrument.settings.form_id, instrument.settings.version);
                let key = instrument.settings.form_id.clone();
                view! {
                    <li data-form=key>
                        <span>{label}</span>" "
                        <button class="button publish-server" type="button"
                            on:click=move |_| publish(instrument.clone())>
                            {move || w(Words::PublishToServer)}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Publishes `instrument` to project `p` with the files it attaches, as this device keeps
/// them (none missing, or nothing is sent): what to tell the designer.
/// Runs outside the component (no reactive context here): the account and the language are
/// handed in.
async fn publish_with_files(
    account: crate::views::account::Account,
    lang: crate::i18n::Lang,
    p: i64,
    instrument: &Instrument,
) -> String {
    let w = |word: Words| word.text(lang);
    let Some(store) = store() else {
        return "no database".to_string();
    };
    let files = match sync::kept_files(&*store, instrument).await {
        Ok(Ok(files)) => files,
        Ok(Err(missing)) => return format!("{missing}: {}", w(Words::FileNotHere)),
        Err(e) => return e.to_string(),
    };
    let csrf = account.session().map(|s| s.csrf).unwrap_or_default();
    let answer = browser::call_api(
        "POST",
        &project_url(p, "instruments"),
        &csrf,
        Some(instrument.to_json()),
    )
    .await;
    let settings = &instrument.settings;
    let published = match answer {
        Ok(a) if a.status == 201 => format!(
            "{}: {} v{}",
            w(Words::PublishedOnServer),
            settings.form_id,
            settings.version
        ),
        Ok(a) if a.status == 200 => w(Words::AlreadyOnServer).to_string(),
        Ok(a) => return problem_text(&account::problem_of(&a)),
        Err(why) => return problem_text(&ServerProblem::Unreachable(why)),
    };
    let version_url = project_url(
        p,
        &format!(
            "instruments/{}/{}",
            segment(&settings.form_id),
            segment(&settings.version)
        ),
    );
    let get = |url: String| {
        let csrf = csrf.clone();
        async move { browser::call_api("GET", &url, &csrf, None).await }
    };
    let put = |url: String, bytes: Vec<u8>| {
        let csrf = csrf.clone();
        async move { browser::call_api_bytes("PUT", &url, &csrf, &bytes).await }
    };
    match sync::send_files(&version_url, &files, get, put).await {
        Ok((0, _)) => published,
        Ok((sent, _)) => format!("{published}. {}: {sent}", w(Words::FilesSent)),
        Err(stopped) => format!("{published}. {}", problem_text(&stopped.into())),
    }
}
