//! The server store's rules, written once and run on SQLite and on PostgreSQL.

use crate::harness::{open, scratch};
use dala_core::Instrument;
use dala_core::record::{Answer, RECORD_FORMAT, Status, Submission};
use dala_server::Db;
use dala_server::access::Role;
use dala_server::store::{Caller, Outcome, Refused, StoreError};
use std::collections::BTreeMap;

pub fn police() -> Instrument {
    let text = include_str!("../../../../surveys/police-gender-representation/instrument.json");
    Instrument::from_json(text).expect("police")
}

pub fn record(id: &str, district: &str) -> Submission {
    let police = police();
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: id.into(),
        instrument_id: police.settings.form_id.clone(),
        instrument_version: police.settings.version.clone(),
        status: Status::Finalized,
        started: "2015-03-17T09:00:00.000+06:00".into(),
        updated: "2015-03-17T09:10:00.000+06:00".into(),
        finalized: Some("2015-03-17T09:10:00.000+06:00".into()),
        enumerator: "Aida".into(),
        device_id: "tab-1".into(),
        answers: BTreeMap::from([("district".into(), Answer::Value(district.into()))]),
    }
}

fn receipt(outcome: &Outcome) -> Option<&dala_server::store::ServerReceipt> {
    match outcome {
        Outcome::Added(r) | Outcome::Duplicate(r) => Some(r),
        Outcome::Refused(_) => None,
    }
}

async fn conformance(db: &Db, backend: &str) {
    let at = |what: &str| format!("{backend}: {what}");
    // Identity.
    let server = db.server_id().await.expect("server id");
    assert_eq!(
        db.server_id().await.expect("again"),
        server,
        "{}",
        at("server id stable")
    );
    assert_eq!(db.user_count().await.expect("count"), 0);
    let aida = db.create_user("aida", "hash-a", false).await.expect("user");
    let admin = db.create_user("root", "hash-r", true).await.expect("admin");
    assert!(
        matches!(
            db.create_user("aida", "other", false).await,
            Err(StoreError::Exists(_))
        ),
        "{}",
        at("a user name is unique")
    );
    let (found, hash) = db
        .user_by_name("aida")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(hash, "hash-a");
    assert!(matches!(found, Caller::User { id, site_admin: false, .. } if id == aida));
    assert!(db.user_by_name("nobody").await.expect("lookup").is_none());

    // Projects and roles.
    let police_project = db.create_project("Police survey").await.expect("project");
    let fast = db.create_project("FAST").await.expect("project");
    assert_ne!(police_project, fast);
    let aida_caller = Caller::User {
        id: aida,
        name: "aida".into(),
        site_admin: false,
    };
    let root_caller = Caller::User {
        id: admin,
        name: "root".into(),
        site_admin: true,
    };
    assert!(
        db.projects_for(&aida_caller)
            .await
            .expect("list")
            .is_empty()
    );
    db.set_role(police_project, aida, Role::Enumerator)
        .await
        .expect("role");
    db.set_role(police_project, aida, Role::Analyst)
        .await
        .expect("role replaced");
    assert_eq!(
        db.role_of(police_project, aida).await.expect("role"),
        Some(Role::Analyst)
    );
    assert_eq!(db.role_of(fast, aida).await.expect("role"), None);
    let seen: Vec<i64> = db
        .projects_for(&aida_caller)
        .await
        .expect("list")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        seen,
        [police_project],
        "{}",
        at("a user sees the projects with a role")
    );
    assert_eq!(db.projects_for(&root_caller).await.expect("list").len(), 2);

    // Tokens: by hash, until revoked or expired; a device's die with it.
    db.add_token(
        "t-user",
        Some(aida),
        None,
        Some("2999-01-01T00:00:00.000+00:00"),
    )
    .await
    .expect("token");
    db.add_token(
        "t-old",
        Some(aida),
        None,
        Some("2001-01-01T00:00:00.000+00:00"),
    )
    .await
    .expect("token");
    let now = "2026-12-01T00:00:00.000+00:00";
    assert_eq!(
        db.caller_by_token("t-user", now).await.expect("caller"),
        Some(aida_caller.clone())
    );
    assert_eq!(
        db.caller_by_token("t-old", now).await.expect("caller"),
        None,
        "{}",
        at("expired")
    );
    assert_eq!(
        db.caller_by_token("t-none", now).await.expect("caller"),
        None
    );
    db.revoke_token("t-user").await.expect("revoke");
    assert_eq!(
        db.caller_by_token("t-user", now).await.expect("caller"),
        None,
        "{}",
        at("revoked")
    );
    let tablet = db
        .create_device(police_project, "tablet 7")
        .await
        .expect("device");
    db.add_token("t-device", None, Some(tablet), None)
        .await
        .expect("token");
    assert!(matches!(
        db.caller_by_token("t-device", now).await.expect("caller"),
        Some(Caller::Device { project_id, .. }) if project_id == police_project
    ));
    assert!(
        !db.revoke_device(fast, tablet).await.expect("revoke"),
        "{}",
        at("another project's device")
    );
    assert!(
        db.revoke_device(police_project, tablet)
            .await
            .expect("revoke")
    );
    assert_eq!(
        db.caller_by_token("t-device", now).await.expect("caller"),
        None
    );

    // Published versions never change.
    let doc = police().to_json();
    let (form, version) = (police().settings.form_id, police().settings.version);
    assert!(
        db.publish(police_project, &form, &version, &doc, admin)
            .await
            .expect("publish"),
        "a new version is stored"
    );
    assert!(
        !db.publish(police_project, &form, &version, &doc, admin)
            .await
            .expect("again"),
        "the same version and document again stores nothing"
    );
    assert!(matches!(
        db.publish(police_project, &form, &version, "{}", admin)
            .await,
        Err(StoreError::Exists(_))
    ));
    assert_eq!(
        db.instrument(police_project, &form, &version)
            .await
            .expect("get")
            .as_deref(),
        Some(doc.as_str())
    );
    assert_eq!(
        db.instrument(fast, &form, &version).await.expect("get"),
        None
    );
    assert_eq!(db.instruments(police_project).await.expect("list").len(), 1);

    // Intake: new, resent, changed, draft, unknown version.
    let a = record("uuid:a", "bishkek");
    let b = record("uuid:b", "osh");
    let first = db
        .intake(
            police_project,
            &[a.clone(), b.clone()],
            Vec::new(),
            "device:1",
            "127.0.0.1",
        )
        .await
        .expect("intake");
    assert!(
        matches!(first[0], Outcome::Added(_)) && matches!(first[1], Outcome::Added(_)),
        "{first:?}"
    );
    let (ra, rb) = (
        receipt(&first[0]).expect("receipt"),
        receipt(&first[1]).expect("receipt"),
    );
    assert!(rb.seq > ra.seq, "{}", at("the change sequence advances"));
    assert_eq!(ra.server, server);
    let again = db
        .intake(
            police_project,
            std::slice::from_ref(&a),
            Vec::new(),
            "device:1",
            "127.0.0.1",
        )
        .await
        .expect("intake");
    assert_eq!(
        again,
        [Outcome::Duplicate(ra.clone())],
        "{}",
        at("a resend gets the original receipt")
    );
    // The records came with their audit entry (one, for the request that added them).
    let log = db.audit_log(Some(police_project), 10).await.expect("log");
    let added: Vec<(&str, &str, &str)> = log
        .iter()
        .filter(|e| e.action == "submissions.add")
        .map(|e| (e.actor.as_str(), e.target.as_str(), e.address.as_str()))
        .collect();
    assert_eq!(
        added,
        [("device:1", "2 records", "127.0.0.1")],
        "{}",
        at("intake's audit entry")
    );
    let changed = record("uuid:a", "naryn");
    let mut draft = record("uuid:d", "osh");
    draft.status = Status::Draft;
    draft.finalized = None;
    let mut other_version = record("uuid:v", "osh");
    other_version.instrument_version = "1999".into();
    let refused = db
        .intake(
            police_project,
            &[changed, draft, other_version],
            Vec::new(),
            "device:1",
            "127.0.0.1",
        )
        .await
        .expect("intake");
    assert_eq!(
        refused,
        [
            Outcome::Refused(Refused::Conflict),
            Outcome::Refused(Refused::NotFinalized),
            Outcome::Refused(Refused::UnknownInstrument {
                form_id: form.clone(),
                version: "1999".into()
            }),
        ],
        "{}",
        at("refusals")
    );
    assert!(
        matches!(
            db.intake(fast, std::slice::from_ref(&a), Vec::new(), "x", "127.0.0.1")
                .await
                .expect("intake")[..],
            [Outcome::Refused(Refused::UnknownInstrument { .. })]
        ),
        "{}",
        at("another project has not published it")
    );

    // Identifiers a database cannot hold, or that name nothing, are refused alone: the
    // records beside them in one request (and one commit) are stored.
    let nul = record("uuid:\u{0}zero", "osh");
    let beside = record("uuid:beside", "osh");
    let mixed = db
        .intake(
            police_project,
            &[nul, beside],
            Vec::new(),
            "device:1",
            "127.0.0.1",
        )
        .await
        .expect("intake");
    assert!(
        matches!(
            mixed[..],
            [Outcome::Refused(Refused::BadIdentifier), Outcome::Added(_)]
        ),
        "{}: {mixed:?}",
        at("a NUL in an instance id")
    );
    assert!(
        matches!(
            db.user_by_name("M\u{0}x").await,
            Ok(None) | Err(StoreError::BadText(_))
        ),
        "{}",
        at("a NUL in a name is no server error")
    );

    // Pages by change sequence.
    let all = db
        .submissions_since(police_project, 0, 10)
        .await
        .expect("page");
    assert_eq!(
        all.iter()
            .map(|s| s.instance_id.as_str())
            .collect::<Vec<_>>(),
        ["uuid:a", "uuid:b", "uuid:beside"]
    );
    assert_eq!(all[0].record["answers"]["district"], "bishkek");
    let rest = db
        .submissions_since(police_project, all[0].seq, 10)
        .await
        .expect("page");
    assert_eq!(rest.len(), 2);
    assert_eq!(
        db.submissions_since(police_project, 0, 1)
            .await
            .expect("page")
            .len(),
        1
    );
    assert!(
        db.submissions_since(fast, 0, 10)
            .await
            .expect("page")
            .is_empty()
    );

    // Review states with their history.
    assert!(
        db.review(
            police_project,
            "uuid:a",
            "has_issues",
            Some("district?"),
            aida
        )
        .await
        .expect("review")
    );
    assert!(
        db.review(police_project, "uuid:a", "approved", None, admin)
            .await
            .expect("review")
    );
    assert!(
        !db.review(police_project, "uuid:none", "approved", None, admin)
            .await
            .expect("review")
    );
    let history = db.reviews(police_project, "uuid:a").await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|(s, c, by, _)| (s.as_str(), c.as_deref(), by.as_str()))
            .collect::<Vec<_>>(),
        [
            ("has_issues", Some("district?"), "aida"),
            ("approved", None, "root")
        ]
    );
    // A review is a change: the reviewed record comes last in change order, once.
    let page = db
        .submissions_since(police_project, 0, 10)
        .await
        .expect("page");
    assert_eq!(
        page.iter()
            .map(|s| (s.instance_id.as_str(), s.review_state.as_str()))
            .collect::<Vec<_>>(),
        [
            ("uuid:b", "received"),
            ("uuid:beside", "received"),
            ("uuid:a", "approved")
        ]
    );
    assert!(page[2].changed > page[1].changed && page[2].seq < page[1].seq);

    // The audit log, newest first, per project.
    db.audit(
        "user:root",
        "project.create",
        Some(fast),
        "FAST",
        "127.0.0.1",
    )
    .await
    .expect("audit");
    db.audit("user:root", "user.create", None, "aida", "127.0.0.1")
        .await
        .expect("audit");
    let log = db.audit_log(Some(fast), 10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "project.create");
    assert_eq!(
        db.audit_log(None, 10).await.expect("log")[0].action,
        "user.create"
    );
}

#[tokio::test]
async fn the_store_keeps_its_rules_on_both_backends() {
    for scratch in scratch("store_rules") {
        let db = open(&scratch).await;
        conformance(&db, scratch.name()).await;
        // Opening again migrates nothing and finds everything.
        let again = open(&scratch).await;
        assert_eq!(
            again.user_count().await.expect("count"),
            2,
            "{}",
            scratch.name()
        );
    }
}
