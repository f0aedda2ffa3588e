//! What each imported file brought, and why a line or a file was not taken.

use super::*;

#[component]
pub(super) fn ImportReport(an: An) -> impl IntoView {
    let app = an.app;
    view! {
        <Show when=move || !an.reports.get().is_empty()>
            <section class="card import-report">
                <table>
                    <thead><tr>
                        <th>{app.t(Msg::File)}</th><th>{app.t(Msg::Instrument)}</th>
                        <th>{app.t(Msg::Added)}</th><th>{app.t(Msg::Duplicates)}</th>
                        <th>{app.t(Msg::DraftsLeftOut)}</th><th>{app.t(Msg::FilesCarried)}</th>
                        <th>{app.t(Msg::BadLines)}</th>
                    </tr></thead>
                    <tbody>
                        {move || an.reports.get().into_iter().map(|r| {
                            let lang = app.lang.get_untracked();
                            let problems: Vec<(&'static str, String)> = r.refused.iter()
                                .map(|why| (why.code(), crate::problems::refusal(lang, why)))
                                .chain(r.bad_lines.iter().map(|(line, why)| (why.code(), format!("{}:{line}: {}", r.name, crate::problems::line_problem(lang, why)))))
                                .collect();
                            view! {
                                <tr class="bundle" data-name=r.name.clone()>
                                    <td>{r.name.clone()}</td>
                                    <td>{format!("{} {}", r.form_id, r.version)}</td>
                                    <td class="added">{r.added}</td>
                                    <td class="duplicates">{r.duplicates}</td>
                                    <td class="drafts">{r.drafts}</td>
                                    <td class="files">{r.files}</td>
                                    <td class="bad">{r.bad_lines.len()}</td>
                                </tr>
                                {(!problems.is_empty()).then(|| view! {
                                    <tr class="bundle-problems"><td colspan="7">
                                        <ul>{problems.into_iter().map(|(code, p)| view! { <li data-code=code>{p}</li> }).collect_view()}</ul>
                                    </td></tr>
                                })}
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </Show>
    }
}
