//! getCredits end to end against the local sandbox, in Node (`wasm-pack test --node`) and in
//! headless Chromium (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome`).
//! `make test` starts the sandbox and passes its origin in POWERPOST_SANDBOX at build time.
//! Every scenario has its own id, so the sandbox's attempt counts belong to one test only.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Promise, Reflect};
use powerpost_credits::wasm::{can_afford, estimate_cost, get_credits, CreditsClient};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const NO_SCOPE_KEY: &str = "pp_live_sk_noscope00000000000000000403";

// Not `env!`: the suite must still build (for clippy, say) where no sandbox runs.
#[allow(clippy::option_env_unwrap)]
fn sandbox() -> &'static str {
    option_env!("POWERPOST_SANDBOX").expect("build with POWERPOST_SANDBOX=<sandbox origin> (make test does)")
}

/// The sandbox's demo key (its `DEMO_KEY`), which has a balance of 47.
#[allow(clippy::option_env_unwrap)]
fn demo_key() -> &'static str {
    option_env!("POWERPOST_DEMO_KEY").expect("build with POWERPOST_DEMO_KEY=<the sandbox's DEMO_KEY> (make test does)")
}

/// A fresh scenario id, so repeated runs and both runtimes never share counts.
fn scenario(name: &str) -> String {
    format!("{name}-{}", (js_sys::Math::random() * 1e12) as u64)
}

fn scenario_url(id: &str, steps: &str) -> String {
    format!("{}/_sandbox/{id}/{steps}/api/v1", sandbox())
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

fn n(number: f64) -> JsValue {
    JsValue::from_f64(number)
}

fn prop(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap()
}

/// Awaits what the package returned, which must be a real Promise.
async fn settle(promise: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise.into().dyn_into::<Promise>().expect("a Promise")).await
}

async fn credits(key: &str, options: JsValue) -> Result<JsValue, JsValue> {
    settle(get_credits(s(key), options)).await
}

/// The sandbox's stats of a scenario.
async fn scenario_stats(id: &str) -> JsValue {
    let fetch: Function = Reflect::get(&js_sys::global(), &s("fetch")).unwrap().unchecked_into();
    let url = format!("{}/_sandbox/{id}/stats", sandbox());
    let response = settle(fetch.call1(&JsValue::UNDEFINED, &s(&url)).unwrap()).await.unwrap();
    let json: Function = prop(&response, "json").unchecked_into();
    settle(json.call0(&response).unwrap()).await.unwrap()
}

/// How many requests the sandbox saw for a scenario, and whether the other origin was reached.
async fn stats(id: &str) -> (f64, f64) {
    let fetch: Function = Reflect::get(&js_sys::global(), &s("fetch")).unwrap().unchecked_into();
    let url = format!("{}/_sandbox/{id}/stats", sandbox());
    let response = settle(fetch.call1(&JsValue::UNDEFINED, &s(&url)).unwrap()).await.unwrap();
    let json: Function = prop(&response, "json").unchecked_into();
    let body = settle(json.call0(&response).unwrap()).await.unwrap();
    (prop(&body, "attempts").as_f64().unwrap(), prop(&prop(&body, "elsewhere"), "hits").as_f64().unwrap())
}

/// An `onRetry` callback that records what it is given.
fn recorder() -> (Array, Closure<dyn FnMut(JsValue)>) {
    let seen = Array::new();
    let record = Closure::<dyn FnMut(JsValue)>::new({
        let seen = seen.clone();
        move |info: JsValue| {
            seen.push(&info);
        }
    });
    (seen, record)
}

/// Asserts a rejection is a PowerPostError with this code and status, and returns it.
fn expect_error(result: Result<JsValue, JsValue>, code: &str, status: Option<f64>) -> JsValue {
    let error = result.expect_err("the call should have rejected");
    assert!(error.is_instance_of::<js_sys::Error>(), "not an Error: {error:?}");
    assert_eq!(prop(&error, "name").as_string().as_deref(), Some("PowerPostError"));
    assert_eq!(prop(&error, "code").as_string().as_deref(), Some(code), "{:?}", prop(&error, "message"));
    assert_eq!(prop(&error, "status").as_f64(), status);
    assert!(prop(&error, "stack").as_string().is_some_and(|stack| !stack.is_empty()));
    let message = prop(&error, "message").as_string().unwrap();
    assert!(!message.contains(demo_key()) && !message.contains("pp_live_sk_demo"), "key in message: {message}");
    assert!(!prop(&error, "stack").as_string().unwrap().contains(demo_key()), "key in stack");
    error
}

#[wasm_bindgen_test]
async fn the_demo_key_reads_a_balance_of_47_with_request_id_and_rate_limit() {
    for auth in ["x-api-key", "bearer"] {
        let result =
            credits(demo_key(), options(&[("baseUrl", s(&format!("{}/api/v1", sandbox()))), ("auth", s(auth))]))
                .await
                .unwrap();
        assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
        assert!(prop(&result, "requestId").as_string().unwrap().starts_with("req_"));
        let rate_limit = prop(&result, "rateLimit");
        assert!(prop(&rate_limit, "limit").as_f64().unwrap() > 0.0);
        assert!(prop(&rate_limit, "resetAt").as_f64().unwrap() > 1.7e9);
    }
}

#[wasm_bindgen_test]
async fn a_client_holds_options_that_calls_override() {
    let id = scenario("client");
    let client =
        CreditsClient::new(s(demo_key()), options(&[("baseUrl", s(&scenario_url(&id, "ok"))), ("maxRetries", n(0.0))]))
            .unwrap();
    let result = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
    let other = scenario("client-override");
    let overridden = settle(client.get_credits(options(&[("baseUrl", s(&scenario_url(&other, "status-401")))]))).await;
    expect_error(overridden, "INVALID_API_KEY", Some(401.0));
    assert_eq!(stats(&id).await.0, 1.0);
    assert_eq!(stats(&other).await.0, 1.0, "maxRetries 0 from the client still applies");
}

#[wasm_bindgen_test]
async fn bad_keys_reject_before_any_request() {
    let id = scenario("bad-keys");
    let base = options(&[("baseUrl", s(&scenario_url(&id, "ok")))]);
    let bad: [JsValue; 9] = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        n(42.0),
        s(""),
        s("sk_live_abc"),
        s("pp_live_sk_abc def"),
        s("pp_live_sk_abc\r\nx-injected: 1"),
        s("pp_live_sk_abc\n"),
        s(&format!("pp_live_sk_{}", "a".repeat(10_000))),
    ];
    for key in bad {
        let error = expect_error(settle(get_credits(key.clone(), base.clone())).await, "INVALID_ARGUMENT", None);
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some("apiKey"));
        assert_eq!(prop(&error, "retryable").as_bool(), Some(false));
        if let Some(key) = key.as_string().filter(|k| k.len() > 4) {
            assert!(!prop(&error, "message").as_string().unwrap().contains(&key));
        }
    }
    assert!(CreditsClient::new(s("nope"), JsValue::UNDEFINED).is_err());
    assert_eq!(stats(&id).await.0, 0.0, "no request may be sent for a bad key");
}

#[wasm_bindgen_test]
async fn bad_options_name_their_field_and_send_nothing() {
    let id = scenario("bad-options");
    let url = s(&scenario_url(&id, "ok"));
    let cases: [(JsValue, &str); 9] = [
        (options(&[("baseUrl", url.clone()), ("timeoutMs", n(-1.0))]), "options.timeoutMs"),
        (options(&[("baseUrl", url.clone()), ("timeoutMs", n(f64::NAN))]), "options.timeoutMs"),
        (options(&[("baseUrl", url.clone()), ("maxRetries", n(1.5))]), "options.maxRetries"),
        (options(&[("baseUrl", s("http://powerpost.ai/api/v1"))]), "options.baseUrl"),
        (options(&[("baseUrl", url.clone()), ("auth", s("basic"))]), "options.auth"),
        (options(&[("baseUrl", url.clone()), ("signal", s("stop"))]), "options.signal"),
        (options(&[("baseUrl", url.clone()), ("fetch", n(1.0))]), "options.fetch"),
        (options(&[("baseUrl", url.clone()), ("onRetry", Object::new().into())]), "options.onRetry"),
        (s("fast"), "options"),
    ];
    for (options, field) in cases {
        let error = expect_error(credits(demo_key(), options).await, "INVALID_ARGUMENT", None);
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some(field));
    }
    assert_eq!(stats(&id).await.0, 0.0);
}

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

/// A signal that aborts `after_ms` from now.
fn abort_after(after_ms: i32) -> web_sys::AbortSignal {
    let controller = web_sys::AbortController::new().unwrap();
    let abort = Closure::once_into_js({
        let controller = controller.clone();
        move || controller.abort()
    });
    let set_timeout: Function = Reflect::get(&js_sys::global(), &s("setTimeout")).unwrap().unchecked_into();
    set_timeout.call2(&JsValue::UNDEFINED, &abort, &JsValue::from(after_ms)).unwrap();
    controller.signal()
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

/// A stand-in `fetch` that records each `[url, init]` and answers 200 `{"balance": 5}`.
fn recording_fetch(calls: &Array) -> Closure<dyn FnMut(JsValue, JsValue) -> JsValue> {
    let calls = calls.clone();
    Closure::new(move |url: JsValue, init: JsValue| -> JsValue {
        calls.push(&Array::of2(&url, &init));
        let response = web_sys::Response::new_with_opt_str(Some(r#"{"balance": 5}"#)).unwrap();
        Promise::resolve(&response).into()
    })
}

/// The header `name` of the `init` a recording fetch was called with the `index`th time.
fn sent_header(calls: &Array, index: u32, name: &str) -> Option<String> {
    let init = calls.get(index).unchecked_into::<Array>().get(1);
    prop(&init, "headers").unchecked_into::<web_sys::Headers>().get(name).unwrap()
}

#[wasm_bindgen_test]
async fn every_call_builds_its_own_request_and_keeps_none() {
    let calls = Array::new();
    let fetch = recording_fetch(&calls);
    let client = CreditsClient::new(s(demo_key()), options(&[("fetch", fetch.as_ref().clone())])).unwrap();
    for _ in 0..2 {
        settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    }
    let init_of = |index: u32| calls.get(index).unchecked_into::<Array>().get(1);
    assert!(!Object::is(&init_of(0), &init_of(1)), "no request is reused from module memory");
    assert_eq!(sent_header(&calls, 1, "x-api-key").as_deref(), Some(demo_key()));
}

#[wasm_bindgen_test]
async fn an_injected_fetch_gets_the_key_only_in_the_chosen_header() {
    let calls = Array::new();
    let fetch = recording_fetch(&calls);
    let opts = options(&[("fetch", fetch.as_ref().clone()), ("auth", s("bearer"))]);
    let result = credits(demo_key(), opts).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(5.0));
    assert_eq!(prop(&result, "requestId"), JsValue::NULL);
    assert_eq!(calls.length(), 1);
    let call: Array = calls.get(0).unchecked_into();
    let url = call.get(0).as_string().unwrap();
    assert_eq!(url, "https://powerpost.ai/api/v1/account/credits");
    let init = call.get(1);
    assert_eq!(prop(&init, "redirect").as_string().as_deref(), Some("manual"));
    assert_eq!(prop(&init, "credentials").as_string().as_deref(), Some("omit"));
    assert_eq!(sent_header(&calls, 0, "authorization"), Some(format!("Bearer {}", demo_key())));
    assert_eq!(sent_header(&calls, 0, "x-api-key"), None);
}

#[wasm_bindgen_test]
async fn a_misbehaving_fetch_is_an_error_not_a_trap() {
    // What fetch threw is the cause; its message, without the key, is in the error's.
    let throwing = Function::new_no_args(&format!("throw new TypeError('boom for {}')", demo_key()));
    let error = expect_error(
        credits(demo_key(), options(&[("fetch", throwing.into()), ("maxRetries", n(0.0))])).await,
        "NETWORK_ERROR",
        None,
    );
    assert_eq!(prop(&error, "message").as_string().as_deref(), Some("network error: boom for pp_live_sk_…0047"));
    assert!(prop(&error, "cause").is_instance_of::<js_sys::TypeError>());
    let long = Function::new_no_args("throw 'x'.repeat(5000)");
    let error = expect_error(
        credits(demo_key(), options(&[("fetch", long.into()), ("maxRetries", n(0.0))])).await,
        "NETWORK_ERROR",
        None,
    );
    assert_eq!(prop(&error, "message").as_string().as_deref(), Some("network error"), "a message too long to read");
    assert_eq!(prop(&error, "cause").as_string().map(|cause| cause.len()), Some(5000));
    let garbage = Function::new_no_args("return 42");
    expect_error(credits(demo_key(), options(&[("fetch", garbage.into())])).await, "INVALID_RESPONSE", None);
    // The module still works afterwards.
    let result = credits(demo_key(), options(&[("baseUrl", s(&format!("{}/api/v1", sandbox())))])).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
}

/// Calls with a hostile `fetch`, no retries, and checks the module still answers afterwards.
async fn with_hostile_fetch(body: &str, timeout_ms: f64) -> JsValue {
    let fetch = Function::new_no_args(body);
    let opts = options(&[("fetch", fetch.into()), ("maxRetries", n(0.0)), ("timeoutMs", n(timeout_ms))]);
    let outcome = credits(demo_key(), opts).await.expect_err("a hostile fetch gives an error");
    let after = credits(demo_key(), options(&[("baseUrl", s(&format!("{}/api/v1", sandbox())))])).await.unwrap();
    assert_eq!(prop(&after, "balance").as_f64(), Some(47.0), "the module keeps working after `{body}`");
    outcome
}

#[wasm_bindgen_test]
async fn a_hostile_fetch_settles_with_a_power_post_error_and_leaves_the_module_working() {
    let error = expect_error(Err(with_hostile_fetch("return 42", 1000.0).await), "INVALID_RESPONSE", None);
    assert!(prop(&error, "message").as_string().unwrap().ends_with("something that is not a Response"));
    let error =
        expect_error(Err(with_hostile_fetch("return Promise.reject('x')", 1000.0).await), "NETWORK_ERROR", None);
    assert_eq!(prop(&error, "message").as_string().as_deref(), Some("network error: x"));
    assert_eq!(prop(&error, "cause").as_string().as_deref(), Some("x"));
    let error = expect_error(Err(with_hostile_fetch("throw 7", 1000.0).await), "NETWORK_ERROR", None);
    assert_eq!(prop(&error, "cause").as_f64(), Some(7.0));
    let error = expect_error(Err(with_hostile_fetch("return new Promise(() => {})", 100.0).await), "TIMEOUT", None);
    assert_eq!(prop(&error, "message").as_string().as_deref(), Some("request timed out after 100 ms"));
    let thenable = "return { then() { throw new RangeError('odd') } }";
    expect_error(Err(with_hostile_fetch(thenable, 1000.0).await), "NETWORK_ERROR", None);
    let no_body = "return Promise.resolve(new Response(new ReadableStream({ pull(c) { c.error('gone') } })))";
    let error = expect_error(Err(with_hostile_fetch(no_body, 1000.0).await), "NETWORK_ERROR", None);
    // Node rejects text() with the stream's own error ("gone"), Chromium with a TypeError.
    assert!(!prop(&error, "cause").is_undefined());
}

#[wasm_bindgen_test]
async fn what_on_retry_throws_is_ignored() {
    let id = scenario("throwing-hook");
    let throwing = Function::new_no_args("throw new Error('a broken logger')");
    let opts = options(&[("baseUrl", s(&scenario_url(&id, "status-503,ok"))), ("onRetry", throwing.into())]);
    let result = credits(demo_key(), opts).await.unwrap();
    assert_eq!(prop(&result, "balance").as_f64(), Some(47.0));
    assert_eq!(stats(&id).await.0, 2.0);
}

#[wasm_bindgen_test]
fn hostile_plans_throw_named_invalid_arguments_and_the_module_keeps_working() {
    let huge = s(&"x".repeat(10_000_000));
    let made = |body: &str| Function::new_no_args(body).call0(&JsValue::UNDEFINED).unwrap();
    let hostile = [
        (
            made("let plan = {}; for (let n = 0; n < 100000; n++) plan = { caption: plan }; return plan"),
            "caption.caption",
        ),
        (made("let list = 1; for (let n = 0; n < 100000; n++) list = [list]; return { images: list }"), "images[0]"),
        (made("const plan = { images: [{}] }; plan.images[0].model = plan; return plan"), "images[0].model"),
        (made("return { images: [{ get quantity() { throw new Error('boom') } }] }"), "images[0].quantity"),
        (made("return { caption: new Proxy({}, { ownKeys() { throw new Error('no') } }) }"), "caption"),
        (made("return { images: new Array(100000).fill({}) }"), "images"),
        (JsValue::UNDEFINED, "plan"),
        (JsValue::NULL, "plan"),
        (s("plan"), "plan"),
        (Array::new().into(), "plan"),
        (js_sys::Date::new_0().into(), "plan"),
        (js_sys::Map::new().into(), "plan"),
        (options(&[("images", Array::of1(&options(&[("quantity", n(f64::NAN))])).into())]), "images[0].quantity"),
        (options(&[("images", Array::of1(&options(&[("quantity", n(1e308))])).into())]), "images[0].quantity"),
        (options(&[("images", Array::of1(&options(&[("model", huge)])).into())]), "images[0].model"),
        (options(&[("publish", options(&[("postTypes", Array::of1(&JsValue::NULL).into())]))]), "publish.postTypes[0]"),
    ];
    let good = options(&[("caption", options(&[("researchMode", s("regular"))]))]);
    for (plan, field) in hostile {
        let error = estimate_cost(plan, JsValue::UNDEFINED).expect_err(field);
        assert_eq!(prop(&error, "code").as_string().as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some(field));
        let estimate = estimate_cost(good.clone(), JsValue::UNDEFINED).unwrap();
        assert_eq!(prop(&estimate, "total").as_f64(), Some(6.0));
    }
}

/// Resolves after `ms`.
async fn sleep(ms: i32) {
    let set_timeout: Function = Reflect::get(&js_sys::global(), &s("setTimeout")).unwrap().unchecked_into();
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms)).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Settles every promise; their outcomes in order.
async fn all_settled(promises: Vec<Promise>) -> Vec<Result<JsValue, JsValue>> {
    let mut outcomes = Vec::new();
    for promise in promises {
        outcomes.push(settle(promise).await);
    }
    outcomes
}

fn client(base_url: &str, more: &[(&str, JsValue)]) -> CreditsClient {
    let mut pairs = vec![("baseUrl", s(base_url))];
    pairs.extend(more.iter().cloned());
    CreditsClient::new(s(demo_key()), options(&pairs)).unwrap()
}

#[wasm_bindgen_test]
async fn twenty_overlapping_calls_of_a_client_share_one_request() {
    let id = scenario("shared");
    let client = client(&scenario_url(&id, "slow-300"), &[]);
    let calls: Vec<Promise> = (0..20).map(|_| client.get_credits(JsValue::UNDEFINED)).collect();
    let results = all_settled(calls).await;
    let ids: Vec<String> =
        results.iter().map(|result| prop(result.as_ref().unwrap(), "requestId").as_string().unwrap()).collect();
    assert!(ids.iter().all(|request_id| *request_id == ids[0]), "{ids:?}");
    assert_eq!(stats(&id).await.0, 1.0);
    // The top-level getCredits never shares.
    let other = scenario("not-shared");
    let base = options(&[("baseUrl", s(&scenario_url(&other, "slow-300")))]);
    all_settled(vec![get_credits(s(demo_key()), base.clone()), get_credits(s(demo_key()), base)]).await;
    assert_eq!(stats(&other).await.0, 2.0);
}

#[wasm_bindgen_test]
async fn a_caller_that_aborts_leaves_at_once_and_the_request_goes_on_for_the_others() {
    let id = scenario("leave-one");
    let client = client(&scenario_url(&id, "slow-1500"), &[]);
    let started = js_sys::Date::now();
    let leaving = client.get_credits(options(&[("signal", abort_after(100).into())]));
    let staying = [client.get_credits(JsValue::UNDEFINED), client.get_credits(JsValue::UNDEFINED)];
    expect_error(settle(leaving).await, "ABORTED", None);
    assert!(js_sys::Date::now() - started < 1000.0, "the aborting caller did not wait for the request");
    for result in all_settled(staying.to_vec()).await {
        assert_eq!(prop(&result.unwrap(), "balance").as_f64(), Some(47.0));
    }
    let stats = scenario_stats(&id).await;
    assert_eq!((prop(&stats, "attempts").as_f64(), prop(&stats, "cancelled").as_f64()), (Some(1.0), Some(0.0)));
}

#[wasm_bindgen_test]
async fn the_request_is_aborted_when_all_its_callers_have_aborted() {
    let id = scenario("leave-all");
    let client = client(&scenario_url(&id, "slow-3000"), &[]);
    let calls: Vec<Promise> =
        (0..3).map(|_| client.get_credits(options(&[("signal", abort_after(100).into())]))).collect();
    for result in all_settled(calls).await {
        expect_error(result, "ABORTED", None);
    }
    sleep(300).await;
    let stats = scenario_stats(&id).await;
    assert_eq!((prop(&stats, "attempts").as_f64(), prop(&stats, "cancelled").as_f64()), (Some(1.0), Some(1.0)));
}

#[wasm_bindgen_test]
async fn max_age_answers_from_the_kept_result_then_asks_again() {
    let id = scenario("max-age");
    let client = client(&scenario_url(&id, "ok"), &[("maxAgeMs", n(400.0))]);
    let first = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    let kept = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&kept, "requestId"), prop(&first, "requestId"));
    assert_eq!(stats(&id).await.0, 1.0);
    let asked = settle(client.get_credits(options(&[("maxAgeMs", n(0.0))]))).await.unwrap();
    assert_ne!(prop(&asked, "requestId"), prop(&first, "requestId"));
    sleep(500).await;
    settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(stats(&id).await.0, 3.0, "asked again once the kept result was older than maxAgeMs");
}

#[wasm_bindgen_test]
fn options_only_some_calls_read_are_refused_by_the_others() {
    let error = CreditsClient::new(s(demo_key()), options(&[("rateCard", Object::new().into())])).err().unwrap();
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("options.rateCard"));
    let message = prop(&error, "message").as_string().unwrap();
    assert!(
        message.ends_with("expected one of baseUrl, timeoutMs, maxRetries, auth, signal, fetch, onRetry, maxAgeMs"),
        "{message}"
    );
    let client = client(&format!("{}/api/v1", sandbox()), &[]);
    let error = client.watch(options(&[("intervalMs", n(10.0))])).unwrap_err();
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("options.intervalMs"));
    let error = client.watch(options(&[("thresholds", Array::of1(&s("low")).into())])).unwrap_err();
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("options.thresholds[0]"));
}

#[wasm_bindgen_test]
async fn the_top_level_get_credits_refuses_max_age() {
    let error = expect_error(credits(demo_key(), options(&[("maxAgeMs", n(5.0))])).await, "INVALID_ARGUMENT", None);
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("options.maxAgeMs"));
    assert_eq!(
        prop(&error, "message").as_string().as_deref(),
        Some("options.maxAgeMs is not a known field; expected one of baseUrl, timeoutMs, maxRetries, auth, signal, fetch, onRetry")
    );
}

/// The watch's next `count` events, as `type threshold balance (previous)`.
async fn events(watch: &JsValue, count: usize) -> Vec<String> {
    let next: Function = prop(watch, "next").unchecked_into();
    let mut seen = Vec::new();
    for _ in 0..count {
        let step = settle(next.call0(watch).unwrap()).await.unwrap();
        assert_eq!(prop(&step, "done").as_bool(), Some(false));
        let event = prop(&step, "value");
        let credits = prop(&event, "credits");
        seen.push(format!(
            "{} {} {} ({})",
            prop(&event, "type").as_string().unwrap(),
            prop(&event, "threshold").as_f64().map_or(String::from("-"), |t| t.to_string()),
            prop(&credits, "balance").as_f64().unwrap(),
            prop(&event, "previous").as_f64().map_or(String::from("-"), |p| p.to_string()),
        ));
    }
    seen
}

#[wasm_bindgen_test]
async fn a_watch_says_each_change_and_each_crossing_once() {
    let id = scenario("watch");
    let client = client(&scenario_url(&id, "balance-47,balance-30,balance-30,balance-12,balance-50"), &[]);
    let thresholds = Array::of2(&n(40.0), &n(20.0));
    let watch = client.watch(options(&[("intervalMs", n(1000.0)), ("thresholds", thresholds.into())])).unwrap();
    assert_eq!(
        events(&watch, 8).await,
        [
            "balance - 47 (-)",
            "balance - 30 (47)",
            "low 40 30 (-)",
            "balance - 12 (30)",
            "low 20 12 (-)",
            "balance - 50 (12)",
            "recovered 20 50 (-)",
            "recovered 40 50 (-)"
        ]
    );
    assert_eq!(stats(&id).await.0, 5.0, "the unchanged 30 was polled and said nothing");
    let stop: Function = prop(&watch, "stop").unchecked_into();
    let next: Function = prop(&watch, "next").unchecked_into();
    let pending = next.call0(&watch).unwrap();
    stop.call0(&watch).unwrap();
    let done = settle(pending).await.unwrap();
    assert_eq!(prop(&done, "done").as_bool(), Some(true));
    sleep(1200).await;
    assert_eq!(stats(&id).await.0, 5.0, "nothing is polled after stop()");
}

#[wasm_bindgen_test]
async fn a_watch_waits_for_the_rate_limit_reset_before_it_polls_again() {
    let id = scenario("watch-limited");
    let client = client(&scenario_url(&id, "limit-1per3,balance-10"), &[]);
    let watch = client.watch(options(&[("intervalMs", n(1000.0))])).unwrap();
    let next: Function = prop(&watch, "next").unchecked_into();
    let first = prop(&settle(next.call0(&watch).unwrap()).await.unwrap(), "value");
    let reset_at_ms = prop(&prop(&prop(&first, "credits"), "rateLimit"), "resetAt").as_f64().unwrap() * 1000.0;
    assert_eq!(prop(&prop(&prop(&first, "credits"), "rateLimit"), "remaining").as_f64(), Some(0.0));
    let second = prop(&settle(next.call0(&watch).unwrap()).await.unwrap(), "value");
    assert_eq!(prop(&prop(&second, "credits"), "balance").as_f64(), Some(10.0));
    assert!(js_sys::Date::now() >= reset_at_ms, "the second poll came before resetAt");
    let stop: Function = prop(&watch, "stop").unchecked_into();
    stop.call0(&watch).unwrap();
}

#[wasm_bindgen_test]
async fn an_invalid_key_ends_the_watch_by_throwing() {
    let client =
        CreditsClient::new(s("pp_live_sk_unknown"), options(&[("baseUrl", s(&format!("{}/api/v1", sandbox())))]))
            .unwrap();
    let watch = client.watch(JsValue::UNDEFINED).unwrap();
    let next: Function = prop(&watch, "next").unchecked_into();
    expect_error(settle(next.call0(&watch).unwrap()).await, "INVALID_API_KEY", Some(401.0));
    let after = settle(next.call0(&watch).unwrap()).await.unwrap();
    assert_eq!(prop(&after, "done").as_bool(), Some(true));
}

fn sample_plan() -> JsValue {
    let post_types: JsValue = Array::of3(&s("instagram-feed"), &s("x-post"), &s("linkedin-post")).into();
    options(&[
        ("caption", options(&[("researchMode", s("regular")), ("postTypes", post_types.clone())])),
        ("images", Array::of1(&Object::new()).into()),
        ("publish", options(&[("postTypes", post_types)])),
    ])
}

#[wasm_bindgen_test]
async fn can_afford_estimates_reads_the_balance_and_compares() {
    let base = options(&[("baseUrl", s(&format!("{}/api/v1", sandbox())))]);
    let preflight = settle(can_afford(s(demo_key()), sample_plan(), base.clone())).await.unwrap();
    assert_eq!(prop(&preflight, "affordable").as_bool(), Some(true));
    assert_eq!(prop(&preflight, "cost").as_f64(), Some(13.0));
    assert_eq!(prop(&preflight, "remaining").as_f64(), Some(34.0));
    assert_eq!(prop(&prop(&preflight, "estimate"), "total").as_f64(), Some(13.0));
    assert_eq!(prop(&prop(&preflight, "credits"), "balance").as_f64(), Some(47.0));

    let video = options(&[("durationSeconds", n(10.0)), ("audio", JsValue::TRUE)]);
    let costly = options(&[("videos", Array::of1(&video).into())]);
    let preflight = settle(can_afford(s(demo_key()), costly, base.clone())).await.unwrap();
    assert_eq!(prop(&preflight, "affordable").as_bool(), Some(false));
    assert_eq!(prop(&preflight, "shortfall").as_f64(), Some(3.0));

    let estimate = estimate_cost(sample_plan(), JsValue::UNDEFINED).unwrap();
    let preflight = settle(can_afford(s(demo_key()), estimate.clone(), base)).await.unwrap();
    assert!(Object::is(&prop(&preflight, "estimate"), &estimate), "an estimate is taken as it is");

    let id = scenario("can-afford-bad-plan");
    let bad = options(&[("images", Array::of1(&options(&[("quantity", n(9.0))])).into())]);
    let result = settle(can_afford(s(demo_key()), bad, options(&[("baseUrl", s(&scenario_url(&id, "ok")))]))).await;
    let error = expect_error(result, "INVALID_ARGUMENT", None);
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("images[0].quantity"));
    assert_eq!(stats(&id).await.0, 0.0, "no request for a bad plan");

    // Every field of a call is named from one root: the rate card's own checks too.
    for (rate_card, field) in [
        (options(&[("caption", options(&[("deep", n(-1.0))]))]), "options.rateCard.caption.deep"),
        (options(&[("version", s(""))]), "options.rateCard.version"),
    ] {
        let result = settle(can_afford(s(demo_key()), sample_plan(), options(&[("rateCard", rate_card)]))).await;
        let error = expect_error(result, "INVALID_ARGUMENT", None);
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some(field));
    }
}

#[wasm_bindgen_test]
async fn a_clients_can_afford_uses_its_kept_results() {
    let id = scenario("can-afford-kept");
    let client = client(&scenario_url(&id, "ok"), &[("maxAgeMs", n(60_000.0))]);
    let credits = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    let preflight = settle(client.can_afford(sample_plan(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&prop(&preflight, "credits"), "requestId"), prop(&credits, "requestId"));
    assert_eq!(stats(&id).await.0, 1.0);
}
