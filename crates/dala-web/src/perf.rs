//! Marks the benchmarks and browser tests read from the page: when an interview became
//! interactive, and when each autosave transaction completed (performance.now(), in ms).

use wasm_bindgen::JsValue;

fn set(name: &str, value: &JsValue) {
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &JsValue::from_str(name), value);
    }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Marks the interview interactive at the next animation frame: by then the first page's
/// questions are in the DOM and about to be painted.
pub fn interview_ready() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mark = wasm_bindgen::closure::Closure::once_into_js(move || {
        set("__dalaInterviewReady", &JsValue::from_f64(now()));
    });
    let _ = window.request_animation_frame(wasm_bindgen::JsCast::unchecked_ref(&mark));
}

pub fn saved() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__dalaSaved");
    let list = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(wasm_bindgen::JsValue::is_object)
        .unwrap_or_else(|| {
            let list = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&window, &key, &list);
            list.into()
        });
    let list: js_sys::Array = list.into();
    // Bounded: only the latest saves matter to a reader.
    if list.length() >= 1000 {
        list.shift();
    }
    list.push(&JsValue::from_f64(now()));
}

pub fn now_ms() -> f64 {
    now()
}

/// How long the engine took for the last answer (ms), beside the time the screen took.
pub fn answered(engine_ms: f64) {
    set("__dalaEngineMs", &JsValue::from_f64(engine_ms));
}

/// An import of bundles: when it began and ended (ms), how many records it added, and the
/// time spent reading records and adding them to the data view's columns.
pub fn imported(start: f64, end: f64, added: usize, parse_ms: f64, push_ms: f64) {
    set("__dalaImportParseMs", &JsValue::from_f64(parse_ms));
    set("__dalaImportPushMs", &JsValue::from_f64(push_ms));
    set("__dalaImportStart", &JsValue::from_f64(start));
    set("__dalaImportEnd", &JsValue::from_f64(end));
    set("__dalaImportAdded", &JsValue::from_f64(added as f64));
}

/// A drain of the outbox that sent records: when it began and ended (ms) and how many
/// records the server acknowledged.
pub fn drained(start: f64, end: f64, sent: usize) {
    set("__dalaDrainStart", &JsValue::from_f64(start));
    set("__dalaDrainEnd", &JsValue::from_f64(end));
    set("__dalaDrainSent", &JsValue::from_f64(sent as f64));
}

/// How long the last computation of the plan's tables took (ms), beside the screen's time.
pub fn tables(ms: f64) {
    set("__dalaTablesMs", &JsValue::from_f64(ms));
}

/// Adds `ms` to the running total named `name` (parts of a long job, for the benchmarks).
pub fn add(name: &str, ms: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str(name);
    let before = js_sys::Reflect::get(&window, &key)
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    set(name, &JsValue::from_f64(before + ms));
}

/// Sets `name` to the time now (ms since the page's navigation started).
pub fn mark(name: &str) {
    set(name, &JsValue::from_f64(now()));
}

/// The step start-up is at, for a browser test that finds the app not started to say where
/// it stopped.
pub fn step(what: &str) {
    set("__dalaStartUp", &JsValue::from_str(what));
}
