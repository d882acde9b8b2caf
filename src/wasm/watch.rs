//! `BalanceWatch`: a watch (`crate::credits::watch`) as an async iterator of events. Its
//! `next()` calls run one after another; `stop()`, the caller's signal and leaving a
//! `for await` end it, and then nothing it started (a poll, a wait) goes on.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use gloo_events::EventListener;
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, AbortSignal};

use super::convert::{to_js, Signal};
use super::error::to_js_error;
use super::transport::WebClock;
use crate::credits::requests::CallResult;
use crate::credits::response::Credits;
use crate::credits::watch::{Event, Watch, WatchOptions};

#[wasm_bindgen(module = "/src/js/watch.js")]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(watch: JsValue) -> JsValue;
}

/// One poll: a call that is left when the given signal (the watch's end) aborts.
pub(crate) type Poll = Box<dyn Fn(AbortSignal) -> LocalBoxFuture<'static, CallResult<JsValue>>>;

/// Watches a client's balance; `for await (const event of client.watch(options))`.
#[wasm_bindgen(js_name = BalanceWatch, skip_typescript)]
pub struct BalanceWatch {
    state: Rc<State>,
}

struct State {
    /// Taken out while a `next()` runs; gone for good once the watch has ended.
    watch: RefCell<Option<Watch<JsValue>>>,
    /// Aborted when the watch ends.
    ended: AbortController,
    poll: Poll,
    /// Ends the watch when the caller's signal aborts; removed when it ends.
    listener: RefCell<Option<EventListener>>,
    /// The last `next()`'s promise: the next one waits for it.
    last: RefCell<Option<Promise>>,
}

impl BalanceWatch {
    /// Runs `watch` (made from `options`) by `poll`, until `options.signal` or the caller ends it.
    pub(crate) fn start(options: &WatchOptions<Signal>, watch: Watch<JsValue>, poll: Poll) -> JsValue {
        let signal = Signal::given(&options.signal);
        let ended = AbortController::new().unwrap_throw();
        let listener = signal.as_ref().map(|signal| {
            let ended = ended.clone();
            EventListener::once(signal, "abort", move |_| end(&ended))
        });
        if signal.is_some_and(|signal| signal.aborted()) {
            end(&ended);
        }
        let state = State {
            watch: RefCell::new(Some(watch)),
            ended,
            poll,
            listener: RefCell::new(listener),
            last: RefCell::new(None),
        };
        async_iterable(BalanceWatch { state: Rc::new(state) }.into())
    }
}

#[wasm_bindgen(js_class = BalanceWatch)]
impl BalanceWatch {
    /// The next event, `{ value, done: false }`; `{ done: true }` once the watch has ended.
    /// Rejects with the error that ended the watch.
    pub fn next(&self) -> Promise {
        let (state, previous) = (Rc::clone(&self.state), self.state.last.borrow_mut().take());
        let promise = future_to_promise(async move {
            if let Some(previous) = previous {
                let _settled = JsFuture::from(previous).await;
            }
            state.step().await
        });
        *self.state.last.borrow_mut() = Some(promise.clone());
        promise
    }

    /// Ends the watch: a pending `next()` resolves `{ done: true }`.
    pub fn stop(&self) {
        self.state.end();
    }

    /// What `for await` calls when its loop is left: ends the watch.
    #[wasm_bindgen(js_name = "return")]
    pub fn leave(&self) -> Promise {
        self.state.end();
        Promise::resolve(&to_js(&Done { done: true }))
    }
}

impl State {
    fn end(&self) {
        end(&self.ended);
        self.listener.borrow_mut().take();
    }

    async fn step(&self) -> Result<JsValue, JsValue> {
        let ended = self.ended.signal();
        let Some(mut watch) = self.watch.borrow_mut().take().filter(|_| !ended.aborted()) else {
            return Ok(to_js(&Done { done: true }));
        };
        let clock = WebClock::until(ended.clone());
        let outcome = watch.next(&clock, || (self.poll)(ended.clone())).await;
        if ended.aborted() {
            return Ok(to_js(&Done { done: true }));
        }
        match outcome {
            Ok(event) => {
                *self.watch.borrow_mut() = Some(watch);
                Ok(to_js(&Next { value: JsEvent::from(event), done: false }))
            }
            Err(failure) => {
                self.end();
                Err(to_js_error(&failure.error, failure.cause))
            }
        }
    }
}

/// Aborts a watch's `ended` controller. With a reason of its own: the default one is an
/// `AbortError` whose stack keeps the receivers of its frames (the watch among them) alive as
/// long as the watch's state holds the controller, and so the watch is never collected.
fn end(ended: &AbortController) {
    ended.abort_with_reason(&JsValue::from_str("the watch ended"));
}

#[derive(Serialize)]
struct Next {
    value: JsEvent,
    done: bool,
}

#[derive(Serialize)]
struct Done {
    done: bool,
}

/// A `BalanceEvent` as JS gets it.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum JsEvent {
    Balance {
        credits: Credits,
        previous: Option<f64>,
    },
    Low {
        threshold: u32,
        credits: Credits,
    },
    Recovered {
        threshold: u32,
        credits: Credits,
    },
    Error {
        #[serde(with = "serde_wasm_bindgen::preserve")]
        error: JsValue,
    },
}

impl From<Event<JsValue>> for JsEvent {
    fn from(event: Event<JsValue>) -> Self {
        match event {
            Event::Balance { credits, previous } => JsEvent::Balance { credits, previous },
            Event::Low { threshold, credits } => JsEvent::Low { threshold, credits },
            Event::Recovered { threshold, credits } => JsEvent::Recovered { threshold, credits },
            Event::Error(failure) => JsEvent::Error { error: to_js_error(&failure.error, failure.cause) },
        }
    }
}
