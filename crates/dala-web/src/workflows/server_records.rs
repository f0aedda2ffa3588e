//! An analyst's copy of a project's records on the server, kept in the device's store so the
//! workspace works offline afterwards: the project's instrument versions first, then the
//! records changed since the last load (the server's change sequence is the cursor), a page
//! at a time, with each record's review state. The cursor moves only after a page is stored,
//! so a load cut short starts again where it stopped and stores nothing twice.

use crate::account::{Listing, ServerProblem, json_of, project_url};
use crate::sync::{Answer, Enrolment, fetch_forms};
use dala_core::store::{Store, StoreError};
use std::collections::BTreeMap;

/// Records asked for in one request.
pub const PAGE: usize = 1000;

/// The setting that names the project the analyst works on.
pub const PROJECT_SETTING: &str = "server_project";

fn cursor_key(project: i64) -> String {
    format!("server_cursor:{project}")
}

fn reviews_key(project: i64) -> String {
    format!("server_reviews:{project}")
}

/// What a load did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerLoad {
    /// Instrument versions new to the device.
    pub versions: usize,
    /// Records new to the device.
    pub added: usize,
    /// Records listed again (a review changed them): already on the device.
    pub changed: usize,
    /// Records deleted on the server since the last load. The device keeps its copy (a
    /// finalized record is never deleted from a device); their review state is dropped.
    pub deleted: usize,
}

#[derive(Debug, PartialEq)]
pub enum LoadProblem {
    Server(ServerProblem),
    Store(StoreError),
}

impl From<StoreError> for LoadProblem {
    fn from(e: StoreError) -> Self {
        LoadProblem::Store(e)
    }
}

/// The review state of each record of `project` the device holds from the server.
pub async fn review_states<S: Store>(
    store: &S,
    project: i64,
) -> Result<BTreeMap<String, String>, StoreError> {
    Ok(store
        .setting(&reviews_key(project))
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

/// Keeps a review state set here (the server has taken it).
pub async fn keep_review<S: Store>(
    store: &S,
    project: i64,
    instance_id: &str,
    state: &str,
) -> Result<(), StoreError> {
    let mut states = review_states(store, project).await?;
    states.insert(instance_id.to_string(), state.to_string());
    write_reviews(store, project, &states).await
}

async fn write_reviews<S: Store>(
    store: &S,
    project: i64,
    states: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    let text = serde_json::to_string(states).map_err(|e| StoreError::Backend(e.to_string()))?;
    store.set_setting(&reviews_key(project), &text).await
}

/// Loads what changed on the server since the last load; `get(url)` makes one request with
/// the session, `between(done)` runs after each page (the page's progress bar).
pub async fn load<S, G>(
    store: &S,
    project: i64,
    mut get: impl FnMut(String) -> G,
    files: &impl crate::sync::FormFiles,
    mut between: impl AsyncFnMut(usize),
) -> Result<ServerLoad, LoadProblem>
where
    S: Store,
    G: std::future::Future<Output = Result<Answer, String>>,
{
    let mut load = ServerLoad::default();
    // The versions, through the tablet's own fetch (the session stands for the token).
    let project_only = Enrolment {
        server: String::new(),
        project,
        token: String::new(),
    };
    let forms = fetch_forms(store, &project_only, |url, _| get(url), files).await?;
    if let Some(stopped) = forms.stopped {
        return Err(LoadProblem::Server(stopped.into()));
    }
    load.versions = forms.added.len();
    let mut cursor: i64 = store
        .setting(&cursor_key(project))
        .await?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut states = review_states(store, project).await?;
    loop {
        let url = project_url(project, &format!("submissions?after={cursor}&limit={PAGE}"));
        let page: Listing = json_of(get(url).await).map_err(LoadProblem::Server)?;
        let mut records = Vec::new();
        for listed in &page.submissions {
            match (&listed.deleted, &listed.record) {
                (None, Some(record)) => {
                    let text = serde_json::to_string(record)
                        .map_err(|e| StoreError::Backend(e.to_string()))?;
                    records.push((record.clone(), text));
                    states.insert(listed.instance_id.clone(), listed.review_state.clone());
                }
                _ => {
                    load.deleted += 1;
                    states.remove(&listed.instance_id);
                }
            }
        }
        let imported = store.import_records(&records).await?;
        load.added += imported.added;
        load.changed += imported.duplicates;
        write_reviews(store, project, &states).await?;
        let done = page.submissions.len() < PAGE || page.next <= cursor;
        cursor = page.next;
        store
            .set_setting(&cursor_key(project), &cursor.to_string())
            .await?;
        between(load.added + load.changed).await;
        if done {
            return Ok(load);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::block_on;
    use dala_core::record::{Status, Submission};
    use dala_core::store::MemoryStore;
    use serde_json::json;
    use std::cell::RefCell;

    fn record(id: &str) -> Submission {
        crate::sync::tests::record(id, Status::Finalized, "2015-03-17T09:10:00.000+06:00")
    }

    /// The server's change sequence in memory: (changed, instance id, state, deleted).
    struct Server {
        changes: RefCell<Vec<(i64, String, String, bool)>>,
        asked: RefCell<Vec<String>>,
        down: bool,
    }

    impl Server {
        fn answer(&self, url: &str) -> Result<Answer, String> {
            self.asked.borrow_mut().push(url.to_string());
            if self.down {
                return Err("no network".into());
            }
            let ok = |body: serde_json::Value| {
                Ok(Answer {
                    status: 200,
                    body: body.to_string(),
                })
            };
            if url == "/api/v1/projects/3/instruments" {
                return ok(json!({"instruments": []}));
            }
            let query = url
                .strip_prefix("/api/v1/projects/3/submissions?after=")
                .expect("a page of records");
            let (after, limit) = query.split_once("&limit=").expect("a limit");
            let (after, limit): (i64, usize) = (
                after.parse().expect("a cursor"),
                limit.parse().expect("a limit"),
            );
            let listed: Vec<serde_json::Value> = self
                .changes
                .borrow()
                .iter()
                .filter(|c| c.0 > after)
                .take(limit)
                .map(|(changed, id, state, deleted)| {
                    json!({
                        "seq": changed, "changed": changed, "form_id": "police",
                        "instance_id": id, "received": "2015-03-17T03:10:00.000Z",
                        "review_state": state,
                        "deleted": deleted.then_some("2015-03-18T00:00:00.000Z"),
                        "record": if *deleted { serde_json::Value::Null } else {
                            serde_json::to_value(record(id)).expect("JSON")
                        },
                    })
                })
                .collect();
            let next = listed
                .last()
                .and_then(|l| l["changed"].as_i64())
                .unwrap_or(after);
            ok(json!({"submissions": listed, "next": next}))
        }
    }

    #[test]
    fn a_second_load_takes_only_what_changed_and_keeps_review_states() {
        let store = MemoryStore::default();
        let server = Server {
            changes: RefCell::new(
                (1..=PAGE as i64 + 5)
                    .map(|n| (n, format!("uuid:{n}"), "received".to_string(), false))
                    .collect(),
            ),
            asked: RefCell::default(),
            down: false,
        };
        let get = |url: String| {
            let answer = server.answer(&url);
            async move { answer }
        };
        let mut pages = 0;
        let first = block_on(load(
            &store,
            3,
            get,
            &crate::sync::tests::NoFiles,
            async |_| pages += 1,
        ))
        .expect("loaded");
        assert_eq!(
            (first.added, first.changed, first.deleted, pages),
            (PAGE + 5, 0, 0, 2)
        );
        // A review and a deletion on the server: listed again, at the end of the sequence.
        {
            let mut changes = server.changes.borrow_mut();
            changes.retain(|c| c.1 != "uuid:2" && c.1 != "uuid:7");
            let next = PAGE as i64 + 6;
            changes.push((next, "uuid:2".into(), "approved".into(), false));
            changes.push((next + 1, "uuid:7".into(), "received".into(), true));
        }
        server.asked.borrow_mut().clear();
        let second = block_on(load(
            &store,
            3,
            get,
            &crate::sync::tests::NoFiles,
            async |_| {},
        ))
        .expect("loaded");
        assert_eq!((second.added, second.changed, second.deleted), (0, 1, 1));
        assert_eq!(
            server.asked.borrow().last().map(String::as_str),
            Some(&*format!(
                "/api/v1/projects/3/submissions?after={}&limit={PAGE}",
                PAGE + 5
            )),
            "from the cursor on"
        );
        let states = block_on(review_states(&store, 3)).expect("states");
        assert_eq!(states.get("uuid:2").map(String::as_str), Some("approved"));
        assert_eq!(states.get("uuid:7"), None, "deleted on the server");
        assert_eq!(states.len(), PAGE + 4);
        // The device keeps its copy of every record it loaded.
        assert_eq!(
            block_on(store.count("police", Status::Finalized)).expect("count"),
            PAGE + 5
        );
        block_on(keep_review(&store, 3, "uuid:3", "has_issues")).expect("kept");
        assert_eq!(
            block_on(review_states(&store, 3)).expect("states")["uuid:3"],
            "has_issues"
        );
    }

    #[test]
    fn no_server_is_a_problem_and_nothing_moves() {
        let store = MemoryStore::default();
        let server = Server {
            changes: RefCell::default(),
            asked: RefCell::default(),
            down: true,
        };
        let get = |url: String| {
            let answer = server.answer(&url);
            async move { answer }
        };
        let result = block_on(load(
            &store,
            3,
            get,
            &crate::sync::tests::NoFiles,
            async |_| {},
        ));
        assert!(
            matches!(
                result,
                Err(LoadProblem::Server(ServerProblem::Unreachable(_)))
            ),
            "{result:?}"
        );
        assert_eq!(block_on(store.setting("server_cursor:3")), Ok(None));
    }
}
