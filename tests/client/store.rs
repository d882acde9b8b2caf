//! A fleet's store as JS gives one: two clients sharing a store answer from one request; a
//! store that throws, or answers garbage, is told to `onStoreError` and breaks no call; a
//! pause another instance wrote is honoured; a balance the app observed is kept, written and
//! yielded by a watch.

use js_sys::{Array, Function};
use powerpost_credits::wasm::CreditsClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

/// A store keeping entries in a `Map`, as an in-memory Keyv does; `get` answers through a
/// promise, `set` at once. An object without a prototype: any object with the two methods is a store.
fn memory_store() -> JsValue {
    Function::new_no_args("const map = new Map(); return Object.assign(Object.create(null), { map, get: async (key) => map.get(key), set: (key, value) => { map.set(key, value); } });")
        .call0(&JsValue::UNDEFINED)
        .unwrap()
}

/// A function that pushes what it is given onto `into`.
fn recorder(into: &Array) -> JsValue {
    Function::new_with_args("into", "return (error) => { into.push(error); };")
        .call1(&JsValue::UNDEFINED, into)
        .unwrap()
}

/// Resolves after `ms`, so that a write the call did not wait for has landed.
async fn pause(ms: i32) {
    let wait = Function::new_with_args("ms", "return new Promise((done) => setTimeout(done, ms));");
    settle(wait.call1(&JsValue::UNDEFINED, &n(f64::from(ms))).unwrap()).await.unwrap();
}

#[wasm_bindgen_test]
async fn two_clients_sharing_a_store_make_one_request() {
    let id = scenario("store-shared");
    let store = memory_store();
    let shared = [("store", store.clone()), ("maxAgeMs", n(60_000.0))];
    let first = settle(client(&scenario_url(&id, "ok"), &shared).get_credits(JsValue::UNDEFINED)).await.unwrap();
    pause(50).await;
    let entries = prop(&store, "map").unchecked_into::<js_sys::Map>();
    assert_eq!(entries.size(), 1);
    let key = entries.keys().next().unwrap().value().as_string().unwrap();
    assert!(key.starts_with("powerpost-credits:v2:") && key.len() == 21 + 64, "{key}");
    let second = settle(client(&scenario_url(&id, "ok"), &shared).get_credits(JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&second, "requestId"), prop(&first, "requestId"));
    assert_eq!(prop(&second, "fetchedAt"), prop(&first, "fetchedAt"));
    assert_eq!(stats(&id).await.0, 1.0);
    // The top-level getCredits takes no store.
    let refused = credits(demo_key(), options(&[("store", store)])).await;
    let error = expect_error(refused, "INVALID_ARGUMENT", None);
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("options.store"));
}

#[wasm_bindgen_test]
async fn a_store_that_throws_or_answers_garbage_is_told_and_bypassed() {
    let stores = [
        (
            "({ get() { throw new Error('down'); }, set() { throw new Error('down'); } })",
            ["store.get failed", "store.set failed"],
        ),
        ("({ get: () => 42, set() {} })", ["store entry ignored: entry must be a plain object", ""]),
    ];
    for (source, expected) in stores {
        let id = scenario("store-broken");
        let store = Function::new_no_args(&format!("return {source};")).call0(&JsValue::UNDEFINED).unwrap();
        let told = Array::new();
        let more = [("store", store), ("onStoreError", recorder(&told))];
        let result = settle(client(&scenario_url(&id, "ok"), &more).get_credits(JsValue::UNDEFINED)).await;
        assert_eq!(prop(&result.unwrap(), "balance").as_f64(), Some(47.0), "{source}");
        pause(50).await;
        let messages: Vec<String> = told.iter().map(|error| prop(&error, "message").as_string().unwrap()).collect();
        let expected: Vec<&str> = expected.into_iter().filter(|message| !message.is_empty()).collect();
        assert_eq!(messages, expected, "{source}");
        assert!(told.iter().all(|error| prop(&error, "code").as_string().as_deref() == Some("STORE_ERROR")));
    }
    let refused = CreditsClient::new(s(demo_key()), options(&[("store", s("redis://localhost"))])).err().unwrap();
    let message = prop(&refused, "message").as_string();
    assert_eq!(message.as_deref(), Some("options.store must be a store: an object with get and set methods"));
}

#[wasm_bindgen_test]
async fn a_pause_over_a_minute_in_the_store_rejects_without_a_request() {
    let id = scenario("store-paused");
    let store = memory_store();
    let first = client(&scenario_url(&id, "ok"), &[("store", store.clone())]);
    settle(first.get_credits(JsValue::UNDEFINED)).await.unwrap();
    pause(50).await;
    // Another instance was told to wait 90 s: it wrote a pause over the entry.
    let entries = prop(&store, "map").unchecked_into::<js_sys::Map>();
    let key = entries.keys().next().unwrap().value();
    let paused = Function::new_no_args("return { version: 2, pausedUntil: Date.now() + 90000 };");
    entries.set(&key, &paused.call0(&JsValue::UNDEFINED).unwrap());
    let error = expect_error(settle(first.get_credits(JsValue::UNDEFINED)).await, "RATE_LIMIT_EXCEEDED", Some(429.0));
    assert!(prop(&error, "retryAfterMs").as_f64().is_some_and(|ms| ms > 60_000.0 && ms <= 90_000.0));
    assert!(prop(&error, "requestId").is_null());
    assert_eq!(stats(&id).await.0, 1.0, "no request after the pause was read");
}

#[wasm_bindgen_test]
async fn an_observed_balance_is_kept_written_to_the_store_and_yielded_by_a_watch() {
    let id = scenario("observed");
    let store = memory_store();
    let client = client(&scenario_url(&id, "balance-42"), &[("store", store.clone()), ("maxAgeMs", n(60_000.0))]);
    let watch = client.watch(options(&[("thresholds", Array::of1(&n(20.0)).into())])).unwrap();
    let next: Function = prop(&watch, "next").unchecked_into();
    let event = |step: JsValue| prop(&step, "value");
    let first = event(settle(next.call0(&watch).unwrap()).await.unwrap());
    assert_eq!(prop(&prop(&first, "credits"), "balance").as_f64(), Some(42.0));
    let polled_at = prop(&prop(&first, "credits"), "fetchedAt").as_f64().unwrap();

    let kept = client.observe_balance(n(14.0), JsValue::UNDEFINED).unwrap();
    assert_eq!((prop(&kept, "balance").as_f64(), prop(&kept, "requestId")), (Some(14.0), JsValue::NULL));
    assert!(prop(&kept, "fetchedAt").as_f64().unwrap() >= polled_at);
    let changed = event(settle(next.call0(&watch).unwrap()).await.unwrap());
    let low = event(settle(next.call0(&watch).unwrap()).await.unwrap());
    assert_eq!(
        (prop(&changed, "type").as_string().as_deref(), prop(&changed, "previous").as_f64()),
        (Some("balance"), Some(42.0))
    );
    assert_eq!(
        (prop(&low, "type").as_string().as_deref(), prop(&low, "threshold").as_f64()),
        (Some("low"), Some(20.0))
    );
    let answered = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&answered, "balance").as_f64(), Some(14.0), "maxAgeMs answers use it");
    assert_eq!(stats(&id).await.0, 1.0, "only the watch's first poll asked");
    pause(50).await;
    let entries = prop(&store, "map").unchecked_into::<js_sys::Map>();
    let entry = entries.values().next().unwrap().value();
    assert_eq!(prop(&entry, "balance").as_f64(), Some(14.0), "written to the store");

    let older = client.observe_balance(n(3.0), n(polled_at - 1.0)).unwrap();
    assert_eq!(prop(&older, "balance").as_f64(), Some(14.0), "an older observation changes nothing");
    expect_error(client.observe_balance(n(1.5), JsValue::UNDEFINED), "INVALID_ARGUMENT", None);
    let error = expect_error(client.observe_balance(n(1.0), s("now")), "INVALID_ARGUMENT", None);
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("at"));
    let stop: Function = prop(&watch, "stop").unchecked_into();
    stop.call0(&watch).unwrap();
}
