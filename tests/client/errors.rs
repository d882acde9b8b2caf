//! Errors and retries: API errors passed through, server errors retried with onRetry, bodies that
//! are not a balance, timeouts, dropped connections, redirects, the server's hints, the rate
//! limit, and aborts.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn documented_api_errors_pass_through_and_are_not_retried() {
    for (steps, code, status) in [
        ("status-400", "VALIDATION_ERROR", 400.0),
        ("status-401", "INVALID_API_KEY", 401.0),
        ("status-402", "INSUFFICIENT_CREDITS", 402.0),
        ("status-403", "FORBIDDEN", 403.0),
        ("status-404", "NOT_FOUND", 404.0),
    ] {
        let id = scenario(steps);
        let error = expect_error(
            credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, steps)))])).await,
            code,
            Some(status),
        );
        assert!(prop(&error, "requestId").as_string().unwrap().starts_with("req_"));
        assert_eq!(prop(&error, "retryable").as_bool(), Some(false));
        assert_eq!(stats(&id).await.0, 1.0, "{steps} must not be retried");
    }
}

#[wasm_bindgen_test]
async fn keys_are_checked_by_the_server_for_validity_and_scope() {
    let base = s(&format!("{}/api/v1", sandbox()));
    expect_error(
        credits("pp_live_sk_unknown", options(&[("baseUrl", base.clone())])).await,
        "INVALID_API_KEY",
        Some(401.0),
    );
    let error =
        expect_error(credits(NO_SCOPE_KEY, options(&[("baseUrl", base)])).await, "INSUFFICIENT_SCOPE", Some(403.0));
    assert!(prop(&error, "message").as_string().unwrap().contains("account:read"));
}

#[wasm_bindgen_test]
async fn server_errors_are_retried_with_on_retry_reports_then_succeed() {
    let id = scenario("flaky");
    let (reports, on_retry) = recorder();
    let opts = options(&[
        ("baseUrl", s(&scenario_url(&id, "status-503,html-502,ok"))),
        ("onRetry", on_retry.as_ref().clone()),
    ]);
    let result = credits(demo_key(), opts).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
    assert_eq!(stats(&id).await.0, 3.0);
    assert_eq!(reports.length(), 2);
    for (at, code) in [(0, "INTERNAL_ERROR"), (1, "INTERNAL_ERROR")] {
        let info = reports.get(at);
        assert_eq!(prop(&info, "attempt").as_f64(), Some(f64::from(at + 1)));
        let delay = prop(&info, "delayMs").as_f64().unwrap();
        assert!(delay > 0.0 && delay <= 1000.0, "backoff {delay}");
        assert_eq!(prop(&prop(&info, "error"), "code").as_string().as_deref(), Some(code));
        let serialized = js_sys::JSON::stringify(&info).unwrap().as_string().unwrap();
        assert!(!serialized.contains(demo_key()));
    }
}

#[wasm_bindgen_test]
async fn retries_stop_after_max_retries() {
    let id = scenario("down");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "status-500"))), ("maxRetries", n(1.0))]);
    let error = expect_error(credits(demo_key(), opts).await, "INTERNAL_ERROR", Some(500.0));
    assert_eq!(prop(&error, "retryable").as_bool(), Some(true));
    assert_eq!(stats(&id).await.0, 2.0);
}

#[wasm_bindgen_test]
async fn an_html_502_page_is_an_internal_error() {
    let id = scenario("html");
    let error = expect_error(
        credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "html-502"))), ("maxRetries", n(0.0))])).await,
        "INTERNAL_ERROR",
        Some(502.0),
    );
    assert!(prop(&error, "requestId").as_string().is_some());
}

#[wasm_bindgen_test]
async fn wrong_shaped_success_bodies_are_invalid_responses_and_not_retried() {
    for body in [
        "malformed",
        "body-%7B%22balance%22%3A%2247%22%7D",
        "body-%7B%22balance%22%3A-1%7D",
        "body-%7B%22balance%22%3A1e400%7D",
        "body-%5B%5D",
        "body-null",
        "body-%7B%7D",
    ] {
        let id = scenario("shape");
        let error = expect_error(
            credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, body)))])).await,
            "INVALID_RESPONSE",
            Some(200.0),
        );
        assert_eq!(prop(&error, "retryable").as_bool(), Some(false), "{body}");
        assert_eq!(stats(&id).await.0, 1.0, "{body}");
    }
}

#[wasm_bindgen_test]
async fn bodies_that_break_empty_or_huge_are_handled() {
    let id = scenario("reset-body");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "resetbody"))), ("maxRetries", n(0.0))]);
    expect_error(credits(demo_key(), opts).await, "NETWORK_ERROR", None);

    let id = scenario("empty");
    expect_error(
        credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "body-")))])).await,
        "INVALID_RESPONSE",
        Some(200.0),
    );

    let id = scenario("huge");
    let result = credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "bigbody-5000000")))])).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));

    // A body of 100,000 values is read whole; an error status still decides.
    let id = scenario("many-values");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "manyvalues-200")))]);
    let result = credits(demo_key(), opts).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
    let id = scenario("many-values-503");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "manyvalues-503"))), ("maxRetries", n(0.0))]);
    let error = expect_error(credits(demo_key(), opts).await, "INTERNAL_ERROR", Some(503.0));
    assert_eq!(prop(&error, "retryable").as_bool(), Some(true));

    let id = scenario("html-401");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "html-401")))]);
    expect_error(credits(demo_key(), opts).await, "INVALID_API_KEY", Some(401.0));
    assert_eq!(stats(&id).await.0, 1.0, "a 401 is final, even with an HTML body");
}

#[wasm_bindgen_test]
async fn slow_headers_and_slow_bodies_time_out_per_attempt() {
    for steps in ["slow-3000", "slowbody-3000"] {
        let id = scenario(steps);
        let opts =
            options(&[("baseUrl", s(&scenario_url(&id, steps))), ("timeoutMs", n(150.0)), ("maxRetries", n(1.0))]);
        let error = expect_error(credits(demo_key(), opts).await, "TIMEOUT", None);
        assert_eq!(prop(&error, "retryable").as_bool(), Some(true));
        assert_eq!(stats(&id).await.0, 2.0, "{steps}: a timed-out attempt is retried");
    }
}

#[wasm_bindgen_test]
async fn dropped_and_refused_connections_are_network_errors() {
    let id = scenario("reset");
    let (retries, on_retry) = recorder();
    let opts = options(&[
        ("baseUrl", s(&scenario_url(&id, "reset"))),
        ("maxRetries", n(1.0)),
        ("onRetry", on_retry.as_ref().clone()),
    ]);
    expect_error(credits(demo_key(), opts).await, "NETWORK_ERROR", None);
    assert_eq!(retries.length(), 1, "a network error is retried up to maxRetries");
    // Chromium itself resends a GET once when a kept-alive connection is reset, so the
    // sandbox may count more requests than the client made attempts.
    assert!(stats(&id).await.0 >= 2.0);
    let refused = options(&[("baseUrl", s("http://127.0.0.1:9/api/v1")), ("maxRetries", n(0.0))]);
    expect_error(credits(demo_key(), refused).await, "NETWORK_ERROR", None);
}

#[wasm_bindgen_test]
async fn a_redirect_is_never_followed_to_another_origin() {
    let id = scenario("redirect");
    let result =
        credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "redirect"))), ("maxRetries", n(0.0))])).await;
    // Browsers hide the status of a redirect not followed (an opaque-redirect response).
    let in_browser = Reflect::has(&js_sys::global(), &s("document")).unwrap();
    let error = expect_error(result, "HTTP_ERROR", if in_browser { None } else { Some(302.0) });
    assert_eq!(prop(&error, "retryable"), JsValue::FALSE);
    let (attempts, elsewhere) = stats(&id).await;
    assert_eq!(attempts, 1.0);
    assert_eq!(elsewhere, 0.0, "the other origin must never receive the request (or the key)");
}

#[wasm_bindgen_test]
async fn the_server_hint_is_honoured_and_long_hints_reject_at_once() {
    let id = scenario("hint-date");
    let result = credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "retrydate-1,ok")))])).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
    assert_eq!(stats(&id).await.0, 2.0);

    let id = scenario("hint-long");
    let error = expect_error(
        credits(demo_key(), options(&[("baseUrl", s(&scenario_url(&id, "ratelimit-61")))])).await,
        "RATE_LIMIT_EXCEEDED",
        Some(429.0),
    );
    assert_eq!(prop(&error, "retryAfterMs").as_f64(), Some(61_000.0));
    assert_eq!(stats(&id).await.0, 1.0);
}

#[wasm_bindgen_test]
async fn the_sandbox_rate_limiter_answers_429_with_retry_after() {
    let id = scenario("limited");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "limit-1"))), ("maxRetries", n(0.0))]);
    let first = credits(demo_key(), opts.clone()).await.unwrap();
    assert_eq!(prop(&prop(&first, "rateLimit"), "remaining").as_f64(), Some(0.0));
    let error = expect_error(credits(demo_key(), opts).await, "RATE_LIMIT_EXCEEDED", Some(429.0));
    assert!(prop(&error, "retryAfterMs").as_f64().unwrap() > 0.0);
}

#[wasm_bindgen_test]
async fn abort_cancels_a_retry_wait_at_once() {
    // The server asks for a 30 s wait; if the abort did not end the wait, the retry would be
    // sent and counted before the promise settled.
    let id = scenario("abort-wait");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "ratelimit-30,ok"))), ("signal", abort_after(100).into())]);
    let error = expect_error(credits(demo_key(), opts).await, "ABORTED", None);
    assert_eq!(prop(&error, "retryable").as_bool(), Some(false));
    assert_eq!(stats(&id).await.0, 1.0);
}

#[wasm_bindgen_test]
async fn abort_cancels_a_request_in_flight_and_an_aborted_signal_sends_nothing() {
    let id = scenario("abort-flight");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "slow-5000"))), ("signal", abort_after(100).into())]);
    expect_error(credits(demo_key(), opts).await, "ABORTED", None);
    assert_eq!(stats(&id).await.0, 1.0, "an aborted attempt is not retried");

    let id = scenario("abort-early");
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "ok"))), ("signal", controller.signal().into())]);
    expect_error(credits(demo_key(), opts).await, "ABORTED", None);
    assert_eq!(stats(&id).await.0, 0.0);
}
