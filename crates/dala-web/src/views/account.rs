//! Who is signed in to the server the app is served from, for Design, Analyse and Manage
//! (a tablet's Collect never signs in: it is enrolled). The session's cookie is the
//! browser's; the page keeps only the CSRF token a write needs, and asks the server again
//! after a reload.

use crate::account::{self, API, ServerProblem, Session};
use crate::app::state;
use crate::browser;
use crate::team_words::Words;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

#[derive(Clone, Debug, PartialEq)]
pub enum AccountState {
    /// Asking the server who this browser is.
    Checking,
    SignedOut,
    SignedIn(Session),
    /// No server answers behind this copy of the app (or the network is down).
    NoServer,
}

/// The account, shared by the workspaces (an arena handle).
#[derive(Clone, Copy)]
pub struct Account {
    pub state: RwSignal<AccountState>,
}

pub fn account() -> Account {
    expect_context::<Account>()
}

impl Account {
    /// Provides the account and asks the server who is signed in.
    pub fn provide() {
        let account = Account {
            state: RwSignal::new(AccountState::Checking),
        };
        provide_context(account);
        account.check();
    }

    pub fn check(self) {
        spawn_local(async move {
            let answer =
                browser::call_api("GET", &format!("{API}/sessions/current"), "", None).await;
            self.state.set(match account::session_of(answer) {
                Ok(Some(session)) => AccountState::SignedIn(session),
                Ok(None) => AccountState::SignedOut,
                Err(_) => AccountState::NoServer,
            });
        });
    }

    pub fn session(&self) -> Option<Session> {
        match self.state.get() {
            AccountState::SignedIn(session) => Some(session),
            _ => None,
        }
    }

    fn csrf(&self) -> String {
        match self.state.get_untracked() {
            AccountState::SignedIn(session) => session.csrf,
            _ => String::new(),
        }
    }

    /// One call to the API with the session; a session that ended signs the page out.
    pub async fn call<T: DeserializeOwned>(
        self,
        method: &str,
        url: &str,
        json: Option<String>,
    ) -> Result<T, ServerProblem> {
        let result = account::json_of(browser::call_api(method, url, &self.csrf(), json).await);
        self.noticed(result)
    }

    /// [`Account::call`] for an answer whose body is not wanted.
    pub async fn send(
        self,
        method: &str,
        url: &str,
        json: Option<String>,
    ) -> Result<(), ServerProblem> {
        let result = account::done(browser::call_api(method, url, &self.csrf(), json).await);
        self.noticed(result)
    }

    fn noticed<T>(self, result: Result<T, ServerProblem>) -> Result<T, ServerProblem> {
        if result.as_ref().err() == Some(&ServerProblem::SignedOut) {
            self.state.set(AccountState::SignedOut);
        }
        result
    }

    pub fn sign_out(self) {
        spawn_local(async move {
            let _ = self.send("DELETE", &format!("{API}/sessions"), None).await;
            self.state.set(AccountState::SignedOut);
        });
    }
}

/// A problem in the interface's words.
pub fn problem_text(problem: &ServerProblem) -> String {
    let lang = state().lang.get_untracked();
    match problem {
        ServerProblem::Unreachable(_) => Words::NoServer.text(lang).to_string(),
        ServerProblem::SignedOut => Words::SignedOut.text(lang).to_string(),
        ServerProblem::NotAllowed => Words::NotAllowed.text(lang).to_string(),
        ServerProblem::Refused {
            status,
            code,
            message,
        } => format!(
            "{} ({code} {status}): {message}",
            Words::ServerRefused.text(lang)
        ),
    }
}

/// The sign-in form, shown in place of what needs a session; `children` once signed in.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let app = state();
    let account = account();
    let w = move |word: Words| word.text(app.lang.get());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let (who, secret) = (name.get_untracked(), password.get_untracked());
        spawn_local(async move {
            let answer = browser::call_api(
                "POST",
                &format!("{API}/sessions"),
                "",
                Some(account::sign_in_body(who.trim(), &secret)),
            )
            .await;
            busy.set(false);
            match account::signed_in(answer, who.trim()) {
                Ok(session) => {
                    password.set(String::new());
                    problem.set(None);
                    account.state.set(AccountState::SignedIn(session));
                    // Whether this is a site administrator: the server says.
                    account.check();
                }
                Err(ServerProblem::Refused { status: 401, .. }) => {
                    problem.set(Some(w(Words::WrongPassword).to_string()));
                }
                Err(ServerProblem::Refused { status: 429, .. }) => {
                    problem.set(Some(w(Words::TooManyTries).to_string()));
                }
                Err(other) => problem.set(Some(problem_text(&other))),
            }
        });
    };
    view! {
        {move || match account.state.get() {
            AccountState::SignedIn(_) => children().into_any(),
            AccountState::Checking => view! { <p class="muted">"…"</p> }.into_any(),
            AccountState::NoServer => view! {
                <section class="card sign-in">
                    <p class="warning">{w(Words::NoServer)}</p>
                </section>
            }.into_any(),
            AccountState::SignedOut => view! {
                <form class="card sign-in" on:submit=submit>
                    <h3>{w(Words::SignInTitle)}</h3>
                    <p class="muted">{w(Words::SignInWhy)}</p>
                    <label>{w(Words::UserName)}
                        <input type="text" name="name" autocomplete="username" required
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))/>
                    </label>
                    <label>{w(Words::Password)}
                        <input type="password" name="password" autocomplete="current-password" required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))/>
                    </label>
                    {move || problem.get().map(|p| view! { <p class="warning" role="alert">{p}</p> })}
                    <div class="actions">
                        <button class="button primary sign-in-button" type="submit" prop:disabled=move || busy.get()>
                            {w(Words::SignIn)}
                        </button>
                    </div>
                </form>
            }.into_any(),
        }}
    }
}

/// Who is signed in, and the way out, for the header.
#[component]
pub fn AccountChip() -> impl IntoView {
    let app = state();
    let account = account();
    move || {
        account.session().map(|session| {
            view! {
                <span class="account-chip">
                    <span class="account-user">{session.user}</span>
                    <button class="button link sign-out" type="button" on:click=move |_| account.sign_out()>
                        {Words::SignOut.text(app.lang.get())}
                    </button>
                </span>
            }
        })
    }
}
