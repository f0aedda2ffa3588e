//! The project's members and their roles; a role given by name; a new account (site
//! administrators).

use super::*;
use crate::account::{Member, Members, ROLES};

#[component]
pub(super) fn Team(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let members: Fetched<Vec<Member>> = RwSignal::new(None);
    let rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        rev.track();
        fetch(account, url(project, "roles"), members, |m: Members| {
            m.members
        });
    });
    let user = RwSignal::new(String::new());
    let role = RwSignal::new(ROLES[3].to_string());
    let said = RwSignal::new(None::<String>);
    let give = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body =
            serde_json::json!({"user": user.get_untracked().trim(), "role": role.get_untracked()});
        spawn_local(async move {
            let result = account
                .send("POST", &url(project, "roles"), Some(body.to_string()))
                .await;
            if result.is_ok() {
                user.set(String::new());
                rev.update(|r| *r += 1);
            }
            said.set(Some(outcome(app, result, Words::RoleGiven)));
        });
    };
    let new_name = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({
            "name": new_name.get_untracked().trim(),
            "password": new_password.get_untracked(),
        });
        spawn_local(async move {
            let result = account
                .send(
                    "POST",
                    &format!("{}/users", account::API),
                    Some(body.to_string()),
                )
                .await;
            if result.is_ok() {
                // The new account is the one a role goes to next.
                user.set(new_name.get_untracked().trim().to_string());
                new_name.set(String::new());
                new_password.set(String::new());
            }
            said.set(Some(outcome(app, result, Words::AccountMade)));
        });
    };
    view! {
        <section class="card manage-team">
            <h3>{move || w(app, Words::Team)}</h3>
            {shown(members, move |members| view! {
                <div class="table-scroll">
                    <table class="records-table members">
                        <thead><tr>
                            <th scope="col">{w(app, Words::UserName)}</th>
                            <th scope="col">{w(app, Words::Role)}</th>
                        </tr></thead>
                        <tbody>
                            {members.into_iter().map(|m| view! {
                                <tr><td>{m.user}</td><td>{role_name(app, &m.role)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <form class="row give-role" on:submit=give>
                <label>{move || w(app, Words::UserName)}
                    <input type="text" class="role-user" required
                        prop:value=move || user.get()
                        on:input=move |ev| user.set(event_target_value(&ev))/>
                </label>
                <label>{move || w(app, Words::Role)}
                    <select class="role-name" on:change=move |ev| role.set(event_target_value(&ev))>
                        {ROLES.into_iter().map(|r| view! {
                            <option value=r prop:selected=move || role.get() == r>{move || role_name(app, r)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button class="button primary" type="submit">{move || w(app, Words::GiveRole)}</button>
            </form>
            <Show when=move || account.session().is_some_and(|s| s.site_admin)>
                <form class="row new-user" on:submit=create>
                    <label>{move || w(app, Words::NewAccount)}
                        <input type="text" class="new-user-name" required autocomplete="off"
                            prop:value=move || new_name.get()
                            on:input=move |ev| new_name.set(event_target_value(&ev))/>
                    </label>
                    <label>{move || w(app, Words::Password)}
                        <input type="password" class="new-user-password" required minlength="10" autocomplete="new-password"
                            prop:value=move || new_password.get()
                            on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    </label>
                    <button class="button" type="submit">{move || w(app, Words::Create)}</button>
                </form>
            </Show>
            {move || said.get().map(|s| view! { <p class="said" role="status">{s}</p> })}
        </section>
    }
}

/// A role's name in the interface language.
pub(super) fn role_name(app: AppState, role: &str) -> &'static str {
    match role {
        "manager" => w(app, Words::RoleManager),
        "designer" => w(app, Words::RoleDesigner),
        "analyst" => w(app, Words::RoleAnalyst),
        _ => w(app, Words::RoleEnumerator),
    }
}
