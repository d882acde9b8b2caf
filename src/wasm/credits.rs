//! `getCredits`, `canAfford` and `CreditsClient`: the key and options are read and checked at
//! once, before any request; a call itself is a Rust `async fn` that wasm-bindgen-futures
//! turns into the Promise returned. A client's calls share requests and keep results
//! (`crate::credits::shared`); the top-level functions do neither.

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde::{de, Deserialize, Deserializer, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{from_js, to_js};
use super::error::to_js_error;
use super::transport::{aborted, WebTransport};
use super::watch::{BalanceWatch, Poll};
use crate::credits::call::Failure;
use crate::credits::key::ApiKey;
use crate::credits::options::{Request, RequestOptions};
use crate::credits::response::Credits;
use crate::credits::shared::{self, Call, Requests};
use crate::credits::watch::WatchOptions;
use crate::error::PowerPostError;
use crate::input::Number;
use crate::pricing::estimate::estimate_with_options;
use crate::pricing::plan::{EstimateOptions, PostPlan};
use crate::pricing::settle::{check_balance, Affordability, Cost};

pub(crate) type Options = RequestOptions<Signal, Callback>;

/// `options.signal`.
#[derive(Clone)]
pub(crate) struct Signal(AbortSignal);

/// `options.fetch` or `options.onRetry`.
#[derive(Clone, PartialEq)]
pub(crate) struct Callback(Function);

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value: JsValue = serde_wasm_bindgen::preserve::deserialize(deserializer)?;
        value.dyn_into().map(Signal).map_err(|_| de::Error::custom("must be an AbortSignal"))
    }
}

impl<'de> Deserialize<'de> for Callback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value: JsValue = serde_wasm_bindgen::preserve::deserialize(deserializer)?;
        value.dyn_into().map(Callback).map_err(|_| de::Error::custom("must be a function"))
    }
}

fn read_options(options: JsValue) -> Result<Options, PowerPostError> {
    Ok(from_js::<Option<Options>>(options, "options", "options.")?.unwrap_or_default())
}

fn rejected(error: PowerPostError) -> Promise {
    Promise::reject(&to_js_error(&error, None))
}

/// What tells a client's requests apart: calls with equal ids send the same request.
#[derive(Clone, PartialEq)]
pub(crate) struct RequestId {
    request: Request,
    timeout_ms: u32,
    max_retries: u32,
    fetch: Option<Callback>,
    on_retry: Option<Callback>,
}

fn signal_of(options: &Options) -> Option<AbortSignal> {
    options.signal.as_ref().map(|Signal(signal)| signal.clone())
}

/// One call without a client: it shares nothing and keeps nothing. Its caller's signal makes
/// it leave, which drops, and so aborts, the request.
async fn credits_alone(key: ApiKey, options: Options) -> Result<Credits, Failure<JsValue>> {
    shared::alone(call(&key, &options)?, aborted(signal_of(&options))).await
}

fn settled<T: Serialize>(outcome: Result<T, Failure<JsValue>>) -> Result<JsValue, JsValue> {
    outcome.map(|value| to_js(&value)).map_err(|failure| to_js_error(&failure.error, failure.cause))
}

/// Checks a PowerPost API key and options, then asks for the account's credit balance.
#[wasm_bindgen(js_name = getCredits, skip_typescript)]
pub fn get_credits(api_key: JsValue, options: JsValue) -> Promise {
    let read = || -> Result<_, PowerPostError> {
        let key = from_js(api_key, "apiKey", "")?;
        let options = read_options(options)?;
        options.refuse_max_age()?;
        options.refuse_rate_card()?;
        Ok((key, options))
    };
    match read() {
        Ok((key, options)) => future_to_promise(async move { settled(credits_alone(key, options).await) }),
        Err(error) => rejected(error),
    }
}

/// Estimates `plan` (or takes a `CostEstimate` as it is) and reads the balance: whether it
/// covers the cost.
#[wasm_bindgen(js_name = canAfford, skip_typescript)]
pub fn can_afford(api_key: JsValue, plan: JsValue, options: JsValue) -> Promise {
    let read = || -> Result<_, PowerPostError> {
        let key = from_js(api_key, "apiKey", "")?;
        let options = read_options(options)?;
        options.refuse_max_age()?;
        Ok((key, Priced::of(plan, &options)?, options))
    };
    match read() {
        Ok((key, priced, options)) => future_to_promise(async move {
            let credits = credits_alone(key, options).await;
            settled(credits.and_then(|credits| priced.preflight(credits)))
        }),
        Err(error) => rejected(error),
    }
}

/// Holds a key and default options for repeated calls, which share requests when they
/// overlap and reuse results younger than `maxAgeMs`.
#[wasm_bindgen(js_name = CreditsClient, skip_typescript)]
pub struct CreditsClient {
    key: ApiKey,
    options: Options,
    requests: Rc<Requests<RequestId, JsValue>>,
}

#[wasm_bindgen(js_class = CreditsClient)]
impl CreditsClient {
    /// Checks the key and options once; throws `INVALID_ARGUMENT` when either is malformed.
    #[wasm_bindgen(constructor)]
    pub fn new(api_key: JsValue, options: JsValue) -> Result<CreditsClient, JsValue> {
        let read = || -> Result<_, PowerPostError> {
            let key = from_js(api_key, "apiKey", "")?;
            let options = read_options(options)?;
            options.refuse_rate_card()?;
            Ok(CreditsClient { key, options, requests: Requests::new() })
        };
        read().map_err(|error| to_js_error(&error, None))
    }

    /// Asks for the balance; per-call options override the client's, one by one.
    #[wasm_bindgen(js_name = getCredits)]
    pub fn get_credits(&self, options: JsValue) -> Promise {
        let read = || -> Result<_, PowerPostError> {
            let options = self.options.overridden_by(&read_options(options)?);
            options.refuse_rate_card()?;
            Ok(options)
        };
        match read() {
            Ok(options) => {
                let credits = self.credits(options);
                future_to_promise(async move { settled(credits.await) })
            }
            Err(error) => rejected(error),
        }
    }

    /// `canAfford` with this client's key and options (its results count for `maxAgeMs`).
    #[wasm_bindgen(js_name = canAfford)]
    pub fn can_afford(&self, plan: JsValue, options: JsValue) -> Promise {
        let read = || -> Result<_, PowerPostError> {
            let options = self.options.overridden_by(&read_options(options)?);
            Ok((Priced::of(plan, &options)?, options))
        };
        match read() {
            Ok((priced, options)) => {
                let credits = self.credits(options);
                future_to_promise(async move { settled(credits.await.and_then(|credits| priced.preflight(credits))) })
            }
            Err(error) => rejected(error),
        }
    }

    /// Polls the balance; an async iterable of balance, low, recovered and error events.
    /// Throws `INVALID_ARGUMENT` for bad options.
    #[wasm_bindgen(js_name = watch)]
    pub fn watch(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let options = from_js::<Option<WatchOptions<Signal>>>(options, "options", "options.");
        let options = options.map_err(|error| to_js_error(&error, None))?.unwrap_or_default();
        let signal = options.signal.as_ref().map(|Signal(signal)| signal.clone());
        let (requests, key, client_options) = (Rc::clone(&self.requests), self.key.clone(), self.options.clone());
        // Each poll is a call with the client's own options, never answered from kept results,
        // and left when the watch ends.
        let poll: Poll = Box::new(move |ended: AbortSignal| {
            let (requests, call) = (Rc::clone(&requests), call(&key, &client_options));
            Box::pin(async move { requests.get(call?, 0.0, aborted(Some(ended))).await })
        });
        Ok(BalanceWatch::start(&options, signal, poll))
    }
}

impl CreditsClient {
    /// A client call with `options`: shared, kept for `maxAgeMs`, and left at once when its
    /// own signal aborts.
    fn credits(&self, options: Options) -> impl std::future::Future<Output = Result<Credits, Failure<JsValue>>> {
        let (requests, call) = (Rc::clone(&self.requests), call(&self.key, &options));
        async move { requests.get(call?, options.max_age_ms(), aborted(signal_of(&options))).await }
    }
}

/// A client's call with `options`, as `Requests` shares it.
fn call(key: &ApiKey, options: &Options) -> Result<Call<RequestId, WebTransport>, Failure<JsValue>> {
    let request = options.request(key);
    let id = RequestId {
        request: request.clone(),
        timeout_ms: options.timeout_ms(),
        max_retries: options.max_retries(),
        fetch: options.fetch.clone(),
        on_retry: options.on_retry.clone(),
    };
    let function = |callback: &Option<Callback>| callback.as_ref().map(|Callback(function)| function.clone());
    let transport = WebTransport::new(function(&options.fetch), function(&options.on_retry), options.timeout_ms())?;
    Ok(Call { id, transport, request, key: key.clone(), max_retries: options.max_retries() })
}

/// The estimate `canAfford` checks the balance against.
struct Priced {
    total: f64,
    /// As JS gets it back: the estimate made, or the one given, as it is.
    estimate: JsValue,
}

impl Priced {
    /// `plan` estimated (with `options.rateCard`), or taken as it is when it is a
    /// `CostEstimate` (an object with `total`, `items` and `rateCardVersion`).
    fn of(plan: JsValue, options: &Options) -> Result<Self, PowerPostError> {
        let has = |key: &str| Reflect::has(&plan, &JsValue::from_str(key)).unwrap_or(false);
        if plan.is_object() && has("total") && has("items") && has("rateCardVersion") {
            let total = from_js::<Cost>(plan.clone(), "plan", "plan.")?.credits("plan")?;
            return Ok(Priced { total, estimate: plan });
        }
        let plan: PostPlan = from_js(plan, "plan", "")?;
        let estimate = estimate_with_options(&plan, &EstimateOptions { rate_card: options.rate_card.clone() })?;
        Ok(Priced { total: estimate.total as f64, estimate: to_js(&estimate) })
    }

    fn preflight(self, credits: Credits) -> Result<Preflight, Failure<JsValue>> {
        let affordability = check_balance(Number(credits.balance), self.total)?;
        Ok(Preflight { affordability, estimate: self.estimate, credits })
    }
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
