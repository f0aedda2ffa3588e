//! The service worker (web/sw.js): registered at start-up. A new version installs in the
//! background and waits; the home screen offers it, and it is applied only when the
//! enumerator accepts (never in the middle of an interview). Drafts are in IndexedDB, which
//! an update does not touch.

use crate::app::AppState;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Outside a secure context (plain HTTP on a LAN address) there is no service worker.
    js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .ok()?
        .then(|| navigator.service_worker())
}

pub fn register(state: AppState) {
    let Some(container) = container() else { return };
    spawn_local(async move {
        let Ok(registration) = JsFuture::from(container.register("./sw.js")).await else {
            return;
        };
        let registration: ServiceWorkerRegistration = registration.unchecked_into();
        let has_controller = container.controller().is_some();
        if registration.waiting().is_some() && has_controller {
            state.update_ready.set(true);
        }
        let watched = registration.clone();
        let on_found = Closure::<dyn Fn()>::new(move || {
            let Some(installing) = watched.installing() else {
                return;
            };
            let worker = installing.clone();
            let on_state = Closure::<dyn Fn()>::new(move || {
                // Installed while another version controls the page: an update waits.
                if worker.state() == ServiceWorkerState::Installed
                    && self::container().and_then(|c| c.controller()).is_some()
                {
                    state.update_ready.set(true);
                }
            });
            installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
            on_state.forget();
        });
        registration.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
        on_found.forget();
        // When the accepted version takes over, reload once into it.
        let on_change = Closure::<dyn Fn()>::new(move || {
            if let Some(window) = web_sys::window()
                && js_sys::Reflect::get(&window, &"__dalaUpdating".into())
                    .ok()
                    .is_some_and(|v| v.is_truthy())
            {
                let _ = window.location().reload();
            }
        });
        container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        // Checking for a new version fails whenever the server is out of reach, as it often
        // is in the field: the failure is awaited here, not left unhandled.
        if let Ok(checked) = registration.update() {
            let _ = JsFuture::from(checked).await;
        }
    });
}

/// Tells the waiting version to take over (the page reloads when it has).
pub fn apply_update() {
    let Some(container) = container() else { return };
    spawn_local(async move {
        let Ok(registration) = JsFuture::from(
            container
                .ready()
                .unwrap_or_else(|_| js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)),
        )
        .await
        else {
            return;
        };
        let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() else {
            return;
        };
        if let Some(waiting) = registration.waiting() {
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"__dalaUpdating".into(), &true.into());
            }
            let _ = waiting.post_message(&"skip-waiting".into());
        }
    });
}

/// The tag of the outbox's Background Sync, and the message the service worker posts when
/// the browser fires it.
const OUTBOX_SYNC: &str = "dala-outbox";
const DRAIN_MESSAGE: &str = "dala-drain";

/// Asks the browser (where it has Background Sync) to wake the service worker once the
/// network is back; the worker then asks the open pages to drain the outbox. The records and
/// their receipts live in the page's code, so a browser with no page open keeps them for
/// the next start.
///
/// Only while the browser is offline: it fires the sync when the network is back. A server
/// out of reach on a working network is the timer's business (a sync registered while online
/// fires at once, and a drain failing again would register it again: a loop).
pub fn ask_background_sync() {
    let offline = web_sys::window().is_some_and(|w| !w.navigator().on_line());
    if !offline {
        return;
    }
    let Some(container) = container() else { return };
    spawn_local(async move {
        let Ok(ready) = container.ready() else { return };
        let Ok(registration) = JsFuture::from(ready).await else {
            return;
        };
        let Ok(sync) = js_sys::Reflect::get(&registration, &"sync".into()) else {
            return;
        };
        if sync.is_undefined() {
            return;
        }
        let Ok(register) = js_sys::Reflect::get(&sync, &"register".into())
            .and_then(JsCast::dyn_into::<js_sys::Function>)
        else {
            return;
        };
        if let Ok(asked) = register.call1(&sync, &OUTBOX_SYNC.into())
            && let Ok(asked) = asked.dyn_into::<js_sys::Promise>()
        {
            // Refused (no permission, or in a private window): the timer still retries.
            let _ = JsFuture::from(asked).await;
        }
    });
}

/// Calls `drain` when the service worker says the network is back (Background Sync).
pub fn on_drain_asked(drain: impl Fn() + 'static) {
    let Some(container) = container() else { return };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if ev.data().as_string().as_deref() == Some(DRAIN_MESSAGE) {
                drain();
            }
        });
    container.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Kept for the page's life.
    on_message.forget();
}
