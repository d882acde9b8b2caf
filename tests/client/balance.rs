//! Reading the balance: the demo key, a client's options, keys and options refused before any
//! request, and the request each call builds (its one auth header), through the global fetch or
//! one given.

use js_sys::{Array, Function, Object, Promise};
use powerpost_credits::wasm::{get_credits, CreditsClient};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

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
