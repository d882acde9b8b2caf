//! When a failed attempt is tried again, and after how long: the server's hint when it gave
//! one, otherwise exponential backoff `min(0.5 * 2^n, 8)` seconds with jitter, as openai-node
//! does it. Hints over a minute are not waited for.

use crate::error::PowerPostError;

/// The longest server hint the client waits for; over it, the call fails at once.
pub(crate) const MAX_HINT_MS: f64 = 60_000.0;
const INITIAL_BACKOFF_MS: f64 = 500.0;
const MAX_BACKOFF_MS: f64 = 8_000.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RetryDecision {
    GiveUp,
    RetryAfter { delay_ms: f64 },
}

/// `retries_done` counts retries already made (0 after the first attempt); `jitter` is a
/// uniform random number in [0, 1).
pub(crate) fn decide(error: &PowerPostError, retries_done: u32, max_retries: u32, jitter: f64) -> RetryDecision {
    if !error.retryable() || retries_done >= max_retries {
        return RetryDecision::GiveUp;
    }
    match error.retry_after_ms {
        Some(hint) if hint > MAX_HINT_MS => RetryDecision::GiveUp,
        Some(hint) => RetryDecision::RetryAfter { delay_ms: hint },
        None => RetryDecision::RetryAfter { delay_ms: backoff_ms(retries_done, jitter) },
    }
}

/// The wait before retry number `retries_done + 1` when the server gave no hint: the
/// exponential step, shortened by up to a quarter so that many clients spread out.
pub(crate) fn backoff_ms(retries_done: u32, jitter: f64) -> f64 {
    let step = doubled_ms(INITIAL_BACKOFF_MS, retries_done, MAX_BACKOFF_MS);
    (step * (1.0 - 0.25 * unit_jitter(jitter))).round()
}

/// `first_ms` doubled `times` times, at most `max_ms`: every back-off of the package.
pub(crate) fn doubled_ms(first_ms: f64, times: u32, max_ms: f64) -> f64 {
    (first_ms * f64::from(1u32 << times.min(16))).min(max_ms)
}

/// The clock's jitter as a number in [0, 1], whatever a clock gives (0 for one not finite).
pub(crate) fn unit_jitter(jitter: f64) -> f64 {
    if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn http(status: u16, retry_after_ms: Option<f64>) -> PowerPostError {
        PowerPostError::new(ErrorCode::for_status(status), "").with_response(status, None, retry_after_ms)
    }

    #[test]
    fn backoff_doubles_from_half_a_second_and_caps_at_eight() {
        let steps: Vec<f64> = (0..7).map(|n| backoff_ms(n, 0.0)).collect();
        assert_eq!(steps, [500.0, 1000.0, 2000.0, 4000.0, 8000.0, 8000.0, 8000.0]);
        assert_eq!(backoff_ms(u32::MAX, 0.0), 8000.0);
    }

    #[test]
    fn jitter_shortens_by_at_most_a_quarter() {
        assert_eq!(backoff_ms(1, 0.999_999), 750.0);
        assert_eq!(backoff_ms(1, 0.5), 875.0);
        assert_eq!(backoff_ms(1, f64::NAN), 1000.0);
        assert_eq!(backoff_ms(1, 7.0), 750.0);
    }

    #[test]
    fn the_server_hint_wins_unless_it_is_over_a_minute() {
        assert_eq!(decide(&http(429, Some(1000.0)), 0, 2, 0.0), RetryDecision::RetryAfter { delay_ms: 1000.0 });
        assert_eq!(decide(&http(503, Some(60_000.0)), 0, 2, 0.0), RetryDecision::RetryAfter { delay_ms: 60_000.0 });
        assert_eq!(decide(&http(429, Some(60_001.0)), 0, 2, 0.0), RetryDecision::GiveUp);
        assert_eq!(decide(&http(502, None), 1, 2, 0.0), RetryDecision::RetryAfter { delay_ms: 1000.0 });
    }

    #[test]
    fn retries_stop_at_the_limit_and_never_start_for_final_errors() {
        assert_eq!(decide(&http(500, None), 2, 2, 0.0), RetryDecision::GiveUp);
        assert_eq!(decide(&http(500, None), 0, 0, 0.0), RetryDecision::GiveUp);
        for status in [400, 401, 402, 403, 404] {
            assert_eq!(decide(&http(status, Some(10.0)), 0, 2, 0.0), RetryDecision::GiveUp, "{status}");
        }
        assert_eq!(decide(&PowerPostError::aborted(), 0, 2, 0.0), RetryDecision::GiveUp);
        assert_eq!(decide(&PowerPostError::invalid_argument("apiKey", "x"), 0, 2, 0.0), RetryDecision::GiveUp);
        assert!(matches!(decide(&PowerPostError::timeout(10), 0, 2, 0.0), RetryDecision::RetryAfter { .. }));
        assert!(matches!(decide(&PowerPostError::network("x"), 1, 2, 0.0), RetryDecision::RetryAfter { .. }));
    }
}
