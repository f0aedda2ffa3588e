//! Small wrappers over browser APIs the views use: fetching text, saving a file, the
//! storage manager. Errors come back as text for the notice bar.

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no window".to_string())
}

/// How long one GET may take before it is given up and tried again.
const FETCH_TIMEOUT_MS: i32 = 8_000;

/// GETs a file of the app (same origin; the service worker answers offline). A request that
/// stalls (a connection that never answers: seen in the browser tests while the service worker
/// was installing, and a fact of life on a field office's network) is aborted after 8 s and
/// sent again, up to three times; an HTTP error is an answer and is not retried.
pub async fn fetch_text(path: &str) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..3 {
        match fetch_once(path).await {
            Ok(result) => return result,
            Err(stalled) => last = stalled,
        }
    }
    Err(format!("{path}: {last}"))
}

/// `Err` when the request failed or stalled (worth another try); `Ok(Err)` for an HTTP error.
async fn fetch_once(path: &str) -> Result<Result<String, String>, String> {
    let window = window()?;
    let controller = web_sys::AbortController::new().map_err(js_error)?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            FETCH_TIMEOUT_MS,
        )
        .map_err(js_error)?;
    let result = async {
        let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
            .await
            .map_err(js_error)?;
        let response: web_sys::Response = response.dyn_into().map_err(js_error)?;
        if !response.ok() {
            return Ok(Err(format!("{path}: HTTP {}", response.status())));
        }
        // The body is read under the same timer: a stalled body is aborted too.
        let text = JsFuture::from(response.text().map_err(js_error)?)
            .await
            .map_err(js_error)?;
        Ok(text.as_string().ok_or_else(|| format!("{path}: not text")))
    }
    .await;
    window.clear_timeout_with_handle(timer);
    result
}

/// Offers `text` as a file download named `name`.
pub fn save_file(name: &str, text: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    download(name, &parts, mime)
}

/// Offers bytes (an .xlsx) as a download named `name`.
pub fn save_bytes(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    download(name, &parts, mime)
}

fn download(name: &str, parts: &js_sys::Array, mime: &str) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &options).map_err(js_error)?;
    save_blob(name, &blob)
}

fn save_blob(name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(js_error)?;
    let document = window()?.document().ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The click has started the download; the object URL can go once it has been read.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    Ok(())
}

/// An SVG drawing as a `data:` URL for an `<img>`: the picture is shown, never parsed into
/// the page, so nothing in it (labels come from instruments) can become markup or script.
pub fn svg_url(svg: &str) -> String {
    format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(svg))
    )
}

/// Offers an SVG drawing as a PNG download, drawn at twice its size for print.
pub fn save_png(name: &str, svg: &str) -> Result<(), String> {
    let document = window()?.document().ok_or("no document")?;
    let image: web_sys::HtmlImageElement = document
        .create_element("img")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not an image".to_string())?;
    let (name, loaded) = (name.to_string(), image.clone());
    let onload = wasm_bindgen::closure::Closure::once_into_js(move || {
        let drawn: Result<(), String> = (|| {
            let canvas: web_sys::HtmlCanvasElement = document
                .create_element("canvas")
                .map_err(js_error)?
                .dyn_into()
                .map_err(|_| "not a canvas".to_string())?;
            let (w, h) = (
                loaded.natural_width().max(1),
                loaded.natural_height().max(1),
            );
            canvas.set_width(w * 2);
            canvas.set_height(h * 2);
            let context: web_sys::CanvasRenderingContext2d = canvas
                .get_context("2d")
                .map_err(js_error)?
                .ok_or("no 2d context")?
                .dyn_into()
                .map_err(|_| "not a 2d context".to_string())?;
            // A white ground: a transparent PNG prints black text on black in some viewers.
            context.set_fill_style_str("#ffffff");
            context.fill_rect(0.0, 0.0, f64::from(w * 2), f64::from(h * 2));
            context
                .draw_image_with_html_image_element_and_dw_and_dh(
                    &loaded,
                    0.0,
                    0.0,
                    f64::from(w * 2),
                    f64::from(h * 2),
                )
                .map_err(js_error)?;
            let saved =
                wasm_bindgen::closure::Closure::once_into_js(move |blob: Option<web_sys::Blob>| {
                    if let Some(blob) = blob {
                        let _ = save_blob(&name, &blob);
                    }
                });
            canvas.to_blob(saved.unchecked_ref()).map_err(js_error)
        })();
        if let Err(e) = drawn {
            web_sys::console::error_1(&JsValue::from_str(&e));
        }
    });
    image.set_onload(Some(onload.unchecked_ref()));
    image.set_src(&svg_url(svg));
    Ok(())
}

/// Waits for the next task: a long job done in slices lets the page draw and answer input
/// between them.
pub async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(window) = window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Loads another page of the app (the other workspace), replacing this one in the history.
pub fn open_page(url: &str) {
    if let Ok(window) = window() {
        let _ = window.location().replace(url);
    }
}

/// Runs `f` in a task of its own, after the current one (a frame can be drawn in between).
pub fn later(f: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    if let Ok(window) = window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), 0);
    }
}

/// Brings a question into view, marks it (`data-marked`, styled) and, with `focus`, puts
/// the focus on its first control (in the middle of the screen then; otherwise as little
/// scrolling as will show it).
pub fn mark_and_focus(element: &web_sys::HtmlElement, focus: bool) {
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(if focus {
        web_sys::ScrollLogicalPosition::Center
    } else {
        web_sys::ScrollLogicalPosition::Nearest
    });
    element.scroll_into_view_with_scroll_into_view_options(&options);
    let _ = element.set_attribute("data-marked", "");
    if !focus {
        return;
    }
    let control = element
        .query_selector("input:not([type=search]), textarea, select, button")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(control) = control {
        let options = web_sys::FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = control.focus_with_options(&options);
    }
}

/// Reads a picked file as text.
pub async fn read_file(file: &web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text()).await.map_err(js_error)?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// Reads a picked file as bytes.
pub async fn read_bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The files in a list (a file input's, a drop's).
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}

/// The files a file input's change picked; the input is emptied, so picking the same file
/// again is a change too.
pub fn take_picked(ev: &web_sys::Event) -> Vec<web_sys::File> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = files_of(input.files());
    input.set_value("");
    files
}

/// The bytes of a range of a Blob (a slice of a picked file, read from disk).
pub async fn read_range(blob: &web_sys::Blob, offset: u64, len: usize) -> Result<Vec<u8>, String> {
    let end = offset.saturating_add(len as u64);
    let part = blob
        .slice_with_f64_and_f64(offset as f64, end as f64)
        .map_err(js_error)?;
    let buffer = JsFuture::from(part.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The lowercase hex SHA-256 of a Blob's bytes by the browser's own digest (WebCrypto, far
/// faster than the module's); None where there is none (a page not served securely).
pub async fn sha256_hex(blob: &web_sys::Blob) -> Option<String> {
    let subtle = window().ok()?.crypto().ok()?.subtle();
    if subtle.is_undefined() {
        return None;
    }
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    let digest = subtle
        .digest_with_str_and_buffer_source("SHA-256", &js_sys::Object::from(buffer))
        .ok()?;
    let digest = JsFuture::from(digest).await.ok()?;
    Some(
        js_sys::Uint8Array::new(&digest)
            .to_vec()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Asks the browser to keep this site's storage when space runs low; true when granted.
pub async fn persist() -> bool {
    let Ok(window) = window() else { return false };
    let storage = window.navigator().storage();
    match storage.persist() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// `(bytes used, bytes available)` as the browser estimates them.
pub async fn estimate() -> Option<(f64, f64)> {
    let storage = window().ok()?.navigator().storage();
    let estimate = JsFuture::from(storage.estimate().ok()?).await.ok()?;
    let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
    Some((estimate.get_usage()?, estimate.get_quota()?))
}

/// The words of a JS error (an Error, a DOMException, or a thrown string).
pub fn js_error(value: JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .or_else(|| {
            value
                .dyn_ref::<web_sys::DomException>()
                .map(|e| format!("{}: {}", e.name(), e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

/// A module boot.js loads on first use (a dynamic import is JavaScript, and the page's
/// Content-Security-Policy forbids building code from strings): `loader` is the name of
/// boot.js's function on `window` that imports it once and hands out the same promise.
pub async fn lazy_module(loader: &str) -> Result<JsValue, String> {
    let window = window()?;
    let load: js_sys::Function = js_sys::Reflect::get(&window, &loader.into())
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| format!("{loader} is missing from boot.js"))?;
    let promise: js_sys::Promise = load
        .call0(&JsValue::NULL)
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| format!("{loader} gave no promise"))?;
    JsFuture::from(promise).await.map_err(js_error)
}

/// A function a lazily loaded module exports.
pub fn module_function(module: &JsValue, name: &str) -> Result<js_sys::Function, String> {
    js_sys::Reflect::get(module, &name.into())
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| format!("the module has no {name}"))
}

/// `12.3 MB` (`12,3 МБ`) for a byte count.
pub fn megabytes(bytes: f64, lang: crate::i18n::Lang) -> String {
    let number = format!("{:.1}", bytes / 1_000_000.0);
    match lang {
        crate::i18n::Lang::En => format!("{number} MB"),
        crate::i18n::Lang::Ru => format!("{} МБ", number.replace('.', ",")),
    }
}

pub fn location_hash() -> String {
    window()
        .ok()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

pub fn set_location_hash(hash: &str) {
    if let Ok(w) = window() {
        let _ = w.location().set_hash(hash);
    }
}

/// A phone's width (the layout's narrow breakpoint): what is drawn for the screen is drawn
/// narrow.
pub fn narrow_screen() -> bool {
    window()
        .ok()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w <= 600.0)
}

/// Scrolls the element `selector` finds to the top of the screen when it is not on it.
pub fn bring_into_view(selector: &str) {
    let Some(element) = window()
        .ok()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
    else {
        return;
    };
    let height = window()
        .ok()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    let top = element.get_bounding_client_rect().top();
    if top < 0.0 || top > height * 0.6 {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Start);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// Changes the address's fragment without a `hashchange` and without a new history entry.
pub fn replace_location_hash(hash: &str) {
    if let Ok(w) = window()
        && let Ok(history) = w.history()
    {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

/// A position as a geopoint answer: `lat lon altitude accuracy`.
fn geopoint_of(position: &web_sys::Position) -> String {
    let c = position.coords();
    format!(
        "{} {} {} {}",
        c.latitude(),
        c.longitude(),
        c.altitude().unwrap_or(0.0),
        c.accuracy()
    )
}

/// Asks the device for its position once, as a geopoint answer.
pub fn locate(done: impl FnOnce(Result<String, String>) + 'static) {
    let Ok(geolocation) = window().and_then(|w| w.navigator().geolocation().map_err(js_error))
    else {
        done(Err("no geolocation".into()));
        return;
    };
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let on_error = done.clone();
    let success =
        wasm_bindgen::closure::Closure::once_into_js(move |position: web_sys::Position| {
            if let Some(done) = done.borrow_mut().take() {
                done(Ok(geopoint_of(&position)));
            }
        });
    let failure =
        wasm_bindgen::closure::Closure::once_into_js(move |error: web_sys::PositionError| {
            if let Some(done) = on_error.borrow_mut().take() {
                done(Err(error.message()));
            }
        });
    let _ = geolocation.get_current_position_with_error_callback(
        success.unchecked_ref(),
        Some(failure.unchecked_ref()),
    );
}

type FixCallback = wasm_bindgen::closure::Closure<dyn Fn(web_sys::Position)>;

thread_local! {
    /// The one watch of the device's position (one interview is open at a time): its id and
    /// the callback, which must live as long as the watch.
    static WATCH: std::cell::RefCell<Option<(i32, FixCallback)>> =
        const { std::cell::RefCell::new(None) };
}

/// Follows the device's position, each fix as a geopoint answer, until
/// [`stop_watching_location`]; a watch already running is replaced. Nothing happens where the
/// browser has no geolocation or the user refuses it: the questions that wanted it stay
/// empty, as with no fix.
pub fn watch_location(on_fix: impl Fn(String) + 'static) {
    stop_watching_location();
    let Ok(geolocation) = window().and_then(|w| w.navigator().geolocation().map_err(js_error))
    else {
        return;
    };
    let callback: FixCallback =
        wasm_bindgen::closure::Closure::new(move |position: web_sys::Position| {
            on_fix(geopoint_of(&position));
        });
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    if let Ok(id) = geolocation.watch_position_with_error_callback_and_options(
        callback.as_ref().unchecked_ref(),
        None,
        &options,
    ) {
        WATCH.with(|w| *w.borrow_mut() = Some((id, callback)));
    }
}

/// Stops following the device's position (the interview that wanted it has gone).
pub fn stop_watching_location() {
    let Some((id, _callback)) = WATCH.with(|w| w.borrow_mut().take()) else {
        return;
    };
    if let Ok(geolocation) = window().and_then(|w| w.navigator().geolocation().map_err(js_error)) {
        geolocation.clear_watch(id);
    }
}

/// How long sending a slice of records may take before it is given up (a slow link carries
/// a slice of photos in this time; the records stay in the outbox either way).
const POST_TIMEOUT_MS: i32 = 120_000;

/// POSTs bundle bytes with a bearer token: the server's status and body, or why no answer
/// came (no network, the server down, the time up).
pub async fn post_bundle(
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<crate::sync::Answer, String> {
    let headers = [
        ("Authorization", format!("Bearer {token}")),
        ("Content-Type", "application/x-ndjson".to_string()),
    ];
    let body = js_sys::Uint8Array::from(&body[..]);
    call_server("POST", url, &headers, Some(body.into())).await
}

/// GETs from the server with a bearer token (see [`post_bundle`]).
pub async fn get_from_server(url: &str, token: &str) -> Result<crate::sync::Answer, String> {
    call_server(
        "GET",
        url,
        &[("Authorization", format!("Bearer {token}"))],
        None,
    )
    .await
}

/// A request to the API with the session cookie a sign-in set (the browser sends it), a
/// write carrying the session's CSRF token; `json` is the body, if any.
pub async fn call_api(
    method: &str,
    url: &str,
    csrf: &str,
    json: Option<String>,
) -> Result<crate::sync::Answer, String> {
    let mut headers = vec![("X-CSRF-Token", csrf.to_string())];
    if json.is_some() {
        headers.push(("Content-Type", "application/json".to_string()));
    }
    call_server(method, url, &headers, json.map(|j| JsValue::from_str(&j))).await
}

/// [`call_api`] with bytes as the body (a form's file sent to the server).
pub async fn call_api_bytes(
    method: &str,
    url: &str,
    csrf: &str,
    bytes: &[u8],
) -> Result<crate::sync::Answer, String> {
    let headers = [
        ("X-CSRF-Token", csrf.to_string()),
        ("Content-Type", "application/octet-stream".to_string()),
    ];
    let body = js_sys::Uint8Array::from(bytes);
    call_server(method, url, &headers, Some(body.into())).await
}

/// One request to the server: its status and body, or why no answer came.
async fn call_server(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<JsValue>,
) -> Result<crate::sync::Answer, String> {
    let (status, text) =
        fetch_with_timeout(method, url, headers, body, web_sys::Response::text).await?;
    Ok(crate::sync::Answer {
        status,
        body: text.as_string().unwrap_or_default(),
    })
}

/// GETs bytes from the server (a form's file) with a bearer token, or else with the session
/// cookie: the status and the body.
pub async fn get_bytes_from_server(
    url: &str,
    token: Option<&str>,
) -> Result<(u16, Vec<u8>), String> {
    let headers: Vec<(&str, String)> = token
        .map(|t| ("Authorization", format!("Bearer {t}")))
        .into_iter()
        .collect();
    let (status, buffer) =
        fetch_with_timeout("GET", url, &headers, None, web_sys::Response::array_buffer).await?;
    Ok((status, js_sys::Uint8Array::new(&buffer).to_vec()))
}

/// One request, given up after [`POST_TIMEOUT_MS`] (the body's reading included): the status
/// and the body as `read` takes it, or why no answer came.
async fn fetch_with_timeout(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<JsValue>,
    read: fn(&web_sys::Response) -> Result<js_sys::Promise, JsValue>,
) -> Result<(u16, JsValue), String> {
    let window = window()?;
    let controller = web_sys::AbortController::new().map_err(js_error)?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    init.set_method(method);
    let fields = js_sys::Object::new();
    for (name, value) in headers {
        js_sys::Reflect::set(&fields, &JsValue::from_str(name), &JsValue::from_str(value))
            .map_err(js_error)?;
    }
    init.set_headers(&fields);
    if let Some(body) = body {
        init.set_body(&body);
    }
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            POST_TIMEOUT_MS,
        )
        .map_err(js_error)?;
    let result = async {
        let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(js_error)?;
        let response: web_sys::Response = response.dyn_into().map_err(js_error)?;
        let body = JsFuture::from(read(&response).map_err(js_error)?)
            .await
            .map_err(js_error)?;
        Ok((response.status(), body))
    }
    .await;
    window.clear_timeout_with_handle(timer);
    result
}

/// The enrolment an enrolment link opened the app with (`/enrol#project=..&token=..`),
/// taken out of the address bar at once: the token is never in the browser's history.
pub fn take_enrolment_link() -> Option<crate::sync::Enrolment> {
    let window = window().ok()?;
    let location = window.location();
    if !location.pathname().ok()?.ends_with("/enrol") {
        return None;
    }
    let enrolment =
        crate::sync::Enrolment::from_fragment(&location.origin().ok()?, &location.hash().ok()?);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some("./"));
    }
    enrolment
}

/// Calls `then` each time the browser comes back online.
pub fn on_online(then: impl Fn() + 'static) {
    if let Ok(window) = window() {
        let callback = wasm_bindgen::closure::Closure::<dyn Fn()>::new(then);
        let _ =
            window.add_event_listener_with_callback("online", callback.as_ref().unchecked_ref());
        // Kept for the page's life.
        callback.forget();
    }
}

/// Calls `then` once after `ms` milliseconds; the timer's handle, to clear it.
pub fn after(ms: u32, then: impl FnOnce() + 'static) -> Option<i32> {
    let callback = wasm_bindgen::closure::Closure::once_into_js(then);
    window()
        .ok()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            i32::try_from(ms).unwrap_or(i32::MAX),
        )
        .ok()
}

pub fn clear_timer(handle: i32) {
    if let Ok(window) = window() {
        window.clear_timeout_with_handle(handle);
    }
}

/// A time (ISO 8601, any offset) as the day and minute it is on this device's clock:
/// `2015-03-18 16:42` (a server's receipt is in UTC; the enumerator reads local time).
pub fn local_minute(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return crate::i18n::short_time(iso);
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// How many days ago a time (ISO 8601) was, on this device's clock; None if it does not read
/// as a time.
pub fn days_ago(iso: &str) -> Option<f64> {
    let then = js_sys::Date::new(&JsValue::from_str(iso)).get_time();
    (!then.is_nan()).then(|| (js_sys::Date::now() - then) / 86_400_000.0)
}
