//! A read-only view of a dynamically typed value, and the checked readers built on it.
//!
//! The tape that JS values cross the boundary on implements [`Value`] (`TapeValue`); host
//! tests implement it for `serde_json::Value`. Everything that decodes caller input or
//! response bodies is written against this trait, so it runs and is tested without a JS
//! engine, and every bad value becomes an `INVALID_ARGUMENT` naming its field instead of a
//! panic.

use crate::prelude::*;

use crate::error::PowerPostError;
use crate::text::push_index;

/// Longest string read from a value; longer ones are reported, not copied.
pub const MAX_TEXT_LENGTH: u32 = 1024;

pub enum Text {
    NotAString,
    TooLong,
    Ok(String),
}

pub trait Value: Sized {
    /// `undefined` (a missing property). `null` is a value of the wrong type, not absence.
    fn is_undefined(&self) -> bool;
    fn is_null(&self) -> bool;
    fn as_number(&self) -> Option<f64>;
    fn as_bool(&self) -> Option<bool>;
    /// A string of at most `max_len` UTF-16 units, copied out.
    fn as_text(&self, max_len: u32) -> Text;
    /// An object with properties: not null, not an array, not a function.
    fn is_plain_object(&self) -> bool;
    fn array_length(&self) -> Option<u32>;
    /// Property `key`, a name the decoders know (undefined when missing or when `self` is
    /// no object).
    fn get(&self, key: &'static str) -> Self;
    /// Property `key` for keys only known at run time (model names).
    fn get_entry(&self, key: &str) -> Self;
    fn at(&self, index: u32) -> Self;
    /// Element `index`, given element `index - 1`: views that read in place step from it
    /// instead of counting from the start.
    fn element_after(&self, _previous: &Self, index: u32) -> Self {
        self.at(index)
    }
    /// How many own enumerable keys `self` has: cheap, used to spot unknown keys.
    fn key_count(&self) -> u32;
    /// The own enumerable keys, read only once an unknown key is known to be there.
    fn keys(&self) -> Vec<String>;

    /// The position of the candidate equal to this string value, if it is a string and one of them.
    fn one_of<const N: usize>(&self, candidates: &Names<N>) -> Option<usize> {
        match self.as_text(MAX_TEXT_LENGTH) {
            Text::Ok(text) => candidates.names.iter().position(|candidate| *candidate == text),
            _ => None,
        }
    }

    /// An object's properties named by `keys`, in their order, after rejecting any key not
    /// among them (`require_object` is the caller's). By default one `get` per key; views
    /// that can walk their entries do it in one pass.
    fn fields<const N: usize>(&self, path: &Path, keys: &Names<N>) -> Result<[Self; N], PowerPostError> {
        reject_unknown_keys(self, path, &keys.names)?;
        Ok(keys.names.map(|name| self.get(name)))
    }

    /// The first own key that is not in `known`. By default this reads each known key and
    /// counts, which costs a key count when all is well; views that can walk their keys
    /// cheaply do that instead.
    fn unknown_key(&self, known: &[&'static str]) -> Option<String> {
        let present = known.iter().filter(|key| !self.get(key).is_undefined()).count() as u32;
        if self.key_count() <= present {
            return None;
        }
        self.keys().into_iter().find(|key| !known.contains(&key.as_str()))
    }
}

/// Where a value sits in the caller's input, e.g. `images[0].quantity`. Decoding builds one
/// per field it reads, so it is a borrowed chain that becomes text only for an error.
#[derive(Clone, Copy, Debug)]
pub enum Path<'a> {
    /// The argument itself (`"plan"`), or `""` for fields named from the root (`"caption"`).
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root(name) => out.push_str(name),
            Path::Key(parent, key) => {
                parent.render_into(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, index) => {
                parent.render_into(out);
                push_index(out, *index);
            }
        }
    }

    /// An `INVALID_ARGUMENT` for the value at this path.
    pub fn invalid(&self, expectation: &str) -> PowerPostError {
        PowerPostError::invalid_argument(self.render(), expectation)
    }
}

/// `expected one of a, b, c`, the tail of a message about a value outside a set.
pub fn expected_one_of(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut text = String::from("expected one of ");
    for (at, name) in names.into_iter().enumerate() {
        if at > 0 {
            text.push_str(", ");
        }
        text.push_str(name.as_ref());
    }
    text
}

/// Names an object's keys or a string value may take, with their tape ids worked out at
/// compile time (a name the tape does not know fails the build).
pub struct Names<const N: usize> {
    pub names: [&'static str; N],
    pub ids: [u8; N],
}

impl<const N: usize> Names<N> {
    pub const fn new(names: [&'static str; N]) -> Self {
        let mut ids = [0; N];
        let mut at = 0;
        while at < N {
            ids[at] = crate::tape::known_id_at_compile_time(names[at]);
            at += 1;
        }
        Self { names, ids }
    }
}

/// Rejects any key of `object` that is not in `known`, naming it.
pub fn reject_unknown_keys<V: Value>(object: &V, path: &Path, known: &[&'static str]) -> Result<(), PowerPostError> {
    match object.unknown_key(known) {
        None => Ok(()),
        Some(key) => Err(unknown_key_error(path, &key, known)),
    }
}

pub fn unknown_key_error(path: &Path, key: &str, known: &[&'static str]) -> PowerPostError {
    path.key(key).invalid(&crate::text::concat(&["is not a known field; ", &expected_one_of(known)]))
}

pub fn require_object<V: Value>(value: &V, path: &Path) -> Result<(), PowerPostError> {
    if value.is_plain_object() {
        Ok(())
    } else {
        Err(path.invalid("must be a plain object"))
    }
}

/// A whole number in `min..=max`; `None` when undefined.
pub fn optional_whole<V: Value>(value: &V, path: &Path, min: u32, max: u32) -> Result<Option<u32>, PowerPostError> {
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_number() {
        Some(number) if number >= f64::from(min) && number <= f64::from(max) && number as u32 as f64 == number => {
            Ok(Some(number as u32))
        }
        _ => Err(range_error(path, min, max)),
    }
}

pub fn whole_in_range<V: Value>(value: &V, path: &Path, min: u32, max: u32) -> Result<u32, PowerPostError> {
    optional_whole(value, path, min, max)?.ok_or_else(|| range_error(path, min, max))
}

fn range_error(path: &Path, min: u32, max: u32) -> PowerPostError {
    let mut expectation = String::from("must be a whole number from ");
    crate::text::push_uint(&mut expectation, min.into());
    expectation.push_str(" to ");
    crate::text::push_uint(&mut expectation, max.into());
    path.invalid(&expectation)
}

pub fn optional_text<V: Value>(value: &V, path: &Path) -> Result<Option<String>, PowerPostError> {
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_text(MAX_TEXT_LENGTH) {
        Text::Ok(text) => Ok(Some(text)),
        Text::TooLong => Err(path.invalid("is too long")),
        Text::NotAString => Err(path.invalid("must be a string")),
    }
}

pub fn optional_bool<V: Value>(value: &V, path: &Path) -> Result<Option<bool>, PowerPostError> {
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| path.invalid("must be true or false"))
}

/// An array of at most `max` elements (empty when undefined), each decoded by `decode`.
pub fn optional_array<V: Value, T>(
    value: &V,
    path: &Path,
    max: u32,
    mut decode: impl FnMut(&V, &Path) -> Result<T, PowerPostError>,
) -> Result<Vec<T>, PowerPostError> {
    let mut decoded = Vec::new();
    each_entry(value, path, max, &mut |entry, path, _| {
        decoded.push(decode(entry, path)?);
        Ok(())
    })?;
    Ok(decoded)
}

/// Visits the elements of an array of at most `max` (none when undefined) with their path
/// and index; returns how many there were.
pub fn each_entry<V: Value>(
    value: &V,
    path: &Path,
    max: u32,
    visit: &mut dyn FnMut(&V, &Path, u32) -> Result<(), PowerPostError>,
) -> Result<u32, PowerPostError> {
    if value.is_undefined() {
        return Ok(0);
    }
    let Some(length) = value.array_length() else {
        return Err(path.invalid("must be an array"));
    };
    if length > max {
        let mut expectation = String::from("must have at most ");
        crate::text::push_uint(&mut expectation, max.into());
        expectation.push_str(" entries");
        return Err(path.invalid(&expectation));
    }
    let mut element = value.at(0);
    for index in 0..length {
        if index > 0 {
            element = value.element_after(&element, index);
        }
        visit(&element, &path.index(index as usize), index)?;
    }
    Ok(length)
}

/// `serde_json::Value` as a stand-in for JS values in host tests and property tests.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub mod json {
    use super::{Text, Value};

    /// serde_json cannot hold `undefined`, so it is modelled as a separate wrapper state.
    #[derive(Clone, Debug)]
    pub struct Json(pub Option<serde_json::Value>);

    impl Json {
        pub fn of(value: serde_json::Value) -> Self {
            Json(Some(value))
        }
    }

    impl Value for Json {
        fn is_undefined(&self) -> bool {
            self.0.is_none()
        }
        fn is_null(&self) -> bool {
            matches!(self.0, Some(serde_json::Value::Null))
        }
        fn as_number(&self) -> Option<f64> {
            self.0.as_ref()?.as_f64()
        }
        fn as_bool(&self) -> Option<bool> {
            self.0.as_ref()?.as_bool()
        }
        fn as_text(&self, max_len: u32) -> Text {
            match self.0.as_ref().and_then(|v| v.as_str()) {
                None => Text::NotAString,
                Some(text) if text.encode_utf16().count() > max_len as usize => Text::TooLong,
                Some(text) => Text::Ok(text.to_string()),
            }
        }
        fn is_plain_object(&self) -> bool {
            matches!(self.0, Some(serde_json::Value::Object(_)))
        }
        fn array_length(&self) -> Option<u32> {
            Some(self.0.as_ref()?.as_array()?.len() as u32)
        }
        fn get(&self, key: &'static str) -> Self {
            self.get_entry(key)
        }
        fn get_entry(&self, key: &str) -> Self {
            Json(self.0.as_ref().and_then(|v| v.as_object()).and_then(|o| o.get(key)).cloned())
        }
        fn at(&self, index: u32) -> Self {
            Json(self.0.as_ref().and_then(|v| v.as_array()).and_then(|a| a.get(index as usize)).cloned())
        }
        fn key_count(&self) -> u32 {
            self.0.as_ref().and_then(|v| v.as_object()).map_or(0, |o| o.len() as u32)
        }
        fn keys(&self) -> Vec<String> {
            self.0.as_ref().and_then(|v| v.as_object()).map_or_else(Vec::new, |o| o.keys().cloned().collect())
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::json::Json;
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_are_checked_for_type_range_and_fraction() {
        let read = |v: serde_json::Value| optional_whole(&Json::of(v), &Path::Root("n"), 1, 4);
        assert_eq!(read(json!(3)), Ok(Some(3)));
        assert_eq!(read(json!(1.0)), Ok(Some(1)));
        assert_eq!(optional_whole(&Json(None), &Path::Root("n"), 1, 4), Ok(None));
        for bad in [json!(0), json!(5), json!(-1), json!(2.5), json!("2"), json!(null), json!(1e308), json!([2])] {
            let error = read(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(error.message, "n must be a whole number from 1 to 4");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let object = Json::of(json!({"model": "x", "quantiy": 2}));
        let root = Path::Root("");
        let images = root.key("images");
        let error = reject_unknown_keys(&object, &images.index(0), &["model", "quantity", "size"]).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("images[0].quantiy"));
        assert!(reject_unknown_keys(&Json::of(json!({"model": "x"})), &Path::Root("p"), &["model", "size"]).is_ok());
    }

    #[test]
    fn arrays_are_bounded_and_elements_get_indexed_paths() {
        let decode = |v: &Json, p: &Path| whole_in_range(v, p, 0, 9);
        let a = Path::Root("a");
        assert_eq!(optional_array(&Json::of(json!([1, 2])), &a, 3, decode), Ok(vec![1, 2]));
        assert_eq!(optional_array(&Json(None), &a, 3, decode), Ok(vec![]));
        let error = optional_array(&Json::of(json!([1, "x"])), &a, 3, decode).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("a[1]"));
        let error = optional_array(&Json::of(json!([1, 2, 3, 4])), &a, 3, decode).unwrap_err();
        assert_eq!(error.message, "a must have at most 3 entries");
        assert!(optional_array(&Json::of(json!({"0": 1})), &a, 3, decode).is_err());
    }

    #[test]
    fn paths_render_only_what_they_chain() {
        let root = Path::Root("");
        let publish = root.key("publish");
        let post_types = publish.key("postTypes");
        assert_eq!(post_types.index(2).render(), "publish.postTypes[2]");
        let rate_card = Path::Root("rateCard");
        assert_eq!(rate_card.key("caption").key("deep").render(), "rateCard.caption.deep");
        assert_eq!(Path::Root("plan").render(), "plan");
    }
}
