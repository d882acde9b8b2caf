//! One request for many callers: the calls of a client that overlap in time and would send the
//! same request share one (retries included), each caller still free to leave at once; the
//! client keeps its recent results for `maxAgeMs`, and tells its running watches of balances
//! observed. How a call uses a fleet's store is `fleet`'s.

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
use super::store::{Store, StoreHealth, StoreSlot, MAX_CLOCK_AHEAD_MS};
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

/// How old a result may be for one call: it answers while `valid`, and is refreshed once `due`
/// (early, by `head_start_ms`, when a fleet shares it).
#[derive(Clone, Copy)]
pub(crate) struct Age {
    pub now_ms: f64,
    pub max_age_ms: f64,
    pub head_start_ms: f64,
}

impl Age {
    pub(crate) fn valid(&self, credits: &Credits) -> bool {
        self.now_ms - credits.fetched_at < self.max_age_ms
    }

    pub(crate) fn due(&self, credits: &Credits) -> bool {
        self.now_ms - credits.fetched_at + self.head_start_ms >= self.max_age_ms
    }
}

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
    pub(super) in_flight: RefCell<Vec<(I, WeakShared<Pending<C>>)>>,
    /// The newest last.
    pub(super) results: RefCell<Vec<(I, Credits)>>,
    pub(super) store_health: Rc<StoreHealth>,
    /// Where each running watch takes observed balances; gone when the watch is.
    pub(super) watches: RefCell<Vec<Weak<Observed>>>,
    /// This client's id in the claims it writes, drawn when first needed.
    pub(super) instance: RefCell<Option<Rc<str>>>,
    /// How long the last request took, this client's or the one whose entry it read (ms).
    pub(super) request_ms: Cell<f64>,
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

    /// A watch of this client: it is told of every balance observed while it runs.
    pub(crate) fn watched_by(&self, observed: &Rc<Observed>) {
        let mut watches = self.watches.borrow_mut();
        watches.retain(|watch| watch.strong_count() > 0);
        watches.push(Rc::downgrade(observed));
    }

    /// Whether a request of `fingerprint`'s is in flight.
    pub(super) fn asking(&self, fingerprint: &I) -> bool {
        self.in_flight.borrow().iter().any(|(known, request)| known == fingerprint && request.upgrade().is_some())
    }

    /// The newest result of `fingerprint`'s request.
    pub(super) fn kept(&self, fingerprint: &I) -> Option<Credits> {
        let results = self.results.borrow();
        let (_, credits) = results.iter().rev().find(|(kept, _)| kept == fingerprint)?;
        Some(credits.clone())
    }

    /// The request `call` would send that is in flight, or a new one, which writes what it
    /// learns to the store of the call that starts it.
    pub(super) fn in_flight<N, K, S>(
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
                    slot.write_pause(requests.kept(&call.fingerprint), until, pause_ms, max_age_ms);
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
                slot.write_result(credits, Some(request_ms), max_age_ms);
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
    pub(super) fn keep(&self, fingerprint: I, credits: Credits) {
        let mut results = self.results.borrow_mut();
        results.retain(|(kept, _)| *kept != fingerprint);
        if results.len() == KEPT_RESULTS {
            results.remove(0);
        }
        results.push((fingerprint, credits));
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::credits::fakes::{Cause, Fake, FakeStore};
    use crate::credits::store::StoreConfig;
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
                    let outcome = requests.get(call, max_age_ms, None::<StoreConfig<FakeStore>>, left).await;
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
        assert_eq!((store.sets(), watch.take()), (1, None));
        let same_time = requests.observe("credits", observed(6.0, 2_000.0), store.use_it(), &network, 5_000.0);
        assert_eq!(same_time.balance, 6.0, "one of the kept result's time is taken: the app saw it last");
        assert_eq!(watch.take().map(|credits| credits.balance), Some(6.0));
        requests.observe("credits", observed(29.0, 3_000.0), None::<StoreConfig<FakeStore>>, &network, 5_000.0);
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
            None::<StoreConfig<FakeStore>>,
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
                    drop(requests.get(call, 0.0, None::<StoreConfig<FakeStore>>, std::future::pending()).await)
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(network.sent(), 2);
    }
}
