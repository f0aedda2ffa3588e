//! The storage contract: where instruments and submissions live (IndexedDB in the browser,
//! memory in tests). The rules are written once, in [`conformance`], for every store.

use crate::instrument::Instrument;
use crate::record::{Status, Submission};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// A finalized record is read-only: it cannot be overwritten by a draft, or deleted.
    #[error("the record {0} is finalized and cannot be changed or deleted")]
    Finalized(String),
    /// The device refused to store more (a browser's QuotaExceededError): what is already
    /// stored is intact, and the caller keeps what it could not write.
    #[error("the device's storage is full: {0}")]
    Full(String),
    #[error("storage failed: {0}")]
    Backend(String),
}

/// Futures are not `Send`: the browser's IndexedDB lives on one thread.
#[allow(async_fn_in_trait)]
pub trait Store {
    async fn put_instrument(&self, instrument: &Instrument) -> Result<(), StoreError>;
    async fn get_instrument(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Instrument>, StoreError>;
    /// `(form_id, version)` of every stored instrument, sorted.
    async fn list_instruments(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Inserts or replaces by instance id. Replacing a finalized record is refused.
    async fn put_submission(&self, submission: &Submission) -> Result<(), StoreError>;
    async fn get_submission(&self, instance_id: &str) -> Result<Option<Submission>, StoreError>;
    /// The submissions of one instrument (any version), optionally of one status, by instance id.
    async fn list_submissions(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<Submission>, StoreError>;
    /// Deletes a draft; true if there was one. Deleting a finalized record is refused.
    async fn delete_submission(&self, instance_id: &str) -> Result<bool, StoreError>;
}

/// A store in memory, for tests and the command line.
#[derive(Debug, Default)]
pub struct MemoryStore {
    instruments: RefCell<BTreeMap<(String, String), Instrument>>,
    submissions: RefCell<BTreeMap<String, Submission>>,
}

impl Store for MemoryStore {
    async fn put_instrument(&self, instrument: &Instrument) -> Result<(), StoreError> {
        let key = (
            instrument.settings.form_id.clone(),
            instrument.settings.version.clone(),
        );
        self.instruments
            .borrow_mut()
            .insert(key, instrument.clone());
        Ok(())
    }

    async fn get_instrument(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Instrument>, StoreError> {
        Ok(self
            .instruments
            .borrow()
            .get(&(form_id.to_string(), version.to_string()))
            .cloned())
    }

    async fn list_instruments(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self.instruments.borrow().keys().cloned().collect())
    }

    async fn put_submission(&self, submission: &Submission) -> Result<(), StoreError> {
        let mut submissions = self.submissions.borrow_mut();
        if let Some(existing) = submissions.get(&submission.instance_id)
            && existing.status == Status::Finalized
            && existing != submission
        {
            return Err(StoreError::Finalized(submission.instance_id.clone()));
        }
        submissions.insert(submission.instance_id.clone(), submission.clone());
        Ok(())
    }

    async fn get_submission(&self, instance_id: &str) -> Result<Option<Submission>, StoreError> {
        Ok(self.submissions.borrow().get(instance_id).cloned())
    }

    async fn list_submissions(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<Submission>, StoreError> {
        Ok(self
            .submissions
            .borrow()
            .values()
            .filter(|s| s.instrument_id == form_id && status.is_none_or(|st| s.status == st))
            .cloned()
            .collect())
    }

    async fn delete_submission(&self, instance_id: &str) -> Result<bool, StoreError> {
        let mut submissions = self.submissions.borrow_mut();
        match submissions.get(instance_id) {
            Some(s) if s.status == Status::Finalized => {
                Err(StoreError::Finalized(instance_id.to_string()))
            }
            Some(_) => Ok(submissions.remove(instance_id).is_some()),
            None => Ok(false),
        }
    }
}

/// The rules every [`Store`] follows, written once. A store's tests call
/// `conformance::run(|| async { MyStore::new() }).await` and assert the result is empty
/// (the maker is async because opening a browser database is).
pub mod conformance {
    use super::*;
    use crate::instrument::{FORMAT, Item, ItemType, Settings, Text};
    use crate::record::{Answer, RECORD_FORMAT};

    fn instrument(version: &str) -> Instrument {
        let mut q = Item::new(ItemType::Text, "name");
        q.label = Text::one("en", "Name");
        Instrument {
            format: FORMAT,
            settings: Settings {
                form_id: "conformance".into(),
                version: version.into(),
                title: Text::one("en", "Conformance"),
                default_language: Some("en".into()),
                instance_name: None,
                allow_choice_duplicates: false,
            },
            survey: vec![q],
            choices: BTreeMap::new(),
        }
    }

    fn submission(id: &str, status: Status, name: &str) -> Submission {
        let mut member = BTreeMap::new();
        member.insert("age".to_string(), Answer::Value("34".into()));
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: "conformance".into(),
            instrument_version: "1".into(),
            status,
            started: "2015-03-17T10:30:00.000+06:00".into(),
            updated: "2015-03-17T10:35:00.000+06:00".into(),
            finalized: (status == Status::Finalized)
                .then(|| "2015-03-17T10:40:00.000+06:00".into()),
            enumerator: "Aida".into(),
            device_id: "tablet-07".into(),
            answers: BTreeMap::from([
                ("name".to_string(), Answer::Value(name.into())),
                (
                    "member".to_string(),
                    Answer::Repeat(vec![member.clone(), member]),
                ),
            ]),
        }
    }

    fn check(failures: &mut Vec<String>, ok: bool, what: &str) {
        if !ok {
            failures.push(what.to_string());
        }
    }

    /// Runs every rule against fresh stores from `make`; returns what failed (empty: conformant).
    pub async fn run<S: Store, F: Future<Output = S>>(make: impl Fn() -> F) -> Vec<String> {
        let mut failures = Vec::new();

        let store = make().await;
        let v1 = instrument("1");
        let v2 = instrument("2");
        check(
            &mut failures,
            store.put_instrument(&v1).await.is_ok(),
            "put an instrument",
        );
        check(
            &mut failures,
            store.put_instrument(&v2).await.is_ok(),
            "put a second version",
        );
        check(
            &mut failures,
            store.get_instrument("conformance", "1").await == Ok(Some(v1.clone())),
            "get reads back the instrument",
        );
        check(
            &mut failures,
            store.get_instrument("conformance", "3").await == Ok(None),
            "get of an unknown version is None",
        );
        check(
            &mut failures,
            store.list_instruments().await
                == Ok(vec![
                    ("conformance".into(), "1".into()),
                    ("conformance".into(), "2".into()),
                ]),
            "both versions are listed, sorted",
        );

        let store = make().await;
        let a = submission("a", Status::Draft, "Aida");
        check(
            &mut failures,
            store.put_submission(&a).await.is_ok(),
            "put a draft",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(Some(a.clone())),
            "a draft reads back equal, repeats in order",
        );
        let edited = submission("a", Status::Draft, "Aidai");
        check(
            &mut failures,
            store.put_submission(&edited).await.is_ok(),
            "a draft can be replaced",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(Some(edited)),
            "the replacement is what is stored",
        );
        check(
            &mut failures,
            store.get_submission("zz").await == Ok(None),
            "get of an unknown id is None",
        );

        let done = submission("b", Status::Finalized, "Bermet");
        check(
            &mut failures,
            store.put_submission(&done).await.is_ok(),
            "put a finalized record",
        );
        check(
            &mut failures,
            store.put_submission(&done).await.is_ok(),
            "putting the same finalized record again changes nothing",
        );
        let overwrite = submission("b", Status::Draft, "Someone else");
        check(
            &mut failures,
            store.put_submission(&overwrite).await == Err(StoreError::Finalized("b".into())),
            "a finalized record cannot be overwritten",
        );
        check(
            &mut failures,
            store.get_submission("b").await == Ok(Some(done.clone())),
            "a refused overwrite loses nothing",
        );
        check(
            &mut failures,
            store.delete_submission("b").await == Err(StoreError::Finalized("b".into())),
            "a finalized record cannot be deleted",
        );

        let drafts = store
            .list_submissions("conformance", Some(Status::Draft))
            .await
            .unwrap_or_default();
        check(
            &mut failures,
            drafts
                .iter()
                .map(|s| s.instance_id.as_str())
                .collect::<Vec<_>>()
                == ["a"],
            "list drafts",
        );
        let all = store
            .list_submissions("conformance", None)
            .await
            .unwrap_or_default();
        check(&mut failures, all.len() == 2, "list every status");
        check(
            &mut failures,
            store.list_submissions("other", None).await == Ok(vec![]),
            "list of another instrument is empty",
        );

        check(
            &mut failures,
            store.delete_submission("a").await == Ok(true),
            "delete a draft",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(None),
            "a deleted draft is gone",
        );
        check(
            &mut failures,
            store.delete_submission("a").await == Ok(false),
            "deleting again reports nothing deleted",
        );
        failures
    }
}
