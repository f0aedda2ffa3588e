//! The lists a manager reads as they are: the published instrument versions and the audit
//! log.

use super::*;
use crate::account::{Audit as AuditPage, AuditEntry};

#[component]
pub(super) fn Instruments(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let versions = published_versions(account, project);
    view! {
        <section class="card manage-instruments">
            <h3>{move || w(app, Words::PublishedInstruments)}</h3>
            <p class="muted">{move || w(app, Words::PublishFromDesign)}</p>
            {shown(versions, move |versions| view! {
                <div class="table-scroll">
                    <table class="records-table versions">
                        <thead><tr>
                            <th scope="col">{w(app, Words::Form)}</th>
                            <th scope="col">{w(app, Words::Version)}</th>
                            <th scope="col">{w(app, Words::Published)}</th>
                        </tr></thead>
                        <tbody>
                            {versions.into_iter().map(|v| view! {
                                <tr><td>{v.form_id}</td><td>{v.version}</td><td>{when(Some(&v.published))}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

#[component]
pub(super) fn Audit(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let entries: Fetched<Vec<AuditEntry>> = RwSignal::new(None);
    fetch(
        account,
        url(project, "audit?limit=200"),
        entries,
        |a: AuditPage| a.audit,
    );
    view! {
        <section class="card manage-audit">
            <h3>{move || w(app, Words::AuditLog)}</h3>
            {shown(entries, move |entries| view! {
                <div class="table-scroll">
                    <table class="records-table audit">
                        <thead><tr>
                            <th scope="col">{w(app, Words::When)}</th>
                            <th scope="col">{w(app, Words::Who)}</th>
                            <th scope="col">{w(app, Words::What)}</th>
                            <th scope="col">{w(app, Words::OnWhat)}</th>
                        </tr></thead>
                        <tbody>
                            {entries.into_iter().map(|e| view! {
                                <tr>
                                    <td>{when(Some(&e.at))}</td>
                                    <td>{crate::manage::sender_name(&e.actor).to_string()}</td>
                                    <td><code>{e.action}</code></td>
                                    <td>{e.target}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}
