//! `getCredits`, `canAfford` and `CreditsClient`: the key and options are read and checked at
//! once, before any request; a call itself is a Rust `async fn` that wasm-bindgen-futures
//! turns into the Promise returned. A client's calls share requests and keep results
//! (`crate::credits::shared`); the top-level functions do neither.

use std::future::Future;
use std::rc::Rc;

use js_sys::Promise;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{from_js, to_js, Callback, Signal, StoreObject};
use super::error::to_js_error;
use super::store::JsStore;
use super::transport::{aborted, WebClock, WebNetwork};
use super::watch::{BalanceWatch, Poll};
use crate::afford::{Estimate, Priced};
use crate::credits::call::Clock;
use crate::credits::call::Failure;
use crate::credits::key::ApiKey;
use crate::credits::options::{
    max_age_ms, AffordOptions, ClientAffordOptions, ClientOptions, MaxAge, Request, RequestOptions, StoreOptions,
};
use crate::credits::requests::{self, observed_credits, Call, Requests};
use crate::credits::response::Credits;
use crate::credits::store::{store_key, StoreConfig};
use crate::credits::watch::{Watch, WatchOptions};
use crate::error::PowerPostError;
use crate::input::Path;
use crate::pricing::settle::Affordability;

pub(crate) type Options = RequestOptions<Signal, Callback>;
/// A client's or a call's `store`, `storeTimeoutMs` and `onStoreError`.
type JsStoreOptions = StoreOptions<StoreObject, Callback>;

/// The key argument, named as a whole.
const API_KEY: Path = Path::argument("apiKey");

/// Where a call's options are: `options.timeoutMs`, `options.rateCard.version`.
const OPTIONS: Path = Path::argument("options");

/// A call's `options` argument; absent, `undefined` and `null` all mean none given.
fn read_options<T: for<'de> Deserialize<'de> + Default>(options: JsValue) -> Result<T, PowerPostError> {
    Ok(from_js::<Option<T>>(options, &OPTIONS)?.unwrap_or_default())
}

/// The Promise of a call: it rejects at once with what `read` refused (a bad key, option or
/// plan), before any request; else it settles with what `read`'s future gives.
fn promise<T: Serialize, F: Future<Output = Result<T, Failure<JsValue>>> + 'static>(
    read: impl FnOnce() -> Result<F, PowerPostError>,
) -> Promise {
    match read() {
        Ok(call) => future_to_promise(async move {
            call.await.map(|value| to_js(&value)).map_err(|failure| to_js_error(&failure.error, failure.cause))
        }),
        Err(error) => Promise::reject(&to_js_error(&error, None)),
    }
}

/// What tells a client's requests apart: calls with equal fingerprints send the same request.
#[derive(Clone, PartialEq)]
pub(crate) struct RequestFingerprint {
    request: Request,
    timeout_ms: u32,
    max_retries: u32,
    fetch: Option<Callback>,
    on_retry: Option<Callback>,
}

/// One call without a client: it shares nothing and keeps nothing. Its caller's signal makes
/// it leave, which drops, and so aborts, the request.
async fn credits_alone(key: ApiKey, options: Options) -> Result<Credits, Failure<JsValue>> {
    requests::alone(call_with(&key, &options)?, aborted(Signal::given(&options.signal))).await
}

/// Checks a PowerPost API key and options, then asks for the account's credit balance.
#[wasm_bindgen(js_name = getCredits, skip_typescript)]
pub fn get_credits(api_key: JsValue, options: JsValue) -> Promise {
    promise(|| {
        let key = from_js(api_key, &API_KEY)?;
        let options: Options = read_options(options)?;
        Ok(credits_alone(key, options))
    })
}

/// Estimates `plan` (or takes a `CostEstimate` as it is) and reads the balance: whether it
/// covers the cost.
#[wasm_bindgen(js_name = canAfford, skip_typescript)]
pub fn can_afford(api_key: JsValue, plan: JsValue, options: JsValue) -> Promise {
    promise(|| {
        let key = from_js(api_key, &API_KEY)?;
        let options: AffordOptions<Signal, Callback> = read_options(options)?;
        // An async fn sends nothing until it is polled: a bad plan still rejects before any request.
        let credits = credits_alone(key, options.request_options());
        let priced = Priced::of(plan, options.rate_card, &OPTIONS)?;
        Ok(async move { preflight(priced, credits.await?) })
    })
}

/// Holds a key and default options for repeated calls, which share requests when they
/// overlap and reuse results younger than `maxAgeMs`.
#[wasm_bindgen(js_name = CreditsClient, skip_typescript)]
pub struct CreditsClient {
    key: ApiKey,
    options: Options,
    max_age: Option<MaxAge>,
    store_options: JsStoreOptions,
    requests: Rc<Requests<RequestFingerprint, JsValue>>,
}

#[wasm_bindgen(js_class = CreditsClient)]
impl CreditsClient {
    /// Checks the key and options once; throws `INVALID_ARGUMENT` when either is malformed.
    #[wasm_bindgen(constructor)]
    pub fn new(api_key: JsValue, options: JsValue) -> Result<CreditsClient, JsValue> {
        let read = || -> Result<_, PowerPostError> {
            let key = from_js(api_key, &API_KEY)?;
            let options: ClientOptions<Signal, Callback, StoreObject> = read_options(options)?;
            let (max_age, store_options) = (options.max_age_ms, options.store_options());
            Ok(CreditsClient {
                key,
                options: options.request_options(),
                max_age,
                store_options,
                requests: Requests::new(),
            })
        };
        read().map_err(|error| to_js_error(&error, None))
    }

    /// Asks for the balance; per-call options override the client's, one by one.
    #[wasm_bindgen(js_name = getCredits)]
    pub fn get_credits(&self, options: JsValue) -> Promise {
        promise(|| {
            let call: ClientOptions<Signal, Callback, StoreObject> = read_options(options)?;
            Ok(self.credits(&call.request_options(), call.max_age_ms, &call.store_options()))
        })
    }

    /// `canAfford` with this client's key and options (its results count for `maxAgeMs`).
    #[wasm_bindgen(js_name = canAfford)]
    pub fn can_afford(&self, plan: JsValue, options: JsValue) -> Promise {
        promise(|| {
            let call: ClientAffordOptions<Signal, Callback, StoreObject> = read_options(options)?;
            let priced = Priced::of(plan, call.rate_card.clone(), &OPTIONS)?;
            let credits = self.credits(&call.request_options(), call.max_age_ms, &call.store_options());
            Ok(async move { preflight(priced, credits.await?) })
        })
    }

    /// Polls the balance; an async iterable of balance, low, recovered and error events.
    /// Throws `INVALID_ARGUMENT` for bad options.
    #[wasm_bindgen(js_name = watch)]
    pub fn watch(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let options: WatchOptions<Signal> = read_options(options).map_err(|error| to_js_error(&error, None))?;
        let watch = Watch::new(&options);
        self.requests.watched_by(watch.observed());
        let (requests, key, client_options) = (Rc::clone(&self.requests), self.key.clone(), self.options.clone());
        let store_options = self.store_options.clone();
        // Each poll is a call with the client's own options, never answered from kept results
        // or the store (which it writes), and left when the watch ends.
        let poll: Poll = Box::new(move |ended: AbortSignal| {
            let (requests, call) = (Rc::clone(&requests), call_with(&key, &client_options));
            let store = store_use(&key, &client_options, &store_options);
            Box::pin(async move { requests.get(call?, 0.0, store, aborted(Some(ended))).await })
        });
        Ok(BalanceWatch::start(&options, watch, poll))
    }

    /// A balance an API response reported (`remaining_credits`), fetched `at` (ms since the
    /// epoch; default now): unless the client's kept result is newer, it becomes that result,
    /// is written to the client's store, and is yielded by its running watches. Returns the
    /// kept result after it.
    #[wasm_bindgen(js_name = observeBalance)]
    pub fn observe_balance(&self, balance: JsValue, at: JsValue) -> Result<JsValue, JsValue> {
        let clock = WebClock::new();
        let read = || -> Result<Credits, PowerPostError> {
            observed_credits(
                from_js(balance, &Path::argument("balance"))?,
                from_js(at, &Path::argument("at"))?,
                clock.now_ms(),
            )
        };
        let credits = read().map_err(|error| to_js_error(&error, None))?;
        let store = store_use(&self.key, &self.options, &self.store_options);
        let fingerprint = fingerprint(&self.key, &self.options);
        Ok(to_js(&self.requests.observe(fingerprint, credits, store, &clock, max_age_ms(self.max_age))))
    }
}

impl CreditsClient {
    /// A client call with the client's options overridden by `call`'s: shared, kept for
    /// `maxAgeMs`, and left at once when its own signal aborts.
    fn credits(
        &self,
        call: &Options,
        max_age: Option<MaxAge>,
        call_store: &JsStoreOptions,
    ) -> impl Future<Output = Result<Credits, Failure<JsValue>>> {
        let options = self.options.overridden_by(call);
        let max_age_ms = max_age_ms(max_age.or(self.max_age));
        let store = store_use(&self.key, &options, &self.store_options.overridden_by(call_store));
        let (requests, call) = (Rc::clone(&self.requests), call_with(&self.key, &options));
        async move { requests.get(call?, max_age_ms, store, aborted(Signal::given(&options.signal))).await }
    }
}

/// The store a client's call uses, if any: its entry is the key's at the call's base URL.
fn store_use(key: &ApiKey, options: &Options, store_options: &JsStoreOptions) -> Option<StoreConfig<JsStore>> {
    let (store, timeout_ms) = (store_options.store()?.clone(), store_options.timeout_ms());
    let on_error = store_options.on_error.as_ref().map(|Callback(function)| function.clone());
    // A claim lasts as long as one attempt may: a claimant that died holds the fleet no longer.
    let claim_ms = f64::from(options.timeout_ms());
    Some(StoreConfig {
        store: JsStore { store, on_error },
        key: store_key(options.base_url(), key),
        timeout_ms,
        claim_ms,
    })
}

/// What tells the request of a client's call with `options` apart.
fn fingerprint(key: &ApiKey, options: &Options) -> RequestFingerprint {
    RequestFingerprint {
        request: options.request(key),
        timeout_ms: options.timeout_ms(),
        max_retries: options.max_retries(),
        fetch: options.fetch.clone(),
        on_retry: options.on_retry.clone(),
    }
}

/// A client's call with `options`, as `Requests` shares it.
fn call_with(
    key: &ApiKey,
    options: &Options,
) -> Result<Call<RequestFingerprint, WebNetwork, WebClock>, Failure<JsValue>> {
    let fingerprint = fingerprint(key, options);
    let request = fingerprint.request.clone();
    let function = |callback: &Option<Callback>| callback.as_ref().map(|Callback(function)| function.clone());
    let network = WebNetwork::new(function(&options.fetch), function(&options.on_retry), options.timeout_ms())?;
    Ok(Call {
        fingerprint,
        network,
        clock: WebClock::new(),
        request,
        key: key.clone(),
        max_retries: options.max_retries(),
    })
}

/// `canAfford`'s answer for `priced` once `credits` came: `checkBalance`'s, the estimate (as
/// given, or the one made) and the credits.
fn preflight(priced: Priced<JsValue>, credits: Credits) -> Result<Preflight, Failure<JsValue>> {
    let affordability = priced.afford(&credits)?;
    let estimate = match priced.estimate {
        Estimate::Made(estimate) => to_js(&estimate),
        Estimate::Given(given) => given,
    };
    Ok(Preflight { affordability, estimate, credits })
}

/// What `canAfford` resolves with: `checkBalance`'s answer, the estimate and the credits.
#[derive(Serialize)]
struct Preflight {
    #[serde(flatten)]
    affordability: Affordability,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    estimate: JsValue,
    credits: Credits,
}
