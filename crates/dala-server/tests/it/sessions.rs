//! Browser sessions (an HttpOnly cookie and a CSRF token on writes), the sign-in limits, and
//! HTTPS without a proxy.

use crate::api::team;
use crate::harness::scratch;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// An answer with its headers.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn request(
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Value,
    insecure_tls: bool,
) -> Answer {
    tokio::task::spawn_blocking(move || {
        let mut config = ureq::Agent::config_builder().http_status_as_error(false);
        if insecure_tls {
            // The test's own self-signed certificate.
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .disable_verification(true)
                    .build(),
            );
        }
        let agent: ureq::Agent = config.build().into();
        let response = if method == "GET" {
            let mut r = agent.get(&url);
            for (n, v) in &headers {
                r = r.header(*n, v);
            }
            r.call()
        } else {
            let mut r = agent.post(&url);
            for (n, v) in &headers {
                r = r.header(*n, v);
            }
            r.header("Content-Type", "application/json")
                .send(body.to_string().as_bytes())
        };
        let mut response = response.expect("an answer");
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    })
    .await
    .expect("the call ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_session_lives_in_an_httponly_cookie_and_writes_need_its_csrf_token() {
    let scratch = scratch("cookies").remove(0);
    let team = team(scratch.url()).await;
    let signed = request(
        "POST",
        team.url("/sessions"),
        Vec::new(),
        json!({"name": "root", "password": "root password", "cookie": true}),
        false,
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert!(
        signed.body.get("token").is_none(),
        "the token stays in the cookie"
    );
    let csrf = signed.body["csrf"].as_str().expect("csrf").to_string();
    let set_cookie = signed.header("set-cookie").expect("a cookie").to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();

    let write = |extra: Vec<(&'static str, String)>| {
        let mut headers = vec![("Cookie", cookie.clone())];
        headers.extend(extra);
        request(
            "POST",
            team.url("/projects"),
            headers,
            json!({"name": "from the browser"}),
            false,
        )
    };
    let refused = write(Vec::new()).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (403, Some("S008"))
    );
    let wrong = write(vec![("X-CSRF-Token", "0".repeat(64))]).await;
    assert_eq!(wrong.status, 403);
    let made = write(vec![("X-CSRF-Token", csrf.clone())]).await;
    assert_eq!(made.status, 201, "{}", made.body);
    // A page loaded again learns its CSRF token from the session.
    let current = request(
        "GET",
        team.url("/sessions/current"),
        vec![("Cookie", cookie.clone())],
        Value::Null,
        false,
    )
    .await;
    assert_eq!(current.body["csrf"].as_str(), Some(csrf.as_str()));
    assert_eq!(current.body["user"], "root");
    // Reads need no CSRF token; a bearer token needs none either.
    let read = request(
        "GET",
        team.url("/projects"),
        vec![("Cookie", cookie.clone())],
        Value::Null,
        false,
    )
    .await;
    assert_eq!(read.status, 200);
    let bearer = request(
        "POST",
        team.url("/projects"),
        vec![("Authorization", format!("Bearer {}", team.token("admin")))],
        json!({"name": "from the command line"}),
        false,
    )
    .await;
    assert_eq!(bearer.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_sign_ins_are_limited_per_account_with_retry_after() {
    let scratch = scratch("limits").remove(0);
    let team = team(scratch.url()).await;
    let attempt = |name: &'static str, password: &'static str| {
        request(
            "POST",
            team.url("/sessions"),
            Vec::new(),
            json!({"name": name, "password": password}),
            false,
        )
    };
    for _ in 0..dala_server::limits::PER_ACCOUNT {
        assert_eq!(attempt("analyst", "guess").await.status, 401);
    }
    let limited = attempt("analyst", "analyst password").await;
    assert_eq!(
        (limited.status, limited.body["code"].as_str()),
        (429, Some("S009")),
        "{}",
        limited.body
    );
    let wait: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        wait > 0 && wait <= dala_server::limits::WINDOW.as_secs(),
        "{wait}"
    );
    // A name that does not exist is limited the same way: the limit tells no names apart.
    for _ in 0..dala_server::limits::PER_ACCOUNT {
        assert_eq!(attempt("nobody", "guess").await.status, 401);
    }
    assert_eq!(attempt("nobody", "guess").await.status, 429);
    // Another account is not held up by these.
    assert_eq!(attempt("manager", "manager password").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn https_without_a_proxy_with_secure_cookies_and_hsts() {
    let scratch = scratch("tls").remove(0);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    dala_server::create_user(scratch.url(), "root", "root password", true)
        .await
        .expect("admin");
    let config = dala_server::ServeConfig {
        db: scratch.url().to_string(),
        addr: "127.0.0.1:0".parse().expect("addr"),
        dist: None,
        tls: Some((cert, key)),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    tokio::spawn(dala_server::serve(config, move |addr| {
        let _ = tx.send(addr);
    }));
    let addr = rx.await.expect("started");
    let base = format!("https://localhost:{}/api/v1", addr.port());
    let health = request(
        "GET",
        format!("{base}/health"),
        Vec::new(),
        Value::Null,
        true,
    )
    .await;
    assert_eq!(health.status, 200);
    assert_eq!(
        health.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let signed = request(
        "POST",
        format!("{base}/sessions"),
        Vec::new(),
        json!({"name": "root", "password": "root password", "cookie": true}),
        true,
    )
    .await;
    assert!(
        signed
            .header("set-cookie")
            .is_some_and(|c| c.ends_with("; Secure")),
        "{:?}",
        signed.headers
    );
    // A bad certificate file is refused with its path.
    let refused = dala_server::tls::config(&dir.join("missing.pem"), &dir.join("key.pem"));
    assert!(matches!(
        refused,
        Err(dala_server::tls::TlsError::Certificate { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
