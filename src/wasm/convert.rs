//! Values across the boundary: JS values as the input reader sees them ([`crate::input::Value`]),
//! the runtime's own values kept as they are (a signal, a function), and results written as
//! plain JS objects through serde-wasm-bindgen.

use serde::de::{DeserializeOwned, Deserializer, Error as _, Visitor};
use serde::Serialize;
use wasm_bindgen::convert::{FromWasmAbi, IntoWasmAbi};
use wasm_bindgen::prelude::*;

use crate::error::PowerPostError;
use crate::input::{Path, Shape, Unreadable, Value, KEPT_AS_IS};

#[wasm_bindgen]
extern "C" {
    /// `Object.keys`, catching what a Proxy's `ownKeys` trap throws.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(object: &JsValue) -> Result<js_sys::Array, JsValue>;
}

/// Reads `value` as a `T`; an error names its field under `at`.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, at: &Path) -> Result<T, PowerPostError> {
    crate::input::read(value, at)
}

/// Everything that can throw (a getter, a Proxy's trap) is called through `Reflect`, which
/// js-sys calls catching: an exception unwinding through wasm would skip Rust's cleanup.
impl Value for JsValue {
    fn shape(&self) -> Shape {
        if self.is_undefined() || self.is_null() {
            Shape::Missing
        } else if let Some(value) = self.as_bool() {
            Shape::Bool(value)
        } else if let Some(value) = self.as_f64() {
            Shape::Number(value)
        } else if let Some(text) = self.as_string() {
            Shape::Text(text)
        } else if js_sys::Array::is_array(self) {
            let length = js_sys::Reflect::get(self, &JsValue::from_str("length")).ok().and_then(|length| length.as_f64());
            length.map_or(Shape::Foreign, |length| Shape::List(length as u32))
        } else if !self.is_object() {
            Shape::Other
        } else if is_plain_object(self) {
            Shape::Object
        } else {
            Shape::Foreign
        }
    }

    fn keys(&self) -> Result<Vec<String>, Unreadable> {
        let keys = own_keys(self).map_err(|_| Unreadable)?;
        Ok(keys.iter().filter_map(|key| key.as_string()).collect())
    }

    fn get(&self, key: &str) -> Result<Self, Unreadable> {
        js_sys::Reflect::get(self, &JsValue::from_str(key)).map_err(|_| Unreadable)
    }

    fn at(&self, index: u32) -> Result<Self, Unreadable> {
        js_sys::Reflect::get_u32(self, index).map_err(|_| Unreadable)
    }

    fn into_handle(self) -> Option<u32> {
        Some(self.into_abi())
    }
}

/// Whether `object`'s prototype is `null` or a prototype that has none (`Object.prototype`,
/// of this realm or another).
fn is_plain_object(object: &JsValue) -> bool {
    let prototype_of = |value: &JsValue| js_sys::Reflect::get_prototype_of(value).map(JsValue::from);
    match prototype_of(object) {
        Ok(prototype) if prototype.is_null() => true,
        Ok(prototype) => prototype_of(&prototype).is_ok_and(|root| root.is_null()),
        Err(_) => false,
    }
}

/// Reads a value kept as the caller gave it and checks that it is a `T` (else it "must be"
/// `expected`): `options.signal`, `options.fetch`.
pub(crate) fn kept_as_is<'de, T: JsCast, D: Deserializer<'de>>(
    deserializer: D,
    expected: &'static str,
) -> Result<T, D::Error> {
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
