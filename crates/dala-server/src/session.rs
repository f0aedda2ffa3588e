//! How a request says who sends it. Devices and the command line send a bearer token. A
//! browser holds its token in a cookie the page's scripts cannot read (HttpOnly,
//! SameSite=Strict, Secure on TLS); since a browser sends cookies by itself, a write made with
//! the cookie must also carry the session's CSRF token, which only the app's own pages get (in
//! the sign-in answer, or from `GET /api/v1/sessions/current`). The CSRF token is derived from
//! the session token, so nothing more is stored, and a copy of the database (token hashes)
//! gives neither.

use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "dala_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Where a request's token came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Bearer(String),
    Cookie(String),
}

impl Credential {
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(t) | Credential::Cookie(t) => t,
        }
    }
}

/// The request's token: a bearer token first, else the session cookie.
pub fn credential(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(token) = bearer {
        return Some(Credential::Bearer(token.to_string()));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|t| !t.is_empty())
        .map(|t| Credential::Cookie(t.to_string()))
}

/// The CSRF token of a session token.
pub fn csrf_of(token: &str) -> String {
    crate::store::hex(&Sha256::digest(format!("dala-csrf:{token}").as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// Whether a request may go on as far as CSRF goes: reads always; writes made with a bearer
/// token (never sent by a browser on its own) or with the cookie and its CSRF token.
pub fn csrf_ok(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match credential(headers) {
        Some(Credential::Cookie(token)) => headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|sent| same(sent, &csrf_of(&token))),
        _ => true,
    }
}

/// The cookie that holds a browser's session for `max_age` seconds (0: removes it).
pub fn set_cookie(token: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        h
    }

    #[test]
    fn a_bearer_token_comes_before_the_cookie() {
        let h = headers(&[
            ("authorization", "Bearer abc"),
            ("cookie", "dala_session=xyz"),
        ]);
        assert_eq!(credential(&h), Some(Credential::Bearer("abc".into())));
        let h = headers(&[("cookie", "theme=dark; dala_session=xyz; other=1")]);
        assert_eq!(credential(&h), Some(Credential::Cookie("xyz".into())));
        assert_eq!(credential(&headers(&[("cookie", "dala_session=")])), None);
        assert_eq!(credential(&headers(&[])), None);
    }

    #[test]
    fn a_write_with_the_cookie_needs_its_csrf_token() {
        let token = "session-token";
        let cookie = ("cookie", "dala_session=session-token");
        let csrf = csrf_of(token);
        assert!(csrf_ok(&Method::GET, &headers(&[cookie])));
        assert!(!csrf_ok(&Method::POST, &headers(&[cookie])));
        assert!(!csrf_ok(
            &Method::PUT,
            &headers(&[cookie, ("x-csrf-token", "wrong")])
        ));
        assert!(csrf_ok(
            &Method::POST,
            &headers(&[cookie, ("x-csrf-token", &csrf)])
        ));
        // Another session's CSRF token does not do.
        assert!(!csrf_ok(
            &Method::POST,
            &headers(&[cookie, ("x-csrf-token", &csrf_of("another"))])
        ));
        assert!(csrf_ok(
            &Method::POST,
            &headers(&[("authorization", "Bearer t")])
        ));
        assert_ne!(csrf, crate::auth::token_hash(token), "not the stored hash");
    }

    #[test]
    fn the_cookie_is_out_of_scripts_reach_and_secure_on_tls() {
        let plain = set_cookie("t", 86_400, false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        assert!(set_cookie("t", 86_400, true).ends_with("; Secure"));
    }
}
