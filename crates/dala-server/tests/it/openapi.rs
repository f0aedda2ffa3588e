//! The OpenAPI document: served, valid in its outline, and holding exactly the router's routes.

use crate::api::{call, team};
use crate::harness::scratch;
use std::collections::BTreeSet;

/// (method, path) of every `.route(...)` in the router's source.
fn routed() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/api.rs");
    let mut found = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        // The call's text, to its closing parenthesis.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let call = &rest[..end];
        let path = call.split('"').nth(1).expect("a path").to_string();
        for method in ["get", "post", "put", "delete"] {
            let named = call
                .match_indices(&format!("{method}("))
                .any(|(i, _)| i == 0 || !call.as_bytes()[i - 1].is_ascii_alphanumeric());
            if named {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[test]
fn the_document_holds_exactly_the_routers_routes() {
    let documented: BTreeSet<(String, String)> =
        dala_server::openapi::documented().into_iter().collect();
    let routed = routed();
    assert!(routed.len() > 15, "the source was read: {routed:?}");
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not routed"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routed but not documented"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_with_its_schemas() {
    let scratch = scratch("openapi").remove(0);
    let team = team(scratch.url()).await;
    let (status, doc) = call("GET", team.url("/openapi.json"), None, Vec::new()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "Error",
        "Instrument",
        "IntakeReport",
        "ServerReceipt",
        "SignIn",
    ] {
        assert!(schemas.contains_key(name), "{name} in {:?}", schemas.keys());
    }
    // Every reference resolves to a schema in the document.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().expect("a target");
        let name = target
            .strip_prefix("#/components/schemas/")
            .expect("a component");
        assert!(schemas.contains_key(name), "{target}");
    }
    // The framework's own refusals come as the API's error body.
    let (status, body) = call(
        "GET",
        team.url("/projects/not-a-number/instruments"),
        Some(team.token("admin")),
        Vec::new(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("S005")),
        "{body}"
    );
}
