//! One `getCredits` call: its attempts, the waits between them and what ends it. Written
//! against a [`Network`] and a [`Clock`], so host tests drive it with fake ones.

use super::key::ApiKey;
use super::options::Request;
use super::response::{interpret, Credits, RawResponse};
use super::retry::{decide, RetryDecision};
use crate::error::PowerPostError;
use crate::input::Value;

/// How a call reaches the server.
pub(crate) trait Network {
    /// What the runtime reports along with a failure (in JS, what `fetch` threw), kept as
    /// the error's `cause`.
    type Cause;

    /// A body as the runtime parses JSON.
    type Body: Value;

    /// Sends `request` once and reads the whole response, its body parsed as JSON. Fails with
    /// `TIMEOUT`, `ABORTED`, `NETWORK_ERROR` or `INVALID_RESPONSE` when no response could be read.
    async fn send(&self, request: &Request) -> Result<RawResponse<Self::Body>, Failure<Self::Cause>>;

    /// Tells the caller's `onRetry` about a retry. The call ignores how that went: a logging
    /// hook never breaks the call it observes.
    fn on_retry(&self, retry: &Retry) -> Result<(), CallbackFailed>;
}

/// Time as calls and watches see it.
pub(crate) trait Clock {
    /// Milliseconds since the Unix epoch, for `Retry-After` dates and kept results.
    fn now_ms(&self) -> f64;

    /// Waits `delay_ms`; fails with `ABORTED` as soon as the wait is cut short.
    async fn wait(&self, delay_ms: f64) -> Result<(), PowerPostError>;

    /// A uniform random number in [0, 1), the backoff's jitter.
    fn jitter(&self) -> f64;
}

/// A failed call: the error, and what the runtime reported with it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure<C> {
    pub error: PowerPostError,
    pub cause: Option<C>,
}

impl<C> From<PowerPostError> for Failure<C> {
    fn from(error: PowerPostError) -> Self {
        Failure { error, cause: None }
    }
}

/// What `onRetry` is told before each retry.
#[derive(Debug)]
pub(crate) struct Retry<'a> {
    /// 1 for the first retry.
    pub attempt: u32,
    pub delay_ms: f64,
    pub error: &'a PowerPostError,
}

/// `onRetry` threw.
#[derive(Debug)]
pub(crate) struct CallbackFailed;

/// Sends `request` until a response means credits or an error that is final, retrying at
/// most `max_retries` times after the waits [`decide`] sets. `rate_limited` is told, after
/// each 429, how long the server asked to be left alone (its hint, else the backoff's wait);
/// a `dyn` function, so that one copy of the loop serves calls with a store and without.
pub(crate) async fn get_credits<N: Network>(
    network: &N,
    clock: &impl Clock,
    request: &Request,
    key: &ApiKey,
    max_retries: u32,
    rate_limited: &dyn Fn(f64),
) -> Result<Credits, Failure<N::Cause>> {
    let mut retries = 0;
    loop {
        let mut failure = match network.send(request).await {
            Ok(response) => match interpret(response, clock.now_ms(), key) {
                Ok(credits) => return Ok(credits),
                Err(error) => Failure::from(error),
            },
            Err(failure) => failure,
        };
        // What a runtime says about a failed request may quote it, key included.
        failure.error.message = key.scrub(&failure.error.message);
        let decision = decide(&failure.error, retries, max_retries, clock.jitter());
        if failure.error.status == Some(429) {
            let wait_ms = match decision {
                RetryDecision::RetryAfter { delay_ms } => Some(delay_ms),
                RetryDecision::GiveUp => None,
            };
            if let Some(pause_ms) = failure.error.retry_after_ms.or(wait_ms) {
                rate_limited(pause_ms);
            }
        }
        let RetryDecision::RetryAfter { delay_ms } = decision else {
            return Err(failure);
        };
        retries += 1;
        let _ignored = network.on_retry(&Retry { attempt: retries, delay_ms, error: &failure.error });
        clock.wait(delay_ms).await?;
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::credits::fakes::{self, Cause, Fake, Response, KEY};
    use crate::credits::response::ResponseHeaders;
    use crate::error::ErrorCode;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Runs a future that never waits on anything outside it (the fake answers at once).
    fn block_on<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the fake network never waits"),
        }
    }

    fn response(status: u16, body: &str) -> Result<Response, PowerPostError> {
        Ok(fakes::response(status, body, status))
    }

    fn rate_limited(seconds: f64) -> Result<Response, PowerPostError> {
        response(429, &format!(r#"{{"error": {{"code": "RATE_LIMIT_EXCEEDED", "retryAfter": {seconds}}}}}"#))
    }

    /// A call through `fake` with the test key, retrying at most `max_retries` times.
    fn call(fake: &Fake, max_retries: u32) -> Result<Credits, Failure<Cause>> {
        block_on(get_credits(fake, fake, &Fake::request(), &ApiKey::parse(KEY).unwrap(), max_retries, &|_| ()))
    }

    #[test]
    fn retries_wait_the_backoff_or_the_servers_hint_in_order() {
        let fake = Fake::answering(vec![
            response(503, "<html>503</html>"),
            rate_limited(2.0),
            Err(PowerPostError::network("reset")),
            response(200, r#"{"balance": 47}"#),
        ]);
        assert_eq!(call(&fake, 3).unwrap().balance, 47.0);
        assert_eq!(*fake.waits.borrow(), [500.0, 2000.0, 2000.0], "backoff 0.5 s, the 2 s hint, backoff 2 s");
        assert_eq!(
            *fake.retries.borrow(),
            [
                (1, 500.0, ErrorCode::InternalError),
                (2, 2000.0, ErrorCode::RateLimitExceeded),
                (3, 2000.0, ErrorCode::NetworkError)
            ]
        );
    }

    #[test]
    fn retries_stop_at_max_retries_with_the_last_error() {
        let fake = Fake::answering(vec![response(500, ""), response(502, ""), response(504, "")]);
        let failure = call(&fake, 2).unwrap_err();
        assert_eq!((failure.error.status, fake.sent()), (Some(504), 3));
        assert_eq!(*fake.waits.borrow(), [500.0, 1000.0]);
        let fake = Fake::answering(vec![response(500, "")]);
        assert_eq!(call(&fake, 0).unwrap_err().error.status, Some(500));
        assert!(fake.waits.borrow().is_empty());
    }

    #[test]
    fn final_errors_are_not_retried() {
        for status in [400, 401, 402, 403, 404] {
            let fake = Fake::answering(vec![response(status, "")]);
            assert_eq!(call(&fake, 5).unwrap_err().error.status, Some(status));
            assert_eq!(fake.sent(), 1, "{status}");
        }
        let fake = Fake::answering(vec![response(200, "{}")]);
        assert_eq!(call(&fake, 5).unwrap_err().error.code, ErrorCode::InvalidResponse);
        assert_eq!(fake.sent(), 1);
        for redirect in [response(302, ""), Err(PowerPostError::redirect(None))] {
            let fake = Fake::answering(vec![redirect]);
            assert_eq!(call(&fake, 5).unwrap_err().error.code, ErrorCode::HttpError);
            assert_eq!(fake.sent(), 1, "a redirect is final");
        }
    }

    #[test]
    fn a_hint_over_a_minute_rejects_at_once_with_it() {
        let fake = Fake::answering(vec![rate_limited(61.0)]);
        let error = call(&fake, 2).unwrap_err().error;
        assert_eq!((error.code, error.retry_after_ms), (ErrorCode::RateLimitExceeded, Some(61_000.0)));
        assert!(fake.waits.borrow().is_empty() && fake.retries.borrow().is_empty());
        let fake = Fake::answering(vec![rate_limited(60.0), response(200, r#"{"balance": 1}"#)]);
        assert!(call(&fake, 2).is_ok());
        assert_eq!(*fake.waits.borrow(), [60_000.0], "a minute is still waited for");
    }

    #[test]
    fn an_abort_during_a_wait_ends_the_call_at_once() {
        let mut fake = Fake::answering(vec![response(503, ""), response(503, "")]);
        fake.abort_during_wait = Some(2);
        let failure = call(&fake, 5).unwrap_err();
        assert_eq!(failure.error.code, ErrorCode::Aborted);
        assert_eq!((fake.sent(), fake.waits.borrow().len()), (2, 2), "nothing is sent after the abort");
    }

    #[test]
    fn on_retry_failing_changes_nothing() {
        let script = || vec![response(503, ""), response(200, r#"{"balance": 5}"#)];
        let mut fake = Fake::answering(script());
        fake.retry_hook_fails = true;
        assert_eq!(call(&fake, 2).unwrap().balance, 5.0);
        assert_eq!((fake.retries.borrow().len(), fake.waits.borrow().len()), (1, 1));
    }

    #[test]
    fn transport_failures_keep_their_cause_and_lose_the_key() {
        let fake = Fake::answering(vec![Err(PowerPostError::network(&format!("refused for {KEY}")))]);
        let failure = call(&fake, 0).unwrap_err();
        assert_eq!(failure.error.message, "network error: refused for pp_live_sk_…WXYZ");
        assert_eq!(failure.cause, Some("what fetch threw"));
    }

    #[test]
    fn retry_after_dates_are_read_against_the_clock() {
        let date = "Sun, 06 Nov 1994 08:49:40 GMT";
        let headers = ResponseHeaders { retry_after: Some(date.into()), ..ResponseHeaders::default() };
        let fake = Fake::answering(vec![
            Ok(RawResponse { status: 429, headers, body: None }),
            response(200, r#"{"balance": 2}"#),
        ]);
        fake.now_ms.set(784_111_777_000.0); // Sun, 06 Nov 1994 08:49:37 GMT
        let credits = call(&fake, 1).unwrap();
        assert_eq!(credits.balance, 2.0);
        assert_eq!(*fake.waits.borrow(), [3000.0]);
        assert_eq!(credits.fetched_at, 784_111_780_000.0, "when the answer that counted arrived, after the wait");
    }
}
