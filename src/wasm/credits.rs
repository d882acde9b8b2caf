//! `getCredits` and `CreditsClient`: the key and options are read and checked at once, before
//! any request; the call itself is a Rust `async fn` that wasm-bindgen-futures turns into the
//! Promise returned.

use js_sys::{Function, Promise};
use serde::{de, Deserialize, Deserializer};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{from_js, to_js};
use super::error::to_js_error;
use super::transport::WebTransport;
use crate::credits::call;
use crate::credits::key::ApiKey;
use crate::credits::options::RequestOptions;
use crate::error::PowerPostError;

type Options = RequestOptions<Signal, Callback>;

/// `options.signal`.
#[derive(Clone)]
struct Signal(AbortSignal);

/// `options.fetch` or `options.onRetry`.
#[derive(Clone)]
struct Callback(Function);

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

/// Checks a PowerPost API key and options, then asks for the account's credit balance.
#[wasm_bindgen(js_name = getCredits, skip_typescript)]
pub fn get_credits(api_key: JsValue, options: JsValue) -> Promise {
    let read = from_js(api_key, "apiKey", "").and_then(|key| Ok((key, read_options(options)?)));
    match read {
        Ok((key, options)) => future_to_promise(credits(key, options)),
        Err(error) => rejected(error),
    }
}

/// Holds a key and default options for repeated `getCredits` calls.
#[wasm_bindgen(js_name = CreditsClient, skip_typescript)]
pub struct CreditsClient {
    key: ApiKey,
    options: Options,
}

#[wasm_bindgen(js_class = CreditsClient)]
impl CreditsClient {
    /// Checks the key and options once; throws `INVALID_ARGUMENT` when either is malformed.
    #[wasm_bindgen(constructor)]
    pub fn new(api_key: JsValue, options: JsValue) -> Result<CreditsClient, JsValue> {
        let read =
            from_js(api_key, "apiKey", "").and_then(|key| Ok(CreditsClient { key, options: read_options(options)? }));
        read.map_err(|error| to_js_error(&error, None))
    }

    /// Asks for the balance; per-call options override the client's, one by one.
    #[wasm_bindgen(js_name = getCredits)]
    pub fn get_credits(&self, options: JsValue) -> Promise {
        match read_options(options) {
            Ok(options) => future_to_promise(credits(self.key.clone(), self.options.overridden_by(&options))),
            Err(error) => rejected(error),
        }
    }
}

/// One call, start to end: it resolves with the `Credits` or rejects with the `PowerPostError`.
async fn credits(key: ApiKey, options: Options) -> Result<JsValue, JsValue> {
    let RequestOptions { signal, fetch, on_retry, .. } = &options;
    let transport = WebTransport::new(
        fetch.as_ref().map(|Callback(fetch)| fetch.clone()),
        signal.as_ref().map(|Signal(signal)| signal.clone()),
        on_retry.as_ref().map(|Callback(on_retry)| on_retry.clone()),
        options.timeout_ms(),
    )
    .map_err(|error| to_js_error(&error, None))?;
    match call::get_credits(&transport, &options.request(&key), &key, options.max_retries()).await {
        Ok(credits) => Ok(to_js(&credits)),
        Err(failure) => Err(to_js_error(&failure.error, failure.cause)),
    }
}
