//! How caller input is read: one serde `Deserializer`, [`Reader`], over the runtime's values
//! (JS values in the wasm build, JSON values in host tests), which names the field of every
//! error itself, as formats such as serde_yaml do; and the building blocks input types are
//! made of, each with its own message ("must be a whole number from 1 to 4").
//!
//! The reader asks a value only what [`Value`] offers, reads an object by its own keys (so a
//! misspelt key is seen by `deny_unknown_fields`), has the runtime find a key or an enum's
//! value among the names serde hands it (a struct's fields, an enum's variants) and gives it
//! by index, so that no known name's text is copied, takes nothing but plain objects where a
//! struct or a map belongs, and reads `null` and `undefined` as "not given". An error gets the
//! key or index of each level it passes up through, so that [`read`] can name the field from
//! the argument's [`Path`] down.
//!
//! Its files: this one (the entry points and [`Value`], what the reader asks of a runtime's
//! value), `path.rs` (where a value is), `error.rs` (what went wrong, and where), `de.rs` (the
//! `Deserializer`, with serde's `MapAccess` and `SeqAccess` for objects and arrays),
//! `blocks.rs` (the types input is made of), and for host tests `json.rs` (JSON values as the
//! runtime's) and `tests.rs`.

use serde::de::DeserializeOwned;

use crate::error::PowerPostError;

mod blocks;
mod de;
mod error;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod json;
mod path;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub(crate) use blocks::{
    is_whole, named_enum, Choice, Entries, Flag, Lenient, List, Number, Setting, Text, Whole, MAX_SAFE_INTEGER,
};
pub(crate) use de::Reader;
pub(crate) use error::Error;
pub(crate) use path::Path;

/// Longest string read from caller input, in UTF-16 units (JS string length).
pub(crate) const MAX_TEXT_LENGTH: usize = 1024;

/// What the reader needs of a value of the runtime. The reader asks first for what the type
/// being read expects (a number, a string, …), so that a value of the right kind costs one
/// question, and learns the value's whole [`Shape`] only to read it as anything.
pub(crate) trait Value: Sized {
    /// `null` or `undefined`.
    fn is_missing(&self) -> bool;
    fn as_bool(&self) -> Option<bool>;
    fn as_number(&self) -> Option<f64>;
    /// A string, read whole.
    fn as_text(&self) -> Option<String>;
    /// An array's length.
    fn list_length(&self) -> Option<u32>;
    /// An object whose prototype is `Object.prototype` (of any realm) or `null`.
    fn is_plain_object(&self) -> bool;
    /// Whether this is an object at all. Asked only of what is not a plain object, it tells one
    /// that is not plain (a `Date`, a `Map`, a class instance, a Proxy that hides its
    /// prototype) from a function, a symbol or a BigInt.
    fn is_object(&self) -> bool;
    /// A plain object's own enumerable keys, in order: strings, as the runtime holds them, so
    /// that [`get`](Value::get) looks each up as it is.
    fn keys(&self) -> Result<Vec<Self>, Unreadable>;
    /// A plain object's property by one of its [`keys`](Value::keys).
    fn get(&self, key: &Self) -> Result<Self, Unreadable>;
    /// Whether a plain object has `key` (own or inherited; a getter is not called).
    fn has_key(&self, key: &str) -> bool;
    /// Where this value, a string, is among `names` (the static names serde hands a format:
    /// a struct's fields, an enum's variants). A runtime finds it without copying the string.
    fn index_among(&self, names: &'static [&'static str]) -> Option<u32> {
        let text = self.as_text()?;
        names.iter().position(|name| *name == text).map(|index| index as u32)
    }
    /// An array's entry.
    fn at(&self, index: u32) -> Result<Self, Unreadable>;
    /// The value itself, for a type that keeps it as the runtime gave it (a signal, a function):
    /// a handle that such a type takes back (see [`KEPT_AS_IS`]). `None` where values have none.
    fn into_handle(self) -> Option<u32>;

    /// What kind of value this is.
    fn shape(&self) -> Shape {
        if self.is_missing() {
            Shape::Missing
        } else if let Some(value) = self.as_bool() {
            Shape::Bool(value)
        } else if let Some(value) = self.as_number() {
            Shape::Number(value)
        } else if let Some(text) = self.as_text() {
            Shape::Text(text)
        } else if let Some(length) = self.list_length() {
            Shape::List(length)
        } else if self.is_plain_object() {
            Shape::Object
        } else if self.is_object() {
            Shape::Foreign
        } else {
            Shape::Other
        }
    }
}

/// A value as the reader sees it.
pub(crate) enum Shape {
    /// `null` or `undefined`.
    Missing,
    Bool(bool),
    Number(f64),
    Text(String),
    /// An array and its length.
    List(u32),
    /// A plain object.
    Object,
    /// Another object.
    Foreign,
    /// Anything else: a function, a symbol, a BigInt.
    Other,
}

/// A property getter or a Proxy threw while the value was read.
#[derive(Debug)]
pub(crate) struct Unreadable;

/// The name serde types give `deserialize_newtype_struct` to be handed the runtime's value
/// itself, through [`Value::into_handle`] and `visit_u32`.
pub(crate) const KEPT_AS_IS: &str = "powerpost_credits::KeptAsIs";

/// Reads `value` as a `T`; an error names its field under `at`.
pub(crate) fn read<T: DeserializeOwned, V: Value>(value: V, at: &Path) -> Result<T, PowerPostError> {
    T::deserialize(Reader::new(value)).map_err(|error| error.at(at))
}

/// Reads `value` as a `T` made of [`Lenient`] parts, as server responses are read: what is of
/// another kind reads as absent. `None` only when the value is not an object at all.
pub(crate) fn read_leniently<T: DeserializeOwned, V: Value>(value: V) -> Option<T> {
    T::deserialize(Reader::new(value)).ok()
}

/// [`read`] for a test's JSON, the host's stand-in for a JS value.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn from_json<T: DeserializeOwned>(value: serde_json::Value, at: &Path) -> Result<T, PowerPostError> {
    read(value, at)
}
