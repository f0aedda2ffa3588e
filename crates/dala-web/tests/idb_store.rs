//! The IndexedDB store in headless Chromium (wasm-bindgen-test; `cargo xtask test` runs it):
//! dala-core's conformance suite, the app's own marks, and the upgrade from version 1.
#![cfg(target_arch = "wasm32")]

use dala_core::record::{Answer, RECORD_FORMAT, Status, Submission};
use dala_core::store::{Store, StoreError, conformance};
use dala_web::storage::{IdbStore, schema};
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use std::cell::Cell;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn draft(id: &str, form: &str, name: &str) -> Submission {
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: id.into(),
        instrument_id: form.into(),
        instrument_version: "1".into(),
        status: Status::Draft,
        started: "2015-03-17T10:30:00.000+06:00".into(),
        updated: "2015-03-17T10:31:00.000+06:00".into(),
        finalized: None,
        enumerator: "Aida".into(),
        device_id: "tablet-07".into(),
        answers: BTreeMap::from([("name".to_string(), Answer::Value(name.into()))]),
    }
}

async fn fresh(name: &str) -> IdbStore {
    IdbStore::delete_named(name).await.expect("delete");
    IdbStore::open_named(name).await.expect("open")
}

#[wasm_bindgen_test]
async fn the_indexeddb_store_passes_the_store_conformance_suite() {
    let n = Cell::new(0);
    let failures = conformance::run(|| {
        n.set(n.get() + 1);
        let name = format!("conformance-{}", n.get());
        async move { fresh(&name).await }
    })
    .await;
    assert_eq!(failures, Vec::<String>::new());
}

#[wasm_bindgen_test]
async fn autosave_keeps_the_page_and_export_marks_survive_a_repeated_put() {
    let store = fresh("marks").await;
    let mut a = draft("uuid:a", "police", "Aida");
    store.save_draft(&a, 3).await.expect("save");
    let stored = store
        .get_record("uuid:a")
        .await
        .expect("get")
        .expect("there");
    assert_eq!((stored.page, stored.exported), (3, None));

    // A plain put (the Store trait) keeps the page the autosave wrote.
    a.answers
        .insert("name".into(), Answer::Value("Aidai".into()));
    store.put_submission(&a).await.expect("put");
    assert_eq!(
        store
            .get_record("uuid:a")
            .await
            .expect("read")
            .expect("stored")
            .page,
        3
    );

    a.status = Status::Finalized;
    a.finalized = Some("2015-03-17T10:40:00.000+06:00".into());
    store.put_submission(&a).await.expect("finalize");
    store
        .mark_exported(&["uuid:a".into()], "2015-03-18T09:00:00.000+06:00")
        .await
        .expect("mark");
    store
        .put_submission(&a)
        .await
        .expect("the same finalized record again");
    let stored = store
        .get_record("uuid:a")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        stored.exported.as_deref(),
        Some("2015-03-18T09:00:00.000+06:00")
    );
    assert_eq!(stored.submission, a);

    store
        .save_draft(&draft("uuid:b", "police", "B"), 0)
        .await
        .expect("stored");
    store
        .save_draft(&draft("uuid:c", "fast", "C"), 0)
        .await
        .expect("stored");
    assert_eq!(store.count("police", Status::Draft).await, Ok(1));
    assert_eq!(store.count("police", Status::Finalized).await, Ok(1));
    assert_eq!(store.count("fast", Status::Finalized).await, Ok(0));
    let ids: Vec<String> = store
        .list_records("police", None)
        .await
        .expect("read")
        .into_iter()
        .map(|r| r.submission.instance_id)
        .collect();
    assert_eq!(ids, ["uuid:a", "uuid:b"]);
    assert_eq!(
        store.delete_submission("uuid:a").await,
        Err(StoreError::Finalized("uuid:a".into()))
    );

    store
        .set_setting("enumerator", "Aida")
        .await
        .expect("stored");
    assert_eq!(store.setting("enumerator").await, Ok(Some("Aida".into())));
    assert_eq!(store.setting("device_id").await, Ok(None));
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_upgraded_with_its_drafts_intact() {
    let name = "upgrade-from-1";
    IdbStore::delete_named(name).await.expect("delete");
    // Build the database as version 1 of the app left it, with a draft in it.
    let v1 = Database::open(name)
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db| schema::create_v1(&db))
        .await
        .expect("open v1");
    let old = draft("uuid:old", "police", "Gulnara");
    {
        let tx = v1
            .transaction(schema::LEGACY_SUBMISSIONS)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .expect("tx");
        let store = tx.object_store(schema::LEGACY_SUBMISSIONS).expect("store");
        let row = js_sys::Object::new();
        js_sys::Reflect::set(&row, &"instance_id".into(), &"uuid:old".into()).expect("set");
        let json = serde_json::to_string(&old).expect("json");
        js_sys::Reflect::set(&row, &"json".into(), &JsValue::from_str(&json)).expect("set");
        store.put(JsValue::from(row)).await.expect("put v1 row");
        tx.commit().await.expect("commit");
    }
    v1.close();

    let store = IdbStore::open_named(name)
        .await
        .expect("upgrade to the current version");
    assert_eq!(
        store.get_submission("uuid:old").await,
        Ok(Some(old.clone()))
    );
    assert_eq!(store.count("police", Status::Draft).await, Ok(1));
    store.close();
    // Opening again finds nothing left to move and loses nothing.
    let store = IdbStore::open_named(name).await.expect("reopen");
    assert_eq!(store.list_submissions("police", None).await, Ok(vec![old]));
}

/// Record rows as versions 2 to 5 wrote them, each with the receipt version 4 kept on it.
async fn put_old_rows(db: &Database, rows: &[(&Submission, Option<&str>)]) {
    let tx = db
        .transaction(schema::RECORDS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .expect("tx");
    let store = tx.object_store(schema::RECORDS).expect("store");
    for (record, receipt) in rows {
        let row = js_sys::Object::new();
        let status = if record.status == Status::Finalized {
            "finalized"
        } else {
            "draft"
        };
        let json = serde_json::to_string(record).expect("json");
        for (field, value) in [
            ("instance_id", JsValue::from_str(&record.instance_id)),
            ("instrument_id", JsValue::from_str("police")),
            ("status", JsValue::from_str(status)),
            ("json", JsValue::from_str(&json)),
            ("page", JsValue::from_f64(0.0)),
            ("exported", JsValue::NULL),
        ] {
            js_sys::Reflect::set(&row, &field.into(), &value).expect("set");
        }
        if let Some(receipt) = receipt {
            js_sys::Reflect::set(&row, &"receipt".into(), &(*receipt).into()).expect("set");
        }
        store.put(JsValue::from(row)).await.expect("put old row");
    }
    tx.commit().await.expect("commit");
}

fn finalized_at(id: &str, when: &str) -> Submission {
    let mut r = draft(id, "police", "Gulnara");
    r.status = Status::Finalized;
    r.finalized = Some(when.into());
    r
}

/// Version 5 first named finalized records in `finalized` with `true`, not their time: opened
/// now, its outbox comes in the order the records were finalized, less those with receipts.
#[wasm_bindgen_test]
async fn a_version_5_database_lists_its_outbox_in_the_order_records_were_finalized() {
    let name = "upgrade-within-5";
    IdbStore::delete_named(name).await.expect("delete");
    let v5 = Database::open(name)
        .with_version(5u32)
        .with_on_upgrade_needed(|_, db| schema::upgrade_to(&db, 0, 5))
        .await
        .expect("open v5");
    // Ids in the opposite order of the times: the order must come from the times.
    let late = finalized_at("uuid:a-late", "2015-03-17T11:00:00.000+06:00");
    let early = finalized_at("uuid:b-early", "2015-03-17T10:00:00.000+06:00");
    let sent = finalized_at("uuid:c-sent", "2015-03-17T09:00:00.000+06:00");
    put_old_rows(&v5, &[(&late, None), (&early, None), (&sent, None)]).await;
    {
        let tx = v5
            .transaction([schema::FINALIZED, schema::RECEIPTS, schema::META])
            .with_mode(TransactionMode::Readwrite)
            .build()
            .expect("tx");
        let finalized = tx.object_store(schema::FINALIZED).expect("store");
        for id in [&late, &early, &sent].map(|r| r.instance_id.as_str()) {
            finalized
                .put(JsValue::TRUE)
                .with_key(JsValue::from_str(id))
                .await
                .expect("put");
        }
        let receipt = r#"[{"instance_id":"uuid:c-sent","server":"http://127.0.0.1:8080","received":"2015-03-17T05:00:00Z"}]"#;
        tx.object_store(schema::RECEIPTS)
            .expect("store")
            .add(JsValue::from_str(receipt))
            .await
            .expect("add");
        tx.object_store(schema::META)
            .expect("store")
            .put(JsValue::from_str("1"))
            .with_key(JsValue::from_str("schema.finalized_filled"))
            .await
            .expect("put");
        tx.commit().await.expect("commit");
    }
    v5.close();

    let store = IdbStore::open_named(name).await.expect("open");
    let ids = |waiting: Vec<dala_core::store::Waiting>| -> Vec<String> {
        waiting.into_iter().map(|w| w.instance_id).collect()
    };
    assert_eq!(
        store.waiting().await.map(ids),
        Ok(vec!["uuid:b-early".to_string(), "uuid:a-late".to_string()])
    );
    assert_eq!(store.outbox(1).await, Ok(vec![early.clone()]));
    store.close();
    let store = IdbStore::open_named(name).await.expect("reopen");
    assert_eq!(store.outbox(10).await, Ok(vec![early, late]));
}

/// A database of version 4 kept its outbox as a scan of `records` and its receipts on the
/// rows: opened by version 5, its waiting records are in the outbox, a receipt on a row is
/// still the record's, and both can be acknowledged and removed as before.
#[wasm_bindgen_test]
async fn a_version_4_database_keeps_its_outbox_and_receipts() {
    let name = "upgrade-from-4";
    IdbStore::delete_named(name).await.expect("delete");
    let v4 = Database::open(name)
        .with_version(4u32)
        .with_on_upgrade_needed(|_, db| schema::upgrade_to(&db, 0, 4))
        .await
        .expect("open v4");
    let finalized = |id: &str| finalized_at(id, "2015-03-17T10:32:00.000+06:00");
    let (waiting, sent, open) = (
        finalized("uuid:waiting"),
        finalized("uuid:sent"),
        draft("uuid:open", "police", "Aida"),
    );
    let receipt = r#"{"instance_id":"uuid:sent","server":"http://127.0.0.1:8080","received":"2015-03-17T05:00:00Z"}"#;
    put_old_rows(
        &v4,
        &[(&waiting, None), (&sent, Some(receipt)), (&open, None)],
    )
    .await;
    v4.close();

    let store = IdbStore::open_named(name).await.expect("upgrade to 5");
    assert_eq!(store.outbox(10).await, Ok(vec![waiting.clone()]));
    let kept = store
        .get_record("uuid:sent")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        kept.receipt.map(|r| r.received),
        Some("2015-03-17T05:00:00Z".to_string())
    );
    assert_eq!(
        store.remove_sent(&["uuid:waiting".to_string()]).await,
        Err(StoreError::NotSent("uuid:waiting".into()))
    );
    assert_eq!(store.remove_sent(&["uuid:sent".to_string()]).await, Ok(1));
    store.close();
    // Opening again does not fill the outbox twice, nor bring back what was removed.
    let store = IdbStore::open_named(name).await.expect("reopen");
    assert_eq!(store.outbox(10).await, Ok(vec![waiting]));
    assert_eq!(store.get_record("uuid:sent").await, Ok(None));
}
