//! The store a fleet shares (`options.store`): what an entry holds and when it is trusted, the
//! key it is kept under, how long a client leaves a failing store alone, when a result is
//! refreshed early, and the claim by which one instance refreshes it. Written against a
//! [`Store`] trait, as calls are against `Network`, so host tests drive it with a fake one.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;

use futures_util::future::{select, Either, LocalBoxFuture};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::call::{Clock, Failure};
use super::key::ApiKey;
use super::response::{Credits, RateLimit};
use super::retry::{doubled_ms, unit_jitter};
use crate::error::{ErrorCode, PowerPostError};
use crate::input::{read, Path, Value};
use crate::pricing::settle::{is_balance, BALANCE_RULE};

/// The entry format; an entry of another version is ignored. Also in every store key, so that
/// another format would be kept apart.
const ENTRY_VERSION: u32 = 2;
const KEY_PREFIX: &str = "powerpost-credits:v2:";
/// An entry longer than this as JSON is not read: no store can make a call read much.
const MAX_ENTRY_CHARS: usize = 65_536;
/// How far ahead of this clock another instance's may be before its `fetchedAt` is refused.
pub(crate) const MAX_CLOCK_AHEAD_MS: f64 = 60_000.0;
const FIRST_SKIP_MS: f64 = 1_000.0;
const MAX_SKIP_MS: f64 = 60_000.0;
/// How much longer than it may answer an entry is kept: a little, so that the store (whose
/// clock is not ours) never drops an entry that could still answer.
const TTL_MARGIN_MS: f64 = 1_000.0;
/// How long an instance that wrote a claim waits before it reads the entry back: longer than a
/// write takes to be seen by the others (a store on the same network), so that of claims
/// written at once the last one stands, and is seen by all.
pub(crate) const CLAIM_SETTLE_MS: f64 = 30.0;
/// How often a call waiting for another instance's claimed refresh reads the entry.
pub(crate) const CLAIM_POLL_MS: f64 = 50.0;
/// The longest an instance's id may be in a claim.
const MAX_CLAIMANT_CHARS: usize = 64;

/// The spread of the early refresh's random head start, as a share of `maxAgeMs`: with `lead`
/// the time a refresh takes, a call refreshes with probability `exp(-(time left - lead) /
/// (maxAgeMs / 100))`, rising to 1 when only the lead is left. Small, since claims, not chance,
/// keep the fleet's instances from refreshing together: a fleet refreshes about once per
/// `maxAgeMs`, just in time.
const EARLY_REFRESH_SHARE: f64 = 0.01;

/// Where an entry's fields are named in `onStoreError`'s message.
const ENTRY: Path = Path::fields_of("entry");

/// What a store's `get` gave: nothing there, or the value and its length as JSON (`None`: it
/// cannot be written as JSON).
pub(crate) type Stored<V> = Option<(V, Option<usize>)>;

/// A store as the runtime gives it: Keyv's `get` and `set`.
pub(crate) trait Store: Clone + 'static {
    /// A value as the store gives it back.
    type Value: Value;
    /// What the store threw or rejected with, kept as the `cause` of what `onStoreError` gets.
    type Cause;

    /// What is under `key`; fails with what the store threw.
    async fn get(&self, key: &str) -> Result<Stored<Self::Value>, Self::Cause>;

    /// Writes `entry` under `key`, to expire after `ttl_ms`.
    fn set(&self, key: &str, entry: &Entry, ttl_ms: f64) -> LocalBoxFuture<'static, Result<(), Self::Cause>>;

    /// Tells `onStoreError`, if given; what it does is ignored.
    fn failed(&self, failure: Failure<Self::Cause>);

    /// Runs `task` on its own: a write never delays the caller.
    fn detach(&self, task: LocalBoxFuture<'static, ()>);
}

/// What is stored, as one flat JSON object: the `Credits` fields of the last answer (none
/// while only a pause is kept), and a pause the fleet keeps after a 429.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    balance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rate_limit: Option<RateLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fetched_at: Option<f64>,
    /// How long the request that fetched the balance took (ms): how early the next one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_ms: Option<f64>,
    /// No request before this time (ms since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<f64>,
    /// An instance refreshing the entry (its random id), and until when (ms since the Unix
    /// epoch): the others leave it alone until then. Flat, as the rest of the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_until: Option<f64>,
}

/// Who refreshes an entry (an instance's random id), and until when (ms since the Unix epoch).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Claim {
    pub by: String,
    pub until: f64,
}

impl Entry {
    pub(crate) fn new(credits: Option<Credits>, paused_until: Option<f64>) -> Self {
        let (balance, request_id, rate_limit, fetched_at) = match credits {
            Some(Credits { balance, request_id, rate_limit, fetched_at }) => {
                (Some(balance), request_id, rate_limit, Some(fetched_at))
            }
            None => (None, None, None, None),
        };
        let (version, request_ms, claimed_by, claimed_until) = (ENTRY_VERSION, None, None, None);
        Entry {
            version,
            balance,
            request_id,
            rate_limit,
            fetched_at,
            request_ms,
            paused_until,
            claimed_by,
            claimed_until,
        }
    }

    /// This entry with `claim` in it.
    pub(crate) fn claimed(mut self, Claim { by, until }: Claim) -> Self {
        (self.claimed_by, self.claimed_until) = (Some(by), Some(until));
        self
    }

    /// The claim in this entry, if any.
    pub(crate) fn claim(&self) -> Option<Claim> {
        Some(Claim { by: self.claimed_by.clone()?, until: self.claimed_until? })
    }

    /// The claim in this entry that has not lapsed at `now_ms`, if any.
    pub(crate) fn live_claim(&self, now_ms: f64) -> Option<Claim> {
        self.claim().filter(|claim| claim.until > now_ms)
    }

    /// The claim of an instance other than `instance` that has not lapsed at `now_ms`.
    pub(crate) fn claimed_by_other(&self, instance: &str, now_ms: f64) -> Option<Claim> {
        self.live_claim(now_ms).filter(|claim| claim.by != instance)
    }

    /// The credits kept, if any.
    pub(crate) fn credits(&self) -> Option<Credits> {
        Some(Credits {
            balance: self.balance?,
            request_id: self.request_id.clone(),
            rate_limit: self.rate_limit,
            fetched_at: self.fetched_at?,
        })
    }

    /// `value` as an entry, checked as strictly as a response; why not, for `onStoreError`.
    fn check<V: Value>(value: V, json_chars: Option<usize>, now_ms: f64) -> Result<Entry, String> {
        if json_chars.is_none_or(|chars| chars > MAX_ENTRY_CHARS) {
            return Err(format!("is not JSON of at most {MAX_ENTRY_CHARS} characters"));
        }
        let entry: Entry = read(value, &ENTRY).map_err(|error| error.message)?;
        if entry.version != ENTRY_VERSION {
            return Err(format!("is of version {}, not {ENTRY_VERSION}", entry.version));
        }
        if entry.balance.is_some() != entry.fetched_at.is_some() {
            return Err("balance and fetchedAt must be given together".into());
        }
        if entry.balance.is_some_and(|balance| !is_balance(balance)) {
            return Err(format!("balance must be {BALANCE_RULE}"));
        }
        if entry.fetched_at.is_some_and(|at| !(at.is_finite() && at <= now_ms + MAX_CLOCK_AHEAD_MS)) {
            return Err("fetchedAt must be a time at most a minute from now".into());
        }
        if entry.request_ms.is_some_and(|ms| !(ms.is_finite() && ms >= 0.0)) {
            return Err("requestMs must be a non-negative number".into());
        }
        if entry.paused_until.is_some_and(|until| !until.is_finite()) {
            return Err("pausedUntil must be a finite number".into());
        }
        if entry.claimed_by.is_some() != entry.claimed_until.is_some() {
            return Err("claimedBy and claimedUntil must be given together".into());
        }
        if entry.claimed_until.is_some_and(|until| !until.is_finite()) {
            return Err("claimedUntil must be a finite number".into());
        }
        if entry.claimed_by.as_ref().is_some_and(|by| by.is_empty() || by.len() > MAX_CLAIMANT_CHARS) {
            return Err(format!("claimedBy must be 1 to {MAX_CLAIMANT_CHARS} characters"));
        }
        Ok(entry)
    }
}

/// The store key of a key's balance at a base URL: the hex SHA-256 of both, from which
/// neither can be recovered.
pub(crate) fn store_key(base_url: &str, key: &ApiKey) -> String {
    let digest = Sha256::new().chain_update(base_url).chain_update("\n").chain_update(key.as_str()).finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(KEY_PREFIX.len() + 64);
    id.push_str(KEY_PREFIX);
    for byte in digest {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 15)]));
    }
    id
}

/// How long an entry is kept: a little over the longer of what it may answer for and its pause.
pub(crate) fn ttl_ms(max_age_ms: f64, pause_ms: f64) -> f64 {
    max_age_ms.max(pause_ms) + TTL_MARGIN_MS
}

/// The early refresh's head start: how much older than it is a shared result counts. The lead
/// a refresh needs (its request's `request_ms` and the claim's settle), so that its result
/// comes before the entry is too old to answer, and a random spread drawn from `jitter`
/// (uniform in [0, 1)); at most `max_age_ms`.
pub(crate) fn early_refresh_ms(max_age_ms: f64, request_ms: f64, jitter: f64) -> f64 {
    let spread_ms = -(max_age_ms * EARLY_REFRESH_SHARE) * (1.0 - unit_jitter(jitter)).ln();
    (request_ms + CLAIM_SETTLE_MS + spread_ms).min(max_age_ms)
}

/// When a client leaves its store alone: 1 s after a failed operation, doubling while they
/// keep failing, at most 60 s; a success resets it.
#[derive(Debug, Default)]
pub(crate) struct StoreHealth {
    failures: Cell<u32>,
    skip_until_ms: Cell<f64>,
}

impl StoreHealth {
    pub(crate) fn usable(&self, now_ms: f64) -> bool {
        now_ms >= self.skip_until_ms.get()
    }

    fn failed(&self, now_ms: f64) {
        let failures = self.failures.get();
        let skip_ms = doubled_ms(FIRST_SKIP_MS, failures, MAX_SKIP_MS);
        self.skip_until_ms.set(now_ms + skip_ms);
        self.failures.set(failures.saturating_add(1));
    }

    fn succeeded(&self) {
        self.failures.set(0);
        self.skip_until_ms.set(0.0);
    }
}

/// A call's store, as its options give it, read once: the store, the entry's key, how long one
/// operation may take, and how long a claim lasts (the call's request's own time limit).
pub(crate) struct StoreConfig<S> {
    pub store: S,
    pub key: String,
    pub timeout_ms: u32,
    pub claim_ms: f64,
}

/// One call's way to its entry: its [`StoreConfig`], the clock, and the client's [`StoreHealth`].
#[derive(Clone)]
pub(crate) struct StoreSlot<S, K> {
    pub config: Rc<StoreConfig<S>>,
    pub clock: K,
    pub health: Rc<StoreHealth>,
}

impl<S: Store, K: Clock + Clone + 'static> StoreSlot<S, K> {
    /// The entry, if there is a valid one. Whatever goes wrong is told to `onStoreError` and
    /// reads as no entry; a store that failed is left alone for a while.
    pub(crate) async fn read(&self) -> Option<Entry> {
        let got = self.within_timeout(self.config.store.get(&self.config.key)).await;
        self.entry_of(got)
    }

    /// What `get` gave, as an entry; out of line, so that no call's state machine carries it.
    #[inline(never)]
    fn entry_of(&self, got: Result<Stored<S::Value>, Option<S::Cause>>) -> Option<Entry> {
        let got = match got {
            Ok(got) => got,
            Err(failure) => {
                self.failed(failure, "get");
                return None;
            }
        };
        self.health.succeeded();
        let (value, json_chars) = got?;
        if value.is_missing() {
            return None;
        }
        match Entry::check(value, json_chars, self.clock.now_ms()) {
            Ok(entry) => Some(entry),
            Err(why) => {
                // The store works; the entry is bad. Told, not held against the store, and
                // overwritten by the next result.
                let message = format!("store entry ignored: {why}");
                self.config.store.failed(Failure::from(PowerPostError::new(ErrorCode::StoreError, message)));
                None
            }
        }
    }

    /// Writes `entry`, to expire after `ttl_ms`: `set` is called at once, so the write is
    /// under way before the caller goes on (and, say, disconnects its store), and awaited on
    /// its own, so the caller never waits for it.
    pub(crate) fn write(&self, entry: &Entry, ttl_ms: f64) {
        let (slot, set) = (self.clone(), self.config.store.set(&self.config.key, entry, ttl_ms));
        self.config.store.detach(Box::pin(async move {
            match slot.within_timeout(set).await {
                Ok(()) => slot.health.succeeded(),
                Err(failure) => slot.failed(failure, "set"),
            }
        }));
    }

    /// Writes a fresh result, whose request took `request_ms` if this client sent it, to be
    /// kept a little over `max_age_ms`.
    pub(crate) fn write_result(&self, credits: &Credits, request_ms: Option<f64>, max_age_ms: f64) {
        let entry = Entry { request_ms, ..Entry::new(Some(credits.clone()), None) };
        self.write(&entry, ttl_ms(max_age_ms, 0.0));
    }

    /// Writes a 429's pause, until `until`, keeping the balance `kept`.
    pub(crate) fn write_pause(&self, kept: Option<Credits>, until: f64, pause_ms: f64, max_age_ms: f64) {
        self.write(&Entry::new(kept, Some(until)), ttl_ms(max_age_ms, pause_ms));
    }

    /// Writes `entry` and waits until the store says it is written: whether it is.
    pub(crate) async fn write_now(&self, entry: &Entry, ttl_ms: f64) -> bool {
        match self.within_timeout(self.config.store.set(&self.config.key, entry, ttl_ms)).await {
            Ok(()) => {
                self.health.succeeded();
                true
            }
            Err(failure) => {
                self.failed(failure, "set");
                false
            }
        }
    }

    /// `operation`, or its failure: what it threw, or that it took over `timeout_ms`.
    async fn within_timeout<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, S::Cause>>,
    ) -> Result<T, Option<S::Cause>> {
        match select(pin!(operation), pin!(self.clock.wait(f64::from(self.config.timeout_ms)))).await {
            Either::Left((outcome, _)) => outcome.map_err(Some),
            Either::Right(_) => Err(None),
        }
    }

    #[inline(never)]
    fn failed(&self, cause: Option<S::Cause>, operation: &str) {
        self.health.failed(self.clock.now_ms());
        let message = match cause {
            Some(_) => format!("store.{operation} failed"),
            None => format!("store.{operation} took over {} ms", self.config.timeout_ms),
        };
        self.config.store.failed(Failure { error: PowerPostError::new(ErrorCode::StoreError, message), cause });
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: serde_json::Value) -> Result<Entry, String> {
        let chars = serde_json::to_string(&value).unwrap().len();
        Entry::check(value, Some(chars), 1_000_000.0)
    }

    #[test]
    fn the_store_key_is_a_hash_of_the_base_url_and_key() {
        let key = ApiKey::parse(crate::credits::fakes::KEY).unwrap();
        let id = store_key("https://powerpost.ai/api/v1", &key);
        assert_eq!(id.len(), KEY_PREFIX.len() + 64);
        assert!(id.starts_with("powerpost-credits:v2:"));
        assert!(KEY_PREFIX.ends_with(&format!(":v{ENTRY_VERSION}:")), "the key names the entries' version");
        assert!(id[KEY_PREFIX.len()..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(id, store_key("http://127.0.0.1:8080/api/v1", &key), "each base URL has its own");
        let other = ApiKey::parse("pp_live_sk_0123456789abcdefWXYz").unwrap();
        assert_ne!(id, store_key("https://powerpost.ai/api/v1", &other));
        // SHA-256("a\nb") as `sha256sum` gives it.
        let digest = Sha256::digest("https://powerpost.ai/api/v1\npp_live_sk_0123456789abcdefWXYZ");
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(id, format!("{KEY_PREFIX}{hex}"));
    }

    #[test]
    fn valid_entries_are_read_and_written_alike() {
        let rate_limit = json!({"limit": 60, "remaining": 59, "resetAt": 1_000});
        let value = json!({"version": 2, "balance": 47, "requestId": "req_1", "rateLimit": rate_limit,
            "fetchedAt": 999_000, "pausedUntil": 1_002_000});
        let entry = check(value).unwrap();
        let credits = entry.credits().unwrap();
        assert_eq!(
            (credits.balance, credits.request_id.as_deref(), credits.fetched_at),
            (47.0, Some("req_1"), 999_000.0)
        );
        assert_eq!(credits.rate_limit.map(|limit| limit.remaining), Some(59));
        assert_eq!(entry.paused_until, Some(1_002_000.0));
        assert_eq!(check(serde_json::to_value(&entry).unwrap()), Ok(entry.clone()), "written as read");
        let paused = check(json!({"version": 2, "pausedUntil": 5})).unwrap();
        assert_eq!((paused.credits(), paused.paused_until), (None, Some(5.0)), "a pause alone is valid");
        let claim = Claim { by: "x".repeat(MAX_CLAIMANT_CHARS), until: 7.0 };
        let claimed = Entry::new(Some(credits.clone()), None).claimed(claim.clone());
        assert_eq!(check(serde_json::to_value(&claimed).unwrap()), Ok(claimed.clone()), "a claim is read as written");
        assert_eq!(claimed.claimed_by_other("me", 6.9), Some(claim.clone()));
        assert_eq!(claimed.claimed_by_other("me", 7.0), None, "a claim lapses at its end");
        assert_eq!(claimed.claimed_by_other(&claim.by, 0.0), None, "one's own claim is not another's");
        let written = serde_json::to_value(Entry::new(None, Some(5.0))).unwrap();
        assert_eq!(written, json!({"version": 2, "pausedUntil": 5.0}));
    }

    #[test]
    fn entries_are_checked_as_strictly_as_responses() {
        let credits = |balance: serde_json::Value, fetched_at: f64| json!({"version": 2, "balance": balance, "requestId": null, "fetchedAt": fetched_at});
        let refused = [
            (credits(json!(-1), 0.0), "balance must be a finite, non-negative number"),
            (credits(json!("47"), 0.0), "balance must be a number"),
            (credits(json!(1), 1_060_001.0), "fetchedAt must be a time at most a minute from now"),
            (json!({"version": 2, "rateLimit": {"limit": 1.5}}), "rateLimit.limit must be a whole number"),
            (json!({"version": 1, "pausedUntil": 5}), "is of version 1, not 2"),
            (json!({"pausedUntil": 5}), "version is required"),
            (json!({"version": 2, "balance": 1}), "balance and fetchedAt must be given together"),
            (json!({"version": 2, "pausedUntil": "soon"}), "pausedUntil must be a number"),
            (json!({"version": 2, "requestMs": -1}), "requestMs must be a non-negative number"),
            (json!({"version": 2, "claimedBy": "", "claimedUntil": 5}), "claimedBy must be 1 to 64 characters"),
            (
                json!({"version": 2, "claimedBy": "x".repeat(65), "claimedUntil": 5}),
                "claimedBy must be 1 to 64 characters",
            ),
            (json!({"version": 2, "claimedBy": "a", "claimedUntil": "later"}), "claimedUntil must be a number"),
            (json!({"version": 2, "claimedUntil": 5}), "claimedBy and claimedUntil must be given together"),
            (json!("a string"), "entry must be a plain object"),
        ];
        for (value, why) in refused {
            let error = check(value.clone()).unwrap_err();
            assert!(error.contains(why), "{value}: {error}");
        }
        assert!(check(credits(json!(1), 1_060_000.0)).is_ok(), "a minute ahead is still fine");
        assert!(check(json!({"version": 2, "requestMs": 0})).is_ok(), "a request of no time");
        let huge = json!({"version": 2, "pad": "x".repeat(MAX_ENTRY_CHARS)});
        assert!(check(huge).unwrap_err().contains("at most 65536 characters"));
        let padded = |chars: usize| {
            let frame = serde_json::to_string(&json!({"version": 2, "pad": ""})).unwrap().len();
            json!({"version": 2, "pad": "x".repeat(chars - frame)})
        };
        assert!(check(padded(MAX_ENTRY_CHARS)).is_ok(), "65,536 characters is still read");
        assert!(check(padded(MAX_ENTRY_CHARS + 1)).is_err());
        let unwritable = Entry::check(json!({"version": 2}), None, 0.0);
        assert!(unwritable.unwrap_err().contains("not JSON"));
    }

    #[test]
    fn a_failing_store_is_skipped_one_second_doubling_to_a_minute() {
        let health = StoreHealth::default();
        let mut skips = Vec::new();
        for _ in 0..8 {
            health.failed(0.0);
            skips.push(health.skip_until_ms.get());
        }
        assert_eq!(skips, [1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 32_000.0, 60_000.0, 60_000.0]);
        assert!(!health.usable(59_999.0) && health.usable(60_000.0));
        health.succeeded();
        assert!(health.usable(0.0));
        health.failed(0.0);
        assert_eq!(health.skip_until_ms.get(), 1_000.0, "a success starts the doubling over");
    }

    #[test]
    fn early_refresh_rises_towards_max_age() {
        let lead = 20.0 + CLAIM_SETTLE_MS;
        assert_eq!(early_refresh_ms(1_000.0, 20.0, 0.0), lead, "a jitter of 0: the lead alone");
        assert!((early_refresh_ms(1_000.0, 20.0, 1.0 - (-1.0f64).exp()) - (lead + 10.0)).abs() < 1e-9);
        assert!((early_refresh_ms(10_000.0, 20.0, 1.0 - (-2.0f64).exp()) - (lead + 200.0)).abs() < 1e-9);
        assert_eq!(early_refresh_ms(1_000.0, 20.0, f64::NAN), lead);
        assert_eq!(early_refresh_ms(1_000.0, 5_000.0, 0.5), 1_000.0, "at most maxAgeMs");
        assert_eq!(early_refresh_ms(0.0, 0.0, 0.5), 0.0);
        assert_eq!(ttl_ms(30_000.0, 0.0), 31_000.0);
        assert_eq!(ttl_ms(1_000.0, 5_000.0), 6_000.0);
    }
}
