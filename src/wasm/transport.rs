//! A call's way to the network in the runtime, and the runtime's clock: `fetch` through web-sys
//! (the global one, never `window`, or the caller's), each attempt with its own
//! `AbortController` and timeout; waits on `setTimeout`. A call its callers leave is dropped,
//! and that aborts its request and clears its timers. Whatever `fetch` does (throw, reject
//! with anything, resolve to something that is not a `Response`, never settle) ends as a
//! `PowerPostError`; nothing is unwrapped.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestCredentials, RequestInit, RequestRedirect, ResponseType};

use super::convert::to_js;
use super::error::to_js_error;
use crate::credits::call::{CallbackFailed, Clock, Failure, Network, Retry};
use crate::credits::options::Request;
use crate::credits::response::{RawResponse, ResponseHeaders};
use crate::error::PowerPostError;

#[wasm_bindgen]
extern "C" {
    /// The runtime's global `fetch`, bound as gloo-net binds it, so that pages, workers and
    /// Node alike are served.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Result<JsValue, JsValue>;
}

/// A thrown message longer than this (in UTF-16 units) is left out of ours; `cause` keeps it.
const MAX_THROWN_MESSAGE: usize = 1024;

/// How one call reaches the server.
pub(crate) struct WebNetwork {
    /// `options.fetch`, or `None` for the global one.
    fetch: Option<Function>,
    on_retry: Option<Function>,
    timeout_ms: u32,
}

impl WebNetwork {
    pub(crate) fn new(
        fetch: Option<Function>,
        on_retry: Option<Function>,
        timeout_ms: u32,
    ) -> Result<Self, PowerPostError> {
        let has_global_fetch = Reflect::has(&js_sys::global(), &JsValue::from_str("fetch")).unwrap_or(false);
        if fetch.is_none() && !has_global_fetch {
            return Err(PowerPostError::invalid_argument(
                "options.fetch",
                "is required: this runtime has no global fetch",
            ));
        }
        Ok(Self { fetch, on_retry, timeout_ms })
    }
}

/// The runtime's clock: `Date.now()`, `setTimeout` and `Math.random()`.
#[derive(Clone)]
pub(crate) struct WebClock {
    /// Cuts a wait short (a watch's end); calls are left by dropping them instead.
    signal: Option<AbortSignal>,
}

impl WebClock {
    /// A clock whose waits only time can end.
    pub(crate) fn new() -> Self {
        Self { signal: None }
    }

    /// A clock whose waits end as soon as `signal` aborts (a watch between polls).
    pub(crate) fn until(signal: AbortSignal) -> Self {
        Self { signal: Some(signal) }
    }
}

/// Aborts an attempt's request unless the attempt read it whole: when the call was given up
/// (dropped), timed out or failed, the request stops. A request read whole is let go as it is,
/// since aborting it would change nothing and costs the runtime an `AbortError` to build.
struct AbortOnDrop {
    controller: AbortController,
    read_whole: bool,
}

impl AbortOnDrop {
    fn new() -> Result<Self, JsValue> {
        Ok(Self { controller: AbortController::new()?, read_whole: false })
    }

    fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// The request was read whole: nothing is left to stop.
    fn read_whole(mut self) {
        self.read_whole = true;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if !self.read_whole {
            self.controller.abort();
        }
    }
}

impl Network for WebNetwork {
    type Cause = JsValue;
    type Body = JsValue;

    async fn send(&self, request: &Request) -> Result<RawResponse<JsValue>, Failure<JsValue>> {
        let abort = AbortOnDrop::new().map_err(network)?;
        let init = request_init(request, &abort.signal()).map_err(network)?;
        let alarm = Alarm::new(Some(self.timeout_ms), None);
        let timed_out = || Failure::from(PowerPostError::timeout(self.timeout_ms));
        let returned = match &self.fetch {
            Some(fetch) => fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(&request.url), &init),
            None => global_fetch(&request.url, &init),
        };
        let resolved = alarm.before(&returned.map_err(network)?).await.ok_or_else(timed_out)?;
        let response = resolved
            .map_err(network)?
            .dyn_into::<web_sys::Response>()
            .map_err(|_| PowerPostError::invalid_transport("fetch resolved to something that is not a Response"))?;
        // Browsers hide a redirect's status from `redirect: "manual"`; other runtimes show the 3xx.
        if response.type_() == ResponseType::Opaqueredirect {
            return Err(PowerPostError::redirect(None).into());
        }
        let (status, headers) = {
            // `Clone::clone`: web-sys's own `clone` is JS `Response.clone()`, a second body.
            let read = gloo_net::http::Response::from(Clone::clone(&response));
            let headers = read.headers();
            (read.status(), ResponseHeaders::read(|name| headers.get(name)))
        };
        let body = response.text().map_err(network)?;
        let body = alarm.before(&body).await.ok_or_else(timed_out)?.map_err(network)?;
        abort.read_whole();
        // Parsed by the runtime, and read by the same reader as caller input.
        let body = body.as_string().and_then(|text| js_sys::JSON::parse(&text).ok());
        Ok(RawResponse { status, headers, body })
    }

    fn on_retry(&self, retry: &Retry) -> Result<(), CallbackFailed> {
        let Some(on_retry) = &self.on_retry else { return Ok(()) };
        let info =
            RetryInfo { attempt: retry.attempt, delay_ms: retry.delay_ms, error: to_js_error(retry.error, None) };
        on_retry.call1(&JsValue::UNDEFINED, &to_js(&info)).map(drop).map_err(|_| CallbackFailed)
    }
}

impl Clock for WebClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }

    async fn wait(&self, delay_ms: f64) -> Result<(), PowerPostError> {
        let alarm = Alarm::new(Some(delay_ms as u32), self.signal.as_ref());
        let _rung = JsFuture::from(alarm.rung.clone()).await;
        if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            Err(PowerPostError::aborted())
        } else {
            Ok(())
        }
    }
}

/// What `onRetry` is called with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryInfo {
    attempt: u32,
    delay_ms: f64,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    error: JsValue,
}

/// `GET`, the key in its one header, redirects not followed (so the key is never sent on to
/// another origin; `"manual"`, since workerd refuses `"error"`), no cookies, and the attempt's
/// own signal.
fn request_init(request: &Request, signal: &AbortSignal) -> Result<RequestInit, JsValue> {
    let headers = Headers::new()?;
    let (name, value) = &request.auth_header;
    headers.set(name, value)?;
    headers.set("accept", "application/json")?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(signal));
    Ok(init)
}

/// A `NETWORK_ERROR` for what `fetch` (or reading the body) threw, which becomes its `cause`.
fn network(thrown: JsValue) -> Failure<JsValue> {
    let message = thrown.as_string().or_else(|| {
        // Read with Reflect, which catches: a hostile thrown value may throw again.
        let is_error = thrown.is_instance_of::<js_sys::Error>();
        is_error.then(|| Reflect::get(&thrown, &JsValue::from_str("message")).ok()?.as_string()).flatten()
    });
    let message = message.filter(|message| message.encode_utf16().count() <= MAX_THROWN_MESSAGE);
    Failure { error: PowerPostError::network(message.as_deref().unwrap_or_default()), cause: Some(thrown) }
}

/// Resolves as soon as `signal` aborts (never without one): when a caller leaves a call. When
/// it has already aborted, at the first poll.
pub(crate) async fn aborted(signal: Option<AbortSignal>) {
    let Some(signal) = signal else { return std::future::pending().await };
    if signal.aborted() {
        return;
    }
    let alarm = Alarm::new(None, Some(&signal));
    let _rung = JsFuture::from(alarm.rung.clone()).await;
}

/// Rings after a number of milliseconds (if given) or as soon as the caller's signal aborts,
/// whichever comes first. Dropping it clears the timer and removes the listener, so nothing
/// outlives the attempt or wait it guards.
struct Alarm {
    rung: Promise,
    has_rung: Rc<Cell<bool>>,
    /// Settles `rung` when the alarm is dropped unrung: a `JsFuture` of a promise that never
    /// settles keeps its callbacks, and itself, alive for good.
    settle: Function,
    _timer: Option<Timeout>,
    _listener: Option<EventListener>,
}

impl Drop for Alarm {
    fn drop(&mut self) {
        let _ = self.settle.call0(&JsValue::UNDEFINED);
    }
}

impl Alarm {
    fn new(ms: Option<u32>, signal: Option<&AbortSignal>) -> Self {
        let mut resolve = None;
        let rung = Promise::new(&mut |resolve_rung, _reject| resolve = Some(resolve_rung));
        // A Promise's executor runs before `new` returns.
        let resolve = resolve.unwrap_throw();
        let settle = resolve.clone();
        let has_rung = Rc::new(Cell::new(false));
        let ring = {
            let has_rung = Rc::clone(&has_rung);
            move || {
                has_rung.set(true);
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        };
        let listener = signal.map(|signal| {
            let ring = ring.clone();
            EventListener::once(signal, "abort", move |_| ring())
        });
        if signal.is_some_and(AbortSignal::aborted) {
            ring();
        }
        Alarm { rung, has_rung, settle, _timer: ms.map(|ms| Timeout::new(ms, ring)), _listener: listener }
    }

    /// What `value` (a promise or not) settles to, unless the alarm rings first.
    async fn before(&self, value: &JsValue) -> Option<Result<JsValue, JsValue>> {
        let first = JsFuture::from(Promise::race(&Array::of2(value, &self.rung))).await;
        (!self.has_rung.get()).then_some(first)
    }
}
