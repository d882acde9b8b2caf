//! The host tests' stand-ins for the runtime (test-only): one network and clock, [`Fake`], a
//! store, [`FakeStore`], and the one test key. A test either scripts its answers up front (each attempt gets the next at
//! once) or answers each request itself while it waits (`answer`), as overlapping calls need;
//! the clock moves only by the waits it is asked for.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::task::{Context, Waker};

use futures::channel::oneshot;
use futures::future::LocalBoxFuture;

use super::call::{CallbackFailed, Clock, Failure, Network, Retry};
use super::key::ApiKey;
use super::options::Request;
use super::requests::Call;
use super::response::{RawResponse, ResponseHeaders};
use super::store::{Entry, Store, StoreConfig, Stored};
use crate::error::{ErrorCode, PowerPostError};

/// The key every host test uses.
pub(crate) const KEY: &str = "pp_live_sk_0123456789abcdefWXYZ";

/// What the fake network reports with a failed attempt, as the runtime reports what `fetch` threw.
pub(crate) type Cause = &'static str;

/// A response as the fake network gives it.
pub(crate) type Response = RawResponse<serde_json::Value>;

/// A response of `status` whose body is `body` as the runtime parses it (`None` when not JSON),
/// with the request id `req_<id>`.
pub(crate) fn response(status: u16, body: &str, id: impl std::fmt::Display) -> Response {
    let headers = ResponseHeaders { request_id: Some(format!("req_{id}")), ..ResponseHeaders::default() };
    RawResponse { status, headers, body: serde_json::from_str(body).ok() }
}

/// How a test answers one waiting request.
type Answer = oneshot::Sender<Result<Response, PowerPostError>>;

/// A network and clock that record what calls did with them.
#[derive(Clone, Default)]
pub(crate) struct Fake {
    /// Answers handed out in order, at once, to the attempts that come.
    script: Rc<RefCell<VecDeque<Result<Response, PowerPostError>>>>,
    /// Requests sent past the script, each waiting for the test to `answer` it.
    pending: Rc<RefCell<Vec<Answer>>>,
    sent: Rc<Cell<usize>>,
    /// Requests dropped before they were answered (what aborts them in the runtime).
    pub dropped: Rc<Cell<usize>>,
    pub now_ms: Rc<Cell<f64>>,
    /// Every wait asked of the clock, in ms.
    pub waits: Rc<RefCell<Vec<f64>>>,
    /// Every retry `onRetry` was told of: attempt, delay, code.
    pub retries: Rc<RefCell<Vec<(u32, f64, ErrorCode)>>>,
    /// The wait (counting from 1) during which the caller's signal aborts.
    pub abort_during_wait: Option<usize>,
    /// Whether `onRetry` throws.
    pub retry_hook_fails: bool,
    /// What `jitter` gives.
    pub jitter: Rc<Cell<f64>>,
    /// Whether waits stay pending, for a test that ends one some other way.
    pub hold_waits: Rc<Cell<bool>>,
}

impl Fake {
    /// A fake whose attempts get `script`'s answers in order.
    pub(crate) fn answering(script: Vec<Result<Response, PowerPostError>>) -> Self {
        Fake { script: Rc::new(RefCell::new(script.into())), ..Fake::default() }
    }

    /// How many requests were sent.
    pub(crate) fn sent(&self) -> usize {
        self.sent.get()
    }

    /// Answers the `index`th request that is waiting (counting from 0 in the order they were
    /// sent), with request id `req_<index>`.
    pub(crate) fn answer(&self, index: usize, status: u16, body: &str) {
        let sender = std::mem::replace(&mut self.pending.borrow_mut()[index], oneshot::channel().0);
        let _ = sender.send(Ok(response(status, body, index)));
    }

    /// The credits request with the test key.
    pub(crate) fn request() -> Request {
        Request { url: "https://powerpost.ai/api/v1/account/credits".into(), auth_header: ("x-api-key", KEY.into()) }
    }

    /// A client's call through this fake, told apart by `fingerprint`.
    pub(crate) fn call<I>(&self, fingerprint: I) -> Call<I, Fake, Fake> {
        let key = ApiKey::parse(KEY).unwrap();
        Call { fingerprint, network: self.clone(), clock: self.clone(), request: Self::request(), key, max_retries: 0 }
    }
}

/// Counts a request dropped before its answer arrived.
struct DropWatch {
    dropped: Rc<Cell<usize>>,
    answered: bool,
}

impl Drop for DropWatch {
    fn drop(&mut self) {
        if !self.answered {
            self.dropped.set(self.dropped.get() + 1);
        }
    }
}

impl Network for Fake {
    type Cause = Cause;
    type Body = serde_json::Value;

    async fn send(&self, _request: &Request) -> Result<Response, Failure<Cause>> {
        self.sent.set(self.sent.get() + 1);
        let scripted = self.script.borrow_mut().pop_front();
        let answer = match scripted {
            Some(answer) => answer.map_err(|error| Failure { error, cause: Some("what fetch threw") }),
            None => {
                let (sender, receiver) = oneshot::channel();
                self.pending.borrow_mut().push(sender);
                let mut watch = DropWatch { dropped: self.dropped.clone(), answered: false };
                let answer = receiver.await.expect("every request is answered or dropped");
                watch.answered = true;
                answer.map_err(Failure::from)
            }
        };
        answer
    }

    fn on_retry(&self, retry: &Retry) -> Result<(), CallbackFailed> {
        self.retries.borrow_mut().push((retry.attempt, retry.delay_ms, retry.error.code));
        if self.retry_hook_fails {
            Err(CallbackFailed)
        } else {
            Ok(())
        }
    }
}

impl Clock for Fake {
    fn now_ms(&self) -> f64 {
        self.now_ms.get()
    }

    async fn wait(&self, delay_ms: f64) -> Result<(), PowerPostError> {
        self.waits.borrow_mut().push(delay_ms);
        if self.hold_waits.get() {
            std::future::pending::<()>().await;
        }
        if Some(self.waits.borrow().len()) == self.abort_during_wait {
            return Err(PowerPostError::aborted());
        }
        self.now_ms.set(self.now_ms.get() + delay_ms);
        Ok(())
    }

    fn jitter(&self) -> f64 {
        self.jitter.get()
    }
}

/// How the fake store's operations go.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum Fault {
    #[default]
    None,
    Throws,
    Hangs,
}

/// A store that keeps entries as JSON values, as Keyv does, and records what calls did with it.
#[derive(Clone, Default)]
pub(crate) struct FakeStore {
    /// Each entry with the TTL it was written with.
    pub entries: Rc<RefCell<HashMap<String, (serde_json::Value, f64)>>>,
    pub gets: Rc<Cell<usize>>,
    pub fault: Rc<Cell<Fault>>,
    /// The messages `onStoreError` was given, in order.
    pub errors: Rc<RefCell<Vec<String>>>,
    /// Writes that did not finish at once, kept alive as the runtime keeps a pending promise.
    unfinished: Rc<RefCell<Vec<LocalBoxFuture<'static, ()>>>>,
    /// What other instances write meanwhile: each `get` first puts the next one under the test key.
    pub written_elsewhere: Rc<RefCell<VecDeque<serde_json::Value>>>,
    /// Every value `set` was given, in order, written or not.
    pub written: Rc<RefCell<Vec<serde_json::Value>>>,
}

impl FakeStore {
    /// The key every test's entry is under.
    pub(crate) const KEY: &str = "powerpost-credits:v2:test";

    /// This store, as a call's options give it.
    pub(crate) fn use_it(&self) -> Option<StoreConfig<FakeStore>> {
        Some(StoreConfig { store: self.clone(), key: Self::KEY.into(), timeout_ms: 500, claim_ms: 1_000.0 })
    }

    /// How many times `set` was called.
    pub(crate) fn sets(&self) -> usize {
        self.written.borrow().len()
    }

    /// Puts `value` under the test key, as another instance (or an attacker) might.
    pub(crate) fn put(&self, value: serde_json::Value) {
        self.entries.borrow_mut().insert(Self::KEY.into(), (value, 0.0));
    }

    /// The entry under the test key, and its TTL.
    pub(crate) fn entry(&self) -> Option<(serde_json::Value, f64)> {
        self.entries.borrow().get(Self::KEY).cloned()
    }

    /// What the store fails with.
    fn fails(&self) -> Option<Fault> {
        Some(self.fault.get()).filter(|fault| *fault != Fault::None)
    }
}

impl Store for FakeStore {
    type Value = serde_json::Value;
    type Cause = &'static str;

    async fn get(&self, key: &str) -> Result<Stored<serde_json::Value>, &'static str> {
        self.gets.set(self.gets.get() + 1);
        if let Some(value) = self.written_elsewhere.borrow_mut().pop_front() {
            self.put(value);
        }
        match self.fails() {
            Some(Fault::Hangs) => std::future::pending().await,
            Some(_) => Err("what get threw"),
            None => Ok(self.entries.borrow().get(key).map(|(value, _)| {
                let chars = serde_json::to_string(value).unwrap().chars().count();
                (value.clone(), Some(chars))
            })),
        }
    }

    fn set(&self, key: &str, entry: &Entry, ttl_ms: f64) -> LocalBoxFuture<'static, Result<(), &'static str>> {
        let (store, key, value) = (self.clone(), key.to_string(), serde_json::to_value(entry).unwrap());
        self.written.borrow_mut().push(value.clone());
        Box::pin(async move {
            match store.fails() {
                Some(Fault::Hangs) => std::future::pending().await,
                Some(_) => Err("what set threw"),
                None => {
                    store.entries.borrow_mut().insert(key, (value, ttl_ms));
                    Ok(())
                }
            }
        })
    }

    fn failed(&self, failure: Failure<&'static str>) {
        self.errors.borrow_mut().push(failure.error.message);
    }

    /// Runs `task` as far as it goes at once: the fake clock's waits never wait, so only a
    /// store that hangs is left unfinished.
    fn detach(&self, mut task: LocalBoxFuture<'static, ()>) {
        if task.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending() {
            self.unfinished.borrow_mut().push(task);
        }
    }
}
