//! The API's OpenAPI 3.1 document, served at /api/v1/openapi.json: every route of
//! [`crate::api::router`] with its parameters, bodies and answers. The bodies' schemas come
//! from the Rust types (schemars); a test checks that every route the router has is here and
//! the other way round, and the API fuzzing checks the answers against it.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// The shapes of the answers, as the handlers write them.
pub mod shapes {
    use schemars::JsonSchema;

    /// Every error: a stable code, the words, and located problems when there are any.
    #[derive(JsonSchema)]
    pub struct Error {
        pub code: String,
        pub message: String,
        pub details: Option<Vec<serde_json::Value>>,
    }

    #[derive(JsonSchema)]
    pub struct Health {
        pub ok: bool,
    }

    /// A session: the token (command line, devices) or, for a browser, the CSRF token (the
    /// session itself is in an HttpOnly cookie).
    #[derive(JsonSchema)]
    pub struct Session {
        pub token: Option<String>,
        pub csrf: Option<String>,
        pub expires: String,
    }

    #[derive(JsonSchema)]
    pub struct CurrentSession {
        pub user: Option<String>,
        pub site_admin: Option<bool>,
        pub device: Option<i64>,
        pub name: Option<String>,
        pub project: Option<i64>,
        pub csrf: Option<String>,
    }

    #[derive(JsonSchema)]
    pub struct Projects {
        pub projects: Vec<crate::store::Project>,
    }

    #[derive(JsonSchema)]
    pub struct ProjectMade {
        pub id: i64,
        pub name: String,
    }

    #[derive(JsonSchema)]
    pub struct UserMade {
        pub id: i64,
        pub name: String,
        pub site_admin: bool,
    }

    #[derive(JsonSchema)]
    pub struct RoleGiven {
        pub user: String,
        pub role: crate::access::Role,
    }

    /// A device enrolled: its token once, and the link (and QR code) that hands it over.
    #[derive(JsonSchema)]
    pub struct Enrolment {
        pub id: i64,
        pub name: String,
        pub token: String,
        pub link: String,
        pub qr_svg: Option<String>,
    }

    #[derive(JsonSchema)]
    pub struct Instruments {
        pub instruments: Vec<crate::store::Published>,
    }

    #[derive(JsonSchema)]
    pub struct PublishedVersion {
        pub form_id: String,
        pub version: String,
        /// False: this version was published before with the same document.
        pub added: bool,
    }

    /// A form file taken (or held already: `added` false).
    #[derive(JsonSchema)]
    pub struct FormFileTaken {
        pub name: String,
        pub sha256: String,
        pub added: bool,
    }

    /// One line of a bundle sent, and what became of it.
    #[derive(JsonSchema)]
    pub struct LineOutcome {
        pub line: u64,
        pub instance_id: Option<String>,
        /// added, duplicate or refused.
        pub outcome: String,
        pub receipt: Option<crate::store::ServerReceipt>,
        pub code: Option<String>,
        pub message: Option<String>,
    }

    #[derive(JsonSchema)]
    pub struct IntakeReport {
        pub added: u64,
        pub duplicates: u64,
        pub refused: u64,
        pub records: Vec<LineOutcome>,
    }

    #[derive(JsonSchema)]
    pub struct Submissions {
        pub submissions: Vec<crate::store::StoredSubmission>,
        /// The cursor for the next page: pass it as `after`.
        pub next: i64,
    }

    #[derive(JsonSchema)]
    pub struct Reviewed {
        pub instance_id: String,
        pub state: String,
    }

    #[derive(JsonSchema)]
    pub struct ReviewEntry {
        pub state: String,
        pub comment: Option<String>,
        pub by: String,
        pub at: String,
    }

    #[derive(JsonSchema)]
    pub struct ReviewHistory {
        pub history: Vec<ReviewEntry>,
    }

    #[derive(JsonSchema)]
    pub struct Audit {
        pub audit: Vec<crate::store::AuditEntry>,
    }

    #[derive(JsonSchema)]
    pub struct Members {
        pub members: Vec<crate::team::Member>,
    }

    #[derive(JsonSchema)]
    pub struct Devices {
        pub devices: Vec<crate::team::DeviceRow>,
    }

    #[derive(JsonSchema)]
    pub struct Progress {
        pub progress: Vec<crate::team::ProgressRow>,
    }
}

/// What a route takes as its body.
enum Body {
    None,
    Json(Value),
    /// Bundle lines as a tablet hands them over.
    Lines,
    /// An instrument document (JSON) or an XLSForm workbook.
    Instrument(Value),
    /// Text: an analysis plan (TOML).
    Text,
    /// A file's bytes as they are.
    File,
}

/// The parameters that choose records, for the export and the tables alike.
const RECORD_FILTERS: &[(&str, &str)] = &[
    (
        "review_state",
        "Only records in these review states (comma-separated)",
    ),
    (
        "received_from",
        "Only records received at or after this date or time (UTC)",
    ),
    (
        "received_to",
        "Only records received before this date or time (UTC)",
    ),
    ("device", "Only records of this device"),
    (
        "after",
        "Only records changed after this cursor (the Dala-Cursor header an answer gave)",
    ),
];

/// Query parameters: `own`, then the parameters that choose records.
fn with_filters(own: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    [own, RECORD_FILTERS].concat()
}

struct Route {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    query: Vec<(&'static str, &'static str)>,
    body: Body,
    /// The success statuses and their schema (None: no body).
    ok: Vec<(u16, Option<Value>)>,
    /// Signed in or not.
    public: bool,
}

/// Every status an error can come with, documented on every route (the middleware that
/// words errors makes each of them the error body).
const ERRORS: [u16; 12] = [400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 503];

fn routes(g: &mut SchemaGenerator, error: &Value) -> Vec<Route> {
    use shapes::*;
    let s = |schema: schemars::Schema| Some(schema.to_value());
    let health = s(g.subschema_for::<Health>());
    let session = s(g.subschema_for::<Session>());
    let current = s(g.subschema_for::<CurrentSession>());
    let projects = s(g.subschema_for::<Projects>());
    let project_made = s(g.subschema_for::<ProjectMade>());
    let role_given = s(g.subschema_for::<RoleGiven>());
    let enrolment = s(g.subschema_for::<Enrolment>());
    let instruments = s(g.subschema_for::<Instruments>());
    let instrument = s(g.subschema_for::<dala_core::Instrument>());
    let published = s(g.subschema_for::<PublishedVersion>());
    let form_files = s(g.subschema_for::<Vec<crate::form_files::FormFile>>());
    let file_taken = s(g.subschema_for::<FormFileTaken>());
    let report = s(g.subschema_for::<IntakeReport>());
    let submissions = s(g.subschema_for::<Submissions>());
    let reviewed = s(g.subschema_for::<Reviewed>());
    let history = s(g.subschema_for::<ReviewHistory>());
    let audit = s(g.subschema_for::<Audit>());
    let members = s(g.subschema_for::<Members>());
    let devices = s(g.subschema_for::<Devices>());
    let progress = s(g.subschema_for::<Progress>());
    let sign_in = s(g.subschema_for::<crate::api::SignIn>()).unwrap_or_default();
    let new_project = s(g.subschema_for::<crate::api::NewProject>()).unwrap_or_default();
    let new_user = s(g.subschema_for::<crate::api::NewUser>()).unwrap_or_default();
    let user_made = s(g.subschema_for::<UserMade>());
    let grant = s(g.subschema_for::<crate::api::RoleGrant>()).unwrap_or_default();
    let new_device = s(g.subschema_for::<crate::api::NewDevice>()).unwrap_or_default();
    let review = s(g.subschema_for::<crate::api::ReviewBody>()).unwrap_or_default();
    let route = |method, path, summary, body, ok: Vec<(u16, Option<Value>)>| Route {
        method,
        path,
        summary,
        query: Vec::new(),
        body,
        ok,
        public: false,
    };
    vec![
        Route {
            public: true,
            ..route(
                "get",
                "/health",
                "Whether the server and its database answer",
                Body::None,
                vec![(200, health)],
            )
        },
        Route {
            public: true,
            ..route(
                "get",
                "/openapi.json",
                "This document",
                Body::None,
                vec![(200, Some(json!({"type": "object"})))],
            )
        },
        Route {
            public: true,
            ..route(
                "post",
                "/sessions",
                "Sign in with a name and password (limited per address and per account)",
                Body::Json(sign_in),
                vec![(200, session)],
            )
        },
        route(
            "delete",
            "/sessions",
            "Sign out: the token ends",
            Body::None,
            vec![(204, None)],
        ),
        route(
            "get",
            "/sessions/current",
            "Who the session is (and a browser's CSRF token)",
            Body::None,
            vec![(200, current)],
        ),
        route(
            "get",
            "/projects",
            "The projects the caller has a part in",
            Body::None,
            vec![(200, projects)],
        ),
        route(
            "post",
            "/projects",
            "Create a project (site administrators)",
            Body::Json(new_project),
            vec![(201, project_made)],
        ),
        route(
            "post",
            "/users",
            "Create a user account (site administrators)",
            Body::Json(new_user),
            vec![(201, user_made)],
        ),
        route(
            "delete",
            "/projects/{project}/submissions/{instance}",
            "Delete a record: kept, out of every page, never taken again (managers)",
            Body::None,
            vec![(204, None)],
        ),
        route(
            "get",
            "/projects/{project}/roles",
            "The project's members and their roles (managers)",
            Body::None,
            vec![(200, members)],
        ),
        route(
            "get",
            "/projects/{project}/devices",
            "The project's devices: last contact, records sent (managers)",
            Body::None,
            vec![(200, devices)],
        ),
        Route {
            query: vec![
                ("form", "One form's records only"),
                (
                    "by",
                    "Count by the answers to this top-level question of the form as well (needs form; S024 otherwise)",
                ),
            ],
            ..route(
                "get",
                "/projects/{project}/progress",
                "Records received per day and sender (and answer)",
                Body::None,
                vec![(200, progress)],
            )
        },
        route(
            "post",
            "/projects/{project}/roles",
            "Give a user a role in the project",
            Body::Json(grant),
            vec![(200, role_given)],
        ),
        route(
            "post",
            "/projects/{project}/devices",
            "Enrol a device: its token, link and QR code",
            Body::Json(new_device),
            vec![(201, enrolment)],
        ),
        route(
            "delete",
            "/projects/{project}/devices/{device}",
            "Revoke a device and its token",
            Body::None,
            vec![(204, None)],
        ),
        route(
            "get",
            "/projects/{project}/instruments",
            "The versions the project publishes",
            Body::None,
            vec![(200, instruments)],
        ),
        Route {
            query: vec![
                (
                    "name",
                    "The workbook's file name (its stem is the form id when the settings sheet has none)",
                ),
                (
                    "accept_breaking",
                    "Publish a version that does not fit data already collected (S023, 409, otherwise)",
                ),
            ],
            ..route(
                "post",
                "/projects/{project}/instruments",
                "Publish a version (an instrument document or an XLSForm); versions never change",
                Body::Instrument(instrument.clone().unwrap_or_default()),
                vec![(200, published.clone()), (201, published)],
            )
        },
        route(
            "get",
            "/projects/{project}/instruments/{form}/{version}",
            "A published version's document",
            Body::None,
            vec![(200, instrument)],
        ),
        route(
            "get",
            "/projects/{project}/instruments/{form}/{version}/files",
            "The files a version attaches (lists, label media), each with whether the server holds it",
            Body::None,
            vec![(200, form_files)],
        ),
        route(
            "get",
            "/projects/{project}/instruments/{form}/{version}/files/{name}",
            "A file a version attaches, as a download of its media type (404 until it is sent)",
            Body::None,
            vec![(200, None)],
        ),
        route(
            "put",
            "/projects/{project}/instruments/{form}/{version}/files/{name}",
            "Send a file a published version attaches: exactly the bytes its document describes (S026 otherwise)",
            Body::File,
            vec![(200, file_taken.clone()), (201, file_taken)],
        ),
        route(
            "post",
            "/projects/{project}/submissions",
            "Send records as bundle lines; each line's outcome, a resend getting its original receipt",
            Body::Lines,
            vec![
                (200, report.clone()),
                (409, report.clone()),
                // Every record refused, or the whole file (not a bundle: the error body).
                (422, report.map(|r| json!({"anyOf": [r, error.clone()]}))),
            ],
        ),
        Route {
            query: vec![
                (
                    "after",
                    "The change sequence after which to list (0: from the start)",
                ),
                ("limit", "At most this many (1-10,000)"),
                (
                    "review_state",
                    "Only records in this review state, deleted ones left out (a review queue; S022 for another word)",
                ),
            ],
            ..route(
                "get",
                "/projects/{project}/submissions",
                "A page of records by change sequence (ETag, 304)",
                Body::None,
                vec![(200, submissions), (304, None)],
            )
        },
        route(
            "put",
            "/projects/{project}/submissions/{instance}/review",
            "Set a record's review state, with a comment",
            Body::Json(review),
            vec![(200, reviewed)],
        ),
        route(
            "get",
            "/projects/{project}/submissions/{instance}/review",
            "A record's review history",
            Body::None,
            vec![(200, history)],
        ),
        route(
            "get",
            "/projects/{project}/submissions/{instance}/files/{name}",
            "A file a record brought (a photo, a recording), as it came, as a download of its media type",
            Body::None,
            vec![(200, None)],
        ),
        Route {
            query: with_filters(&[
                (
                    "version",
                    "The version whose columns the export has (default: the one published last)",
                ),
                (
                    "files",
                    "The records' files under files/<instance id>/ (default true)",
                ),
                (
                    "labels",
                    "Choice labels in this language instead of codes, and a codebook",
                ),
                (
                    "split_select_multiples",
                    "A 0/1 column per choice of a select_multiple",
                ),
                ("no_group_paths", "Bare question names as column headers"),
            ]),
            ..route(
                "get",
                "/projects/{project}/exports/{form}",
                "The wide CSV export of a form's records as a .zip (main table, one per repeat, codebook, files), streamed: dala export's bytes for the same records; 304 for a matching If-None-Match",
                Body::None,
                vec![(200, None), (304, None)],
            )
        },
        Route {
            query: with_filters(&[
                (
                    "version",
                    "The version whose questions the plan names (default: the one published last)",
                ),
                (
                    "by",
                    "Every table of the own plan disaggregated by this select_one question",
                ),
                ("weight", "The own plan weighted by this numeric question"),
            ]),
            ..route(
                "get",
                "/projects/{project}/tables/{form}",
                "The tidy tables (CSV) of the form's own plan over its records: dala aggregate's bytes for the same records; 304 for a matching If-None-Match",
                Body::None,
                vec![(200, None), (304, None)],
            )
        },
        Route {
            query: with_filters(&[(
                "version",
                "The version whose questions the plan names (default: the one published last)",
            )]),
            ..route(
                "post",
                "/projects/{project}/tables/{form}",
                "The tidy tables (CSV) of the analysis plan sent (TOML) over the form's records (S025 with the plan's own problem when it cannot be used)",
                Body::Text,
                vec![(200, None), (304, None)],
            )
        },
        Route {
            query: vec![("limit", "At most this many entries (1-1,000), newest first")],
            ..route(
                "get",
                "/projects/{project}/audit",
                "The project's audit log",
                Body::None,
                vec![(200, audit.clone())],
            )
        },
        Route {
            query: vec![("limit", "At most this many entries (1-1,000), newest first")],
            ..route(
                "get",
                "/audit",
                "The whole audit log (site administrators)",
                Body::None,
                vec![(200, audit)],
            )
        },
    ]
}

/// The (method, path) of every documented route, for the test that holds them to the router.
pub fn documented() -> Vec<(String, String)> {
    let mut g = generator();
    let error = g.subschema_for::<shapes::Error>().to_value();
    routes(&mut g, &error)
        .into_iter()
        .map(|r| (r.method.to_uppercase(), r.path.to_string()))
        .collect()
}

fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    settings.into_generator()
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if matches!(name, "project" | "device") {
                json!({"type": "integer", "format": "int64"})
            } else {
                json!({"type": "string", "minLength": 1})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// The document.
pub fn document() -> Value {
    let mut g = generator();
    let error = g.subschema_for::<shapes::Error>().to_value();
    let mut paths = Map::new();
    for r in routes(&mut g, &error) {
        let mut parameters = path_parameters(r.path);
        for (name, description) in &r.query {
            let schema = match *name {
                "after" | "limit" => json!({"type": "integer", "format": "int64"}),
                "accept_breaking" | "files" | "split_select_multiples" | "no_group_paths" => {
                    json!({"type": "boolean"})
                }
                _ => json!({"type": "string"}),
            };
            parameters.push(json!({"name": name, "in": "query", "required": false,
                                   "description": description, "schema": schema}));
        }
        let mut responses = Map::new();
        for (status, schema) in &r.ok {
            let mut answer = json!({"description": "done"});
            if let Some(schema) = schema {
                answer["content"] = json_content(schema.clone());
            }
            responses.insert(status.to_string(), answer);
        }
        for status in ERRORS {
            responses.entry(status.to_string()).or_insert_with(
                || json!({"description": "refused", "content": json_content(error.clone())}),
            );
        }
        let id = format!("{}{}", r.method, r.path.replace(['/', '{', '}', '.'], "_"));
        let mut operation = json!({"operationId": id, "summary": r.summary,
                                   "parameters": parameters, "responses": responses});
        if r.public {
            operation["security"] = json!([]);
        }
        let body = match r.body {
            Body::None => None,
            Body::Json(schema) => Some(json!({"required": true, "content": json_content(schema)})),
            Body::Lines => Some(json!({"required": true, "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}}}})),
            Body::Instrument(schema) => Some(json!({"required": true, "content": {
                "application/json": {"schema": schema},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})),
            Body::File => Some(json!({"required": true, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})),
            Body::Text => Some(json!({"required": true, "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/toml": {"schema": {"type": "string"}}}})),
        };
        if let Some(body) = body {
            operation["requestBody"] = body;
        }
        let item = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        item[r.method] = operation;
    }
    let schemas: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Dala server", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Projects, devices, published instruments and idempotent intake of records."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": crate::session::COOKIE}
            }
        },
        "security": [{"bearer": []}, {"cookie": []}]
    })
}
