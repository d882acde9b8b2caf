//! One request for many callers: the calls of a client that overlap in time and would send the
//! same request share one (retries included), each caller still free to leave at once, and the
//! client keeps its recent results for `maxAgeMs`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;

use futures_util::future::{select, Either, FutureExt, LocalBoxFuture, Shared, WeakShared};

use super::call::{get_credits, Clock, Failure, Network};
use super::key::ApiKey;
use super::options::Request;
use super::response::Credits;
use crate::error::PowerPostError;

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
    let request = get_credits(&call.network, &call.clock, &call.request, &call.key, call.max_retries);
    match select(pin!(left), pin!(request)).await {
        Either::Left(_) => Err(PowerPostError::aborted().into()),
        Either::Right((outcome, _)) => outcome,
    }
}

/// What a client remembers between calls: the requests in flight and its recent results.
pub(crate) struct Requests<I, C> {
    /// Weak: a request no caller waits for any more is dropped, and so aborted.
    in_flight: RefCell<Vec<(I, WeakShared<Pending<C>>)>>,
    /// Each with the time it arrived (ms since the Unix epoch); the newest last.
    results: RefCell<Vec<(I, f64, Credits)>>,
}

impl<I: PartialEq + Clone + 'static, C: Clone + 'static> Requests<I, C> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Self { in_flight: RefCell::new(Vec::new()), results: RefCell::new(Vec::new()) })
    }

    /// The credits `call`'s request gives: a result younger than `max_age_ms` (0: never one),
    /// else the request in flight, else a new one. When `left` resolves first (the caller's
    /// signal aborted), this caller gets `ABORTED` at once; the request goes on for the others,
    /// and is dropped, which aborts it, when no caller waits for it any more.
    pub(crate) async fn get<N: Network<Cause = C> + 'static, K: Clock + 'static>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
        max_age_ms: f64,
        left: impl Future<Output = ()>,
    ) -> CallResult<C> {
        if let Some(credits) = self.kept(&call.fingerprint, call.clock.now_ms(), max_age_ms) {
            return Ok(credits);
        }
        // `left` first: a caller gone before the call starts sends nothing.
        match select(pin!(left), self.in_flight(call)).await {
            Either::Left(_) => Err(PowerPostError::aborted().into()),
            Either::Right((outcome, _)) => outcome,
        }
    }

    fn kept(&self, fingerprint: &I, now_ms: f64, max_age_ms: f64) -> Option<Credits> {
        let results = self.results.borrow();
        let (_, _, credits) =
            results.iter().rev().find(|(kept, at, _)| kept == fingerprint && now_ms - at < max_age_ms)?;
        Some(credits.clone())
    }

    /// The request `call` would send that is in flight, or a new one.
    fn in_flight<N: Network<Cause = C> + 'static, K: Clock + 'static>(
        self: &Rc<Self>,
        call: Call<I, N, K>,
    ) -> InFlight<C> {
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
            let outcome = get_credits(&call.network, &call.clock, &call.request, &call.key, call.max_retries).await;
            if let Some(requests) = requests.upgrade() {
                requests.finished(call.fingerprint, call.clock.now_ms(), &outcome);
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

    /// A request is over: later calls send a new one, and its result is kept.
    fn finished(&self, fingerprint: I, now_ms: f64, outcome: &CallResult<C>) {
        self.in_flight.borrow_mut().retain(|(in_flight, _)| *in_flight != fingerprint);
        if let Ok(credits) = outcome {
            let mut results = self.results.borrow_mut();
            results.retain(|(kept, _, _)| *kept != fingerprint);
            if results.len() == KEPT_RESULTS {
                results.remove(0);
            }
            results.push((fingerprint, now_ms, credits.clone()));
        }
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::credits::fakes::{Cause, Fake};
    use crate::error::ErrorCode;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

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
                    let outcome = requests.get(call, max_age_ms, left).await;
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
        let outcome = LocalPool::new().run_until(requests.get(network.call("credits"), 0.0, std::future::ready(())));
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
                .spawn_local(async move { drop(requests.get(call, 0.0, std::future::pending()).await) })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(network.sent(), 2);
    }
}
