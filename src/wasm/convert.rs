//! Values across the boundary: caller input read through serde-wasm-bindgen (an error names
//! the field), results written as plain JS objects.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsValue, UnwrapThrowExt};

use crate::error::PowerPostError;

/// Reads `value` as a `T`; see [`crate::input::decode`] for `argument` and `prefix`.
///
/// An object argument must be a plain object (its prototype `Object.prototype`, of this realm
/// or another, or `null`): serde-wasm-bindgen would read a `Date` or a `Map` by its entries.
/// And serde-wasm-bindgen reads properties without catching what a getter throws, while an
/// exception unwinding through wasm skips Rust's cleanup, so an object is first read once by
/// `JSON.stringify` (which js-sys calls catching): a throwing getter, a cycle or a BigInt
/// becomes an `INVALID_ARGUMENT` instead.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, argument: &str, prefix: &str) -> Result<T, PowerPostError> {
    if value.is_object() {
        if !is_plain_object(&value) {
            return Err(PowerPostError::invalid_argument(argument, "must be a plain object"));
        }
        if js_sys::JSON::stringify(&value).is_err() {
            let why = "could not be read: a property getter threw, or it holds a cycle or a BigInt";
            return Err(PowerPostError::invalid_argument(argument, why));
        }
    }
    crate::input::decode(serde_wasm_bindgen::Deserializer::from(value), argument, prefix)
}

/// Whether `object`'s prototype is `null` or a prototype that has none (`Object.prototype`).
fn is_plain_object(object: &JsValue) -> bool {
    let prototype_of = |value: &JsValue| js_sys::Reflect::get_prototype_of(value).map(JsValue::from);
    match prototype_of(object) {
        Ok(prototype) if prototype.is_null() => true,
        Ok(prototype) => prototype_of(&prototype).is_ok_and(|root| root.is_null()),
        Err(_) => false,
    }
}

impl crate::input::ErrorText for serde_wasm_bindgen::Error {
    fn text(&self) -> String {
        // Its messages are JS `Error`s, so `String(error)` starts with "Error: ".
        let text = self.to_string();
        text.strip_prefix("Error: ").map_or(text.clone(), str::to_string)
    }
}

/// `value` as plain JS data: objects, arrays, `null` for `None`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    // Only plain data of this crate's own types is written, none of it out of a JS number's range.
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).expect_throw("results are plain data")
}
