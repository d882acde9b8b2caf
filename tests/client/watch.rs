//! Watching the balance: each change and each crossing once, paced by the rate limit, ended by an
//! error not worth retrying.

use js_sys::{Array, Function};
use powerpost_credits::wasm::CreditsClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

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
