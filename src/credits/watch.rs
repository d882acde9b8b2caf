//! `watch()`: polls the balance, says when it changed and when it fell below or came back
//! above a threshold (once per crossing), and paces its polls by the interval and by what the
//! server asks (the rate limit's reset, a 429's hint).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;

use futures_util::future::{select, Either};

use serde::Deserialize;

use super::call::{Clock, Failure};
use super::options::MAX_TIMER_MS;
use super::requests::{CallResult, Observed};
use super::response::Credits;
use crate::input::{List, Whole};

pub(crate) const DEFAULT_INTERVAL_MS: u32 = 60_000;
pub(crate) const MIN_INTERVAL_MS: u32 = 1000;

/// `WatchOptions` as a caller passes them; `S` is the runtime's `AbortSignal`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub(crate) struct WatchOptions<S> {
    pub interval_ms: Option<Whole<MIN_INTERVAL_MS, MAX_TIMER_MS>>,
    pub thresholds: Option<List<Whole<0, { u32::MAX }>, 64>>,
    pub signal: Option<S>,
}

impl<S> Default for WatchOptions<S> {
    fn default() -> Self {
        Self { interval_ms: None, thresholds: None, signal: None }
    }
}

/// What a watch says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event<C> {
    /// The first poll, then every poll whose balance differs from the last one's.
    Balance { credits: Credits, previous: Option<f64> },
    /// The balance fell below `threshold` (it was at or above it before, or this is the first poll).
    Low { threshold: u32, credits: Credits },
    /// The balance is back at or above a threshold it had fallen below.
    Recovered { threshold: u32, credits: Credits },
    /// A poll failed for a reason worth another try; the watch goes on.
    Error(Failure<C>),
}

/// A watch between two events.
pub(crate) struct Watch<C> {
    interval_ms: f64,
    /// Every threshold once, from the highest down, with whether the balance is below it.
    thresholds: Vec<(u32, bool)>,
    /// The balance of the last successful poll.
    previous: Option<f64>,
    /// When the next poll is due (ms since the Unix epoch); `None`: at once.
    next_poll_at: Option<f64>,
    /// Events of the last poll not taken yet.
    events: VecDeque<Event<C>>,
    /// When the newest balance taken in was fetched: an older observation says nothing new.
    newest_at: f64,
    /// Balances the client observed, taken in as polls are.
    observed: Rc<Observed>,
}

impl<C: Clone> Watch<C> {
    pub(crate) fn new<S>(options: &WatchOptions<S>) -> Self {
        // At most 64, so each is placed by a search: the slice sorts would add 3 KB to the wasm.
        let mut thresholds: Vec<u32> = Vec::new();
        for &Whole(threshold) in options.thresholds.iter().flat_map(|List(list)| list) {
            if let Err(place) = thresholds.binary_search_by(|known| threshold.cmp(known)) {
                thresholds.insert(place, threshold);
            }
        }
        Self {
            interval_ms: f64::from(options.interval_ms.map_or(DEFAULT_INTERVAL_MS, |Whole(ms)| ms)),
            thresholds: thresholds.into_iter().map(|threshold| (threshold, false)).collect(),
            previous: None,
            next_poll_at: None,
            events: VecDeque::new(),
            newest_at: f64::NEG_INFINITY,
            observed: Rc::default(),
        }
    }

    /// Where the client puts the balances it observes for this watch.
    pub(crate) fn observed(&self) -> &Rc<Observed> {
        &self.observed
    }

    /// The next event, waiting and polling (`poll` is one `getCredits` call) as often as it
    /// takes; an error is one that ends the watch (a failed wait too: the watch was stopped).
    pub(crate) async fn next<F: Future<Output = CallResult<C>>>(
        &mut self,
        clock: &impl Clock,
        mut poll: impl FnMut() -> F,
    ) -> Result<Event<C>, Failure<C>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(event);
            }
            if let Some(credits) = self.observed.take() {
                self.observe(credits);
                continue;
            }
            if let Some(due) = self.next_poll_at {
                let delay_ms = due - clock.now_ms();
                if delay_ms > 0.0 {
                    // An observed balance is taken at once, without waiting for the poll.
                    match select(pin!(clock.wait(delay_ms)), pin!(self.observed.arrival())).await {
                        Either::Left((waited, _)) => waited?,
                        Either::Right(_) => continue,
                    }
                }
            }
            let outcome = poll().await;
            self.polled(outcome, clock.now_ms())?;
        }
    }

    /// Takes in a poll that ended at `ended_at`: its events, and when the next poll is due.
    fn polled(&mut self, outcome: CallResult<C>, ended_at: f64) -> Result<(), Failure<C>> {
        let mut next_poll_at = ended_at + self.interval_ms;
        match outcome {
            Ok(credits) => {
                if let Some(limit) = credits.rate_limit.filter(|limit| limit.remaining == 0) {
                    next_poll_at = next_poll_at.max(limit.reset_at as f64 * 1000.0);
                }
                self.crossed(credits);
            }
            Err(failure) if failure.error.retryable() => {
                if let Some(hint_ms) = failure.error.retry_after_ms {
                    next_poll_at = next_poll_at.max(ended_at + hint_ms);
                }
                self.events.push_back(Event::Error(failure));
            }
            Err(failure) => return Err(failure),
        }
        self.next_poll_at = Some(next_poll_at);
        Ok(())
    }

    /// Takes in an observed balance as a poll's: its events, and the next poll an interval
    /// after it (or later, if the server asked). Older than the newest taken in, it says nothing.
    fn observe(&mut self, credits: Credits) {
        if credits.fetched_at < self.newest_at {
            return;
        }
        let after = credits.fetched_at + self.interval_ms;
        self.next_poll_at = Some(self.next_poll_at.map_or(after, |due| due.max(after)));
        self.crossed(credits);
    }

    /// The events of a balance: changed, then thresholds crossed downwards (highest first),
    /// then upwards (lowest first).
    fn crossed(&mut self, credits: Credits) {
        self.newest_at = self.newest_at.max(credits.fetched_at);
        let balance = credits.balance;
        if self.previous != Some(balance) {
            self.events.push_back(Event::Balance { credits: credits.clone(), previous: self.previous });
        }
        for (threshold, below) in self.thresholds.iter_mut() {
            if balance < f64::from(*threshold) && !*below {
                *below = true;
                self.events.push_back(Event::Low { threshold: *threshold, credits: credits.clone() });
            }
        }
        for (threshold, below) in self.thresholds.iter_mut().rev() {
            if balance >= f64::from(*threshold) && *below {
                *below = false;
                self.events.push_back(Event::Recovered { threshold: *threshold, credits: credits.clone() });
            }
        }
        self.previous = Some(balance);
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::credits::fakes::{Cause, Fake};
    use crate::credits::response::RateLimit;
    use crate::error::{ErrorCode, PowerPostError};
    use crate::input::from_json;
    use serde_json::json;
    use std::cell::RefCell;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn credits(balance: f64) -> Credits {
        Credits { balance, request_id: None, rate_limit: None, fetched_at: 0.0 }
    }

    fn watch(options: serde_json::Value) -> Watch<Cause> {
        Watch::new(&from_json::<WatchOptions<()>>(options, &crate::input::Path::argument("options")).unwrap())
    }

    /// Takes the watch's next `count` events, the polls answered from `outcomes` in turn;
    /// returns them with the times the polls happened at.
    fn take(
        watch: &mut Watch<Cause>,
        clock: &Fake,
        outcomes: &mut Vec<CallResult<Cause>>,
        count: usize,
    ) -> (Vec<Event<Cause>>, Vec<f64>) {
        let polled_at = RefCell::new(Vec::new());
        let mut events = Vec::new();
        for _ in 0..count {
            let poll = || {
                polled_at.borrow_mut().push(clock.now_ms());
                std::future::ready(outcomes.remove(0))
            };
            match pin!(watch.next(clock, poll)).poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(event) => events.push(event.unwrap()),
                Poll::Pending => panic!("the fake clock never waits"),
            }
        }
        (events, polled_at.into_inner())
    }

    fn describe(events: &[Event<Cause>]) -> Vec<String> {
        events
            .iter()
            .map(|event| match event {
                Event::Balance { credits, previous } => format!("balance {} (was {previous:?})", credits.balance),
                Event::Low { threshold, credits } => format!("low {threshold} at {}", credits.balance),
                Event::Recovered { threshold, credits } => format!("recovered {threshold} at {}", credits.balance),
                Event::Error(failure) => format!("error {}", failure.error.code.as_str()),
            })
            .collect()
    }

    #[test]
    fn a_balance_event_per_change_and_a_threshold_event_per_crossing() {
        let clock = Fake::default();
        let mut watch = watch(json!({"thresholds": [20, 40], "intervalMs": 1000}));
        let mut outcomes = [47.0, 30.0, 30.0, 12.0, 50.0].map(|balance| Ok(credits(balance))).to_vec();
        let (events, polled_at) = take(&mut watch, &clock, &mut outcomes, 8);
        assert_eq!(
            describe(&events),
            [
                "balance 47 (was None)",
                "balance 30 (was Some(47.0))",
                "low 40 at 30",
                "balance 12 (was Some(30.0))",
                "low 20 at 12",
                "balance 50 (was Some(12.0))",
                "recovered 20 at 50",
                "recovered 40 at 50"
            ]
        );
        assert_eq!(
            polled_at,
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0],
            "at once, then every interval; 30 twice says nothing"
        );
    }

    #[test]
    fn a_balance_at_a_threshold_is_not_below_it() {
        let clock = Fake::default();
        let mut watch = watch(json!({"thresholds": [20]}));
        let mut outcomes = [30.0, 20.0, 19.0, 20.0].map(|balance| Ok(credits(balance))).to_vec();
        let (events, _) = take(&mut watch, &clock, &mut outcomes, 6);
        assert_eq!(
            describe(&events),
            [
                "balance 30 (was None)",
                "balance 20 (was Some(30.0))",
                "balance 19 (was Some(20.0))",
                "low 20 at 19",
                "balance 20 (was Some(19.0))",
                "recovered 20 at 20"
            ]
        );
    }

    #[test]
    fn a_poll_already_due_waits_for_nothing() {
        let clock = Fake::default();
        let mut watch = watch(json!({"intervalMs": 1000}));
        let mut outcomes = vec![Ok(credits(1.0)), Ok(credits(2.0))];
        let _first = take(&mut watch, &clock, &mut outcomes, 1);
        clock.now_ms.set(clock.now_ms.get() + 1000.0);
        let (_second, polled_at) = take(&mut watch, &clock, &mut outcomes, 1);
        assert_eq!((polled_at, clock.waits.borrow().len()), (vec![1000.0], 0));
    }

    #[test]
    fn a_first_poll_below_thresholds_is_low_for_each_highest_first() {
        let clock = Fake::default();
        let mut watch = watch(json!({"thresholds": [100, 20, 100]}));
        let (events, _) = take(&mut watch, &clock, &mut vec![Ok(credits(5.0))], 3);
        assert_eq!(describe(&events), ["balance 5 (was None)", "low 100 at 5", "low 20 at 5"]);
    }

    #[test]
    fn polls_wait_for_the_rate_limit_reset_and_for_a_429_hint() {
        let clock = Fake::default();
        clock.now_ms.set(1_000_000.0);
        let mut watch = watch(json!({"intervalMs": 1000}));
        let exhausted =
            Credits { rate_limit: Some(RateLimit { limit: 30, remaining: 0, reset_at: 1_060 }), ..credits(47.0) };
        let limited = PowerPostError::new(ErrorCode::RateLimitExceeded, "429").with_response(429, None, Some(30_000.0));
        let mut outcomes = vec![Ok(exhausted), Err(Failure::from(limited)), Ok(credits(46.0))];
        let (events, polled_at) = take(&mut watch, &clock, &mut outcomes, 3);
        assert_eq!(
            describe(&events),
            ["balance 47 (was None)", "error RATE_LIMIT_EXCEEDED", "balance 46 (was Some(47.0))"]
        );
        assert_eq!(polled_at, [1_000_000.0, 1_060_000.0, 1_090_000.0], "not before resetAt, then not before the hint");
    }

    #[test]
    fn an_error_that_is_not_worth_retrying_ends_the_watch() {
        let clock = Fake::default();
        let mut watch = watch(json!({}));
        let invalid = PowerPostError::new(ErrorCode::InvalidApiKey, "401").with_response(401, None, None);
        let mut outcomes = vec![Err(Failure::from(invalid))];
        let poll = || std::future::ready(outcomes.remove(0));
        let next = pin!(watch.next(&clock, poll)).poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(next, Poll::Ready(Err(failure)) if failure.error.code == ErrorCode::InvalidApiKey));
    }

    #[test]
    fn an_observed_balance_is_taken_at_once_as_a_poll_and_defers_the_next_poll() {
        let clock = Fake::default();
        let mut watch = watch(json!({"thresholds": [20], "intervalMs": 1000}));
        let mut outcomes = vec![Ok(credits(47.0)), Ok(credits(15.0))];
        let (first, _) = take(&mut watch, &clock, &mut outcomes, 1);
        assert_eq!(describe(&first), ["balance 47 (was None)"]);
        let observed = |balance: f64, at: f64| Credits { fetched_at: at, ..credits(balance) };
        watch.observed().push(observed(10.0, 400.0));
        watch.observed().push(observed(12.0, 300.0)); // older than the one before it: nothing
        watch.observed().push(observed(10.0, 500.0)); // the same balance: no balance event
        let (events, polled_at) = take(&mut watch, &clock, &mut outcomes, 2);
        assert_eq!(describe(&events), ["balance 10 (was Some(47.0))", "low 20 at 10"]);
        assert!(polled_at.is_empty(), "no poll for an observed balance");
        assert!(clock.waits.borrow().is_empty(), "nothing waited for");
        let (events, polled_at) = take(&mut watch, &clock, &mut outcomes, 1);
        assert_eq!(describe(&events), ["balance 15 (was Some(10.0))"]);
        assert_eq!(polled_at, [1_500.0], "the next poll an interval after the newest observation");
        watch.observed().push(observed(11.0, 500.0));
        let (events, _) = take(&mut watch, &clock, &mut outcomes, 1);
        assert_eq!(describe(&events), ["balance 11 (was Some(15.0))"], "one of the newest's time is taken");
    }

    #[test]
    fn a_balance_observed_during_the_wait_ends_it() {
        let clock = Fake::default();
        let mut watch = watch(json!({"intervalMs": 1000}));
        let mut outcomes = vec![Ok(credits(47.0))];
        let _first = take(&mut watch, &clock, &mut outcomes, 1);
        let observed = Rc::clone(watch.observed());
        let mut next = Box::pin(watch.next(&clock, std::future::pending::<CallResult<Cause>>));
        let waker = Waker::noop();
        clock.hold_waits.set(true);
        assert!(next.as_mut().poll(&mut Context::from_waker(waker)).is_pending(), "waiting for the next poll");
        observed.push(Credits { fetched_at: 10.0, ..credits(40.0) });
        match next.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(Ok(event)) => assert_eq!(describe(&[event]), ["balance 40 (was Some(47.0))"]),
            _ => panic!("the observed balance ends the wait"),
        }
    }

    #[test]
    fn options_default_and_are_checked() {
        assert_eq!(watch(json!({})).interval_ms, 60_000.0);
        let read = |value| from_json::<WatchOptions<()>>(value, &crate::input::Path::argument("options"));
        for (value, field) in [
            (json!({"intervalMs": 999}), "options.intervalMs"),
            (json!({"thresholds": [-1]}), "options.thresholds[0]"),
            (json!({"thresholds": [1.5]}), "options.thresholds[0]"),
            (json!({"thresholds": 20}), "options.thresholds"),
            (json!({"interval": 5000}), "options.interval"),
        ] {
            assert_eq!(read(value.clone()).unwrap_err().field.as_deref(), Some(field), "{value}");
        }
    }
}
