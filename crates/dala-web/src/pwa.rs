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
