//! How caller input is read: one serde `Deserializer`, [`Reader`], over the runtime's values
//! (JS values in the wasm build, JSON values in host tests), which names the field of every
//! error itself, as formats such as serde_yaml do; and the building blocks input types are
//! made of, each with its own message ("must be a whole number from 1 to 4").
//!
//! The reader asks a value only what [`Value`] offers, reads an object by its own keys (so a
//! misspelt key is seen by `deny_unknown_fields`), takes nothing but plain objects where a
//! struct or a map belongs, and reads `null` and `undefined` as "not given". An error gets the
//! key or index of each level it passes up through, so that [`read`] can name the field from
//! the argument's [`Path`] down.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use crate::error::PowerPostError;

/// Longest string read from caller input, in UTF-16 units (JS string length).
pub(crate) const MAX_TEXT_LENGTH: usize = 1024;

/// How deep the reader goes into nested objects and arrays; no input type nests nearly as deep.
const MAX_DEPTH: u32 = 32;

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

/// Where a value is in a call's input: its argument, then keys and indexes. Every field a
/// call names, while reading or after, is a path of this one argument.
#[derive(Clone, Debug)]
pub(crate) struct Path {
    argument: &'static str,
    /// Whether fields are named after the argument (`options.timeoutMs`) or on their own
    /// (`images[0].quantity`, for a plan).
    prefixed: bool,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    /// An argument whose fields are named after it: `options.timeoutMs`.
    pub(crate) const fn argument(name: &'static str) -> Self {
        Self { argument: name, prefixed: true, segments: Vec::new() }
    }

    /// An argument whose fields are named on their own: a plan's `images[0].quantity`. The
    /// argument as a whole is still `name`.
    pub(crate) const fn fields_of(name: &'static str) -> Self {
        Self { argument: name, prefixed: false, segments: Vec::new() }
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        self.with(Segment::Key(key.to_string()))
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    fn with(&self, segment: Segment) -> Self {
        let mut path = self.clone();
        path.segments.push(segment);
        path
    }

    /// An `INVALID_ARGUMENT` for this field: its name, then what was expected of it.
    pub(crate) fn invalid(&self, expectation: &str) -> PowerPostError {
        PowerPostError::invalid_argument(self.to_string(), expectation)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        if self.segments.is_empty() || self.prefixed {
            formatter.write_str(self.argument)?;
        }
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(name) => {
                    if position > 0 || self.prefixed {
                        formatter.write_str(".")?;
                    }
                    // An empty key is shown as one, so that a field is never named by nothing.
                    formatter.write_str(if name.is_empty() { "\"\"" } else { name })?;
                }
                Segment::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}

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

/// What went wrong, and where: boxed, so that results stay small, and made and extended only
/// out of line, so that no reading function carries the work.
#[derive(Debug)]
pub(crate) struct Error(Box<Failure>);

#[derive(Debug)]
struct Failure {
    /// Innermost first: each level adds its own as the error passes up.
    path: Vec<Segment>,
    expectation: String,
}

impl Error {
    #[cold]
    #[inline(never)]
    fn new(expectation: String) -> Self {
        Error(Box::new(Failure { path: Vec::new(), expectation }))
    }

    #[cold]
    #[inline(never)]
    fn expected(expected: &dyn de::Expected) -> Self {
        Self::new(format!("must be {expected}"))
    }

    #[cold]
    #[inline(never)]
    fn in_key(mut self, key: &str) -> Self {
        self.0.path.push(Segment::Key(key.to_string()));
        self
    }

    /// [`in_key`](Error::in_key) for a key as the runtime holds it: read as text only for an
    /// error, so that reading an object copies no key.
    #[cold]
    #[inline(never)]
    fn in_key_of<V: Value>(self, key: &V) -> Self {
        self.in_key(&key.as_text().unwrap_or_default())
    }

    #[cold]
    #[inline(never)]
    fn in_index(mut self, index: u32) -> Self {
        self.0.path.push(Segment::Index(index as usize));
        self
    }

    #[cold]
    #[inline(never)]
    fn at(self, at: &Path) -> PowerPostError {
        let Failure { path, expectation } = *self.0;
        let mut field = at.clone();
        field.segments.extend(path.into_iter().rev());
        field.invalid(&expectation)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.0.expectation)
    }
}

impl std::error::Error for Error {}

/// serde's errors, in the package's words: what was expected, never what was found.
impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn invalid_type(_found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_value(_found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_length(_length: usize, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    #[cold]
    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!("is not a known field; expected one of {}", expected.join(", ")))
    }

    #[cold]
    fn missing_field(field: &'static str) -> Self {
        Self::new(String::from("is required")).in_key(field)
    }
}

/// Largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whether `number` is a whole number from `min` to `max` (never when it is not finite): the one
/// test of every count, bound and cost read.
pub(crate) fn is_whole(number: f64, min: f64, max: f64) -> bool {
    number.fract() == 0.0 && (min..=max).contains(&number)
}

/// The serde `Deserializer` over one value.
pub(crate) struct Reader<V> {
    value: V,
    /// Objects and arrays above this value.
    depth: u32,
}

impl<V: Value> Reader<V> {
    fn new(value: V) -> Self {
        Reader { value, depth: 0 }
    }

    /// A value of an object or array at `depth`.
    fn below(depth: u32, value: V) -> Result<Self, Error> {
        if depth >= MAX_DEPTH {
            return Err(Error::new(String::from("is nested too deeply")));
        }
        Ok(Reader { value, depth: depth + 1 })
    }

    /// The value, known to be a plain object, by its entries.
    fn object<'de, T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        let keys = self.value.keys().map_err(|Unreadable| unreadable())?;
        visitor.visit_map(ObjectReader { object: self.value, depth: self.depth, keys: keys.into_iter(), key: None })
    }

    /// The value as a whole number from 0 to `max`.
    #[inline(never)]
    fn whole_number(&self, max: f64) -> Result<u64, Error> {
        match self.value.as_number() {
            Some(number) if is_whole(number, 0.0, max) => Ok(number as u64),
            _ => Err(not_a_whole_number()),
        }
    }

    /// The value, known to be an array of `length`, by its entries.
    fn list<'de, T: Visitor<'de>>(self, length: u32, visitor: T) -> Result<T::Value, Error> {
        visitor.visit_seq(ListReader { list: self.value, depth: self.depth, length, next: 0 })
    }
}

#[cold]
#[inline(never)]
fn unreadable() -> Error {
    Error::new(String::from("could not be read: a property getter or a Proxy threw"))
}

#[cold]
#[inline(never)]
fn not_a_number() -> Error {
    Error::new(String::from("must be a number"))
}

#[cold]
#[inline(never)]
fn not_a_whole_number() -> Error {
    Error::new(String::from("must be a whole number"))
}

#[cold]
#[inline(never)]
fn not_an_object() -> Error {
    Error::new(String::from("must be a plain object"))
}

// `V` is taken by serde's macro below.
impl<'de, R: Value> Deserializer<'de> for Reader<R> {
    type Error = Error;

    fn deserialize_any<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self.value.shape() {
            Shape::Missing => visitor.visit_unit(),
            Shape::Bool(value) => visitor.visit_bool(value),
            Shape::Number(value) => visitor.visit_f64(value),
            Shape::Text(value) => visitor.visit_string(value),
            Shape::List(length) => self.list(length, visitor),
            Shape::Object => self.object(visitor),
            Shape::Foreign | Shape::Other => Err(Error::expected(&visitor)),
        }
    }

    fn deserialize_option<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        if self.value.is_missing() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_bool<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self.value.as_bool() {
            Some(value) => visitor.visit_bool(value),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f64<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self.value.as_number() {
            Some(value) => visitor.visit_f64(value),
            None => Err(not_a_number()),
        }
    }

    /// Counts and times stored as numbers (a stored rate limit); JS has no other integers.
    fn deserialize_u64<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        visitor.visit_u64(self.whole_number(MAX_SAFE_INTEGER)?)
    }

    fn deserialize_u32<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        visitor.visit_u64(self.whole_number(f64::from(u32::MAX))?)
    }

    fn deserialize_string<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self.value.as_text() {
            Some(text) => visitor.visit_string(text),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self.value.list_length() {
            Some(length) => self.list(length, visitor),
            None => self.deserialize_any(visitor),
        }
    }

    /// Only a plain object: never an array, a `Map` or a `Date` read by its entries.
    fn deserialize_map<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        if self.value.is_plain_object() {
            self.object(visitor)
        } else {
            Err(Error::expected(&visitor))
        }
    }

    /// Likewise; what a derived struct expects is worded here ("struct PostPlan" is serde's).
    fn deserialize_struct<T: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: T,
    ) -> Result<T::Value, Error> {
        if self.value.is_plain_object() {
            self.object(visitor)
        } else {
            Err(not_an_object())
        }
    }

    fn deserialize_newtype_struct<T: Visitor<'de>>(self, name: &'static str, visitor: T) -> Result<T::Value, Error> {
        if name != KEPT_AS_IS {
            return visitor.visit_newtype_struct(self);
        }
        match self.value.into_handle() {
            Some(handle) => visitor.visit_u32(handle),
            None => Err(Error::expected(&visitor)),
        }
    }

    /// Not read at all: an object's keys of its own that a type allows and ignores.
    fn deserialize_ignored_any<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u128 f32 char bytes byte_buf
        unit unit_struct tuple tuple_struct enum identifier
    }
}

/// An object's entries, each key read when it is reached and its value when asked for.
struct ObjectReader<V> {
    object: V,
    depth: u32,
    keys: std::vec::IntoIter<V>,
    /// The key whose value comes next, as the runtime holds it.
    key: Option<V>,
}

impl<V: Value> ObjectReader<V> {
    /// The next key as text, or `None` after the last.
    #[inline(never)]
    fn next_key(&mut self) -> Option<String> {
        let key = self.keys.next()?;
        let text = key.as_text().unwrap_or_default();
        self.key = Some(key);
        Some(text)
    }

    /// The reader of the value of the key just read, and that key.
    #[inline(never)]
    fn next_value(&mut self) -> Result<(Reader<V>, V), Error> {
        let Some(key) = self.key.take() else { return Err(Error::new(String::from("has no key"))) };
        let value = self.object.get(&key).map_err(|Unreadable| unreadable());
        match value.and_then(|value| Reader::below(self.depth, value)) {
            Ok(reader) => Ok((reader, key)),
            Err(error) => Err(error.in_key_of(&key)),
        }
    }
}

impl<'de, V: Value> MapAccess<'de> for ObjectReader<V> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(text) = self.next_key() else { return Ok(None) };
        seed.deserialize(text.as_str().into_deserializer()).map(Some).map_err(|error: Error| error.in_key(&text))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let (reader, key) = self.next_value()?;
        seed.deserialize(reader).map_err(|error| error.in_key_of(&key))
    }
}

/// An array's entries, each read when it is reached: a long array is read only as far as its
/// type allows.
struct ListReader<V> {
    list: V,
    depth: u32,
    length: u32,
    next: u32,
}

impl<V: Value> ListReader<V> {
    /// The reader of the next entry and its index; `None` after the last.
    #[inline(never)]
    fn next_entry(&mut self) -> Option<Result<(Reader<V>, u32), Error>> {
        if self.next == self.length {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let value = self.list.at(index).map_err(|Unreadable| unreadable());
        let reader = value.and_then(|value| Reader::below(self.depth, value));
        Some(reader.map(|reader| (reader, index)).map_err(|error| error.in_index(index)))
    }
}

impl<'de, V: Value> SeqAccess<'de> for ListReader<V> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(entry) = self.next_entry() else { return Ok(None) };
        let (reader, index) = entry?;
        seed.deserialize(reader).map(Some).map_err(|error| error.in_index(index))
    }
}

/// A whole number from `MIN` to `MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Whole<const MIN: u32, const MAX: u32>(pub u32);

impl<const MIN: u32, const MAX: u32> Whole<MIN, MAX> {
    fn expected() -> String {
        format!("must be a whole number from {MIN} to {MAX}")
    }

    /// The number a field that must be given holds (a type's fields are all optional, so that a
    /// missing one is told what a wrong one is), or an `INVALID_ARGUMENT` naming it: `at` is
    /// built only then.
    pub(crate) fn required(value: Option<Self>, at: impl FnOnce() -> Path) -> Result<u32, PowerPostError> {
        value.map(|Whole(number)| number).ok_or_else(|| at().invalid(&Self::expected()))
    }
}

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let expected = || de::Error::custom(Self::expected());
        let Number(number) = Number::deserialize(deserializer).map_err(|_| expected())?;
        if is_whole(number, f64::from(MIN), f64::from(MAX)) {
            Ok(Whole(number as u32))
        } else {
            Err(expected())
        }
    }
}

/// Declares an enum of names, the package's one way of writing a closed set of choices: each
/// variant with its name, `ALL`, `name()`, and serde derived through them: written as its name,
/// read from a [`Choice`]. A short set says what it takes when given anything else
/// (`else among`: `must be "regular" or "deep"`, also `expected()`); a long one, the kind of
/// name it wanted and every one there is (`else listed("post type")`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }
        else $($read:ident $(($what:expr))?)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "crate::input::Choice", into = "&'static str")]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub(crate) const ALL: [$name; [$($text),+].len()] = [$(Self::$variant),+];

            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> Self {
                value.name()
            }
        }

        $(crate::input::named_enum!(@$read $name $(($what))?);)?
    };
    (@among $name:ident) => {
        impl $name {
            /// What a caller is told when giving anything else: `must be "a" or "b"`.
            pub(crate) fn expected() -> String {
                crate::input::Choice::one_of(&Self::ALL.map(Self::name))
            }
        }

        impl TryFrom<crate::input::Choice> for $name {
            type Error = String;

            fn try_from(choice: crate::input::Choice) -> Result<Self, String> {
                choice.among(&Self::ALL, Self::name).ok_or_else(Self::expected)
            }
        }
    };
    (@listed $name:ident ($what:expr)) => {
        impl TryFrom<crate::input::Choice> for $name {
            type Error = String;

            fn try_from(choice: crate::input::Choice) -> Result<Self, String> {
                choice.listed(&Self::ALL, Self::name, $what)
            }
        }
    };
}
pub(crate) use named_enum;

/// What a caller gave where a name of a closed set is expected: the string, or `None` for
/// any other value (see [`named_enum`]).
#[derive(Debug)]
pub(crate) struct Choice(Option<String>);

impl<'de> Deserialize<'de> for Choice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Choice(String::deserialize(deserializer).ok()))
    }
}

impl Choice {
    fn find<T: Copy>(&self, all: &[T], name_of: fn(T) -> &'static str) -> Option<T> {
        all.iter().copied().find(|known| self.0.as_deref() == Some(name_of(*known)))
    }

    /// The one of `all` given, if it is one.
    pub(crate) fn among<T: Copy>(&self, all: &[T], name_of: fn(T) -> &'static str) -> Option<T> {
        self.find(all, name_of)
    }

    /// What a short set of names expects: `must be "a" or "b"`, `must be "a", "b" or "c"`.
    pub(crate) fn one_of(names: &[&str]) -> String {
        let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
        match quoted.split_last() {
            Some((last, [])) => format!("must be {last}"),
            Some((last, rest)) => format!("must be {} or {last}", rest.join(", ")),
            None => String::from("must be given"),
        }
    }

    /// The one of `all` given; another string is told every name there is, as a set too long
    /// to spell out in a sentence (`what`: "post type").
    pub(crate) fn listed<T: Copy>(&self, all: &[T], name_of: fn(T) -> &'static str, what: &str) -> Result<T, String> {
        if self.0.is_none() {
            return Err(String::from("must be a string"));
        }
        self.find(all, name_of).ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|known| name_of(*known)).collect();
            format!("is not a known {what}; expected one of {}", names.join(", "))
        })
    }
}

/// A string of at most [`MAX_TEXT_LENGTH`] UTF-16 units (longer ones are "too long").
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.encode_utf16().count() > MAX_TEXT_LENGTH {
            return Err(de::Error::custom("is too long"));
        }
        Ok(Text(text))
    }
}

/// `true` or `false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl Visitor<'_> for Expect {
            type Value = Flag;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("true or false")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Flag, E> {
                Ok(Flag(value))
            }
        }
        deserializer.deserialize_bool(Expect)
    }
}

/// Any number (its meaning is checked where it is used).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Number(pub f64);

/// The reader gives every number as an f64, as JS holds it, and says "must be a number" of
/// anything else itself.
impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Number)
    }
}

/// An array of at most `MAX` entries.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct List<T, const MAX: usize>(pub Vec<T>);

impl<T, const MAX: usize> Default for List<T, MAX> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for List<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect<T, const MAX: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Expect<T, MAX> {
            type Value = List<T, MAX>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(entry) = entries.next_element()? {
                    if list.len() == MAX {
                        return Err(de::Error::custom(format!("must have at most {MAX} entries")));
                    }
                    list.push(entry);
                }
                Ok(List(list))
            }
        }
        deserializer.deserialize_seq(Expect(PhantomData))
    }
}

/// An object's entries in order, each key read as a `K`: model names, platforms.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Expect<K, V> {
            type Value = Entries<K, V>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a plain object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Expect(PhantomData))
    }
}

/// A value of a server's response: `None` when absent or of another kind, which the response's
/// reader then treats as not given (see [`read_leniently`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Lenient(T::deserialize(deserializer).ok()))
    }
}

/// A field that tells "not given" (the key is absent) from `null` (cleared) and a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Setting<T> {
    #[default]
    Unset,
    Cleared,
    To(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Setting::Cleared, Setting::To))
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    /// JSON values stand in for JS values in host tests (for every module's tests: a trait impl
    /// holds crate-wide): objects are plain, and nothing throws.
    impl Value for serde_json::Value {
        fn is_missing(&self) -> bool {
            self.is_null()
        }

        fn as_bool(&self) -> Option<bool> {
            serde_json::Value::as_bool(self)
        }

        fn as_number(&self) -> Option<f64> {
            self.as_f64()
        }

        fn as_text(&self) -> Option<String> {
            self.as_str().map(str::to_string)
        }

        fn list_length(&self) -> Option<u32> {
            self.as_array().map(|list| list.len() as u32)
        }

        fn is_plain_object(&self) -> bool {
            serde_json::Value::is_object(self)
        }

        fn is_object(&self) -> bool {
            serde_json::Value::is_object(self)
        }

        fn keys(&self) -> Result<Vec<Self>, Unreadable> {
            let keys = self.as_object().map(|object| object.keys().cloned().map(serde_json::Value::String).collect());
            Ok(keys.unwrap_or_default())
        }

        fn get(&self, key: &Self) -> Result<Self, Unreadable> {
            let value = key.as_str().and_then(|key| serde_json::Value::get(self, key));
            Ok(value.cloned().unwrap_or(serde_json::Value::Null))
        }

        fn has_key(&self, key: &str) -> bool {
            self.as_object().is_some_and(|object| object.contains_key(key))
        }

        fn at(&self, index: u32) -> Result<Self, Unreadable> {
            Ok(serde_json::Value::get(self, index as usize).cloned().unwrap_or(serde_json::Value::Null))
        }

        fn into_handle(self) -> Option<u32> {
            None
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Sample {
        count: Option<Whole<1, 4>>,
        names: Option<List<Text, 2>>,
        flag: Option<Flag>,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Nested {
        level: Option<Whole<0, 9>>,
    }

    fn read(value: J) -> Result<Sample, PowerPostError> {
        from_json(value, &Path::argument("sample"))
    }

    #[test]
    fn whole_numbers_are_checked_for_type_range_and_fraction() {
        assert_eq!(read(json!({"count": 3})).unwrap().count, Some(Whole(3)));
        assert_eq!(read(json!({"count": 1.0})).unwrap().count, Some(Whole(1)));
        for bad in [json!(0), json!(5), json!(-1), json!(2.5), json!("2"), json!(1e308), json!([2]), json!({})] {
            let error = read(json!({ "count": bad })).expect_err(&bad.to_string());
            assert_eq!(error.message, "sample.count must be a whole number from 1 to 4");
            assert_eq!(error.field.as_deref(), Some("sample.count"));
        }
        let at = Path::fields_of("plan").key("images").index(0).key("quantity");
        assert_eq!(Whole::<1, 4>::required(Some(Whole(2)), || at.clone()).unwrap(), 2);
        assert_eq!(
            Whole::<1, 4>::required(None, || at.clone()).unwrap_err().message,
            "images[0].quantity must be a whole number from 1 to 4"
        );
    }

    #[test]
    fn a_short_set_of_names_says_each() {
        assert_eq!(Choice::one_of(&["a"]), "must be \"a\"");
        assert_eq!(Choice::one_of(&["a", "b"]), "must be \"a\" or \"b\"");
        assert_eq!(Choice::one_of(&["a", "b", "c"]), "must be \"a\", \"b\" or \"c\"");
        assert_eq!(Choice::one_of(&[]), "must be given");
    }

    #[test]
    fn null_reads_as_not_given() {
        let sample = read(json!({"count": null, "nested": null})).unwrap();
        assert_eq!((sample.count, sample.nested.is_none()), (None, true));
    }

    #[test]
    fn unknown_keys_are_named_at_every_level() {
        let error = read(json!({"cuont": 2})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("sample.cuont"));
        assert_eq!(error.message, "sample.cuont is not a known field; expected one of count, names, flag, nested");
        let error = read(json!({"nested": {"levle": 1}})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("sample.nested.levle"));
        assert_eq!(error.message, "sample.nested.levle is not a known field; expected one of level");
    }

    #[test]
    fn objects_must_be_objects() {
        for bad in [json!([]), json!("x"), json!(1), json!(null)] {
            let error = read(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(
                (error.field.as_deref(), error.message.as_str()),
                (Some("sample"), "sample must be a plain object")
            );
        }
        let error = read(json!({"nested": [1]})).unwrap_err();
        assert_eq!(error.message, "sample.nested must be a plain object");
    }

    #[test]
    fn arrays_are_bounded_and_entries_get_indexed_paths() {
        assert_eq!(read(json!({"names": ["a", "b"]})).unwrap().names.unwrap().0.len(), 2);
        let error = read(json!({"names": ["a", "b", "c"]})).unwrap_err();
        assert_eq!(error.message, "sample.names must have at most 2 entries");
        let error = read(json!({"names": ["a", 5]})).unwrap_err();
        assert_eq!(
            (error.field.as_deref(), error.message.as_str()),
            (Some("sample.names[1]"), "sample.names[1] must be a string")
        );
        assert_eq!(read(json!({"names": "a"})).unwrap_err().message, "sample.names must be an array");
        let long = "x".repeat(MAX_TEXT_LENGTH + 1);
        assert_eq!(read(json!({ "names": [long] })).unwrap_err().message, "sample.names[0] is too long");
        let longest = "\u{e9}".repeat(MAX_TEXT_LENGTH);
        assert_eq!(read(json!({ "names": [longest] })).unwrap().names.unwrap().0[0].0.chars().count(), MAX_TEXT_LENGTH);
    }

    #[test]
    fn flags_and_settings_read_what_they_say() {
        assert_eq!(read(json!({"flag": true})).unwrap().flag, Some(Flag(true)));
        assert_eq!(read(json!({"flag": "yes"})).unwrap_err().message, "sample.flag must be true or false");
        let setting = |value| from_json::<Setting<Whole<0, 9>>>(value, &Path::argument("s"));
        assert_eq!(setting(json!(null)).unwrap(), Setting::Cleared);
        assert_eq!(setting(json!(4)).unwrap(), Setting::To(Whole(4)));
    }

    #[test]
    fn numbers_and_entries_say_what_they_expect() {
        let balance = Path::argument("balance");
        assert_eq!(from_json::<Number>(json!("7"), &balance).unwrap_err().message, "balance must be a number");
        assert_eq!(from_json::<Number>(json!(7), &balance).ok(), Some(Number(7.0)));
        let entries = |value| from_json::<Entries<String, Whole<0, 9>>>(value, &Path::argument("surcharges"));
        assert_eq!(entries(json!([1])).unwrap_err().message, "surcharges must be a plain object");
        assert_eq!(entries(json!("x")).unwrap_err().message, "surcharges must be a plain object");
        assert_eq!(
            entries(json!({"x": 2, "y": 3})).unwrap().0,
            [("x".to_string(), Whole(2)), ("y".to_string(), Whole(3))]
        );
        assert_eq!(entries(json!({"x": 2, "y": 10})).unwrap_err().field.as_deref(), Some("surcharges.y"));
    }

    #[test]
    fn paths_name_fields_under_their_argument() {
        let plan = Path::fields_of("plan");
        assert_eq!(plan.to_string(), "plan");
        assert_eq!(plan.key("images").index(1).key("quantity").to_string(), "images[1].quantity");
        let options = Path::argument("options");
        assert_eq!(options.to_string(), "options");
        assert_eq!(options.key("rateCard").key("version").to_string(), "options.rateCard.version");
        assert_eq!(options.index(0).to_string(), "options[0]");
        assert_eq!(plan.key("").to_string(), "\"\"", "an empty key is shown as one");
        assert_eq!(options.key("").key("x").to_string(), "options.\"\".x");
        let error = options.key("timeoutMs").invalid("must be positive");
        assert_eq!(
            (error.field.as_deref(), error.message.as_str()),
            (Some("options.timeoutMs"), "options.timeoutMs must be positive")
        );
        let error = from_json::<Sample>(json!({"nested": {"level": 10}}), &plan).unwrap_err();
        assert_eq!(error.message, "nested.level must be a whole number from 0 to 9");
    }

    /// A type that nests as deep as it is given.
    #[derive(Debug, Deserialize)]
    struct Nest {
        #[allow(dead_code)]
        inner: Option<Box<Nest>>,
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| (0..depth).fold(json!({}), |inner, _| json!({ "inner": inner }));
        assert!(from_json::<Nest>(nested(MAX_DEPTH as usize), &Path::argument("nest")).is_ok());
        let error = from_json::<Nest>(nested(MAX_DEPTH as usize + 1), &Path::argument("nest")).unwrap_err();
        assert!(error.message.ends_with(".inner is nested too deeply"), "{}", error.message);
        assert_eq!(error.field.unwrap().matches(".inner").count(), MAX_DEPTH as usize + 1);
        let deep_list = (0..1_000).fold(json!(1), |inner, _| json!([inner]));
        let error = read(json!({ "names": deep_list })).unwrap_err();
        assert_eq!(error.message, "sample.names[0] must be a string");
    }

    /// A derived newtype: read through what it wraps, not as a value kept as it is.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Wrapped(Number);

    #[test]
    fn newtypes_read_what_they_wrap_and_errors_say_their_expectation() {
        assert_eq!(from_json::<Wrapped>(json!(3), &Path::argument("n")).unwrap(), Wrapped(Number(3.0)));
        let Err(error) = Whole::<1, 4>::deserialize(Reader::new(json!(9))) else { panic!("9 is out of range") };
        assert_eq!(error.to_string(), "must be a whole number from 1 to 4");
    }

    #[derive(Debug, Deserialize)]
    struct Required {
        #[allow(dead_code)]
        given: u32,
    }

    #[test]
    fn a_required_field_is_named_and_kept_values_need_a_runtime() {
        let error = from_json::<Required>(json!({}), &Path::argument("options")).unwrap_err();
        assert_eq!(error.message, "options.given is required");
        struct Kept;
        impl<'de> Deserialize<'de> for Kept {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Expect;
                impl Visitor<'_> for Expect {
                    type Value = Kept;
                    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                        formatter.write_str("a value of the runtime")
                    }
                }
                deserializer.deserialize_newtype_struct(KEPT_AS_IS, Expect)
            }
        }
        let error = from_json::<Kept>(json!(1), &Path::argument("signal")).err().unwrap();
        assert_eq!(error.message, "signal must be a value of the runtime");
    }

    /// JSON where some strings stand for what only JS has: `"!throws"` a property whose getter
    /// throws, `"!date"` a `Date`, `"!function"` a function.
    struct Hostile(J);

    impl Hostile {
        fn is(&self, what: &str) -> bool {
            self.0.as_str() == Some(what)
        }

        fn child(value: J) -> Result<Self, Unreadable> {
            match value.as_str() {
                Some("!throws") => Err(Unreadable),
                _ => Ok(Hostile(value)),
            }
        }
    }

    impl Value for Hostile {
        fn is_missing(&self) -> bool {
            self.0.is_missing()
        }
        fn as_bool(&self) -> Option<bool> {
            Value::as_bool(&self.0)
        }
        fn as_number(&self) -> Option<f64> {
            Value::as_number(&self.0)
        }
        fn as_text(&self) -> Option<String> {
            self.0.as_text().filter(|_| !self.is("!date") && !self.is("!function"))
        }
        fn list_length(&self) -> Option<u32> {
            self.0.list_length()
        }
        fn is_plain_object(&self) -> bool {
            self.0.is_plain_object()
        }
        fn is_object(&self) -> bool {
            self.is("!date") || self.0.is_plain_object()
        }
        fn keys(&self) -> Result<Vec<Self>, Unreadable> {
            if self.0.get("!keys") == Some(&json!("!throws")) {
                return Err(Unreadable);
            }
            Ok(self.0.keys()?.into_iter().map(Hostile).collect())
        }
        fn get(&self, key: &Self) -> Result<Self, Unreadable> {
            Hostile::child(Value::get(&self.0, &key.0)?)
        }
        fn has_key(&self, key: &str) -> bool {
            self.0.has_key(key)
        }
        fn at(&self, index: u32) -> Result<Self, Unreadable> {
            Hostile::child(self.0.at(index)?)
        }
        fn into_handle(self) -> Option<u32> {
            None
        }
    }

    #[test]
    fn what_throws_or_is_not_plain_data_is_named() {
        let read = |value| crate::input::read::<Sample, _>(Hostile(value), &Path::argument("sample"));
        let cases = [
            (json!({"count": "!throws"}), "sample.count could not be read: a property getter or a Proxy threw"),
            (
                json!({"names": ["a", "!throws"]}),
                "sample.names[1] could not be read: a property getter or a Proxy threw",
            ),
            (
                json!({"nested": {"!keys": "!throws"}}),
                "sample.nested could not be read: a property getter or a Proxy threw",
            ),
            (json!("!date"), "sample must be a plain object"),
            (json!({"nested": "!date"}), "sample.nested must be a plain object"),
            (json!({"count": "!date"}), "sample.count must be a whole number from 1 to 4"),
            (json!({"flag": "!function"}), "sample.flag must be true or false"),
            (json!({"names": "!date"}), "sample.names must be an array"),
        ];
        for (value, message) in cases {
            assert_eq!(read(value.clone()).unwrap_err().message, message, "{value}");
        }
    }
}
