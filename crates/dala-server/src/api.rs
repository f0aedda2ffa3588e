//! The HTTP API under /api/v1 (JSON), and the built app beside it. Every route names the
//! action it performs and asks [`access::allowed`] before doing anything.

use crate::access::{Action, Role, Standing, allowed};
use crate::auth;
use crate::db::Db;
use crate::intake;
use crate::limits::SignInLimits;
use crate::problem::ApiError;
use crate::session::{self, Credential};
use crate::store::{Caller, StoreError};
use crate::tls::Peer;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The largest request body read (a bundle of a few thousand records; a workbook).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// How long a browser or CLI session lasts.
const SESSION_HOURS: i64 = 24;

/// The longest a request may take (a bundle of thousands of records over a slow link
/// included); then 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub limits: Arc<SignInLimits>,
    /// Served over TLS: cookies are marked Secure.
    pub secure: bool,
}

type Result<T> = std::result::Result<T, ApiError>;

/// The app and the API on one router. `dist` is the built app (None: the API alone);
/// `secure` when served over TLS.
pub fn router(db: Db, dist: Option<PathBuf>, secure: bool) -> Router {
    let state = AppState {
        db,
        limits: Arc::new(SignInLimits::default()),
        secure,
    };
    let api = Router::new()
        .route("/health", get(health))
        .route("/sessions", post(sign_in).delete(sign_out))
        .route("/sessions/current", get(current_session))
        .route("/projects", get(list_projects).post(create_project))
        .route("/users", post(create_user))
        .route(
            "/projects/{project}/roles",
            get(crate::team::list_members).post(set_role),
        )
        .route(
            "/projects/{project}/devices",
            get(crate::team::list_devices).post(enrol_device),
        )
        .route("/projects/{project}/progress", get(crate::team::progress))
        .route(
            "/projects/{project}/devices/{device}",
            axum::routing::delete(revoke_device),
        )
        .route(
            "/projects/{project}/instruments",
            get(list_instruments).post(publish),
        )
        .route(
            "/projects/{project}/instruments/{form}/{version}",
            get(get_instrument),
        )
        .route(
            "/projects/{project}/instruments/{form}/{version}/files",
            get(crate::form_files::list),
        )
        .route(
            "/projects/{project}/instruments/{form}/{version}/files/{name}",
            get(crate::form_files::get).put(crate::form_files::put),
        )
        .route(
            "/projects/{project}/submissions",
            get(list_submissions).post(submit),
        )
        .route(
            "/projects/{project}/submissions/{instance}",
            axum::routing::delete(delete_submission),
        )
        .route(
            "/projects/{project}/submissions/{instance}/review",
            put(review).get(review_history),
        )
        .route(
            "/projects/{project}/submissions/{instance}/files/{name}",
            get(submission_file),
        )
        .route(
            "/projects/{project}/exports/{form}",
            get(crate::export::export_form),
        )
        .route(
            "/projects/{project}/tables/{form}",
            get(crate::tables::own_plan_tables).post(crate::tables::sent_plan_tables),
        )
        .route("/projects/{project}/audit", get(project_audit))
        .route("/audit", get(site_audit))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(csrf_guard))
        .layer(axum::middleware::from_fn(errors_as_json))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state);
    let mut app = Router::new().nest("/api/v1", api);
    if let Some(dist) = dist {
        // The app's own routes (/enrol ...) are the shell; the service worker does the rest.
        let index = dist.join("index.html");
        app = app.fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)));
    }
    security_headers(app, secure).layer(axum::middleware::from_fn(crate::request_log::log_request))
}

fn security_headers(app: Router, secure: bool) -> Router {
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            // The app is wasm with its JS glue from the same origin; no inline script.
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' \
             'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    let app = fixed.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    });
    if secure {
        // Over TLS, browsers are told to come back over TLS only, for a year.
        app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    }
}

/// The OpenAPI document of this API.
async fn openapi() -> Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(crate::openapi::document).clone())
}

/// Gives every error the API's body: the framework's own refusals (a path parameter that is
/// not a number, a query that does not parse, a method a path does not have, a timeout) come
/// as plain text, and become `{"code", "message"}` here like the handlers' own.
async fn errors_as_json(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let text = axum::body::to_bytes(response.into_body(), 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, fallback) = match status {
        StatusCode::NOT_FOUND => ("S004", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("S005", "this path does not take that method"),
        StatusCode::REQUEST_TIMEOUT => ("S032", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("S006", "the request body is too large"),
        s if s.is_server_error() => ("S031", "the server failed"),
        _ => ("S005", "the request cannot be read"),
    };
    let message = if text.trim().is_empty() {
        fallback.to_string()
    } else {
        text
    };
    let mut answer = ApiError::new(status, code, message).into_response();
    if let Some(value) = retry_after {
        answer.headers_mut().insert(header::RETRY_AFTER, value);
    }
    answer
}

/// Refuses a write made with the session cookie but without its CSRF token (S008), before
/// any route sees it.
async fn csrf_guard(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if session::csrf_ok(request.method(), request.headers()) {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "S008",
            "a write with the session cookie needs its CSRF token (X-CSRF-Token)",
        )
        .into_response()
    }
}

/// The caller of a request, from its bearer token or session cookie.
async fn caller(db: &Db, headers: &HeaderMap) -> Result<Caller> {
    let credential = session::credential(headers).ok_or_else(ApiError::unauthenticated)?;
    let caller = db
        .caller_by_token(&auth::token_hash(credential.token()), &crate::clock::now())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if let Caller::Device { id, .. } = caller {
        db.device_seen(id).await?;
    }
    Ok(caller)
}

/// The caller's standing in a project (which must exist).
async fn standing(db: &Db, caller: &Caller, project: i64) -> Result<Standing> {
    if db.project(project).await?.is_none() {
        return Err(ApiError::not_found("the project"));
    }
    Ok(match caller {
        Caller::User {
            site_admin: true, ..
        } => Standing::SiteAdmin,
        Caller::User { id, .. } => db
            .role_of(project, *id)
            .await?
            .map_or(Standing::Outsider, Standing::Member),
        Caller::Device { project_id, .. } if *project_id == project => Standing::Device,
        Caller::Device { .. } => Standing::Outsider,
    })
}

/// Checks that the caller may perform `action` in `project`. A project the caller has no
/// part in is "not found" rather than "forbidden": its existence is not told to outsiders.
pub(crate) async fn may(
    db: &Db,
    headers: &HeaderMap,
    project: i64,
    action: Action,
) -> Result<Caller> {
    let caller = caller(db, headers).await?;
    match standing(db, &caller, project).await? {
        Standing::Outsider => Err(ApiError::not_found("the project")),
        standing if allowed(standing, action) => Ok(caller),
        _ => Err(ApiError::forbidden()),
    }
}

fn user_id(caller: &Caller) -> i64 {
    match caller {
        Caller::User { id, .. } => *id,
        // Devices publish and review nothing (the table says so); a device id never stands
        // for a user.
        Caller::Device { .. } => 0,
    }
}

fn json_body<T>(body: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    match body {
        Ok(Json(value)) => Ok(value),
        Err(JsonRejection::BytesRejection(e)) => Err(body_error(&e)),
        Err(e) => Err(ApiError::bad_request(e.body_text())),
    }
}

fn body_error(e: &BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "S006",
            format!("the request body is over {} MiB", MAX_BODY_BYTES >> 20),
        )
    } else {
        ApiError::bad_request(e.body_text())
    }
}

pub(crate) fn raw_body(body: std::result::Result<Bytes, BytesRejection>) -> Result<Bytes> {
    body.map_err(|e| body_error(&e))
}

async fn health(State(state): State<AppState>) -> Result<Json<Value>> {
    state.db.user_count().await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    name: String,
    password: String,
    /// A browser: the token goes in an HttpOnly cookie, the answer carries the CSRF token.
    #[serde(default)]
    cookie: bool,
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    body: std::result::Result<Json<SignIn>, JsonRejection>,
) -> Result<Response> {
    let SignIn {
        name,
        password,
        cookie,
    } = json_body(body)?;
    if let Some(wait) = state.limits.wait(from.ip(), &name, Instant::now()) {
        let mut refused = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "S009",
            "too many failed sign-ins: wait before trying again",
        )
        .into_response();
        refused.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(refused);
    }
    let found = state.db.user_by_name(&name).await?;
    // The same answer, after the same work, whether the name exists or not.
    let ok = auth::verify_password(&password, found.as_ref().map(|(_, h)| h.as_str()));
    let (true, Some((caller @ Caller::User { id, .. }, _))) = (ok, found) else {
        state.limits.failed(from.ip(), &name, Instant::now());
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "S003",
            "the name or the password is wrong",
        ));
    };
    let (token, hash) = auth::new_token()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?;
    let expires = crate::clock::after_hours(SESSION_HOURS);
    state
        .db
        .add_token(&hash, Some(id), None, Some(&expires))
        .await?;
    state
        .db
        .audit(
            &caller.label(),
            "session.create",
            None,
            &name,
            &from.ip().to_string(),
        )
        .await?;
    state.limits.succeeded(&name);
    if cookie {
        let cookie = session::set_cookie(&token, SESSION_HOURS * 3600, state.secure);
        return Ok((
            [(header::SET_COOKIE, cookie)],
            Json(json!({"csrf": session::csrf_of(&token), "expires": expires})),
        )
            .into_response());
    }
    Ok(Json(json!({"token": token, "expires": expires})).into_response())
}

/// Who the session is, and (for a browser's cookie) its CSRF token, so a page loaded again
/// can write.
async fn current_session(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>> {
    let caller = caller(&state.db, &headers).await?;
    let mut body = match &caller {
        Caller::User {
            name, site_admin, ..
        } => json!({"user": name, "site_admin": site_admin}),
        Caller::Device {
            id,
            project_id,
            name,
        } => json!({"device": id, "name": name, "project": project_id}),
    };
    if let Some(Credential::Cookie(token)) = session::credential(&headers) {
        body["csrf"] = json!(session::csrf_of(&token));
    }
    Ok(Json(body))
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    caller(&state.db, &headers).await?;
    let Some(credential) = session::credential(&headers) else {
        return Err(ApiError::unauthenticated());
    };
    state
        .db
        .revoke_token(&auth::token_hash(credential.token()))
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::set_cookie("", 0, state.secure))],
    )
        .into_response())
}

async fn list_projects(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>> {
    let caller = caller(&state.db, &headers).await?;
    let projects = state.db.projects_for(&caller).await?;
    Ok(Json(json!({ "projects": projects })))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProject {
    #[schemars(length(min = 1))]
    name: String,
}

async fn create_project(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: std::result::Result<Json<NewProject>, JsonRejection>,
) -> Result<Response> {
    let caller = caller(&state.db, &headers).await?;
    let standing = match caller {
        Caller::User {
            site_admin: true, ..
        } => Standing::SiteAdmin,
        _ => Standing::Outsider,
    };
    if !allowed(standing, Action::CreateProject) {
        return Err(ApiError::forbidden());
    }
    let NewProject { name } = json_body(body)?;
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("a project needs a name"));
    }
    let id = state.db.create_project(name.trim()).await?;
    state
        .db
        .audit(
            &caller.label(),
            "project.create",
            Some(id),
            &name,
            &from.ip().to_string(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": name.trim()})),
    )
        .into_response())
}

/// The shortest password accepted for a new account.
pub const MIN_PASSWORD: usize = 10;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    #[schemars(length(min = 1))]
    name: String,
    #[schemars(length(min = 10))]
    password: String,
    /// A site administrator (every project, every action).
    #[serde(default)]
    site_admin: bool,
}

async fn create_user(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: std::result::Result<Json<NewUser>, JsonRejection>,
) -> Result<Response> {
    let caller = caller(&state.db, &headers).await?;
    let standing = match caller {
        Caller::User {
            site_admin: true, ..
        } => Standing::SiteAdmin,
        _ => Standing::Outsider,
    };
    if !allowed(standing, Action::CreateUser) {
        return Err(ApiError::forbidden());
    }
    let NewUser {
        name,
        password,
        site_admin,
    } = json_body(body)?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a user needs a name without control characters",
        ));
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "a password has at least {MIN_PASSWORD} characters"
        )));
    }
    let hash = auth::hash_password(&password)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?;
    let id = state.db.create_user(&name, &hash, site_admin).await?;
    state
        .db
        .audit(
            &caller.label(),
            "user.create",
            None,
            &name,
            &from.ip().to_string(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": name, "site_admin": site_admin})),
    )
        .into_response())
}

async fn delete_submission(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path((project, instance)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let caller = may(&state.db, &headers, project, Action::DeleteSubmission).await?;
    if !state.db.delete_submission(project, &instance).await? {
        return Err(ApiError::not_found("the submission"));
    }
    state
        .db
        .audit(
            &caller.label(),
            "submission.delete",
            Some(project),
            &instance,
            &from.ip().to_string(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A file a submission brought (a photo, a recording), as it came. Sent as a download, never
/// shown by the browser as a page of the server's: a file is the device's, not ours.
async fn submission_file(
    State(state): State<AppState>,
    Path((project, instance, name)): Path<(i64, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    may(&state.db, &headers, project, Action::ReadSubmissions).await?;
    let Some((media_type, bytes)) = state.db.submission_file(project, &instance, &name).await?
    else {
        return Err(ApiError::not_found("the file"));
    };
    Ok(file_download(&media_type, bytes))
}

/// A stored file as a download of its media type: never shown inline nor sniffed, and
/// sandboxed should a browser open it all the same (a record's file is whatever a tablet sent).
pub(crate) fn file_download(media_type: &str, bytes: Vec<u8>) -> Response {
    let media_type = HeaderValue::from_str(media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, media_type),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleGrant {
    user: String,
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path(project): Path<i64>,
    headers: HeaderMap,
    body: std::result::Result<Json<RoleGrant>, JsonRejection>,
) -> Result<Json<Value>> {
    let caller = may(&state.db, &headers, project, Action::ManageUsers).await?;
    let RoleGrant { user, role } = json_body(body)?;
    let Some((Caller::User { id, .. }, _)) = state.db.user_by_name(&user).await? else {
        return Err(ApiError::not_found("the user"));
    };
    state.db.set_role(project, id, role).await?;
    state
        .db
        .audit(
            &caller.label(),
            "role.set",
            Some(project),
            &format!("{user}:{}", role.name()),
            &from.ip().to_string(),
        )
        .await?;
    Ok(Json(json!({"user": user, "role": role})))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDevice {
    #[schemars(length(min = 1))]
    name: String,
}

async fn enrol_device(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path(project): Path<i64>,
    headers: HeaderMap,
    body: std::result::Result<Json<NewDevice>, JsonRejection>,
) -> Result<Response> {
    let caller = may(&state.db, &headers, project, Action::ManageDevices).await?;
    let NewDevice { name } = json_body(body)?;
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("a device needs a name"));
    }
    let id = state.db.create_device(project, &name).await?;
    let (token, hash) = auth::new_token()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?;
    // A device's token does not expire; it is revoked with the device.
    state.db.add_token(&hash, None, Some(id), None).await?;
    state
        .db
        .audit(
            &caller.label(),
            "device.enrol",
            Some(project),
            &name,
            &from.ip().to_string(),
        )
        .await?;
    // The token travels in the fragment, which browsers never send to a server; the link
    // names this server as the manager reached it.
    let scheme = if state.secure { "https" } else { "http" };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let link = format!("{scheme}://{host}/enrol#project={project}&token={token}");
    let qr = crate::enrol::qr_svg(&link);
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": name, "token": token, "link": link, "qr_svg": qr})),
    )
        .into_response())
}

async fn revoke_device(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path((project, device)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let caller = may(&state.db, &headers, project, Action::ManageDevices).await?;
    if !state.db.revoke_device(project, device).await? {
        return Err(ApiError::not_found("the device"));
    }
    state
        .db
        .audit(
            &caller.label(),
            "device.revoke",
            Some(project),
            &device.to_string(),
            &from.ip().to_string(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_instruments(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ReadProject).await?;
    let published = state.db.instruments(project).await?;
    Ok(Json(json!({ "instruments": published })))
}

async fn get_instrument(
    State(state): State<AppState>,
    Path((project, form, version)): Path<(i64, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    may(&state.db, &headers, project, Action::ReadProject).await?;
    let document = state
        .db
        .instrument(project, &form, &version)
        .await?
        .ok_or_else(|| ApiError::not_found("the instrument version"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], document).into_response())
}

#[derive(Deserialize)]
struct PublishQuery {
    /// The workbook's file name (its stem is the form id when the settings sheet has none).
    name: Option<String>,
    /// Publish a version that does not fit data already collected (S023 otherwise).
    #[serde(default)]
    accept_breaking: bool,
}

async fn publish(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path(project): Path<i64>,
    Query(query): Query<PublishQuery>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let caller = may(&state.db, &headers, project, Action::Publish).await?;
    let bytes = raw_body(body)?;
    let instrument = crate::publish::read_instrument(&bytes, query.name.as_deref())?;
    let breaking = crate::publish::breaking_changes(&state.db, project, &instrument).await?;
    if !breaking.is_empty() && !query.accept_breaking {
        return Err(crate::publish::breaking_refused(&breaking));
    }
    let form_id = instrument.settings.form_id.clone();
    let version = instrument.settings.version.clone();
    let document = instrument.to_json();
    let added = match state
        .db
        .publish(project, &form_id, &version, &document, user_id(&caller))
        .await
    {
        Ok(added) => added,
        Err(StoreError::Exists(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "S021",
                format!(
                    "{form_id} version {version} is published with other content: versions \
                     never change, publish a new version"
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let target = format!("{form_id}@{version}");
    let body = json!({"form_id": form_id, "version": version, "added": added});
    added_or_held(
        &state,
        &caller,
        &from,
        project,
        ("instrument.publish", &target),
        added,
        body,
    )
    .await
}

/// The answer to a write that adds what was not there (201, audited as `action` on
/// `target`) or finds it held already (200, nothing changed).
pub(crate) async fn added_or_held(
    state: &AppState,
    caller: &Caller,
    from: &Peer,
    project: i64,
    (action, target): (&str, &str),
    added: bool,
    body: Value,
) -> Result<Response> {
    if added {
        state
            .db
            .audit(
                &caller.label(),
                action,
                Some(project),
                target,
                &from.ip().to_string(),
            )
            .await?;
    }
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path(project): Path<i64>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let caller = may(&state.db, &headers, project, Action::Submit).await?;
    let bytes = raw_body(body)?;
    let mut lines = intake::read_lines(&bytes)?;
    let files = lines.files();
    // The audit entry is written with the records, in the intake's transaction.
    let outcomes = state
        .db
        .intake(
            project,
            &lines.records(),
            files,
            &caller.label(),
            &from.ip().to_string(),
        )
        .await?;
    let report = intake::Report::new(&lines, &outcomes);
    Ok((report.status(), Json(report.to_json())).into_response())
}

#[derive(Deserialize)]
struct Page {
    /// The change sequence after which to list (0: from the start).
    after: Option<i64>,
    limit: Option<i64>,
    /// Only the records in this review state (a review queue).
    review_state: Option<String>,
}

async fn list_submissions(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    Query(page): Query<Page>,
    headers: HeaderMap,
) -> Result<Response> {
    may(&state.db, &headers, project, Action::ReadSubmissions).await?;
    let after = page.after.unwrap_or(0).max(0);
    let limit = page.limit.unwrap_or(1000).clamp(1, 10_000);
    let review_state = page.review_state.filter(|s| !s.is_empty());
    if let Some(wanted) = &review_state
        && !REVIEW_STATES.contains(&wanted.as_str())
    {
        return Err(not_a_review_state());
    }
    let submissions = state
        .db
        .submissions_in_state(project, review_state.as_deref(), after, limit)
        .await?;
    let next = submissions.last().map_or(after, |s| s.changed);
    // The page is the same while nothing changes after `after`: its last sequence and its
    // length name it.
    let etag = format!(
        "\"{project}-{after}-{next}-{}-{}\"",
        submissions.len(),
        review_state.as_deref().unwrap_or("")
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [(header::ETAG, etag)],
        Json(json!({"submissions": submissions, "next": next})),
    )
        .into_response())
}

/// The review states a submission can be in.
pub(crate) const REVIEW_STATES: [&str; 4] = ["received", "has_issues", "approved", "rejected"];

fn not_a_review_state() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "S022",
        format!(
            "the review state must be one of {}",
            REVIEW_STATES.join(", ")
        ),
    )
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    #[schemars(extend("enum" = ["received", "has_issues", "approved", "rejected"]))]
    state: String,
    comment: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path((project, instance)): Path<(i64, String)>,
    headers: HeaderMap,
    body: std::result::Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Json<Value>> {
    let caller = may(&state.db, &headers, project, Action::Review).await?;
    let ReviewBody {
        state: review_state,
        comment,
    } = json_body(body)?;
    if !REVIEW_STATES.contains(&review_state.as_str()) {
        return Err(not_a_review_state());
    }
    if !state
        .db
        .review(
            project,
            &instance,
            &review_state,
            comment.as_deref(),
            user_id(&caller),
        )
        .await?
    {
        return Err(ApiError::not_found("the submission"));
    }
    state
        .db
        .audit(
            &caller.label(),
            "submission.review",
            Some(project),
            &format!("{instance}:{review_state}"),
            &from.ip().to_string(),
        )
        .await?;
    Ok(Json(
        json!({"instance_id": instance, "state": review_state}),
    ))
}

async fn review_history(
    State(state): State<AppState>,
    Path((project, instance)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ReadSubmissions).await?;
    let history: Vec<Value> = state
        .db
        .reviews(project, &instance)
        .await?
        .into_iter()
        .map(|(state, comment, by, at)| json!({"state": state, "comment": comment, "by": by, "at": at}))
        .collect();
    Ok(Json(json!({ "history": history })))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<i64>,
}

async fn project_audit(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    Query(query): Query<AuditQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ReadAudit).await?;
    let entries = state
        .db
        .audit_log(Some(project), query.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(json!({ "audit": entries })))
}

async fn site_audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    match caller(&state.db, &headers).await? {
        Caller::User {
            site_admin: true, ..
        } => {}
        _ => return Err(ApiError::forbidden()),
    }
    let entries = state
        .db
        .audit_log(None, query.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(json!({ "audit": entries })))
}
