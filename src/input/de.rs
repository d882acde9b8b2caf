//! The serde `Deserializer` over one of the runtime's values ([`Reader`]), serde's
//! `MapAccess` and `SeqAccess` over its objects and arrays, and the `Deserializer` of an
//! object's key ([`Key`]): a name its type knows, by index, or else its text.

use serde::de::{DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::{is_whole, Error, Shape, Unreadable, Value, KEPT_AS_IS, MAX_SAFE_INTEGER};

/// How deep the reader goes into nested objects and arrays; no input type nests nearly as deep.
pub(super) const MAX_DEPTH: u32 = 32;

/// The serde `Deserializer` over one value.
pub(crate) struct Reader<V> {
    value: V,
    /// Objects and arrays above this value.
    depth: u32,
}

impl<V: Value> Reader<V> {
    pub(super) fn new(value: V) -> Self {
        Reader { value, depth: 0 }
    }

    /// A value of an object or array at `depth`.
    fn below(depth: u32, value: V) -> Result<Self, Error> {
        if depth >= MAX_DEPTH {
            return Err(Error::new(String::from("is nested too deeply")));
        }
        Ok(Reader { value, depth: depth + 1 })
    }

    /// The value, known to be a plain object, by its entries; `names` are the keys its type
    /// knows (a struct's fields), or none.
    fn object<'de, T: Visitor<'de>>(self, names: &'static [&'static str], visitor: T) -> Result<T::Value, Error> {
        let keys = self.value.keys().map_err(|Unreadable| unreadable())?;
        let object = ObjectReader {
            object: self.value,
            depth: self.depth,
            names,
            keys: keys.into_iter(),
            key: None,
            text: String::new(),
        };
        visitor.visit_map(object)
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
            Shape::Object => self.object(&[], visitor),
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
            self.object(&[], visitor)
        } else {
            Err(Error::expected(&visitor))
        }
    }

    /// Likewise; what a derived struct expects is worded here ("struct PostPlan" is serde's).
    fn deserialize_struct<T: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: T,
    ) -> Result<T::Value, Error> {
        if self.value.is_plain_object() {
            self.object(fields, visitor)
        } else {
            Err(not_an_object())
        }
    }

    /// A name of `variants` (a unit variant: what the package's enums are).
    fn deserialize_enum<T: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: T,
    ) -> Result<T::Value, Error> {
        name_among(&self.value, variants, visitor)
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
        unit unit_struct tuple tuple_struct identifier
    }
}

/// `value` read as one of `names`, as serde's `EnumAccess` of a unit variant: found by the
/// runtime and given by its index, so that a known name's text is never copied; a string that
/// is none of them is given as text (for the visitor to refuse in its words).
fn name_among<'de, V: Value, T: Visitor<'de>>(
    value: &V,
    names: &'static [&'static str],
    visitor: T,
) -> Result<T::Value, Error> {
    match index_among(value, names) {
        Some(index) => visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(index)),
        None => match value.as_text() {
            Some(text) => visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(text)),
            None => Err(Error::expected(&visitor)),
        },
    }
}

/// Where `value` is among `names`. The index is serde's own: a derived identifier's
/// `visit_u64` counts its fields as `names` lists them, which holds while no field has a
/// `#[serde(alias)]` (an alias is listed, but not counted; `tests/layers.test.mjs` refuses one).
#[inline(never)]
fn index_among<V: Value>(value: &V, names: &'static [&'static str]) -> Option<u32> {
    if names.is_empty() {
        return None;
    }
    value.index_among(names)
}

/// An object's key, as serde reads it: one of the names its type knows (found by the
/// runtime, see [`name_among`]), given to an identifier by index, or else its text.
enum Key<'a> {
    Known { name: &'static str, index: u32 },
    Other(&'a str),
}

impl<'de> Deserializer<'de> for Key<'_> {
    type Error = Error;

    fn deserialize_any<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self {
            Key::Known { name, .. } => visitor.visit_borrowed_str(name),
            Key::Other(text) => visitor.visit_str(text),
        }
    }

    /// Inlined into each type's reading of its keys, to which it would otherwise add a
    /// function of its own.
    #[inline]
    fn deserialize_identifier<T: Visitor<'de>>(self, visitor: T) -> Result<T::Value, Error> {
        match self {
            Key::Known { index, .. } => visitor.visit_u64(u64::from(index)),
            Key::Other(text) => visitor.visit_str(text),
        }
    }

    /// A key of a map of names (platforms, models), read as text.
    fn deserialize_enum<T: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: T,
    ) -> Result<T::Value, Error> {
        match self {
            Key::Known { name, .. } => visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(name)),
            Key::Other(text) => visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(text)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct ignored_any
    }
}

/// An object's entries, each key read when it is reached and its value when asked for.
struct ObjectReader<V> {
    object: V,
    depth: u32,
    /// The keys the object's type knows (see [`Key`]).
    names: &'static [&'static str],
    keys: std::vec::IntoIter<V>,
    /// The key whose value comes next, as the runtime holds it.
    key: Option<V>,
    /// The text of that key when it is none of `names`.
    text: String,
}

impl<V: Value> ObjectReader<V> {
    /// The next key, or `None` after the last.
    #[inline(never)]
    fn next_key(&mut self) -> Option<Key<'_>> {
        let key = self.keys.next()?;
        let known = index_among(&key, self.names).and_then(|index| Some((*self.names.get(index as usize)?, index)));
        let read = match known {
            Some((name, index)) => Key::Known { name, index },
            None => {
                self.text = key.as_text().unwrap_or_default();
                Key::Other(&self.text)
            }
        };
        self.key = Some(key);
        Some(read)
    }

    /// `error`, of the key just read.
    #[cold]
    #[inline(never)]
    fn in_key(&self, error: Error) -> Error {
        match &self.key {
            Some(key) => error.in_key_of(key),
            None => error,
        }
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
        let Some(key) = self.next_key() else { return Ok(None) };
        seed.deserialize(key).map(Some).map_err(|error| self.in_key(error))
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
