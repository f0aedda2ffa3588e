//! The database's layout and its versions. Every change of layout gets a new version and an
//! upgrade from each older one, tested from version 1 (see tests/idb_store.rs).
//!
//! Version 1 kept submissions as `{instance_id, json}` in `submissions`, with no way to find
//! them but a full scan. Version 2 keeps them in `records`, with the instrument and status
//! beside the JSON for its indexes, plus the page a draft stopped at and when it was exported,
//! and adds `meta` for the device's settings.
//!
//! Version 3 adds `files`: the bytes of the files records name (a photo, a recording), a
//! Blob each, keyed by (instance id, name); a record's row lists their names beside its JSON
//! so that a write of the record removes those it no longer names in the same transaction.
//!
//! Version 4 adds `form_files`: the bytes of the files instruments attach for their labels
//! (a picture, a sound), a Blob each, keyed by SHA-256 (versions share a file unchanged).
//!
//! Version 5 adds `finalized` (the instance ids of the finalized records, written in the same
//! transaction as the record) and `receipts` (servers' receipts, a row per acknowledgement:
//! the JSON array of a slice's receipts). Acknowledging a slice of records then checks the ids
//! against `finalized` in one request and writes one row, never the records themselves: each
//! IndexedDB request costs far more than its bytes. Receipts written on a record's row before
//! version 5 are still read there.
//!
//! Version 6 adds `outbox`: the finalized records no server has acknowledged, by instance id,
//! each its record's JSON (as in `records`). Finalizing (or importing) a record puts it there
//! in the same transaction; acknowledging takes it out in the receipt's. A drain then reads
//! only what waits, never the records already sent, which a tablet keeps by the thousand.
//! Each row of `finalized` holds when its record was finalized (or null), which orders the
//! outbox without parsing it. Both are filled once after opening a database made before
//! (see `fill_outbox`): version 5 had `true` in `finalized`, and version 4 kept receipts on
//! the record rows, which the fill copies into `receipts`.
//!
//! The upgrade callback can only create and delete stores, so moving version-1 rows is done
//! right after opening, in one strict transaction over both stores (see `migrate_v1`): it
//! either moves every row or none, and running it again finds nothing to move.

use indexed_db_futures::KeyPath;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;

pub const NAME: &str = "dala";
pub const VERSION: u32 = 6;

pub const INSTRUMENTS: &str = "instruments";
pub const RECORDS: &str = "records";
pub const META: &str = "meta";
pub const FILES: &str = "files";
pub const FORM_FILES: &str = "form_files";
pub const FINALIZED: &str = "finalized";
pub const RECEIPTS: &str = "receipts";
pub const OUTBOX: &str = "outbox";
/// The setting that says `finalized` names every finalized record with its time, `outbox`
/// holds every one without a receipt, and every receipt is in `receipts` (filled once from
/// `records`).
pub const OUTBOX_FILLED: &str = "schema.outbox_filled";
/// Version 1's submissions, emptied by the migration; dropped in a later version.
pub const LEGACY_SUBMISSIONS: &str = "submissions";

pub const BY_INSTRUMENT: &str = "by_instrument";
pub const BY_INSTRUMENT_STATUS: &str = "by_instrument_status";

/// Creates what is missing for `VERSION`, whatever version the database had.
pub fn upgrade(db: &Database, old_version: u32) -> indexed_db_futures::Result<()> {
    upgrade_to(db, old_version, VERSION)
}

/// Creates what versions `old_version + 1` to `new_version` add (tests build an older layout
/// with it).
pub fn upgrade_to(
    db: &Database,
    old_version: u32,
    new_version: u32,
) -> indexed_db_futures::Result<()> {
    let adds = |version: u32| old_version < version && version <= new_version;
    if adds(1) {
        db.create_object_store(INSTRUMENTS)
            .with_key_path(KeyPath::from(["form_id", "version"]))
            .build()?;
    }
    if adds(2) {
        let records = db
            .create_object_store(RECORDS)
            .with_key_path("instance_id".into())
            .build()?;
        records
            .create_index(BY_INSTRUMENT, "instrument_id".into())
            .build()?;
        records
            .create_index(
                BY_INSTRUMENT_STATUS,
                KeyPath::from(["instrument_id", "status"]),
            )
            .build()?;
        db.create_object_store(META).build()?;
    }
    if adds(3) {
        db.create_object_store(FILES)
            .with_key_path(KeyPath::from(["instance_id", "name"]))
            .build()?;
    }
    if adds(4) {
        db.create_object_store(FORM_FILES)
            .with_key_path("sha256".into())
            .build()?;
    }
    if adds(5) {
        db.create_object_store(FINALIZED).build()?;
        db.create_object_store(RECEIPTS)
            .with_auto_increment(true)
            .build()?;
    }
    if adds(6) {
        db.create_object_store(OUTBOX).build()?;
    }
    Ok(())
}

/// The layout of version 1, kept so the upgrade test can build a database as it was.
pub fn create_v1(db: &Database) -> indexed_db_futures::Result<()> {
    db.create_object_store(INSTRUMENTS)
        .with_key_path(KeyPath::from(["form_id", "version"]))
        .build()?;
    db.create_object_store(LEGACY_SUBMISSIONS)
        .with_key_path("instance_id".into())
        .build()?;
    Ok(())
}
