//! The designer's instruments on a device, over dala-core's [`Store`]: the published
//! versions, the designs in progress (a draft per form and its undo history, kept in the
//! store's settings), and the list the Design workspace shows.

use crate::catalog::versions_by_form;
use crate::designer::draft_key;
use dala_core::design::DesignState;
use dala_core::{Instrument, Store};

/// The setting that lists the forms with a design in progress (their drafts live under
/// [`draft_key`]).
const SETTING_DESIGNS: &str = "designs";

/// The newest stored version of each instrument, with all its versions (newest first).
pub async fn published<S: Store>(store: &S) -> Result<Vec<(Instrument, Vec<String>)>, String> {
    let keys = store.list_instruments().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (form, versions) in versions_by_form(keys) {
        if let Some(version) = versions.first()
            && let Some(instrument) = store
                .get_instrument(&form, version)
                .await
                .map_err(|e| e.to_string())?
        {
            out.push((instrument, versions));
        }
    }
    Ok(out)
}

pub async fn published_latest<S: Store>(store: &S) -> Result<Vec<Instrument>, String> {
    Ok(published(store)
        .await?
        .into_iter()
        .map(|(i, _)| i)
        .collect())
}

pub async fn draft_forms<S: Store>(store: &S) -> Vec<String> {
    store
        .setting(SETTING_DESIGNS)
        .await
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub async fn load_draft<S: Store>(store: &S, form_id: &str) -> Option<Instrument> {
    let text = store.setting(&draft_key(form_id)).await.ok()??;
    Instrument::from_json(&text).ok()
}

/// Where the undo history of a design in progress is kept.
pub fn history_key(form_id: &str) -> String {
    format!("design-history/{form_id}")
}

/// Stores a design in progress with its undo history, so undo works after a reload.
pub async fn save_history<S: Store>(store: &S, state: &DesignState) -> Result<(), String> {
    store
        .set_setting(
            &history_key(&state.instrument.settings.form_id),
            &state.to_json(),
        )
        .await
        .map_err(|e| e.to_string())
}

pub async fn load_history<S: Store>(store: &S, form_id: &str) -> Option<DesignState> {
    let text = store.setting(&history_key(form_id)).await.ok()??;
    DesignState::from_json(&text)
}

/// Forgets the design in progress of a form id (its form id changed): it is no longer listed.
pub async fn forget_draft<S: Store>(store: &S, form_id: &str) {
    let _ = store.set_setting(&draft_key(form_id), "").await;
    let _ = store.set_setting(&history_key(form_id), "").await;
    let forms: Vec<String> = draft_forms(store)
        .await
        .into_iter()
        .filter(|f| f != form_id)
        .collect();
    if let Ok(list) = serde_json::to_string(&forms) {
        let _ = store.set_setting(SETTING_DESIGNS, &list).await;
    }
}

/// Stores a design in progress, and lists its form among the designs.
pub async fn save_draft<S: Store>(store: &S, instrument: &Instrument) -> Result<(), String> {
    let form_id = &instrument.settings.form_id;
    store
        .set_setting(&draft_key(form_id), &instrument.to_json())
        .await
        .map_err(|e| e.to_string())?;
    let mut forms = draft_forms(store).await;
    if !forms.contains(form_id) {
        forms.push(form_id.clone());
        let list = serde_json::to_string(&forms).map_err(|e| e.to_string())?;
        store
            .set_setting(SETTING_DESIGNS, &list)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One instrument in the designer's list.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub instrument: Instrument,
    /// Published versions, newest first.
    pub versions: Vec<String>,
    /// A design in progress that differs from the newest published version.
    pub changed: bool,
}

pub async fn entries<S: Store>(store: &S) -> Result<Vec<Entry>, String> {
    let mut out: Vec<Entry> = published(store)
        .await?
        .into_iter()
        .map(|(instrument, versions)| Entry {
            instrument,
            versions,
            changed: false,
        })
        .collect();
    for form in draft_forms(store).await {
        let Some(draft) = load_draft(store, &form).await else {
            continue;
        };
        match out
            .iter_mut()
            .find(|e| e.instrument.settings.form_id == form)
        {
            Some(entry) => {
                entry.changed = entry.instrument != draft;
                entry.instrument = draft;
            }
            None => out.push(Entry {
                instrument: draft,
                versions: Vec::new(),
                changed: true,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::block_on;
    use dala_core::MemoryStore;
    use dala_core::design::{Design, Edit, Setting};

    fn instrument(form_id: &str, version: &str) -> Instrument {
        let mut i = crate::designer::new_instrument(&[]);
        i.settings.form_id = form_id.into();
        i.settings.version = version.into();
        i
    }

    #[test]
    fn drafts_are_listed_beside_the_published_and_forgotten_on_request() {
        let store = MemoryStore::default();
        block_on(async {
            store
                .put_instrument(&instrument("police", "1"))
                .await
                .expect("put");
            store
                .put_instrument(&instrument("police", "2"))
                .await
                .expect("put");
            // The newest published version, all versions newest first, nothing changed.
            let list = entries(&store).await.expect("entries");
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].versions, ["2", "1"]);
            assert!(!list[0].changed);
            // A draft of it, and a new form that exists only as a draft.
            let mut edited = instrument("police", "2");
            edited.settings.version = "3".into();
            save_draft(&store, &edited).await.expect("save");
            save_draft(&store, &instrument("fast", "1"))
                .await
                .expect("save");
            save_draft(&store, &instrument("fast", "1"))
                .await
                .expect("save again");
            assert_eq!(
                draft_forms(&store).await,
                ["police", "fast"],
                "each form once"
            );
            let list = entries(&store).await.expect("entries");
            assert_eq!(list.len(), 2);
            assert!(list[0].changed && list[0].instrument == edited);
            assert!(list[1].changed && list[1].versions.is_empty());
            // Its undo history comes back with it.
            let mut design = Design::new(edited.clone());
            design
                .apply(Edit::SetSetting {
                    setting: Setting::Version,
                    value: Some("4".into()),
                })
                .expect("edit");
            save_history(&store, &design.state())
                .await
                .expect("history");
            let back = load_history(&store, "police").await.expect("a history");
            assert!(Design::from_state(back).can_undo());
            // Forgotten (its form id changed): no longer listed, the published one is.
            forget_draft(&store, "fast").await;
            assert_eq!(draft_forms(&store).await, ["police"]);
            assert_eq!(load_draft(&store, "fast").await, None);
            assert_eq!(entries(&store).await.expect("entries").len(), 1);
        });
    }
}
