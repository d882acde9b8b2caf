//! Values across the boundary: JS values as the input reader sees them ([`crate::input::Value`]),
//! the runtime's own values kept as they are (a signal, a function, a store), and results written as
//! plain JS objects through serde-wasm-bindgen.

use std::cell::RefCell;

use js_sys::Function;
use serde::de::{DeserializeOwned, Deserializer, Error as _, Visitor};
use serde::Deserialize;
use serde::Serialize;
use wasm_bindgen::convert::{FromWasmAbi, IntoWasmAbi};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::error::PowerPostError;
use crate::input::{Path, Unreadable, Value, KEPT_AS_IS};

#[wasm_bindgen]
extern "C" {
    /// `Object.keys`, catching what a Proxy's `ownKeys` trap throws.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(object: &JsValue) -> Result<Vec<JsValue>, JsValue>;

    /// `Reflect.getPrototypeOf`, catching what a Proxy's trap throws and what it throws for
    /// anything but an object.
    #[wasm_bindgen(js_namespace = Reflect, js_name = getPrototypeOf, catch)]
    fn prototype_of(value: &JsValue) -> Result<Option<js_sys::Object>, JsValue>;

    /// A value read by its `length` (an array).
    type WithLength;

    /// `length`, catching what a Proxy's `get` trap throws.
    #[wasm_bindgen(method, getter, structural, catch)]
    fn length(this: &WithLength) -> Result<JsValue, JsValue>;
}

/// Reads `value` as a `T`; an error names its field under `at`.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, at: &Path) -> Result<T, PowerPostError> {
    crate::input::read(value, at)
}

/// Everything that can throw (a getter, a Proxy's trap) is called through `Reflect`, which
/// js-sys calls catching: an exception unwinding through wasm would skip Rust's cleanup. Each
/// method stays out of line: the reader's methods are compiled once per type read, and these
/// would otherwise be copied into every one of them.
impl Value for JsValue {
    #[inline(never)]
    fn is_missing(&self) -> bool {
        // `== null`: one question for `null` and `undefined`.
        self.loose_eq(&JsValue::NULL)
    }

    #[inline(never)]
    fn as_bool(&self) -> Option<bool> {
        JsValue::as_bool(self)
    }

    #[inline(never)]
    fn as_number(&self) -> Option<f64> {
        self.as_f64()
    }

    #[inline(never)]
    fn as_text(&self) -> Option<String> {
        self.as_string()
    }

    #[inline(never)]
    fn list_length(&self) -> Option<u32> {
        if !js_sys::Array::is_array(self) {
            return None;
        }
        // A Proxy of an array may throw here: then it is no array the reader can read.
        let length = self.unchecked_ref::<WithLength>().length().ok()?;
        length.as_f64().map(|length| length as u32)
    }

    /// Its prototype is `null` or a prototype that has none (`Object.prototype`, of this realm
    /// or another). Not an object at all: `getPrototypeOf` throws.
    #[inline(never)]
    fn is_plain_object(&self) -> bool {
        match prototype_of(self) {
            Ok(None) => true,
            Ok(Some(prototype)) => matches!(prototype_of(&prototype), Ok(None)),
            Err(_) => false,
        }
    }

    #[inline(never)]
    fn is_object(&self) -> bool {
        JsValue::is_object(self)
    }

    #[inline(never)]
    fn keys(&self) -> Result<Vec<Self>, Unreadable> {
        own_keys(self).map_err(|_| Unreadable)
    }

    #[inline(never)]
    fn get(&self, key: &Self) -> Result<Self, Unreadable> {
        js_sys::Reflect::get(self, key).map_err(|_| Unreadable)
    }

    #[inline(never)]
    fn has_key(&self, key: &str) -> bool {
        js_sys::Reflect::has(self, &JsValue::from_str(key)).unwrap_or(false)
    }

    /// One `indexOf` in the names as JS strings (`===`: a string is found by its text, anything
    /// else is not found), made once for each list serde hands the reader.
    #[inline(never)]
    fn index_among(&self, names: &'static [&'static str]) -> Option<u32> {
        thread_local! {
            static NAME_LISTS: RefCell<Vec<(&'static [&'static str], js_sys::Array)>> = const { RefCell::new(Vec::new()) };
        }
        NAME_LISTS.with_borrow_mut(|lists| {
            // A list is known by where it is: serde's lists are constants, so few, and this is
            // no comparison of their text.
            let known = lists.iter().find(|(list, _)| std::ptr::eq(*list, names));
            let index = match known {
                Some((_, array)) => array.index_of(self, 0),
                None => {
                    let array: js_sys::Array = names.iter().map(|name| JsValue::from_str(name)).collect();
                    let index = array.index_of(self, 0);
                    lists.push((names, array));
                    index
                }
            };
            u32::try_from(index).ok()
        })
    }

    #[inline(never)]
    fn at(&self, index: u32) -> Result<Self, Unreadable> {
        js_sys::Reflect::get_u32(self, index).map_err(|_| Unreadable)
    }

    fn into_handle(self) -> Option<u32> {
        Some(self.into_abi())
    }
}

/// `options.signal`.
#[derive(Clone)]
pub(crate) struct Signal(AbortSignal);

/// `options.fetch` or `options.onRetry`.
#[derive(Clone, PartialEq)]
pub(crate) struct Callback(pub Function);

impl Signal {
    /// The `AbortSignal` an options object gave, if any.
    pub(crate) fn given(signal: &Option<Signal>) -> Option<AbortSignal> {
        signal.as_ref().map(|Signal(signal)| signal.clone())
    }
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        kept_as_is(deserializer, "an AbortSignal").map(Signal)
    }
}

impl<'de> Deserialize<'de> for Callback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        kept_as_is(deserializer, "a function").map(Callback)
    }
}

/// `options.store`: an object with Keyv's `get` and `set` methods, and perhaps `waitUntil`,
/// read once.
#[derive(Clone)]
pub(crate) struct StoreObject {
    pub object: JsValue,
    pub get: Function,
    pub set: Function,
    /// Keeps the runtime alive for work a call leaves running (Workers' `ctx.waitUntil`).
    pub wait_until: Option<Function>,
}

impl<'de> Deserialize<'de> for StoreObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "a store: an object with get and set methods";
        // Any object: one without a prototype, or of another realm, is a store too.
        let object: JsValue = kept_as_is(deserializer, EXPECTED)?;
        // Read through `Reflect`, catching: a getter or a Proxy may throw.
        let method = |name: &str| {
            let method = js_sys::Reflect::get(&object, &JsValue::from_str(name)).ok()?;
            method.is_function().then(|| method.unchecked_into::<Function>())
        };
        let methods =
            if object.is_object() || object.is_function() { (method("get"), method("set")) } else { (None, None) };
        let (Some(get), Some(set)) = methods else {
            return Err(D::Error::custom(format_args!("must be {EXPECTED}")));
        };
        let wait_until = match js_sys::Reflect::get(&object, &JsValue::from_str("waitUntil")) {
            Ok(value) if value.is_undefined() => None,
            Ok(value) if value.is_function() => Some(value.unchecked_into::<Function>()),
            _ => return Err(D::Error::custom("must be a store whose waitUntil, if any, is a function")),
        };
        Ok(StoreObject { object, get, set, wait_until })
    }
}

/// Reads a value kept as the caller gave it and checks that it is a `T` (else it "must be"
/// `expected`): `options.signal`, `options.fetch`.
fn kept_as_is<'de, T: JsCast, D: Deserializer<'de>>(deserializer: D, expected: &'static str) -> Result<T, D::Error> {
    struct Handle(&'static str);
    impl Visitor<'_> for Handle {
        type Value = JsValue;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str(self.0)
        }
        fn visit_u32<E: serde::de::Error>(self, handle: u32) -> Result<JsValue, E> {
            // Sound: only the input reader calls this for `KEPT_AS_IS`, with a handle it has
            // just taken from a `JsValue` (`into_handle`), so the value is taken back once.
            Ok(unsafe { JsValue::from_abi(handle) })
        }
    }
    let value = deserializer.deserialize_newtype_struct(KEPT_AS_IS, Handle(expected))?;
    value.dyn_into().map_err(|_| D::Error::custom(format_args!("must be {expected}")))
}

/// `value` as plain JS data: objects, arrays, `null` for `None`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    // Only plain data of this crate's own types is written, none of it out of a JS number's range.
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).expect_throw("results are plain data")
}
