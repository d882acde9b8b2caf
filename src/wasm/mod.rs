//! The JS boundary (wasm32 only): exports `getCredits`, `CreditsClient` and (in [`pricing`])
//! the estimators (`estimateCost`, `defaultRateCard`, `checkBalance`, `settleCharges`), drives the
//! runtime's `fetch` (never `window`, so Node and workers work too) with timeouts, abort
//! and retries, and turns core errors into JS `PowerPostError`s. Every rule it applies is
//! in the pure modules; this layer only moves values across.

use crate::prelude::*;

use core::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::credits::key::{scrub_api_key, validate_api_key, MAX_KEY_LENGTH};
use crate::credits::options::{AuthScheme, CallSettings, PlainOptions};
use crate::credits::response::{interpret, Credits, ResponseBody, ResponseHeaders, MAX_HEADER_LENGTH};
use crate::credits::retry::{decide, RetryDecision};
use crate::error::{ErrorCode, PowerPostError};
use crate::tape::{TapeValue, KNOWN_STRINGS};
use crate::value::{Text, Value, MAX_TEXT_LENGTH};

mod convert;
mod pricing;

pub use pricing::{check_balance, default_rate_card, estimate_cost, settle_charges};

#[wasm_bindgen(module = "/src/js/boundary.js")]
extern "C" {
    #[wasm_bindgen(js_name = encodeValues)]
    fn encode_values(first: &JsValue, second: &JsValue, pointer: u32, capacity: u32) -> f64;
    #[wasm_bindgen(js_name = copyTape)]
    fn copy_tape(pointer: u32);
    #[wasm_bindgen(js_name = registerStrings)]
    fn register_strings(list: &str, memory: &JsValue);
    /// Sends attempts until `settle` says the call is done (see boundary.js).
    #[wasm_bindgen(js_name = runCall)]
    fn run_call(id: u32, fetch: &JsValue, url: &JsValue, init: &JsValue, timeout_ms: f64, signal: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = registerCallback)]
    fn register_callback(settle: &JsValue);
    #[wasm_bindgen(js_name = globalFetch)]
    fn global_fetch() -> JsValue;
    #[wasm_bindgen(js_name = makeInit)]
    fn make_init(header_name: &str, header_value: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = reportRetry)]
    fn report_retry(on_retry: &JsValue, attempt: u32, delay_ms: f64, error: &JsValue);
    #[wasm_bindgen(js_name = makeCredits)]
    fn make_credits(
        balance: f64,
        headers: &JsValue,
        has_request_id: bool,
        limit: f64,
        remaining: f64,
        reset_at: f64,
    ) -> JsValue;

    #[wasm_bindgen(js_name = createError)]
    #[allow(clippy::too_many_arguments)]
    fn create_error(
        code: &str,
        message: &str,
        status: Option<u16>,
        request_id: Option<String>,
        retry_after_ms: Option<f64>,
        retryable: bool,
        field: Option<String>,
        cause: &JsValue,
    ) -> JsValue;
}

/// The runtime built-ins this layer uses, declared here instead of through js-sys and web-sys:
/// linking those keeps a table entry for every closure type they describe (measured: with
/// `js_sys::global`, 2.5 KB of gzipped wasm and glue).
#[wasm_bindgen]
extern "C" {
    #[derive(Clone)]
    type AbortSignal;
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &AbortSignal) -> bool;
    #[wasm_bindgen(js_namespace = Promise, js_name = reject)]
    fn rejected(error: &JsValue) -> JsValue;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Date)]
    fn now() -> f64;
    #[wasm_bindgen(js_namespace = Math)]
    fn random() -> f64;
}

/// A JS `PowerPostError` carrying everything `error` says.
pub(crate) fn to_js_error(error: PowerPostError, cause: &JsValue) -> JsValue {
    let retryable = error.retryable();
    let error = error.into_details();
    create_error(
        error.code.as_str(),
        &error.message,
        error.status,
        error.request_id,
        error.retry_after_ms,
        retryable,
        error.field,
        cause,
    )
}

fn throw(error: PowerPostError) -> JsValue {
    to_js_error(error, &JsValue::UNDEFINED)
}

/// `object[key]` (the tape has already shown `object` is a plain object with this key).
fn property(object: &JsValue, key: &str) -> JsValue {
    reflect_get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The options only JS can hold, checked.
#[derive(Clone, Default)]
struct JsOptions {
    signal: Option<AbortSignal>,
    fetch: Option<JsValue>,
    on_retry: Option<JsValue>,
}

impl JsOptions {
    /// Reads `signal`, `fetch` and `onRetry` from `options`, but only those the tape showed
    /// are there: reading a property of a JS object costs a boundary crossing each.
    fn decode(options: &JsValue, present: [bool; 3]) -> Result<Self, PowerPostError> {
        let [has_signal, has_fetch, has_on_retry] = present;
        let function = |present: bool, name: &str, path: &str| -> Result<Option<JsValue>, PowerPostError> {
            if !present {
                return Ok(None);
            }
            let value = property(options, name);
            if value.is_function() {
                Ok(Some(value))
            } else {
                Err(PowerPostError::invalid_argument(path, "must be a function"))
            }
        };
        let signal = if has_signal {
            let signal = property(options, "signal").dyn_into::<AbortSignal>();
            Some(signal.map_err(|_| PowerPostError::invalid_argument("options.signal", "must be an AbortSignal"))?)
        } else {
            None
        };
        Ok(Self {
            signal,
            fetch: function(has_fetch, "fetch", "options.fetch")?,
            on_retry: function(has_on_retry, "onRetry", "options.onRetry")?,
        })
    }

    fn overridden_by(&self, overrides: &JsOptions) -> JsOptions {
        JsOptions {
            signal: overrides.signal.clone().or_else(|| self.signal.clone()),
            fetch: overrides.fetch.clone().or_else(|| self.fetch.clone()),
            on_retry: overrides.on_retry.clone().or_else(|| self.on_retry.clone()),
        }
    }
}

/// A call's key (when `api_key` is given) and options, read through one tape.
fn decode_call(
    api_key: Option<&JsValue>,
    options: &JsValue,
) -> Result<(Option<ApiKey>, PlainOptions, JsOptions), JsValue> {
    let undefined = JsValue::UNDEFINED;
    let (key, plain, present) =
        decode_pair((api_key.unwrap_or(&undefined), "apiKey"), (options, "options"), |key, options| {
            let key = match api_key {
                Some(original) => Some(ApiKey::decode(key, original)?),
                None => None,
            };
            let plain = PlainOptions::decode(options)?;
            let present = ["signal", "fetch", "onRetry"].map(|name| !options.get(name).is_undefined());
            Ok((key, plain, present))
        })?;
    let js = JsOptions::decode(options, present).map_err(throw)?;
    Ok((key, plain, js))
}

/// A checked key: as Rust text (for scrubbing messages) and as the caller's own JS string,
/// which becomes the header value without being copied back out of wasm.
#[derive(Clone)]
struct ApiKey {
    text: String,
    js: JsValue,
}

impl ApiKey {
    fn decode(value: &TapeValue, original: &JsValue) -> Result<Self, PowerPostError> {
        let text = match value.as_text(MAX_KEY_LENGTH as u32) {
            Text::Ok(text) => text,
            Text::TooLong => {
                return Err(PowerPostError::invalid_argument("apiKey", "is too long to be a PowerPost key"))
            }
            Text::NotAString => {
                return Err(PowerPostError::invalid_argument("apiKey", "must be a string (your PowerPost secret key)"))
            }
        };
        validate_api_key(&text)?;
        Ok(Self { text, js: original.clone() })
    }
}

/// Checks a PowerPost API key and options, then asks for the account's credit balance.
#[wasm_bindgen(js_name = getCredits, skip_typescript)]
pub fn get_credits(api_key: JsValue, options: JsValue) -> JsValue {
    match decode_call(Some(&api_key), &options) {
        Err(error) => rejected(&error),
        Ok((Some(key), plain, js)) => run(key, plain.settings(), js),
        Ok((None, _, _)) => rejected(&throw(PowerPostError::invalid_argument("apiKey", "is missing"))),
    }
}

/// Holds a key and default options for repeated `getCredits` calls.
#[wasm_bindgen(js_name = CreditsClient, skip_typescript)]
pub struct CreditsClient {
    key: ApiKey,
    plain: PlainOptions,
    js: JsOptions,
}

#[wasm_bindgen(js_class = CreditsClient)]
impl CreditsClient {
    #[wasm_bindgen(constructor)]
    pub fn new(api_key: JsValue, options: JsValue) -> Result<CreditsClient, JsValue> {
        match decode_call(Some(&api_key), &options)? {
            (Some(key), plain, js) => Ok(CreditsClient { key, plain, js }),
            (None, _, _) => Err(throw(PowerPostError::invalid_argument("apiKey", "is missing"))),
        }
    }

    /// Per-call options override the client's, field by field.
    #[wasm_bindgen(js_name = getCredits)]
    pub fn get_credits(&self, options: JsValue) -> JsValue {
        match decode_call(None, &options) {
            Err(error) => rejected(&error),
            Ok((_, plain, js)) => {
                run(self.key.clone(), self.plain.overridden_by(&plain).settings(), self.js.overridden_by(&js))
            }
        }
    }
}

/// `free()` (or garbage collection) also forgets the last request if it carries this key.
impl Drop for CreditsClient {
    fn drop(&mut self) {
        let last = LAST_REQUEST.take();
        if last.as_ref().is_some_and(|request| request.key != self.key.text) {
            LAST_REQUEST.set(last);
        }
    }
}

/// Starts a call: everything is checked here, synchronously; then `runCall` (boundary.js)
/// sends attempts and asks [`settle_attempt`] after each what to do next.
fn run(key: ApiKey, settings: CallSettings, js: JsOptions) -> JsValue {
    if js.signal.as_ref().is_some_and(AbortSignal::aborted) {
        return rejected(&throw(PowerPostError::aborted()));
    }
    let Some(fetch) = js.fetch.clone().or_else(|| Some(global_fetch()).filter(JsValue::is_function)) else {
        return rejected(&throw(PowerPostError::invalid_argument(
            "options.fetch",
            "is required: this runtime has no global fetch",
        )));
    };
    register_settle_callback();
    let (url, init) = Request::for_call(&key, &settings);
    let timeout_ms = f64::from(settings.timeout_ms);
    let signal = js.signal.clone().map_or(JsValue::UNDEFINED, JsValue::from);
    let id = Calls::start(Call { key, settings, signal: js.signal, on_retry: js.on_retry, retries_done: 0 });
    run_call(id, &fetch, &url, &init, timeout_ms, &signal)
}

type Failure = (PowerPostError, JsValue);

/// What a call in progress needs between attempts.
struct Call {
    key: ApiKey,
    settings: CallSettings,
    signal: Option<AbortSignal>,
    on_retry: Option<JsValue>,
    retries_done: u32,
}

/// Calls in progress, by the id `runCall` carries. A slot is freed when its call settles.
struct Calls;

crate::local::local! {
    // Cells, not RefCells, here and below: each is taken out and put back with no JS call in
    // between, and a RefCell's borrow panic would keep core's formatting in the wasm.
    static CALLS: Cell<Vec<Option<Call>>> = const { Cell::new(Vec::new()) };
    static SETTLE_CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

impl Calls {
    fn start(call: Call) -> u32 {
        let mut calls = CALLS.take();
        let id = match calls.iter_mut().enumerate().find(|(_, slot)| slot.is_none()) {
            Some((free, slot)) => {
                *slot = Some(call);
                free
            }
            None => {
                calls.push(Some(call));
                calls.len() - 1
            }
        };
        CALLS.set(calls);
        id as u32
    }

    fn take(id: u32) -> Option<Call> {
        let mut calls = CALLS.take();
        let call = calls.get_mut(id as usize).and_then(Option::take);
        CALLS.set(calls);
        call
    }

    fn put_back(id: u32, call: Call) {
        let mut calls = CALLS.take();
        if let Some(slot) = calls.get_mut(id as usize) {
            *slot = Some(call);
        }
        CALLS.set(calls);
    }
}

/// Hands `runCall` the Rust function it calls after each attempt, once. It lives as long as
/// the module, so it is deliberately never freed.
fn register_settle_callback() {
    if SETTLE_CALLBACK_REGISTERED.with(|done| done.replace(true)) {
        return;
    }
    let settle = Closure::<dyn Fn(u32, u8, f64, JsValue, JsValue, JsValue, JsValue) -> JsValue>::new(settle_attempt);
    register_callback(settle.as_ref());
    settle.forget();
}

/// After an attempt (or a wait between attempts that the caller's signal cut short, which
/// comes as an aborted attempt): the result, the error to reject with, or the delay before a
/// retry (a number; `onRetry` has then been told).
fn settle_attempt(
    id: u32,
    tag: u8,
    status: f64,
    headers: JsValue,
    body: JsValue,
    thrown: JsValue,
    detail: JsValue,
) -> JsValue {
    let Some(mut call) = Calls::take(id) else {
        return throw(PowerPostError::new(ErrorCode::InternalError, "unknown call"));
    };
    let attempt = Attempt { tag, status, headers, body, thrown, detail };
    let (error, cause) = match read_attempt(&call, attempt) {
        Ok((credits, headers)) => return credits_to_js(&credits, &headers),
        Err(failure) => failure,
    };
    let delay_ms = match decide(&error, call.retries_done, call.settings.max_retries, random()) {
        RetryDecision::GiveUp => return to_js_error(error, &cause),
        RetryDecision::RetryAfter { delay_ms } => delay_ms,
    };
    call.retries_done += 1;
    let (attempt, on_retry) = (call.retries_done, call.on_retry.clone());
    // Back in its slot before any user code runs: onRetry may start calls of its own.
    Calls::put_back(id, call);
    if let Some(on_retry) = on_retry {
        report_retry(&on_retry, attempt, delay_ms, &throw(error));
    }
    JsValue::from(delay_ms)
}

/// The URL and fetch options of a call; `runCall` copies the options for each attempt and
/// gives each its own signal.
struct Request {
    url: String,
    auth: AuthScheme,
    key: String,
    url_js: JsValue,
    init: JsValue,
}

crate::local::local! {
    /// The last call's request: repeated calls with the same key and settings reuse it.
    static LAST_REQUEST: Cell<Option<Request>> = const { Cell::new(None) };
}

impl Request {
    fn for_call(key: &ApiKey, settings: &CallSettings) -> (JsValue, JsValue) {
        let same = |request: &Request| {
            request.url == settings.credits_url && request.auth == settings.auth && request.key == key.text
        };
        let request = match LAST_REQUEST.take() {
            Some(last) if same(&last) => last,
            _ => Self::new(key, settings),
        };
        let built = (request.url_js.clone(), request.init.clone());
        LAST_REQUEST.set(Some(request));
        built
    }

    fn new(key: &ApiKey, settings: &CallSettings) -> Self {
        let value = match settings.auth {
            AuthScheme::ApiKeyHeader => key.js.clone(),
            AuthScheme::Bearer => JsValue::from_str(&crate::text::concat(&[settings.auth.value_prefix(), &key.text])),
        };
        let init = make_init(settings.auth.header_name(), &value);
        Self {
            url: settings.credits_url.clone(),
            auth: settings.auth,
            key: key.text.clone(),
            url_js: JsValue::from_str(&settings.credits_url),
            init,
        }
    }
}

/// What one attempt came to, as `sendAttempt` (boundary.js) reports it: `tag` says which of
/// the other fields mean something.
struct Attempt {
    tag: u8,
    /// The response's status; for `NOT_A_RESPONSE`, which part was missing.
    status: f64,
    /// `[x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after]`.
    headers: JsValue,
    /// The body parsed as JSON, or undefined when it is not JSON.
    body: JsValue,
    /// For `FAILED`: what fetch threw, and its message.
    thrown: JsValue,
    detail: JsValue,
}

/// What an attempt means. Succeeds with the credits and the response's header values (for
/// the result object).
fn read_attempt(call: &Call, attempt: Attempt) -> Result<(Credits, JsValue), Failure> {
    const RESPONSE: u8 = 0;
    const NOT_A_RESPONSE: u8 = 1;
    const TIMED_OUT: u8 = 2;
    const ABORTED: u8 = 3;
    let (key, timeout_ms) = (&call.key, call.settings.timeout_ms);
    let Attempt { tag, status, headers, body, thrown, detail } = attempt;
    if tag == RESPONSE {
        let status = if (100.0..=599.0).contains(&status) { status as u16 } else { 0 };
        let now_ms = now();
        // Headers and body in one tape; when the body is too large for one, the headers alone.
        let through_tape = with_tape(&headers, &body, |pair| {
            let body = pair.at(1);
            let body = if body.is_undefined() { ResponseBody::NotJson } else { ResponseBody::Json(body) };
            interpret(status, &response_headers(&pair.at(0)), body, now_ms, &key.text)
        });
        let interpreted = through_tape.unwrap_or_else(|_| {
            with_tape_of(&headers, |headers| {
                interpret::<TapeValue>(status, &response_headers(headers), ResponseBody::TooLarge, now_ms, &key.text)
            })
            .unwrap_or_else(|_| Err(invalid_transport("its headers could not be read")))
        });
        return interpreted.map(|credits| (credits, headers)).map_err(|e| (e, JsValue::UNDEFINED));
    }
    let failure = if tag == NOT_A_RESPONSE && status == 0.0 {
        invalid_transport("fetch resolved to something that is not a Response")
    } else if tag == NOT_A_RESPONSE {
        invalid_transport("the Response has no text() method")
    } else if tag == TIMED_OUT {
        PowerPostError::timeout(timeout_ms)
    } else if tag == ABORTED || call.signal.as_ref().is_some_and(AbortSignal::aborted) {
        PowerPostError::aborted()
    } else {
        // The message crosses through the tape, as all text into Rust does (a message too
        // long for it is left out; the error's `cause` still holds it).
        let detail = with_tape_of(&detail, |detail| match detail.as_text(MAX_TEXT_LENGTH) {
            Text::Ok(text) => text,
            _ => String::new(),
        });
        return Err((PowerPostError::network(&scrub_api_key(&detail.unwrap_or_default(), &key.text)), thrown));
    };
    Err((failure, JsValue::UNDEFINED))
}

/// `[x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after]`.
fn response_headers<V: Value>(values: &V) -> ResponseHeaders {
    let header = |at: u32| match values.at(at).as_text(MAX_HEADER_LENGTH as u32) {
        Text::Ok(text) => Some(text),
        _ => None,
    };
    ResponseHeaders {
        request_id: header(0),
        rate_limit_limit: header(1),
        rate_limit_remaining: header(2),
        rate_limit_reset: header(3),
        retry_after: header(4),
    }
}

fn invalid_transport(why: &str) -> PowerPostError {
    PowerPostError::new(ErrorCode::InvalidResponse, crate::text::concat(&["unexpected response from fetch: ", why]))
}

/// The result object, built in JS around the response's own request-id string.
fn credits_to_js(credits: &Credits, headers: &JsValue) -> JsValue {
    let (limit, remaining, reset_at) = credits
        .rate_limit
        .map_or((-1.0, 0.0, 0.0), |limit| (limit.limit as f64, limit.remaining as f64, limit.reset_at as f64));
    make_credits(credits.balance, headers, credits.request_id.is_some(), limit, remaining, reset_at)
}

crate::local::local! {
    static STRINGS_REGISTERED: Cell<bool> = const { Cell::new(false) };
    /// Tapes in, reused so that a call allocates none.
    static TAPE: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// Gives the JS codec the table of strings that cross as ids, once.
fn register_known_strings() {
    if !STRINGS_REGISTERED.with(|done| done.replace(true)) {
        let mut joined = String::new();
        for (index, name) in KNOWN_STRINGS.iter().enumerate() {
            if index > 0 {
                joined.push('\n');
            }
            joined.push_str(name);
        }
        register_strings(&joined, &wasm_bindgen::memory());
    }
}

/// Reads two JS arguments through one tape and decodes them. An argument the encoder could
/// not read (a property getter threw, or it is far too large) is an `INVALID_ARGUMENT` naming it.
fn decode_pair<R>(
    (first, first_name): (&JsValue, &'static str),
    (second, second_name): (&JsValue, &'static str),
    decode: impl FnOnce(&TapeValue, &TapeValue) -> Result<R, PowerPostError>,
) -> Result<R, JsValue> {
    match with_tape(first, second, |pair| decode(&pair.at(0), &pair.at(1))) {
        Ok(decoded) => decoded.map_err(throw),
        Err(unreadable) => Err(throw(PowerPostError::invalid_argument(
            if unreadable == 2 { second_name } else { first_name },
            "could not be read: it is too large, or a property getter threw",
        ))),
    }
}

/// Slots the tape buffer starts with: every plan, option set and response seen so far fits.
const TAPE_SLOTS: usize = 512;

/// Encodes `[first, second]` in JS into linear memory and reads the tape; or which argument
/// (1 or 2) could not be encoded. The buffer stays at its full length (JS overwrites it, so
/// it is never cleared) and is kept for the next call; it is taken out meanwhile, so a call
/// made from inside the encoding (a getter) simply gets a fresh one.
fn with_tape<R>(first: &JsValue, second: &JsValue, read: impl FnOnce(&TapeValue) -> R) -> Result<R, u8> {
    register_known_strings();
    let mut tape = TAPE.take();
    if tape.len() < TAPE_SLOTS {
        tape.resize(TAPE_SLOTS, 0.0);
    }
    let length = encode_values(first, second, tape.as_mut_ptr() as u32, tape.len() as u32);
    let read = if length >= 0.0 {
        let length = length as usize;
        if length > tape.len() {
            tape.resize(length, 0.0);
            copy_tape(tape.as_mut_ptr() as u32);
        }
        Ok(read(&TapeValue::root(tape.get(..length).unwrap_or_default())))
    } else {
        Err(if length == -2.0 { 2 } else { 1 })
    };
    TAPE.set(tape);
    read
}

/// [`with_tape`] for one value.
fn with_tape_of<R>(value: &JsValue, read: impl FnOnce(&TapeValue) -> R) -> Result<R, u8> {
    with_tape(value, &JsValue::UNDEFINED, |pair| read(&pair.at(0)))
}
