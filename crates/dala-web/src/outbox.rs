//! The outbox's runner in the page: it fetches the forms the project publishes that the tablet
//! lacks, and drains the outbox to the server the tablet is enrolled with, at start, when the browser comes back online, after each finalization, when the
//! enumerator asks, and on a timer that waits longer after each failure (at most 5 minutes).
//! One drain at a time; a request to send during one runs another after it. What is sent and
//! how a receipt is kept is `sync`'s.

use crate::app::{AppState, store};
use crate::sync::{self, Stopped};
use dala_core::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;

/// What the home screen shows of the outbox.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutboxState {
    /// The server the tablet is enrolled with (None: not enrolled, the hand-over only).
    pub server: Option<String>,
    pub waiting: usize,
    /// When the oldest record waiting was finalized (the device's clock, ISO 8601).
    pub oldest_waiting: Option<String>,
    pub last_sent: Option<String>,
    pub sending: bool,
    /// Why the last drain stopped, if it did.
    pub stopped: Option<Stopped>,
    /// Records the server refused in the last drain, with why (they stay on the tablet).
    pub refused: Vec<sync::RefusedRecord>,
}

#[derive(Default)]
struct Runner {
    draining: bool,
    again: bool,
    failures: u32,
    timer: Option<i32>,
}

thread_local! {
    static RUNNER: RefCell<Runner> = RefCell::default();
}

/// Checks every 5 minutes even when nothing failed: a record finalized while a drain ran
/// into a dead network is sent without the enumerator doing anything.
const QUIET_CHECK_MS: u32 = 300_000;

/// Starts the runner: an enrolment link the app was opened with is kept first.
pub fn start(state: AppState, link: Option<sync::Enrolment>) {
    spawn_local(async move {
        if let (Some(enrolment), Some(store)) = (link, store())
            && let Err(e) = sync::enrol(&*store, &enrolment).await
        {
            state.fail(state.t(crate::i18n::Msg::SaveFailed), e);
        }
        crate::browser::on_online(move || send(state));
        crate::pwa::on_drain_asked(move || send(state));
        send(state);
    });
}

/// Drains the outbox now (or right after the drain that runs).
pub fn send(state: AppState) {
    let running = RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        if r.draining {
            r.again = true;
            return true;
        }
        r.draining = true;
        if let Some(timer) = r.timer.take() {
            crate::browser::clear_timer(timer);
        }
        false
    });
    if running {
        return;
    }
    spawn_local(async move {
        let stopped = loop {
            RUNNER.with(|r| r.borrow_mut().again = false);
            let stopped = drain_once(state).await;
            if !RUNNER.with(|r| r.borrow().again) {
                break stopped;
            }
        };
        let wait = RUNNER.with(|r| {
            let mut r = r.borrow_mut();
            r.draining = false;
            match stopped {
                Some(Stopped::Unreachable(_)) => {
                    crate::pwa::ask_background_sync();
                    let wait = sync::backoff_ms(r.failures);
                    r.failures += 1;
                    wait
                }
                _ => {
                    r.failures = 0;
                    QUIET_CHECK_MS
                }
            }
        });
        let timer = crate::browser::after(wait, move || send(state));
        RUNNER.with(|r| r.borrow_mut().timer = timer);
    });
}

/// One drain, the home screen's state kept up to date; why it stopped, if it did.
async fn drain_once(state: AppState) -> Option<Stopped> {
    let store = store()?;
    let enrolment = sync::enrolment(&*store).await.ok().flatten()?;
    state.outbox.update(|o| {
        o.server = Some(enrolment.server.clone());
        o.sending = true;
    });
    // The project's new forms first: a tablet that sees the server takes what it publishes.
    let files = crate::importer::ServerFormFiles {
        token: Some(enrolment.token.clone()),
    };
    match sync::fetch_forms(
        &*store,
        &enrolment,
        |url, token| async move { crate::browser::get_from_server(&url, &token).await },
        &files,
    )
    .await
    {
        Ok(fetched) if !fetched.added.is_empty() => state.data_rev.update(|n| *n += 1),
        Ok(_) => {}
        Err(e) => state.fail(state.t(crate::i18n::Msg::SaveFailed), e),
    }
    let device = state.device_id.get_untracked();
    let now = crate::host::now_text();
    let start = crate::perf::now_ms();
    let drained = sync::drain(
        &*store,
        &enrolment,
        &device,
        &now,
        |url, token, body| async move { crate::browser::post_bundle(&url, &token, body).await },
    )
    .await;
    let (stopped, refused) = match drained {
        Ok(d) => {
            if d.sent > 0 {
                crate::perf::drained(start, crate::perf::now_ms(), d.sent);
                state.data_rev.update(|n| *n += 1);
            }
            (d.stopped, d.refused)
        }
        Err(e) => {
            state.fail(state.t(crate::i18n::Msg::SaveFailed), e);
            (None, Vec::new())
        }
    };
    let waiting = store.waiting().await.unwrap_or_default();
    let oldest_waiting = waiting.first().and_then(|w| w.finalized.clone());
    let last_sent = store.setting(sync::LAST_SENT_SETTING).await.ok().flatten();
    state.outbox.set(OutboxState {
        server: Some(enrolment.server),
        waiting: waiting.len(),
        oldest_waiting,
        last_sent,
        sending: false,
        stopped: stopped.clone(),
        refused,
    });
    stopped
}

/// Records waiting this many days or more are worth a word: a tablet that has not seen the
/// server for that long may be lost or broken before they reach it.
const OLD_WAITING_DAYS: f64 = 3.0;

/// What the home screen warns of: records waiting `days` (the oldest) or more than three days,
/// and records waiting in storage the browser may clear (`persisted` refused).
pub fn warnings(
    outbox: &OutboxState,
    days: Option<f64>,
    persisted: Option<bool>,
) -> Vec<crate::i18n::Msg> {
    use crate::i18n::Msg;
    let mut out = Vec::new();
    if outbox.waiting == 0 {
        return out;
    }
    if days.is_some_and(|d| d >= OLD_WAITING_DAYS) {
        out.push(Msg::WaitingLong);
    }
    if persisted == Some(false) {
        out.push(Msg::MayBeCleared);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Msg;

    #[test]
    fn the_home_screen_warns_of_old_records_and_storage_the_browser_may_clear() {
        let waiting = OutboxState {
            server: Some("http://s".into()),
            waiting: 2,
            ..OutboxState::default()
        };
        assert_eq!(warnings(&waiting, Some(0.5), Some(true)), []);
        assert_eq!(
            warnings(&waiting, Some(3.2), Some(true)),
            [Msg::WaitingLong]
        );
        assert_eq!(
            warnings(&waiting, Some(4.0), Some(false)),
            [Msg::WaitingLong, Msg::MayBeCleared]
        );
        assert_eq!(warnings(&waiting, None, None), []);
        let none_waiting = OutboxState::default();
        assert_eq!(warnings(&none_waiting, Some(9.0), Some(false)), []);
    }
}
