//! The serde `Deserializer` over one of the runtime's values ([`Reader`]), and serde's
//! `MapAccess` and `SeqAccess` over its objects and arrays.

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
