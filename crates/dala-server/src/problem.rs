//! The API's errors: an HTTP status, a stable code and the words, as one JSON body
//! (`{"code": "S010", "message": "..."}`). Codes are what clients and tests rely on.

use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Located problems (an instrument's diagnostics), when there are any.
    pub details: Vec<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// S001: no valid token or session.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "S001", "sign in first")
    }

    /// S002: signed in, but the role does not allow it.
    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "S002",
            "your role does not allow this",
        )
    }

    /// S004: nothing there (or nothing the caller may know is there).
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "S004", format!("{what} not found"))
    }

    /// S005: a request body or parameter that cannot be read.
    pub fn bad_request(why: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "S005", why)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(why) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "S030",
                format!("the database is unavailable, try again: {why}"),
            ),
            StoreError::Exists(what) => ApiError::new(
                StatusCode::CONFLICT,
                "S007",
                format!("{what} exists already"),
            ),
            StoreError::BadText(why) => ApiError::bad_request(format!(
                "the request holds text that cannot be stored (a NUL character?): {why}"
            )),
            StoreError::Failed(why) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "S031",
                format!("the database failed: {why}"),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"code": self.code, "message": self.message});
        if !self.details.is_empty() {
            body["details"] = serde_json::Value::Array(self.details);
        }
        (self.status, Json(body)).into_response()
    }
}
