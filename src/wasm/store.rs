//! A fleet's store as the caller gives it: any object with Keyv's `get` and `set`. Both are
//! called catching, whatever they return is taken as a promise of it (`Promise.resolve`), and
//! every promise gets its handlers at once, so that nothing a store does goes unhandled. Work
//! a call leaves running (an early refresh, a write) is handed to its `waitUntil`, if it has one.

use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::convert::{to_js, StoreObject};
use super::error::to_js_error;
use crate::credits::call::Failure;
use crate::credits::store::{Entry, Store, Stored};

/// A call's store, and whom to tell when it fails.
#[derive(Clone)]
pub(crate) struct JsStore {
    pub store: StoreObject,
    pub on_error: Option<Function>,
}

impl Store for JsStore {
    type Value = JsValue;
    type Cause = JsValue;

    async fn get(&self, key: &str) -> Result<Stored<JsValue>, JsValue> {
        let StoreObject { object, get, .. } = &self.store;
        let value = settled(get.call1(object, &JsValue::from_str(key))).await?;
        // Measured before anything is read: a huge value is refused unread. What JSON cannot
        // write (a cycle, a BigInt, a function) has no length.
        let chars = JSON::stringify(&value).ok().filter(|json| json.is_string()).map(|json| json.length() as usize);
        Ok(Some((value, chars)))
    }

    fn set(&self, key: &str, entry: &Entry, ttl_ms: f64) -> LocalBoxFuture<'static, Result<(), JsValue>> {
        let StoreObject { object, set, .. } = &self.store;
        let written = settled(set.call3(object, &JsValue::from_str(key), &to_js(entry), &JsValue::from_f64(ttl_ms)));
        Box::pin(async move { written.await.map(drop) })
    }

    fn failed(&self, failure: Failure<JsValue>) {
        if let Some(on_error) = &self.on_error {
            // What the callback does, throwing included, is ignored.
            let _ignored = on_error.call1(&JsValue::UNDEFINED, &to_js_error(&failure.error, failure.cause));
        }
    }

    fn detach(&self, task: LocalBoxFuture<'static, ()>) {
        let StoreObject { object, wait_until, .. } = &self.store;
        match wait_until {
            None => wasm_bindgen_futures::spawn_local(task),
            Some(wait_until) => {
                let running = wasm_bindgen_futures::future_to_promise(async move {
                    task.await;
                    Ok(JsValue::UNDEFINED)
                });
                // What it does, throwing included, is ignored: the task runs either way.
                let _ignored = wait_until.call1(object, &running);
            }
        }
    }
}

/// What a store's method returned, as a promise of it; what it threw, as a rejection. The
/// future listens at once, so a promise rejected after its call gave up on it is handled.
fn settled(returned: Result<JsValue, JsValue>) -> JsFuture {
    JsFuture::from(match returned {
        Ok(value) => Promise::resolve(&value),
        Err(thrown) => Promise::reject(&thrown),
    })
}
