//! The form's settings panel.

use super::*;

/// The form's settings: title in each language, form id, version, default language, instance
/// name, and its languages (added, renamed, removed after a confirmation). Each change is an
/// edit like any other, undone with Ctrl+Z.
#[component]
pub(super) fn SettingsPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    let adding = RwSignal::new(String::new());
    move || {
        ed.panel_rev.get();
        let Some(settings) = ed.with(|d| d.instrument().settings.clone()) else {
            return ().into_any();
        };
        let languages = ed.languages.get_untracked();
        let set = move |setting: Setting, value: String| {
            ed.edit(|d| {
                d.apply(Edit::SetSetting {
                    setting,
                    value: Some(value),
                })
            });
        };
        let titles = languages
            .iter()
            .map(|l| {
                let language = l.clone();
                let value = settings.title.0.get(l).cloned().unwrap_or_default();
                view! {
                    <label class="field setting-title" data-language=l.clone()>
                        <span>{format!("{} ({l})", app.t(Msg::FormTitle))}</span>
                        <input type="text" prop:value=value
                            on:change=move |ev| set(Setting::Title(language.clone()), event_target_value(&ev))/>
                    </label>
                }
            })
            .collect_view();
        let old_form_id = settings.form_id.clone();
        let default_language = settings.default_language.clone().unwrap_or_default();
        let language_rows = languages
            .clone()
            .into_iter()
            .map(|l| {
                let (from, removed) = (l.clone(), l.clone());
                view! {
                    <li class="language" data-language=l.clone()>
                        <input type="text" aria-label=app.t(Msg::LanguageCode) prop:value=l.clone()
                            on:change=move |ev| {
                                let to = event_target_value(&ev);
                                if ed.edit(|d| d.rename_language(&from, &to)).is_some() && ed.lang.get_untracked() == from {
                                    ed.lang.set(to.trim().to_string());
                                }
                            }/>
                        <AskFirst label=app.t(Msg::RemoveLanguage) question=app.t(Msg::ConfirmRemoveLanguage)
                            class="remove-language" confirm_class="confirm-remove-language"
                            on_confirm=move || {
                                if ed.edit(|d| d.remove_language(&removed)).is_some()
                                    && ed.lang.get_untracked() == removed
                                {
                                    let first = ed.with(|d| edit_languages(d.instrument()).remove(0));
                                    ed.lang.set(first.unwrap_or_default());
                                }
                            }/>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="settings-panel">
                <h3>{app.t(Msg::Settings)}</h3>
                {titles}
                <label class="field setting-form-id" title=app.t(Msg::FormIdHelp)>
                    <span>"form_id"</span>
                    <input type="text" spellcheck="false" prop:value=settings.form_id.clone()
                        on:change=move |ev| {
                            let new_id = event_target_value(&ev).trim().to_string();
                            if new_id != old_form_id && ed.edit(|d| d.apply(Edit::SetSetting {
                                setting: Setting::FormId,
                                value: Some(new_id.clone()),
                            })).is_some() {
                                // The design is stored under its form id: it moves with it.
                                let old = old_form_id.clone();
                                spawn_local(async move {
                                    if let Some(store) = store() {
                                        designs::forget_draft(&*store, &old).await;
                                    }
                                });
                                let route = Route::Design(new_id);
                                crate::browser::replace_location_hash(&route.hash());
                                app.route.update_untracked(|r| *r = route);
                            }
                        }/>
                </label>
                <label class="field setting-version" title=app.t(Msg::VersionHelp)>
                    <span>"version"</span>
                    <input type="text" spellcheck="false" prop:value=settings.version.clone()
                        on:change=move |ev| set(Setting::Version, event_target_value(&ev))/>
                </label>
                <label class="field setting-default-language" title=app.t(Msg::DefaultLanguageHelp)>
                    <span>"default_language"</span>
                    <select on:change=move |ev| set(Setting::DefaultLanguage, event_target_value(&ev))>
                        {languages.iter().map(|l| view! {
                            <option value=l.clone() prop:selected=*l == default_language>{crate::i18n::language_name(l)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field setting-instance-name" title=app.t(Msg::InstanceNameHelp)>
                    <span>"instance_name"</span>
                    <input type="text" spellcheck="false" prop:value=settings.instance_name.clone().unwrap_or_default()
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            ed.edit(|d| d.apply(Edit::SetSetting { setting: Setting::InstanceName, value: Some(value) }));
                        }/>
                </label>
                <h4>{app.t(Msg::Languages)}</h4>
                <ul class="languages">{language_rows}</ul>
                <form class="row add-language" on:submit=move |ev| {
                    ev.prevent_default();
                    let language = adding.get_untracked();
                    if ed.edit(|d| d.add_language(&language)).is_some() {
                        adding.set(String::new());
                    }
                }>
                    <label class="field">
                        <span>{app.t(Msg::LanguageCode)}</span>
                        <input type="text" spellcheck="false" prop:value=move || adding.get()
                            on:input=move |ev| adding.set(event_target_value(&ev))/>
                    </label>
                    <button class="button" type="submit">{app.t(Msg::AddLanguage)}</button>
                </form>
            </div>
        }
        .into_any()
    }
}
