//! One request for many callers: the calls of a client that overlap in time and would send the
//! same request share one (retries included), each caller still free to leave at once; the
//! client keeps its recent results for `maxAgeMs`, and shares them, and a 429's pause, with
//! the other instances of a fleet through a store.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use futures_util::future::{select, Either, FutureExt, LocalBoxFuture, Shared, WeakShared};

use super::call::{get_credits, Clock, Failure, Network};
use super::key::ApiKey;
use super::options::Request;
use super::response::Credits;
use super::retry::MAX_HINT_MS;
use super::store::{
    early_refresh_ms, ttl_ms, Claim, Entry, Store, StoreHealth, StoreSlot, StoreUse, CLAIM_POLL_MS, CLAIM_SETTLE_MS,
    MAX_CLOCK_AHEAD_MS,
};
use crate::error::PowerPostError;
use crate::input::{is_whole, Number, Path, MAX_SAFE_INTEGER};

/// How a call ends.
pub(crate) type CallResult<C> = Result<Credits, Failure<C>>;

/// A request on its way, as its callers await it.
type Pending<C> = LocalBoxFuture<'static, CallResult<C>>;
type InFlight<C> = Shared<Pending<C>>;

/// How many results a client keeps (its calls may differ, by `fetch` or `onRetry` say); the
/// oldest is let go first.
const KEPT_RESULTS: usize = 16;

/// One call of a client: its request, told apart from others by its `fingerprint`, and how to send it.
pub(crate) struct Call<I, N, K> {
    /// Calls with equal ids send the same request and may share it.
    pub fingerprint: I,
    pub network: N,
    pub clock: K,
    pub request: Request,
    pub key: ApiKey,
    pub max_retries: u32,
}

/// A call that shares nothing and keeps nothing (no client's): when `left` resolves first, it
/// ends with `ABORTED` at once and its request is dropped, which aborts it.
pub(crate) async fn alone<I, N: Network, K: Clock>(
    call: Call<I, N, K>,
    left: impl Future<Output = ()>,
) -> CallResult<N::Cause> {
    let request = get_credits(&call.network, &call.clock, &call.request, &call.key, call.max_retries, &|_| ());
    match select(pin!(left), pin!(request)).await {
        Either::Left(_) => Err(PowerPostError::aborted().into()),
        Either::Right((outcome, _)) => outcome,
    }
}

/// What a client remembers between calls: the requests in flight, its recent results, how
/// its store has been doing, and its running watches.
pub(crate) struct Requests<I, C> {
    /// Weak: a request no caller waits for any more is dropped, and so aborted.
    in_flight: RefCell<Vec<(I, WeakShared<Pending<C>>)>>,
    /// The newest last.
    results: RefCell<Vec<(I, Credits)>>,
    store_health: Rc<StoreHealth>,
    /// Where each running watch takes observed balances; gone when the watch is.
    watches: RefCell<Vec<Weak<Observed>>>,
    /// This client's id in the claims it writes, drawn when first needed.
    instance: RefCell<Option<Rc<str>>>,
    /// How long the last request took, this client's or the one whose entry it read (ms).
    request_ms: Cell<f64>,
}

/// `observeBalance`'s arguments as a result: a whole number of credits from 0, fetched `at`
/// (ms since the epoch; default `now_ms`, at most a minute ahead of it, as a store's entry).
pub(crate) fn observed_credits(balance: Number, at: Option<Number>, now_ms: f64) -> Result<Credits, PowerPostError> {
    let Number(balance) = balance;
    if !is_whole(balance, 0.0, MAX_SAFE_INTEGER) {
        return Err(Path::argument("balance").invalid("must be a whole number of credits, at least 0"));
    }
    let fetched_at = match at {
        None => now_ms,
        Some(Number(at)) if (0.0..=now_ms + MAX_CLOCK_AHEAD_MS).contains(&at) => at,
        Some(_) => {
            return Err(Path::argument("at").invalid("must be a time in ms since the epoch, at most a minute from now"))
        }
    };
    Ok(Credits { balance, request_id: None, rate_limit: None, fetched_at })
}

/// Balances observed (`observeBalance`) for one watch, waiting for it to take them as it takes
/// a poll's result; it wakes when one arrives.
#[derive(Default)]
pub(crate) struct Observed {
    balances: RefCell<VecDeque<Credits>>,
    waker: Cell<Option<Waker>>,
}

impl Observed {
    pub(crate) fn push(&self, credits: Credits) {
        self.balances.borrow_mut().push_back(credits);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    pub(crate) fn take(&self) -> Option<Credits> {
        self.balances.borrow_mut().pop_front()
    }

    /// Resolves when a balance is waiting.
    pub(crate) async fn arrival(&self) {
        poll_fn(|context| {
            if self.balances.borrow().is_empty() {
                self.waker.set(Some(context.waker().clone()));
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await
    }
}

impl<I: PartialEq + Clone + 'static, C: Clone + 'static> Requests<I, C> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Self {
            in_flight: RefCell::new(Vec::new()),
            results: RefCell::new(Vec::new()),
            store_health: Rc::default(),
            watches: RefCell::new(Vec::new()),
            instance: RefCell::new(None),
            request_ms: Cell::new(0.0),
        })
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

    /// A watch of this client: it is told of every balance observed while it runs.
    pub(crate) fn watched_by(&self, observed: &Rc<Observed>) {
        let mut watches = self.watches.borrow_mut();
        watches.retain(|watch| watch.strong_count() > 0);
        watches.push(Rc::downgrade(observed));
    }

    /// A balance an answer reported (`observeBalance`), as `fingerprint`'s request would have:
    /// unless the kept result is newer (one of the same time is not: the app saw the
    /// observation last), it is kept, written to `store` as a fresh result
    /// would be, and told to every running watch. The kept result after it.
    pub(crate) fn observe<S: Store, K: Clock + Clone + 'static>(
        &self,
        fingerprint: I,
        credits: Credits,
        store: Option<StoreUse<S>>,
        clock: &K,
        max_age_ms: f64,
    ) -> Credits {
        if let Some(kept) = self.kept(&fingerprint).filter(|kept| kept.fetched_at > credits.fetched_at) {
            return kept;
        }
        self.keep(fingerprint, credits.clone());
        if let Some(slot) = self.usable_slot(store, clock) {
            slot.write(&Entry::new(Some(credits.clone()), None), ttl_ms(max_age_ms, 0.0));
        }
        for watch in self.watches.borrow().iter().filter_map(Weak::upgrade) {
            watch.push(credits.clone());
        }
        credits
    }

    /// The credits `call`'s request gives: a result younger than `max_age_ms` (0: never one),
    /// of this client's or else of the store's, else the request in flight, else a new one.
    /// When `left` resolves first (the caller's signal aborted), this caller gets `ABORTED` at
    /// once; the request goes on for the others, and is dropped, which aborts it, when no
    /// caller waits for it any more.
    pub(crate) async fn get<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        store: Option<StoreUse<S>>,
        left: impl Future<Output = ()>,
    ) -> CallResult<C>
    where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        let now_ms = call.clock.now_ms();
        // A store left alone after it failed is not used by this call at all.
        let slot = self.usable_slot(store, &call.clock);
        // Results a fleet shares are refreshed early, just in time for the result to come
        // before they are too old; a client on its own keeps them for `max_age_ms`.
        let head_start_ms = match slot {
            Some(_) => early_refresh_ms(max_age_ms, self.request_ms.get(), call.clock.jitter()),
            None => 0.0,
        };
        let valid = move |credits: &Credits| now_ms - credits.fetched_at < max_age_ms;
        let due = move |credits: &Credits| now_ms - credits.fetched_at + head_start_ms >= max_age_ms;
        let kept = self.kept(&call.fingerprint).filter(valid);
        if let Some(credits) = kept.clone().filter(|credits| !due(credits)) {
            return Ok(credits);
        }
        let asked = async move {
            let entry = match &slot {
                Some(slot) => slot.read().await,
                None => None,
            };
            let (shared, paused_until) =
                entry.as_ref().map_or((None, None), |entry| (entry.credits(), entry.paused_until));
            if let Some(request_ms) = entry.as_ref().and_then(|entry| entry.request_ms) {
                self.request_ms.set(request_ms);
            }
            // One clock for freshness: the newer of the store's entry and the kept result.
            let newest = match (shared.filter(valid), kept) {
                (Some(shared), Some(kept)) if kept.fetched_at > shared.fetched_at => Some(kept),
                (shared, kept) => shared.or(kept),
            };
            // Claims need a store that works: with maxAgeMs 0 nothing is shared, and a store
            // that just failed is left alone (the result is still written, to heal it).
            let claiming =
                slot.as_ref().is_some_and(|slot| max_age_ms > 0.0 && slot.health.usable(slot.clock.now_ms()));
            if let Some(credits) = newest {
                self.keep(call.fingerprint.clone(), credits.clone());
                let paused = paused_until.is_some_and(|until| until > now_ms);
                if let Some(slot) = slot.filter(|_| due(&credits) && !paused && !self.asking(&call.fingerprint)) {
                    let claimed =
                        claiming.then(|| entry.unwrap_or_else(|| Entry::new(Some(credits.clone()), paused_until)));
                    self.refresh_early(call, max_age_ms, slot, claimed);
                }
                return Ok(credits);
            }
            match slot {
                Some(slot) if claiming => self.claimed_request(call, max_age_ms, slot, entry, &valid).await,
                slot => {
                    if let Some(until) = paused_until {
                        wait_out_pause(&call.clock, until).await?;
                    }
                    self.in_flight(call, max_age_ms, slot).await
                }
            }
        };
        // `left` first: a caller gone before the call starts sends nothing.
        match select(pin!(left), pin!(asked)).await {
            Either::Left(_) => Err(PowerPostError::aborted().into()),
            Either::Right((outcome, _)) => outcome,
        }
    }

    /// An early refresh: it never delays the caller, who is answered from the result, still
    /// valid. It runs on its own, claimed in `claimed` (the entry) if the store works and no
    /// other instance's claim stands, and its result is kept and written as any other's.
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
        let store = slot.store.clone();
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

    /// Whether a request of `fingerprint`'s is in flight.
    fn asking(&self, fingerprint: &I) -> bool {
        self.in_flight.borrow().iter().any(|(known, request)| known == fingerprint && request.upgrade().is_some())
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
        let mine = Claim { by: instance.to_string(), until: slot.clock.now_ms() + slot.claim_ms };
        if !slot.write_now(&entry.claimed(mine), ttl_ms(max_age_ms, slot.claim_ms)).await {
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

    /// One call's way to `store`, unless the client leaves it alone after it failed.
    fn usable_slot<S: Store, K: Clock + Clone>(
        &self,
        store: Option<StoreUse<S>>,
        clock: &K,
    ) -> Option<StoreSlot<S, K>> {
        store.map(|store| self.slot(store, clock)).filter(|slot| slot.health.usable(clock.now_ms()))
    }

    /// One call's way to `store`, with this client's record of how the store has been doing.
    fn slot<S: Store, K: Clock + Clone>(&self, store: StoreUse<S>, clock: &K) -> StoreSlot<S, K> {
        let StoreUse { store, key, timeout_ms, claim_ms } = store;
        StoreSlot { store, clock: clock.clone(), key, timeout_ms, claim_ms, health: Rc::clone(&self.store_health) }
    }

    /// The newest result of `fingerprint`'s request.
    fn kept(&self, fingerprint: &I) -> Option<Credits> {
        let results = self.results.borrow();
        let (_, credits) = results.iter().rev().find(|(kept, _)| kept == fingerprint)?;
        Some(credits.clone())
    }

    /// The request `call` would send that is in flight, or a new one, which writes what it
    /// learns to the store of the call that starts it.
    fn in_flight<N, K, S>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        slot: Option<StoreSlot<S, K>>,
    ) -> InFlight<C>
    where
        N: Network<Cause = C> + 'static,
        K: Clock + Clone + 'static,
        S: Store,
    {
        let mut in_flight = self.in_flight.borrow_mut();
        in_flight.retain(|(_, request)| request.upgrade().is_some());
        if let Some(request) = in_flight
            .iter()
            .find(|(fingerprint, _)| *fingerprint == call.fingerprint)
            .and_then(|(_, request)| request.upgrade())
        {
            return request;
        }
        let fingerprint = call.fingerprint.clone();
        let requests = Rc::downgrade(self);
        let request = async move {
            // A 429 pauses the fleet: the entry keeps the balance this client last had.
            let rate_limited = |pause_ms: f64| {
                if let (Some(slot), Some(requests)) = (&slot, requests.upgrade()) {
                    let until = call.clock.now_ms() + pause_ms;
                    let entry = Entry::new(requests.kept(&call.fingerprint), Some(until));
                    slot.write(&entry, ttl_ms(max_age_ms, pause_ms));
                }
            };
            let started_ms = call.clock.now_ms();
            let outcome =
                get_credits(&call.network, &call.clock, &call.request, &call.key, call.max_retries, &rate_limited)
                    .await;
            let request_ms = call.clock.now_ms() - started_ms;
            if let Some(requests) = requests.upgrade() {
                requests.finished(call.fingerprint, &outcome, request_ms);
            }
            if let (Ok(credits), Some(slot)) = (&outcome, &slot) {
                slot.write(&Entry::new(Some(credits.clone()), None).took(request_ms), ttl_ms(max_age_ms, 0.0));
            }
            outcome
        }
        .boxed_local()
        .shared();
        if let Some(weak) = request.downgrade() {
            in_flight.push((fingerprint, weak));
        }
        request
    }

    /// A request is over: later calls send a new one, and its result, and how long it took, are kept.
    fn finished(&self, fingerprint: I, outcome: &CallResult<C>, request_ms: f64) {
        self.in_flight.borrow_mut().retain(|(in_flight, _)| *in_flight != fingerprint);
        if let Ok(credits) = outcome {
            self.keep(fingerprint, credits.clone());
            self.request_ms.set(request_ms);
        }
    }

    /// Keeps `credits` as the newest result of `fingerprint`'s request.
    fn keep(&self, fingerprint: I, credits: Credits) {
        let mut results = self.results.borrow_mut();
        results.retain(|(kept, _)| *kept != fingerprint);
        if results.len() == KEPT_RESULTS {
            results.remove(0);
        }
        results.push((fingerprint, credits));
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
    use super::*;
    use crate::credits::fakes::{self, Cause, Fake, FakeStore, Fault};
    use crate::error::ErrorCode;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use serde_json::json;

    /// What [`callers`] returns.
    type Callers = (Rc<RefCell<Vec<Option<CallResult<Cause>>>>>, Vec<oneshot::Sender<()>>);

    /// Runs `callers` calls of request `id` at once; returns their outcomes (`None`: still
    /// waiting) and a way to make each caller leave.
    fn callers(
        pool: &mut LocalPool,
        requests: &Rc<Requests<&'static str, Cause>>,
        network: &Fake,
        count: usize,
        max_age_ms: f64,
    ) -> Callers {
        callers_of("credits", pool, requests, network, count, max_age_ms)
    }

    /// [`callers`] of the request `id`.
    fn callers_of(
        id: &'static str,
        pool: &mut LocalPool,
        requests: &Rc<Requests<&'static str, Cause>>,
        network: &Fake,
        count: usize,
        max_age_ms: f64,
    ) -> Callers {
        let outcomes = Rc::new(RefCell::new(vec![None; count]));
        let mut leave = Vec::new();
        for caller in 0..count {
            let (sender, receiver) = oneshot::channel::<()>();
            leave.push(sender);
            let (requests, call, outcomes) = (requests.clone(), network.call(id), outcomes.clone());
            let left = async move {
                if receiver.await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            pool.spawner()
                .spawn_local(async move {
                    let outcome = requests.get(call, max_age_ms, None::<StoreUse<FakeStore>>, left).await;
                    outcomes.borrow_mut()[caller] = Some(outcome);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        (outcomes, leave)
    }

    fn request_id(outcome: &Option<CallResult<Cause>>) -> Option<String> {
        outcome.as_ref()?.as_ref().ok()?.request_id.clone()
    }

    #[test]
    fn overlapping_calls_share_one_request_and_its_result() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        let (outcomes, _leave) = callers(&mut pool, &requests, &network, 20, 0.0);
        assert_eq!(network.sent(), 1);
        assert!(outcomes.borrow().iter().all(Option::is_none), "all wait for the one request");
        network.answer(0, 200, r#"{"balance": 47}"#);
        pool.run_until_stalled();
        assert!(outcomes.borrow().iter().all(|outcome| request_id(outcome).as_deref() == Some("req_0")));
        let (later, _leave) = callers(&mut pool, &requests, &network, 1, 0.0);
        assert_eq!(network.sent(), 2, "a call after the request ended sends a new one");
        network.answer(1, 401, "");
        pool.run_until_stalled();
        assert_eq!(later.borrow()[0].as_ref().unwrap().as_ref().unwrap_err().error.code, ErrorCode::InvalidApiKey);
    }

    #[test]
    fn requests_and_results_of_other_calls_are_kept_apart() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        let first_of = |outcomes: &Rc<RefCell<Vec<Option<CallResult<Cause>>>>>| request_id(&outcomes.borrow()[0]);
        let (_a, _leave_a) = callers_of("a", &mut pool, &requests, &network, 1, 60_000.0);
        let (b, _leave_b) = callers_of("b", &mut pool, &requests, &network, 1, 60_000.0);
        network.answer(0, 200, r#"{"balance": 1}"#);
        pool.run_until_stalled();
        let (b_again, _leave) = callers_of("b", &mut pool, &requests, &network, 1, 60_000.0);
        assert_eq!(network.sent(), 2, "a's end leaves b's request in flight, to be shared");
        network.answer(1, 200, r#"{"balance": 2}"#);
        pool.run_until_stalled();
        assert_eq!((first_of(&b).as_deref(), first_of(&b_again).as_deref()), (Some("req_1"), Some("req_1")));
        // A new result of a replaces a's, and b's stays kept.
        let (_a_again, _leave) = callers_of("a", &mut pool, &requests, &network, 1, 0.0);
        network.answer(2, 200, r#"{"balance": 3}"#);
        pool.run_until_stalled();
        let (b_kept, _leave) = callers_of("b", &mut pool, &requests, &network, 1, 60_000.0);
        assert_eq!((network.sent(), first_of(&b_kept).as_deref()), (3, Some("req_1")));
        let (a_kept, _leave) = callers_of("a", &mut pool, &requests, &network, 1, 60_000.0);
        assert_eq!((network.sent(), first_of(&a_kept).as_deref()), (3, Some("req_2")));
    }

    #[test]
    fn a_caller_that_leaves_gets_aborted_at_once_and_the_others_keep_the_request() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        let (outcomes, mut leave) = callers(&mut pool, &requests, &network, 3, 0.0);
        leave.remove(0).send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(outcomes.borrow()[0].as_ref().unwrap().as_ref().unwrap_err().error.code, ErrorCode::Aborted);
        assert!(outcomes.borrow()[1].is_none() && outcomes.borrow()[2].is_none());
        assert_eq!(network.dropped.get(), 0, "the request goes on");
        network.answer(0, 200, r#"{"balance": 5}"#);
        pool.run_until_stalled();
        assert_eq!(request_id(&outcomes.borrow()[2]).as_deref(), Some("req_0"));
    }

    #[test]
    fn the_request_is_dropped_when_every_caller_has_left() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        let (outcomes, leave) = callers(&mut pool, &requests, &network, 3, 0.0);
        for sender in leave {
            sender.send(()).unwrap();
        }
        pool.run_until_stalled();
        assert!(outcomes.borrow().iter().all(|outcome| outcome.as_ref().unwrap().is_err()));
        assert_eq!(network.dropped.get(), 1);
        let (_next, _leave) = callers(&mut pool, &requests, &network, 1, 0.0);
        assert_eq!(network.sent(), 2, "the dropped request is not joined again");
    }

    #[test]
    fn an_observed_balance_newer_than_the_kept_result_is_kept_written_and_told_to_watches() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        let store = FakeStore::default();
        let observed = |balance: f64, at: f64| Credits { balance, request_id: None, rate_limit: None, fetched_at: at };
        network.now_ms.set(1_000.0);
        let (_first, _leave) = callers(&mut pool, &requests, &network, 1, 5_000.0);
        network.answer(0, 200, r#"{"balance": 47}"#);
        pool.run_until_stalled();
        let watch = Rc::new(Observed::default());
        requests.watched_by(&watch);
        let gone = Rc::new(Observed::default());
        requests.watched_by(&gone);
        drop(gone);
        let other = Rc::new(Observed::default());
        requests.watched_by(&other);
        assert_eq!(requests.watches.borrow().len(), 2, "a watch that ended is let go");

        let kept = requests.observe("credits", observed(30.0, 2_000.0), store.use_it(), &network, 5_000.0);
        assert_eq!((kept.balance, kept.request_id), (30.0, None));
        network.now_ms.set(5_999.0);
        let (answered, _leave) = callers(&mut pool, &requests, &network, 1, 5_000.0);
        let answered = answered.borrow()[0].clone().unwrap().unwrap();
        assert_eq!(
            (network.sent(), answered.balance, answered.fetched_at),
            (1, 30.0, 2_000.0),
            "maxAgeMs answers use it"
        );
        pool.run_until_stalled();
        let (entry, ttl_ms) = store.entry().expect("written to the store");
        assert_eq!(
            (entry["balance"].clone(), entry["fetchedAt"].clone(), ttl_ms),
            (json!(30.0), json!(2_000.0), 6_000.0)
        );
        assert_eq!(watch.take().map(|credits| credits.balance), Some(30.0));
        assert_eq!(watch.take(), None);

        let older = requests.observe("credits", observed(5.0, 1_500.0), store.use_it(), &network, 5_000.0);
        assert_eq!(older.balance, 30.0, "an older observation changes nothing and returns the kept result");
        pool.run_until_stalled();
        assert_eq!((store.sets.get(), watch.take()), (1, None));
        let same_time = requests.observe("credits", observed(6.0, 2_000.0), store.use_it(), &network, 5_000.0);
        assert_eq!(same_time.balance, 6.0, "one of the kept result's time is taken: the app saw it last");
        assert_eq!(watch.take().map(|credits| credits.balance), Some(6.0));
        requests.observe("credits", observed(29.0, 3_000.0), None::<StoreUse<FakeStore>>, &network, 5_000.0);
        assert_eq!(watch.take().map(|credits| credits.balance), Some(29.0), "without a store, still kept and told");
    }

    #[test]
    fn an_observed_balance_is_whole_and_its_time_at_most_a_minute_ahead() {
        let observed = |balance: f64, at: Option<f64>| observed_credits(Number(balance), at.map(Number), 1_000_000.0);
        let credits = observed(30.0, None).unwrap();
        assert_eq!(
            (credits.balance, credits.request_id, credits.rate_limit, credits.fetched_at),
            (30.0, None, None, 1_000_000.0)
        );
        assert_eq!(observed(0.0, Some(1_060_000.0)).unwrap().fetched_at, 1_060_000.0, "a minute ahead is still fine");
        assert_eq!(observed(0.0, Some(0.0)).unwrap().fetched_at, 0.0);
        for balance in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e300] {
            let error = observed(balance, None).unwrap_err();
            assert_eq!(
                (error.field.as_deref(), error.message.as_str()),
                (Some("balance"), "balance must be a whole number of credits, at least 0")
            );
        }
        for at in [-1.0, 1_060_001.0, f64::NAN, f64::INFINITY] {
            assert_eq!(observed(1.0, Some(at)).unwrap_err().field.as_deref(), Some("at"), "{at}");
        }
    }

    #[test]
    fn results_are_kept_for_max_age() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::new());
        network.now_ms.set(1_000.0);
        let (_first, _leave) = callers(&mut pool, &requests, &network, 1, 5_000.0);
        network.answer(0, 200, r#"{"balance": 47}"#);
        pool.run_until_stalled();
        network.now_ms.set(5_999.0);
        let (kept, _leave) = callers(&mut pool, &requests, &network, 1, 5_000.0);
        assert_eq!((network.sent(), request_id(&kept.borrow()[0]).as_deref()), (1, Some("req_0")));
        let fetched_at = kept.borrow()[0].as_ref().unwrap().as_ref().unwrap().fetched_at;
        assert_eq!(fetched_at, 1_000.0, "a kept result says when the server answered, not when it was kept");
        let (asked, _leave) = callers(&mut pool, &requests, &network, 1, 0.0);
        assert_eq!(network.sent(), 2, "maxAgeMs 0 always asks");
        network.answer(1, 500, "");
        pool.run_until_stalled();
        assert!(asked.borrow()[0].as_ref().unwrap().is_err());
        network.now_ms.set(6_000.0);
        let (_expired, _leave) = callers(&mut pool, &requests, &network, 1, 5_000.0);
        assert_eq!(network.sent(), 3, "a result 5,000 ms old is too old, and errors are not kept");
    }

    #[test]
    fn a_caller_gone_before_the_call_starts_sends_nothing() {
        let (network, requests) = (Fake::default(), Requests::<&str, Cause>::new());
        let outcome = LocalPool::new().run_until(requests.get(
            network.call("credits"),
            0.0,
            None::<StoreUse<FakeStore>>,
            std::future::ready(()),
        ));
        assert_eq!(outcome.unwrap_err().error.code, ErrorCode::Aborted);
        let outcome = LocalPool::new().run_until(alone(network.call("credits"), std::future::ready(())));
        assert_eq!(outcome.unwrap_err().error.code, ErrorCode::Aborted);
        assert_eq!(network.sent(), 0);
    }

    #[test]
    fn a_call_alone_is_dropped_when_its_caller_leaves() {
        let (mut pool, network) = (LocalPool::new(), Fake::default());
        let (leave, left) = oneshot::channel::<()>();
        let outcome = Rc::new(RefCell::new(None));
        let (call, slot) = (network.call("credits"), outcome.clone());
        pool.spawner()
            .spawn_local(async move {
                *slot.borrow_mut() = Some(
                    alone(call, async {
                        let _ = left.await;
                    })
                    .await,
                )
            })
            .unwrap();
        pool.run_until_stalled();
        assert_eq!(network.sent(), 1);
        leave.send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(outcome.borrow().as_ref().unwrap().as_ref().unwrap_err().error.code, ErrorCode::Aborted);
        assert_eq!(network.dropped.get(), 1);
    }

    #[test]
    fn different_requests_are_not_shared() {
        let (mut pool, network, requests) = (LocalPool::new(), Fake::default(), Requests::<&str, Cause>::new());
        for id in ["one", "two", "one"] {
            let (requests, call) = (requests.clone(), network.call(id));
            pool.spawner()
                .spawn_local(async move {
                    drop(requests.get(call, 0.0, None::<StoreUse<FakeStore>>, std::future::pending()).await)
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(network.sent(), 2);
    }

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
        store: Option<StoreUse<FakeStore>>,
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
        assert_eq!((network.sent(), store.gets.get(), store.sets.get()), (1, 3, 2), "the kept copy answered the last");
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
        assert_eq!(*store.errors.borrow(), ["store entry ignored: balance must be a non-negative number"]);
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
            assert_eq!((store.gets.get(), store.sets.get()), (1, 1), "{fault:?}: skipped for a second");
            // The store works again: after the skip, it is used, and a success resets the skip.
            store.fault.set(Fault::None);
            network.now_ms.set(after_first + 4_000.0);
            ask(&network, &requests, &store, 0.0).unwrap();
            assert_eq!((store.gets.get(), store.sets.get(), store.errors.borrow().len()), (2, 2, 2), "{fault:?}");
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
        // A pause that ends now is over: the refresh starts.
        let ended = json!({"version": 2, "balance": 7, "requestId": "req_other", "fetchedAt": 10_500.0, "pausedUntil": 11_400.0});
        store.put(ended);
        let sets = store.sets.get();
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 7.0);
        assert_eq!((store.sets.get(), network.sent()), (sets + 1, 3), "its claim written, and its request sent");
        // While a shared pause lasts, a due result answers and no refresh starts.
        let paused = json!({"version": 2, "balance": 7, "requestId": "req_other", "fetchedAt": 10_500.0, "pausedUntil": 20_000.0});
        store.put(paused);
        let sets = store.sets.get();
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 7.0);
        assert_eq!((store.sets.get(), network.sent()), (sets, 3));
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
        assert_eq!((network.sent(), store.sets.get()), (0, 0));
        // A claim that lapsed is no one's: this instance claims the refresh, reads its claim
        // back after the settle, and refreshes; the result clears the claim.
        store.put(claimed(1, 9_200.0, "other", 9_999.0));
        assert_eq!(ask(&network, &Requests::new(), &store, 1_000.0).unwrap().balance, 1.0, "not delayed");
        assert_eq!((network.sent(), store.sets.get()), (1, 2), "the claim, then the result");
        assert_eq!(*network.waits.borrow(), [CLAIM_SETTLE_MS]);
        let (written, _) = store.entry().unwrap();
        assert_eq!((written["balance"].clone(), written.get("claimedBy")), (json!(2.0), None));
        // This client's own live claim: its refresh is under way, and no other starts.
        let sets = store.sets.get();
        let own = requests.instance(&network);
        store.put(claimed(1, 9_200.0, &own, 10_500.0));
        assert_eq!(ask(&network, &requests, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.sets.get()), (1, sets));
        // Two instances claim at once, and the other's claim is the one read back: no request.
        let other = Requests::new();
        let sets = store.sets.get();
        store.written_elsewhere.borrow_mut().extend([stored(1, 9_200.0), claimed(1, 9_200.0, "other", 20_000.0)]);
        assert_eq!(ask(&network, &other, &store, 1_000.0).unwrap().balance, 1.0);
        assert_eq!((network.sent(), store.sets.get()), (1, sets + 1), "this instance's claim was written over");
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
        assert_eq!((store.gets.get(), store.sets.get(), network.waits.borrow().len()), (1, 1, 0));
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
        assert_eq!((credits.balance, network.sent(), store.sets.get()), (4.0, 0, 1), "one claim written, no request");
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
