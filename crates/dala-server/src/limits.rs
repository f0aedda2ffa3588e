//! Sign-in attempts, limited per address and per account name: after too many failures in a
//! window, further attempts are refused (429 with Retry-After) until the window has passed,
//! before any password is checked. Names that do not exist are counted like any other, so the
//! limit tells nobody which names exist. The counts live in the process: several server
//! processes each keep their own (a guesser spread over them gets a few times the tries).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per address, and per account name, within [`WINDOW`].
pub const PER_ADDRESS: u32 = 20;
pub const PER_ACCOUNT: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// More keys than this and the expired ones are swept out (the maps stay bounded by the
/// failures of one window).
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    first: Instant,
    count: u32,
}

#[derive(Debug)]
struct Counts<K> {
    map: HashMap<K, Failures>,
}

impl<K> Default for Counts<K> {
    fn default() -> Counts<K> {
        Counts {
            map: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Counts<K> {
    /// How long until `key` may try again (None: it may now).
    fn wait(&self, key: &K, limit: u32, now: Instant) -> Option<Duration> {
        let f = self.map.get(key)?;
        let elapsed = now.saturating_duration_since(f.first);
        (f.count >= limit && elapsed < WINDOW).then(|| WINDOW - elapsed)
    }

    fn fail(&mut self, key: &K, now: Instant) {
        if self.map.len() >= SWEEP_AT {
            self.map
                .retain(|_, f| now.saturating_duration_since(f.first) < WINDOW);
        }
        let entry = self.map.entry(key.clone()).or_insert(Failures {
            first: now,
            count: 0,
        });
        if now.saturating_duration_since(entry.first) >= WINDOW {
            *entry = Failures {
                first: now,
                count: 0,
            };
        }
        entry.count += 1;
    }

    fn clear(&mut self, key: &K) {
        self.map.remove(key);
    }
}

#[derive(Debug, Default)]
pub struct SignInLimits {
    addresses: Mutex<Counts<IpAddr>>,
    accounts: Mutex<Counts<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves counts that are still counts.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SignInLimits {
    /// How long the caller must wait before trying (None: try now).
    pub fn wait(&self, address: IpAddr, account: &str, now: Instant) -> Option<Duration> {
        let by_address = lock(&self.addresses).wait(&address, PER_ADDRESS, now);
        let by_account = lock(&self.accounts).wait(&account.to_lowercase(), PER_ACCOUNT, now);
        by_address.max(by_account)
    }

    pub fn failed(&self, address: IpAddr, account: &str, now: Instant) {
        lock(&self.addresses).fail(&address, now);
        lock(&self.accounts).fail(&account.to_lowercase(), now);
    }

    /// A success forgives the account's failures (not the address's: one address trying many
    /// accounts stays limited).
    pub fn succeeded(&self, account: &str) {
        lock(&self.accounts).clear(&account.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_account_waits_after_five_failures_until_the_window_passes() {
        let limits = SignInLimits::default();
        let t0 = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert_eq!(
                limits.wait(ip(u8::try_from(i).unwrap_or(0)), "Aida", t0),
                None
            );
            limits.failed(ip(u8::try_from(i).unwrap_or(0)), "aida", t0);
        }
        // From another address too, and whatever the case of the name.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(
            limits.wait(ip(99), "AIDA", later),
            Some(WINDOW - Duration::from_secs(60))
        );
        assert_eq!(
            limits.wait(ip(99), "dinara", later),
            None,
            "another account is free"
        );
        assert_eq!(
            limits.wait(ip(99), "aida", t0 + WINDOW),
            None,
            "the window passed"
        );
    }

    #[test]
    fn an_address_trying_many_names_waits_too_and_success_does_not_free_it() {
        let limits = SignInLimits::default();
        let t0 = Instant::now();
        for i in 0..PER_ADDRESS {
            limits.failed(ip(1), &format!("name{i}"), t0);
        }
        limits.succeeded("name0");
        assert!(limits.wait(ip(1), "someone", t0).is_some());
        assert_eq!(limits.wait(ip(2), "someone", t0), None);
    }

    #[test]
    fn a_success_forgives_the_accounts_failures() {
        let limits = SignInLimits::default();
        let t0 = Instant::now();
        for _ in 0..PER_ACCOUNT - 1 {
            limits.failed(ip(1), "aida", t0);
        }
        limits.succeeded("aida");
        limits.failed(ip(1), "aida", t0);
        assert_eq!(limits.wait(ip(1), "aida", t0), None);
    }
}
