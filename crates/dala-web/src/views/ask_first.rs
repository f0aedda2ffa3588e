//! A step that cannot be taken back lightly (deleting a draft, removing a repeat instance or a
//! language): the first tap asks, in words, and only the second does it.

use crate::app::state;
use crate::i18n::Msg;
use leptos::prelude::*;

/// A danger button (`class`) that turns into the question, a confirming button
/// (`confirm_class`) and Cancel.
#[component]
pub fn AskFirst(
    label: &'static str,
    question: &'static str,
    class: &'static str,
    confirm_class: &'static str,
    #[prop(optional)] disabled: bool,
    on_confirm: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let app = state();
    let asking = RwSignal::new(false);
    view! {
        <Show when=move || asking.get()
            fallback=move || view! {
                <button class=format!("button danger {class}") disabled=disabled
                    on:click=move |_| asking.set(true)>
                    {label}
                </button>
            }>
            {
                let on_confirm = on_confirm.clone();
                view! {
                    <span class="confirm" role="alertdialog">
                        <span>{question}</span>
                        <button class=format!("button danger {confirm_class}")
                            on:click=move |_| { asking.set(false); on_confirm(); }>
                            {label}
                        </button>
                        <button class="button" on:click=move |_| asking.set(false)>{app.t(Msg::Cancel)}</button>
                    </span>
                }
            }
        </Show>
    }
}
