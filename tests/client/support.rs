//! What every part of the suite shares: the sandbox's origin and demo key, scenarios, JS
//! values built and read, and awaiting the package's promises.

use js_sys::{Array, Function, Object, Promise, Reflect};
use powerpost_credits::wasm::{get_credits, CreditsClient};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub(crate) const NO_SCOPE_KEY: &str = "pp_live_sk_noscope00000000000000000403";

// Not `env!`: the suite must still build (for clippy, say) where no sandbox runs.
#[allow(clippy::option_env_unwrap)]
pub(crate) fn sandbox() -> &'static str {
    option_env!("POWERPOST_SANDBOX").expect("build with POWERPOST_SANDBOX=<sandbox origin> (make test does)")
}

/// The sandbox's demo key (its `DEMO_KEY`), which has a balance of 47.
#[allow(clippy::option_env_unwrap)]
pub(crate) fn demo_key() -> &'static str {
    option_env!("POWERPOST_DEMO_KEY").expect("build with POWERPOST_DEMO_KEY=<the sandbox's DEMO_KEY> (make test does)")
}

/// A fresh scenario id, so repeated runs and both runtimes never share counts.
pub(crate) fn scenario(name: &str) -> String {
    format!("{name}-{}", (js_sys::Math::random() * 1e12) as u64)
}

pub(crate) fn scenario_url(id: &str, steps: &str) -> String {
    format!("{}/_sandbox/{id}/{steps}/api/v1", sandbox())
}

pub(crate) fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

pub(crate) fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

pub(crate) fn n(number: f64) -> JsValue {
    JsValue::from_f64(number)
}

pub(crate) fn prop(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap()
}

/// Awaits what the package returned, which must be a real Promise.
pub(crate) async fn settle(promise: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise.into().dyn_into::<Promise>().expect("a Promise")).await
}

pub(crate) async fn credits(key: &str, options: JsValue) -> Result<JsValue, JsValue> {
    settle(get_credits(s(key), options)).await
}

/// The sandbox's stats of a scenario.
pub(crate) async fn scenario_stats(id: &str) -> JsValue {
    let fetch: Function = Reflect::get(&js_sys::global(), &s("fetch")).unwrap().unchecked_into();
    let url = format!("{}/_sandbox/{id}/stats", sandbox());
    let response = settle(fetch.call1(&JsValue::UNDEFINED, &s(&url)).unwrap()).await.unwrap();
    let json: Function = prop(&response, "json").unchecked_into();
    settle(json.call0(&response).unwrap()).await.unwrap()
}

/// How many requests the sandbox saw for a scenario, and whether the other origin was reached.
pub(crate) async fn stats(id: &str) -> (f64, f64) {
    let fetch: Function = Reflect::get(&js_sys::global(), &s("fetch")).unwrap().unchecked_into();
    let url = format!("{}/_sandbox/{id}/stats", sandbox());
    let response = settle(fetch.call1(&JsValue::UNDEFINED, &s(&url)).unwrap()).await.unwrap();
    let json: Function = prop(&response, "json").unchecked_into();
    let body = settle(json.call0(&response).unwrap()).await.unwrap();
    (prop(&body, "attempts").as_f64().unwrap(), prop(&prop(&body, "elsewhere"), "hits").as_f64().unwrap())
}

/// An `onRetry` callback that records what it is given.
pub(crate) fn recorder() -> (Array, Closure<dyn FnMut(JsValue)>) {
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
pub(crate) fn expect_error(result: Result<JsValue, JsValue>, code: &str, status: Option<f64>) -> JsValue {
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

/// Resolves after `ms`.
pub(crate) async fn sleep(ms: i32) {
    let set_timeout: Function = Reflect::get(&js_sys::global(), &s("setTimeout")).unwrap().unchecked_into();
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms)).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Settles every promise; their outcomes in order.
pub(crate) async fn all_settled(promises: Vec<Promise>) -> Vec<Result<JsValue, JsValue>> {
    let mut outcomes = Vec::new();
    for promise in promises {
        outcomes.push(settle(promise).await);
    }
    outcomes
}

pub(crate) fn client(base_url: &str, more: &[(&str, JsValue)]) -> CreditsClient {
    let mut pairs = vec![("baseUrl", s(base_url))];
    pairs.extend(more.iter().cloned());
    CreditsClient::new(s(demo_key()), options(&pairs)).unwrap()
}

/// A signal that aborts `after_ms` from now.
pub(crate) fn abort_after(after_ms: i32) -> web_sys::AbortSignal {
    let controller = web_sys::AbortController::new().unwrap();
    let abort = Closure::once_into_js({
        let controller = controller.clone();
        move || controller.abort()
    });
    let set_timeout: Function = Reflect::get(&js_sys::global(), &s("setTimeout")).unwrap().unchecked_into();
    set_timeout.call2(&JsValue::UNDEFINED, &abort, &JsValue::from(after_ms)).unwrap();
    controller.signal()
}
