//! The live preview, with Collect's own widgets.

use super::*;

/// The instrument as it stands, run by the real engine with Collect's widgets; answers stay
/// in memory and survive edits. After an edit the preview swaps in a new session and redraws
/// only the questions that look different (see `session::differences`): a thousand-question
/// page is not built again for a keystroke.
#[component]
pub(super) fn Preview(ed: Ed) -> impl IntoView {
    let app = ed.app;
    // Made here, not in the effect: what an effect creates is disposed when it runs again.
    let ctx = Ctx::preview(app, ed.lang.get_untracked());
    let blocked = RwSignal::new(false);
    // The editor revision the preview shows (the benchmark waits for it).
    let synced = RwSignal::new(0u32);
    Effect::new(move |_| {
        let rev = ed.rev.get();
        let lang = ed.lang.get();
        let diagnostics = ed.diagnostics.get_untracked();
        let form = ed
            .with(|d| Form::compile_validated(d.instrument(), &diagnostics).ok())
            .flatten()
            .map(|mut form| {
                form.attach(ed.lists.get_value());
                form
            });
        // With problems, the preview goes on running the last instrument that had none
        // (a banner says the latest edits are not shown yet); only with none yet is it empty.
        let Some(form) = form else {
            blocked.set(true);
            synced.set(rev);
            return;
        };
        let host = Box::new(BrowserHost {
            device_id: app.device_id.get_untracked(),
        });
        match ctx.with(|s| (s.draft(), s.page())) {
            Some((record, page)) => {
                let new = Session::new(Engine::resume(form, host, &record), page, false);
                let nodes = new
                    .current()
                    .map(|p| new.engine().page_questions(p))
                    .unwrap_or_default();
                let refresh = ctx
                    .with(|old| differences(old, &new, &nodes, &lang))
                    .unwrap_or_default();
                let old = ctx.session.try_update_value(|s| s.replace(new)).flatten();
                // Freeing the old engine waits for a task of its own: the new one is drawn first.
                browser::later(move || drop(old));
                ctx.page_rev.update(|n| *n += 1);
                ctx.apply(refresh);
            }
            None => {
                ctx.session
                    .set_value(Some(Session::new(Engine::new(form, host), 0, false)));
                ctx.page_rev.update(|n| *n += 1);
            }
        }
        if ctx.form_lang.get_untracked() != lang {
            ctx.set_form_lang(lang);
        }
        blocked.set(false);
        synced.set(rev);
    });
    // The preview follows the selection: the page showing the selected item, marked there
    // (the designer's focus stays in the panel).
    Effect::new(move |_| {
        let Some(at) = ed.selected.get() else { return };
        synced.get();
        let Some(name) = ed.with(|d| d.item(&at).map(|i| i.name.clone())).flatten() else {
            return;
        };
        if let Some((page, node)) = ctx.with(|s| s.page_of(&name)).flatten() {
            if ctx.with(crate::session::Session::page) != Some(page) {
                ctx.go(page);
            }
            ctx.mark_later(node);
        }
    });
    let has_session = move || {
        synced.get();
        ctx.with(|_| ()).is_some()
    };
    view! {
        <div class="preview-body" data-synced=move || synced.get().to_string()
            data-stale=move || blocked.get().to_string()>
            <Show when=move || blocked.get()>
                <p class=move || if has_session() { "banner preview-stale" } else { "muted preview-blocked" }>
                    {move || if has_session() { app.t(Msg::PreviewStale) } else { app.t(Msg::PreviewBlocked) }}
                </p>
            </Show>
            <div class="preview-page" hidden=move || !has_session()>
                <PageView ctx=ctx/>
                <div class="nav">
                    <button class="button prev" on:click=move |_| ctx.step(false)>{format!("← {}", app.t(Msg::Previous))}</button>
                    <button class="button next" on:click=move |_| ctx.step(true)>{format!("{} →", app.t(Msg::Next))}</button>
                </div>
            </div>
        </div>
    }
}
