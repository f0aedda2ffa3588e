//! The Manage workspace, for managers and site administrators: a project's team and roles,
//! its devices (enrolled with a QR code, revoked), its instruments, the field progress, the
//! review queue and the audit log. Part of the whole app only: a tablet never downloads it.
//! What it decides is in `manage` and `account`; these views fetch and draw.

use crate::account::{self, Project, Projects, ServerProblem, project_url};
use crate::app::{AppState, state};
use crate::manage::Part;
use crate::route::Route;
use crate::team_words::Words;
use crate::views::account::{Account, SignedIn, account, problem_text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

mod devices;
mod lists;
mod progress;
pub mod review;
mod team;

/// What a part fetched: nothing yet, the answer, or the problem in words.
type Fetched<T> = RwSignal<Option<Result<T, String>>>;

/// GETs `url` into `into` (None while it is under way).
fn fetch<T, U>(account: Account, url: String, into: Fetched<U>, pick: impl FnOnce(T) -> U + 'static)
where
    T: DeserializeOwned + 'static,
    U: Send + Sync + 'static,
{
    into.set(None);
    spawn_local(async move {
        let result = account.call::<T>("GET", &url, None).await;
        into.set(Some(result.map(pick).map_err(|e| problem_text(&e))));
    });
}

/// The versions the project publishes, fetched.
fn published_versions(account: Account, project: i64) -> Fetched<Vec<account::PublishedVersion>> {
    let versions = RwSignal::new(None);
    fetch(
        account,
        url(project, "instruments"),
        versions,
        |p: account::Instruments| p.instruments,
    );
    versions
}

/// A part's text in the interface language.
fn w(app: AppState, word: Words) -> &'static str {
    word.text(app.lang.get())
}

/// A fetch's problem, or what it fetched drawn by `draw`.
fn shown<T: Clone + Send + Sync + 'static, V: IntoView + 'static>(
    fetched: Fetched<T>,
    draw: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView {
    move || match fetched.get() {
        None => view! { <p class="muted" role="status">"…"</p> }.into_any(),
        Some(Err(problem)) => view! { <p class="warning" role="alert">{problem}</p> }.into_any(),
        Some(Ok(value)) => draw(value).into_any(),
    }
}

/// The outcome of a change (a role given, a device revoked) as a line for the part.
fn outcome(app: AppState, result: Result<(), ServerProblem>, done: Words) -> String {
    match result {
        Ok(()) => w(app, done).to_string(),
        Err(problem) => problem_text(&problem),
    }
}

#[component]
pub fn Manage(project: i64) -> impl IntoView {
    let app = state();
    view! {
        <main id="manage" class="manage">
            <h2>{move || w(app, Words::Manage)}</h2>
            <SignedIn>
                <Workspace project=project/>
            </SignedIn>
        </main>
    }
}

#[component]
fn Workspace(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let projects: Fetched<Vec<Project>> = RwSignal::new(None);
    let part = RwSignal::new(Part::Team);
    let rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        rev.track();
        fetch(
            account,
            format!("{}/projects", account::API),
            projects,
            |p: Projects| p.projects,
        );
    });
    // The project shown: the one in the address, else the first this person may see.
    let current = Memo::new(move |_| match projects.get() {
        Some(Ok(list)) if list.iter().any(|p| p.id == project) => Some(project),
        Some(Ok(list)) => list.first().map(|p| p.id),
        _ => None,
    });
    let site_admin = move || account.session().is_some_and(|s| s.site_admin);
    let new_project = RwSignal::new(String::new());
    let made = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_project.get_untracked();
        spawn_local(async move {
            let body = serde_json::json!({ "name": name.trim() }).to_string();
            let result = account
                .call::<Project>("POST", &format!("{}/projects", account::API), Some(body))
                .await;
            match result {
                Ok(project) => {
                    new_project.set(String::new());
                    made.set(None);
                    app.go(Route::Manage(project.id));
                    rev.update(|r| *r += 1);
                }
                Err(problem) => made.set(Some(problem_text(&problem))),
            }
        });
    };
    view! {
        <div class="row heading-row">
            {move || match projects.get() {
                Some(Ok(list)) if !list.is_empty() => view! {
                    <label class="project-pick">{w(app, Words::Project)}
                        <select class="manage-project" on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse() { app.go(Route::Manage(id)); }
                        }>
                            {list.into_iter().map(|p| {
                                let selected = Some(p.id) == current.get_untracked();
                                view! { <option value=p.id.to_string() prop:selected=selected>{p.name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any(),
                Some(Ok(_)) => view! { <p class="muted">{w(app, Words::NoProjects)}</p> }.into_any(),
                Some(Err(problem)) => view! { <p class="warning" role="alert">{problem}</p> }.into_any(),
                None => ().into_any(),
            }}
            <Show when=site_admin>
                <form class="new-project row" on:submit=create>
                    <label>{move || w(app, Words::NewProject)}
                        <input type="text" class="new-project-name" required
                            prop:value=move || new_project.get()
                            on:input=move |ev| new_project.set(event_target_value(&ev))/>
                    </label>
                    <button class="button" type="submit">{move || w(app, Words::Create)}</button>
                </form>
            </Show>
        </div>
        {move || made.get().map(|p| view! { <p class="warning" role="alert">{p}</p> })}
        {move || current.get().map(|p| view! {
            <nav class="parts" aria-label=move || w(app, Words::Manage)>
                {Part::ALL.into_iter().map(|each| view! {
                    <button type="button" class=format!("button part-{}", each.key())
                        aria-pressed=move || (part.get() == each).to_string()
                        on:click=move |_| part.set(each)>
                        {move || w(app, part_word(each))}
                    </button>
                }).collect_view()}
            </nav>
            {move || match part.get() {
                Part::Team => view! { <team::Team project=p/> }.into_any(),
                Part::Devices => view! { <devices::Devices project=p/> }.into_any(),
                Part::Instruments => view! { <lists::Instruments project=p/> }.into_any(),
                Part::Progress => view! { <progress::Progress project=p/> }.into_any(),
                Part::Review => view! { <review::Review project=p/> }.into_any(),
                Part::Audit => view! { <lists::Audit project=p/> }.into_any(),
            }}
        })}
    }
}

fn part_word(part: Part) -> Words {
    match part {
        Part::Team => Words::Team,
        Part::Devices => Words::Devices,
        Part::Instruments => Words::PublishedInstruments,
        Part::Progress => Words::Progress,
        Part::Review => Words::ReviewQueue,
        Part::Audit => Words::AuditLog,
    }
}

/// A time the server wrote (UTC) in the device's time, to the minute; "—" for none.
fn when(time: Option<&str>) -> String {
    time.map_or_else(|| "—".to_string(), crate::browser::local_minute)
}

/// `project_url` for a part.
fn url(project: i64, rest: &str) -> String {
    project_url(project, rest)
}
