//! A client's calls: overlapping ones share one request, each caller free to leave; results kept
//! for maxAgeMs; options only some calls take.

use js_sys::{Array, Object, Promise};
use powerpost_credits::wasm::{get_credits, CreditsClient};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

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
    assert!(message.ends_with("onRetry, maxAgeMs, store, storeTimeoutMs, onStoreError"), "{message}");
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
