//! One structured log line per request (JSON on standard error, through `tracing`): its id,
//! method, path, status, time taken and caller's address. The id is the `X-Request-Id` a load
//! balancer sent, when it is a plain token, or one made here; the answer carries it back, so
//! a client's report and a proxy's log find the server's line. Query strings are not logged:
//! no secret is in a path, but a filter's values are the analyst's business.

use crate::tls::Peer;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Starts the process's log: JSON lines on standard error, at `DALA_LOG`'s level (error,
/// warn, info, debug, trace; info by default). A second call changes nothing.
pub fn init() {
    let level = std::env::var("DALA_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The id a request came with, if it is one to keep: 1-64 letters, digits, `-`, `_`, `.`.
fn given_id(value: Option<&HeaderValue>) -> Option<String> {
    let text = value?.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then(|| text.to_string())
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: the time still tells requests apart in a log.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return format!("t{nanos:x}");
    }
    crate::store::hex(&bytes)
}

/// The middleware: gives the request its id and logs it once it is answered.
pub async fn log_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = given_id(request.headers().get(&REQUEST_ID)).unwrap_or_else(new_id);
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let peer = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|ConnectInfo(peer)| peer.0.ip().to_string())
        .unwrap_or_default();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, %path, status, ms, %peer, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, ms, %peer, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_is_kept_only_when_it_is_a_plain_token() {
        let id = |text: &str| given_id(Some(&HeaderValue::from_str(text).expect("header")));
        assert_eq!(id("lb-7f3a.01_x"), Some("lb-7f3a.01_x".into()));
        assert_eq!(id(""), None);
        assert_eq!(id("a b"), None);
        assert_eq!(id("\"quoted\""), None);
        assert_eq!(id(&"x".repeat(65)), None);
        assert_eq!(given_id(None), None);
        assert_eq!(new_id().len(), 24);
        assert_ne!(new_id(), new_id());
    }
}
