//! A fleet's rules: how a client's call uses the store its instances share. The call reads
//! the entry and answers from the newer of it and its client's kept result; a result nearly
//! too old is refreshed early, in the background; one instance refreshes at a time, by a claim
//! written in the entry, and the others wait for its result when theirs is too old; a shared
//! pause is waited out. Methods of [`Requests`], whose in-process sharing they use; host-tested
//! through the fake store and clock.

use std::future::Future;
use std::pin::pin;
use std::rc::{Rc, Weak};

use futures_util::future::{select, Either, FutureExt};

use super::call::{Clock, Failure, Network};
use super::requests::{Age, Call, CallResult, Requests};
use super::response::Credits;
use super::retry::MAX_HINT_MS;
use super::store::{
    early_refresh_ms, ttl_ms, Claim, Entry, Store, StoreConfig, StoreSlot, CLAIM_POLL_MS, CLAIM_SETTLE_MS,
};
use crate::error::PowerPostError;

impl<I: PartialEq + Clone + 'static, C: Clone + 'static> Requests<I, C> {
    /// The credits `call`'s request gives: a result younger than `max_age_ms` (0: never one),
    /// of this client's or else of the store's, else the request in flight, else a new one.
    /// When `left` resolves first (the caller's signal aborted), this caller gets `ABORTED` at
    /// once; the request goes on for the others, and is dropped, which aborts it, when no
    /// caller waits for it any more.
    pub(crate) async fn get<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        store: Option<StoreConfig<S>>,
        left: impl Future<Output = ()>,
    ) -> CallResult<C>
    where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        // A store left alone after it failed is not used by this call at all.
        let slot = self.usable_slot(store, &call.clock);
        let age = Age {
            now_ms: call.clock.now_ms(),
            max_age_ms,
            head_start_ms: slot.as_ref().map_or(0.0, |_| self.head_start_ms(max_age_ms, &call.clock)),
        };
        let kept = self.kept(&call.fingerprint).filter(|credits| age.valid(credits));
        if let Some(credits) = kept.clone().filter(|credits| !age.due(credits)) {
            return Ok(credits);
        }
        let asked = async move {
            match slot {
                Some(slot) => self.through_store(call, age, kept, slot).await,
                None => self.in_flight(call, max_age_ms, None::<StoreSlot<S, K>>).await,
            }
        };
        // `left` first: a caller gone before the call starts sends nothing.
        match select(pin!(left), pin!(asked)).await {
            Either::Left(_) => Err(PowerPostError::aborted().into()),
            Either::Right((outcome, _)) => outcome,
        }
    }

    /// A balance an answer reported (`observeBalance`), as `fingerprint`'s request would have:
    /// unless the kept result is newer (one of the same time is not: the app saw the
    /// observation last), it is kept, written to `store` as a fresh result
    /// would be, and told to every running watch. The kept result after it.
    pub(crate) fn observe<S: Store, K: Clock + Clone + 'static>(
        &self,
        fingerprint: I,
        credits: Credits,
        store: Option<StoreConfig<S>>,
        clock: &K,
        max_age_ms: f64,
    ) -> Credits {
        if let Some(kept) = self.kept(&fingerprint).filter(|kept| kept.fetched_at > credits.fetched_at) {
            return kept;
        }
        self.keep(fingerprint, credits.clone());
        if let Some(slot) = self.usable_slot(store, clock) {
            slot.write_result(&credits, None, max_age_ms);
        }
        for watch in self.watches.borrow().iter().filter_map(Weak::upgrade) {
            watch.push(credits.clone());
        }
        credits
    }

    /// How early a shared result is refreshed, just in time for the refresh's result to come
    /// before it is too old: drawn for each call.
    pub(super) fn head_start_ms(&self, max_age_ms: f64, clock: &impl Clock) -> f64 {
        early_refresh_ms(max_age_ms, self.request_ms.get(), clock.jitter())
    }

    /// A call through the store, its client's kept result `kept` (valid, if any) being due:
    /// the newer of it and the entry answers, refreshed early if due; with neither, another
    /// instance's claimed refresh is waited for, or this one claims it and asks.
    pub(super) async fn through_store<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        age: Age,
        kept: Option<Credits>,
        slot: StoreSlot<S, K>,
    ) -> CallResult<C>
    where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        let entry = slot.read().await;
        let (shared, paused_until) = entry.as_ref().map_or((None, None), |entry| (entry.credits(), entry.paused_until));
        if let Some(request_ms) = entry.as_ref().and_then(|entry| entry.request_ms) {
            self.request_ms.set(request_ms);
        }
        // One clock for freshness: the newer of the store's entry and the kept result.
        let newest = match (shared.filter(|credits| age.valid(credits)), kept) {
            (Some(shared), Some(kept)) if kept.fetched_at > shared.fetched_at => Some(kept),
            (shared, kept) => shared.or(kept),
        };
        // Claims need a store that works: with maxAgeMs 0 nothing is shared, and a store that
        // just failed is left alone (the result is still written, to heal it).
        let claiming = age.max_age_ms > 0.0 && slot.health.usable(slot.clock.now_ms());
        if let Some(credits) = newest {
            self.keep(call.fingerprint.clone(), credits.clone());
            let paused = paused_until.is_some_and(|until| until > age.now_ms);
            if age.due(&credits) && !paused && !self.asking(&call.fingerprint) {
                let claimed =
                    claiming.then(|| entry.unwrap_or_else(|| Entry::new(Some(credits.clone()), paused_until)));
                self.refresh_early(call, age.max_age_ms, slot, claimed);
            }
            return Ok(credits);
        }
        if claiming {
            return self.claimed_request(call, age.max_age_ms, slot, entry, &|credits| age.valid(credits)).await;
        }
        if let Some(until) = paused_until {
            wait_out_pause(&call.clock, until).await?;
        }
        self.in_flight(call, age.max_age_ms, Some(slot)).await
    }

    /// This client's id in claims: 16 hex digits, from the clock's jitter.
    fn instance(&self, clock: &impl Clock) -> Rc<str> {
        let mut instance = self.instance.borrow_mut();
        let id = instance.get_or_insert_with(|| {
            let draw = || (clock.jitter().clamp(0.0, 1.0) * f64::from(u32::MAX)) as u32;
            Rc::from(format!("{:08x}{:08x}", draw(), draw()))
        });
        Rc::clone(id)
    }

    /// An early refresh: it never delays the caller, who is answered from the result, still
    /// valid. It runs on its own, claimed in `claimed` (the entry) if the store works and no
    /// claim is live (this client's own included), and its result is kept and written as any
    /// other's.
    fn refresh_early<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        slot: StoreSlot<S, K>,
        claimed: Option<Entry>,
    ) where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        let store = slot.config.store.clone();
        let Some(entry) = claimed else {
            store.detach(self.in_flight(call, max_age_ms, Some(slot)).map(drop).boxed_local());
            return;
        };
        // A live claim, this client's own included, means a refresh is under way.
        if entry.live_claim(slot.clock.now_ms()).is_none() {
            let instance = self.instance(&call.clock);
            store.detach(Rc::clone(self).refresh_if_claimed(call, max_age_ms, slot, entry, instance).boxed_local());
        }
    }

    /// A call with no valid result and a working store: another instance's claimed refresh is
    /// waited for; else this instance claims the refresh and asks, if its claim stands.
    async fn claimed_request<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        slot: StoreSlot<S, K>,
        entry: Option<Entry>,
        valid: &impl Fn(&Credits) -> bool,
    ) -> CallResult<C>
    where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        let instance = self.instance(&call.clock);
        let now_ms = call.clock.now_ms();
        let claim = entry.as_ref().and_then(|entry| entry.claimed_by_other(&instance, now_ms));
        let paused_until = entry.as_ref().and_then(|entry| entry.paused_until);
        let answered = |credits: Credits| {
            self.keep(call.fingerprint.clone(), credits.clone());
            Ok(credits)
        };
        if let Some(credits) = self.result_of_claim(&slot, &instance, claim, valid).await? {
            return answered(credits);
        }
        if let Some(until) = paused_until {
            wait_out_pause(&call.clock, until).await?;
        }
        if !self.asking(&call.fingerprint) {
            let claimed = self.claim(&slot, Entry::new(None, paused_until), &instance, max_age_ms).await?;
            let Claimed::ReadBack(read_back) = claimed else {
                return self.in_flight(call, max_age_ms, None::<StoreSlot<S, K>>).await;
            };
            if let Some(credits) = read_back.as_ref().and_then(Entry::credits).filter(valid) {
                return answered(credits);
            }
            let now_ms = slot.clock.now_ms();
            let claim = read_back.as_ref().and_then(|entry| entry.claimed_by_other(&instance, now_ms));
            if let Some(credits) = self.result_of_claim(&slot, &instance, claim, valid).await? {
                return answered(credits);
            }
        }
        self.in_flight(call, max_age_ms, Some(slot)).await
    }

    /// Writes `entry` back with this instance's claim, waits for claims written at the same
    /// time to settle, and reads back which stands.
    async fn claim<S: Store, K: Clock + Clone + 'static>(
        &self,
        slot: &StoreSlot<S, K>,
        entry: Entry,
        instance: &str,
        max_age_ms: f64,
    ) -> Result<Claimed, Failure<C>> {
        let mine = Claim { by: instance.to_string(), until: slot.clock.now_ms() + slot.config.claim_ms };
        if !slot.write_now(&entry.claimed(mine), ttl_ms(max_age_ms, slot.config.claim_ms)).await {
            return Ok(Claimed::Unwritten);
        }
        slot.clock.wait(CLAIM_SETTLE_MS).await?;
        Ok(Claimed::ReadBack(slot.read().await))
    }

    /// The result of another instance's claimed refresh, read from the store until it comes
    /// (`None` once no other instance's claim stands, or without one). A claim taken over by
    /// yet another instance is waited for in turn: claiming over it would send a second request.
    async fn result_of_claim<S: Store, K: Clock + Clone + 'static>(
        &self,
        slot: &StoreSlot<S, K>,
        instance: &str,
        mut claim: Option<Claim>,
        valid: &impl Fn(&Credits) -> bool,
    ) -> Result<Option<Credits>, Failure<C>> {
        while let Some(Claim { until, .. }) = claim {
            slot.clock.wait(CLAIM_POLL_MS.min(until - slot.clock.now_ms()).max(0.0)).await?;
            let entry = slot.read().await;
            if let Some(credits) = entry.as_ref().and_then(Entry::credits).filter(valid) {
                return Ok(Some(credits));
            }
            claim = entry.and_then(|entry| entry.claimed_by_other(instance, slot.clock.now_ms()));
        }
        Ok(None)
    }

    /// An early refresh, run on its own: the request is sent only if this instance's claim
    /// stands and no other result came meanwhile.
    async fn refresh_if_claimed<N, K, S>(
        self: Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        slot: StoreSlot<S, K>,
        entry: Entry,
        instance: Rc<str>,
    ) where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        // The result due for the refresh: the newest of the kept one and the entry's, kept by `get`.
        let had = self.kept(&call.fingerprint).map(|credits| credits.fetched_at);
        let newer = |credits: Option<Credits>| credits.is_some_and(|credits| Some(credits.fetched_at) > had);
        let Ok(Claimed::ReadBack(read_back)) = self.claim(&slot, entry, &instance, max_age_ms).await else { return };
        // A newer result, this client's own (a request of its that ended meanwhile) or another
        // instance's, or another instance's claim: the refresh is done or someone else's.
        if newer(self.kept(&call.fingerprint)) {
            return;
        }
        if let Some(read_back) = read_back {
            if newer(read_back.credits()) || read_back.claimed_by_other(&instance, slot.clock.now_ms()).is_some() {
                return;
            }
        }
        let _outcome = self.in_flight(call, max_age_ms, Some(slot)).await;
    }

    /// One call's way to its store, with this client's record of how the store has been doing,
    /// unless the client leaves it alone after it failed.
    pub(super) fn usable_slot<S: Store, K: Clock + Clone>(
        &self,
        config: Option<StoreConfig<S>>,
        clock: &K,
    ) -> Option<StoreSlot<S, K>> {
        let health = Rc::clone(&self.store_health);
        let slot = StoreSlot { config: Rc::new(config?), clock: clock.clone(), health };
        slot.health.usable(clock.now_ms()).then_some(slot)
    }
}

/// What writing a claim came to.
enum Claimed {
    /// The store failed: the call goes on as without it, and leaves it alone for a while.
    Unwritten,
    /// The entry read back after the settle.
    ReadBack(Option<Entry>),
}

/// Waits until a pause another instance wrote has passed, or fails at once as a 429 would
/// whose hint is over [`MAX_HINT_MS`].
async fn wait_out_pause<C>(clock: &impl Clock, paused_until: f64) -> Result<(), Failure<C>> {
    let left_ms = (paused_until - clock.now_ms()).ceil();
    if left_ms <= 0.0 {
        return Ok(());
    }
    if left_ms > MAX_HINT_MS {
        return Err(PowerPostError::shared_pause(left_ms).into());
    }
    Ok(clock.wait(left_ms).await?)
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use std::cell::RefCell;

    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use serde_json::json;

    use super::*;
    use crate::credits::fakes::{self, Cause, Fake, FakeStore, Fault};
    use crate::error::ErrorCode;

    /// A call of the test request through `network` with `store`, run to its end.
    fn ask(
        network: &Fake,
        requests: &Rc<Requests<&'static str, Cause>>,
        store: &FakeStore,
        max_age_ms: f64,
    ) -> CallResult<Cause> {
        ask_with(network, requests, store.use_it(), max_age_ms)
    }

    /// [`ask`] with any store or none. A call that waits for a request the test did not script
    /// fails the test at once, rather than waiting for ever.
    fn ask_with(
        network: &Fake,
        requests: &Rc<Requests<&'static str, Cause>>,
        store: Option<StoreConfig<FakeStore>>,
        max_age_ms: f64,
    ) -> CallResult<Cause> {
        let (mut pool, outcome) = (LocalPool::new(), Rc::new(RefCell::new(None)));
        let (requests, call, slot) = (requests.clone(), network.call("credits"), outcome.clone());
        let asking = async move {
            *slot.borrow_mut() = Some(requests.get(call, max_age_ms, store, std::future::pending()).await);
        };
        pool.spawner().spawn_local(asking).unwrap();
        pool.run_until_stalled();
        outcome.take().expect("the call waits for an answer the test did not script")
    }

    fn ok(balance: u32) -> Result<fakes::Response, PowerPostError> {
        Ok(fakes::response(200, &format!(r#"{{"balance": {balance}}}"#), balance))
    }

    fn stored(balance: u32, fetched_at: f64) -> serde_json::Value {
        json!({"version": 2, "balance": balance, "requestId": "req_other", "fetchedAt": fetched_at})
    }

    #[test]
    fn a_fresh_entry_answers_without_a_request_and_a_missing_one_is_written() {
        let (network, requests, store) = (Fake::answering(vec![ok(7)]), Requests::new(), FakeStore::default());
        network.now_ms.set(10_000.0);
        let credits = ask(&network, &requests, &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, network.sent(), store.gets.get()), (7.0, 1, 2), "read, then read back the claim");
        let (written, ttl_ms) = store.entry().unwrap();
        let settled = 10_000.0 + CLAIM_SETTLE_MS;
        let took = json!({"version": 2, "balance": 7.0, "requestId": "req_7", "fetchedAt": settled, "requestMs": 0.0});
        assert_eq!(written, took, "with how long its request took");
        assert_eq!(ttl_ms, 2_000.0, "a little over maxAgeMs");
        // Another instance's result, younger than maxAgeMs, answers; then this client keeps it.
        let requests = Requests::new();
        store.put(stored(3, 9_500.0));
        let credits = ask(&network, &requests, &store, 1_000.0).unwrap();
        assert_eq!(
            (credits.balance, credits.request_id.as_deref(), credits.fetched_at),
            (3.0, Some("req_other"), 9_500.0)
        );
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 3.0);
        assert_eq!((network.sent(), store.gets.get(), store.sets()), (1, 3, 2), "the kept copy answered the last");
    }

    #[test]
    fn an_entry_answers_only_while_younger_than_max_age() {
        let (network, store) = (Fake::answering(vec![ok(1), ok(2)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        store.put(stored(3, 9_000.0));
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 1.0, "1,000 ms old is too old");
        store.put(stored(3, 9_999.0));
        assert_eq!(
            ask(&network, &Requests::new(), &store, 0.0).unwrap().balance,
            2.0,
            "maxAgeMs 0 never answers from it"
        );
        assert_eq!(store.gets.get(), 3, "but reads it, for a pause (the first call read its claim back too)");
    }

    #[test]
    fn a_bad_entry_is_told_ignored_and_overwritten() {
        let (network, store) = (Fake::answering(vec![ok(1), ok(2)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        store.put(json!({"version": 2, "balance": -5, "fetchedAt": 9_999}));
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!(*store.errors.borrow(), ["store entry ignored: balance must be a finite, non-negative number"]);
        assert_eq!(store.entry().unwrap().0["balance"], 1.0, "the fresh result heals it");
        // The store itself worked: it is read again at once.
        store.put(json!(42));
        ask(&network, &Requests::new(), &store, 1_000.0).unwrap();
        assert_eq!(store.gets.get(), 4, "each call read it, and read its claim back");
        assert_eq!(store.errors.borrow()[1], "store entry ignored: entry must be a plain object");
    }

    #[test]
    fn a_failing_store_is_bypassed_told_and_left_alone_for_a_while() {
        for (fault, got, set) in [
            (Fault::Throws, "store.get failed", "store.set failed"),
            (Fault::Hangs, "store.get took over 500 ms", "store.set took over 500 ms"),
        ] {
            let (network, requests, store) =
                (Fake::answering(vec![ok(1), ok(2), ok(3)]), Requests::new(), FakeStore::default());
            store.fault.set(fault);
            network.now_ms.set(10_000.0);
            assert_eq!(ask(&network, &requests, &store, 0.0).unwrap().balance, 1.0, "{fault:?}");
            assert_eq!(*store.errors.borrow(), [got, set], "once per failed operation");
            let after_first = network.now_ms.get();
            assert_eq!(ask(&network, &requests, &store, 0.0).unwrap().balance, 2.0);
            assert_eq!((store.gets.get(), store.sets()), (1, 1), "{fault:?}: skipped for a second");
            // The store works again: after the skip, it is used, and a success resets the skip.
            store.fault.set(Fault::None);
            network.now_ms.set(after_first + 4_000.0);
            ask(&network, &requests, &store, 0.0).unwrap();
            assert_eq!((store.gets.get(), store.sets(), store.errors.borrow().len()), (2, 2, 2), "{fault:?}");
        }
    }

    #[test]
    fn shared_results_are_refreshed_early_by_chance() {
        let (network, requests, store) = (Fake::answering(vec![ok(1), ok(2)]), Requests::new(), FakeStore::default());
        network.now_ms.set(10_000.0);
        ask(&network, &requests, &store, 1_000.0).unwrap();
        network.now_ms.set(10_800.0);
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 1.0, "jitter 0: no head start");
        // A head start of 300 ms: 800 ms old counts as 1,100, so a refresh
        // starts; the caller is answered at once from the result, still valid, and the
        // refresh's result is kept and written when it comes.
        network.jitter.set(head_start(300.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.gets.get()), (2, 4), "the store, whose entry is as old, was asked first");
        assert_eq!(store.entry().unwrap().0["balance"], json!(2.0));
        network.jitter.set(0.0);
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 2.0);
        assert_eq!(network.sent(), 2);
        // Alone, a client keeps its results for maxAgeMs whatever the jitter.
        let alone = Requests::new();
        let network = Fake::answering(vec![ok(3)]);
        network.jitter.set(0.99);
        ask_with(&network, &alone, None, 1_000.0).unwrap();
        network.now_ms.set(999.0);
        let kept = ask_with(&network, &alone, None, 1_000.0);
        assert_eq!((kept.unwrap().balance, network.sent()), (3.0, 1));
        // The lead is how long the entry's request took: read once, it makes a result 600 ms
        // old due when that request took 400 ms (600 + 400 + the settle's 30 >= 1,000).
        let (network, store, requests) = (Fake::answering(vec![ok(8)]), FakeStore::default(), Requests::new());
        network.now_ms.set(10_000.0);
        let mut entry = stored(3, 9_400.0);
        entry["requestMs"] = json!(400.0);
        store.put(entry);
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 3.0);
        assert_eq!(network.sent(), 0, "not due under the lead known before the read");
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 3.0);
        assert_eq!(network.sent(), 1, "due under the entry's");
    }

    #[test]
    fn the_newer_of_the_kept_result_and_the_entry_answers_and_a_pause_starts_no_refresh() {
        let (network, requests, store) = (Fake::answering(vec![ok(1)]), Requests::new(), FakeStore::default());
        network.now_ms.set(10_000.0);
        ask(&network, &requests, &store, 1_000.0).unwrap();
        // The kept copy is due for an early refresh; another instance's newer entry is not.
        network.now_ms.set(10_800.0);
        network.jitter.set(head_start(300.0));
        store.put(stored(5, 10_700.0));
        let credits = ask(&network, &requests, &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, credits.fetched_at, network.sent()), (5.0, 10_700.0, 1), "no refresh");
        // Both valid and the kept copy due: an older entry does not replace it.
        network.now_ms.set(11_400.0);
        store.put(stored(6, 10_650.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 5.0, "the kept copy is newer");
        assert_eq!(network.sent(), 2, "and, due, it is refreshed in the background");
        // Of the same time, the fleet's entry answers.
        store.put(stored(9, 10_700.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 9.0);
        assert_eq!(network.sent(), 2, "its refresh is already under way");
        // A pause that ends now is over: the refresh starts. (The claims above moved the clock.)
        network.now_ms.set(11_400.0);
        let ended = json!({"version": 2, "balance": 7, "requestId": "req_other", "fetchedAt": 10_500.0, "pausedUntil": 11_400.0});
        store.put(ended);
        let sets = store.sets();
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 7.0);
        assert_eq!((store.sets(), network.sent()), (sets + 1, 3), "its claim written, and its request sent");
        // While a shared pause lasts, a due result answers and no refresh starts.
        let paused = json!({"version": 2, "balance": 7, "requestId": "req_other", "fetchedAt": 10_500.0, "pausedUntil": 20_000.0});
        store.put(paused);
        let sets = store.sets();
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 7.0);
        assert_eq!((store.sets(), network.sent()), (sets, 3));
    }

    /// The jitter that draws a head start of `ms` at maxAgeMs 1,000, for requests of no time.
    fn head_start(ms: f64) -> f64 {
        1.0 - (-(ms - CLAIM_SETTLE_MS) / 10.0).exp()
    }

    fn claimed(balance: u32, fetched_at: f64, by: &str, until: f64) -> serde_json::Value {
        let mut entry = stored(balance, fetched_at);
        (entry["claimedBy"], entry["claimedUntil"]) = (json!(by), json!(until));
        entry
    }

    #[test]
    fn an_early_refresh_is_claimed_and_another_instance_s_claim_is_left_alone() {
        let (network, requests, store) = (Fake::answering(vec![ok(2)]), Requests::new(), FakeStore::default());
        network.now_ms.set(10_000.0);
        network.jitter.set(head_start(300.0));
        // Due, and another instance claims it: answered from the entry, no request.
        store.put(claimed(1, 9_200.0, "other", 10_500.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.sets()), (0, 0));
        // A claim that lapsed is no one's: this instance claims the refresh, reads its claim
        // back after the settle, and refreshes; the result clears the claim.
        store.put(claimed(1, 9_200.0, "other", 9_999.0));
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 1.0, "not delayed");
        assert_eq!((network.sent(), store.sets()), (1, 2), "the claim, then the result");
        assert_eq!(*network.waits.borrow(), [CLAIM_SETTLE_MS]);
        let (written, _) = store.entry().unwrap();
        assert_eq!((written["balance"].clone(), written.get("claimedBy")), (json!(2.0), None));
        // This client's own live claim: its refresh is under way, and no other starts.
        let sets = store.sets();
        let own = requests.instance(&network);
        store.put(claimed(1, 9_200.0, &own, 10_500.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.sets()), (1, sets));
        // Two instances claim at once, and the other's claim is the one read back: no request.
        let other = Requests::new();
        let sets = store.sets();
        store.written_elsewhere.borrow_mut().extend([stored(1, 9_200.0), claimed(1, 9_200.0, "other", 20_000.0)]);
        assert_eq!(ask(&network, &other, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.sets()), (1, sets + 1), "this instance's claim was written over");
    }

    #[test]
    fn past_max_age_a_call_waits_for_another_instance_s_claimed_refresh() {
        let (network, store) = (Fake::answering(vec![ok(5)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        // Its result arrives on the third read: answered with it, no request.
        let claim = claimed(1, 8_000.0, "other", 10_500.0);
        store.written_elsewhere.borrow_mut().extend([claim.clone(), claim, stored(4, 10_080.0)]);
        let credits = ask(&network, &Requests::new(), &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, network.sent()), (4.0, 0));
        assert_eq!(*network.waits.borrow(), [CLAIM_POLL_MS, CLAIM_POLL_MS]);
        // A claimant that died: the claim lapses, then this instance claims and asks.
        network.waits.borrow_mut().clear();
        network.now_ms.set(20_000.0);
        store.put(claimed(1, 8_000.0, "other", 20_120.0));
        let credits = ask(&network, &Requests::new(), &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, network.sent()), (5.0, 1));
        assert_eq!(*network.waits.borrow(), [CLAIM_POLL_MS, CLAIM_POLL_MS, 20.0, CLAIM_SETTLE_MS], "until it lapsed");
        // A claim taken away (another result written without one) ends the wait too.
        let (network, store) = (Fake::answering(vec![ok(6)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        store.put(claimed(1, 8_000.0, "other", 19_000.0));
        store.written_elsewhere.borrow_mut().push_back(stored(1, 8_000.0));
        let credits = ask(&network, &Requests::new(), &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, network.sent()), (6.0, 1));
        // With maxAgeMs 0 nothing is claimed.
        let (network, store) = (Fake::answering(vec![ok(7)]), FakeStore::default());
        ask(&network, &Requests::new(), &store, 0.0).unwrap();
        assert_eq!((store.gets.get(), store.sets(), network.waits.borrow().len()), (1, 1, 0));
    }

    #[test]
    fn a_claim_names_this_client_and_lasts_the_request_s_time_limit() {
        let (network, store, requests) = (Fake::answering(vec![ok(5)]), FakeStore::default(), Requests::new());
        network.now_ms.set(10_000.0);
        network.jitter.set(0.5);
        ask(&network, &requests, &store, 1_000.0).unwrap();
        let claim = store.written.borrow()[0].clone();
        // The id: two draws of the jitter, 8 hex digits each (0.5 of u32::MAX is 7fffffff).
        assert_eq!(claim, json!({"version": 2, "claimedBy": "7fffffff7fffffff", "claimedUntil": 11_000.0}));
        assert_eq!(&*requests.instance(&network), "7fffffff7fffffff", "drawn once, kept");
    }

    #[test]
    fn a_call_while_its_client_asks_shares_the_request_and_claims_nothing() {
        let (mut pool, network, store, requests) =
            (LocalPool::new(), Fake::default(), FakeStore::default(), Requests::<&str, Cause>::new());
        network.now_ms.set(10_000.0);
        let answers = Rc::new(RefCell::new(Vec::new()));
        // Another request of this client in flight first: it is no reason to leave a claim out.
        for (id, store) in [("other", None), ("credits", store.use_it()), ("credits", store.use_it())] {
            let (requests, call, answers) = (Rc::clone(&requests), network.call(id), Rc::clone(&answers));
            let asking = async move {
                let outcome = requests.get(call, 1_000.0, store, std::future::pending()).await;
                answers.borrow_mut().push(outcome.map(|credits| credits.balance));
            };
            pool.spawner().spawn_local(asking).unwrap();
            pool.run_until_stalled();
        }
        assert_eq!((network.sent(), store.sets()), (2, 1), "one claim; the second call shares the request");
        network.answer(1, 200, r#"{"balance": 47}"#);
        pool.run_until_stalled();
        let answered: Vec<_> = answers.borrow().iter().map(|outcome| outcome.as_ref().ok().copied()).collect();
        assert_eq!(answered, [Some(47.0), Some(47.0)]);
    }

    #[test]
    fn two_instances_racing_for_one_claim_send_one_request() {
        // This instance claims the entry; the other's claim, written just after, is read back:
        // this one waits for the other's result, then for a third instance's claim that took
        // over the other's, and sends no request.
        let (network, store) = (Fake::answering(vec![ok(9)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        let (other, third) = (claimed(1, 8_000.0, "other", 11_000.0), claimed(1, 8_000.0, "third", 11_500.0));
        store.written_elsewhere.borrow_mut().extend([stored(1, 8_000.0), other, third.clone(), third]);
        store.written_elsewhere.borrow_mut().push_back(stored(4, 10_120.0));
        let credits = ask(&network, &Requests::new(), &store, 1_000.0).unwrap();
        assert_eq!((credits.balance, network.sent(), store.sets()), (4.0, 0, 1), "one claim written, no request");
        assert_eq!(*network.waits.borrow(), [CLAIM_SETTLE_MS, CLAIM_POLL_MS, CLAIM_POLL_MS, CLAIM_POLL_MS]);
    }

    #[test]
    fn a_shared_pause_is_waited_out_or_refused_over_a_minute() {
        let (network, store) = (Fake::answering(vec![ok(1), ok(2)]), FakeStore::default());
        network.now_ms.set(10_000.0);
        store.put(json!({"version": 2, "pausedUntil": 12_000.5}));
        assert_eq!(ask(&network, &Requests::new(), &store, 0.0).unwrap().balance, 1.0);
        assert_eq!(*network.waits.borrow(), [2_001.0], "the request waited the pause out");
        store.put(json!({"version": 2, "pausedUntil": network.now_ms.get() + 60_000.0}));
        assert_eq!(ask(&network, &Requests::new(), &store, 0.0).unwrap().balance, 2.0, "a minute is still waited");
        store.put(json!({"version": 2, "pausedUntil": network.now_ms.get() + 60_001.0}));
        let error = ask(&network, &Requests::new(), &store, 0.0).unwrap_err().error;
        assert_eq!(
            (error.code, error.status, error.retry_after_ms, network.sent()),
            (ErrorCode::RateLimitExceeded, Some(429), Some(60_001.0), 2)
        );
        assert_eq!(error.request_id, None);
        // A fresh balance still answers during a pause.
        store.put(json!({"version": 2, "balance": 9, "fetchedAt": network.now_ms.get(), "pausedUntil": 1e15}));
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 9.0);
    }

    #[test]
    fn a_429_pauses_the_fleet_keeping_the_last_balance() {
        let limited = Ok(fakes::response(429, r#"{"error": {"code": "RATE_LIMIT_EXCEEDED", "retryAfter": 5}}"#, 1));
        let (network, requests, store) = (Fake::answering(vec![ok(4), limited]), Requests::new(), FakeStore::default());
        network.now_ms.set(10_000.0);
        ask(&network, &requests, &store, 0.0).unwrap();
        network.now_ms.set(11_000.0);
        assert_eq!(ask(&network, &requests, &store, 0.0).unwrap_err().error.code, ErrorCode::RateLimitExceeded);
        let (entry, ttl_ms) = store.entry().unwrap();
        assert_eq!((entry["pausedUntil"].as_f64(), entry["balance"].as_f64()), (Some(16_000.0), Some(4.0)));
        assert_eq!(ttl_ms, 6_000.0, "a little over the pause");
    }
}
