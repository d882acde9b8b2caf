//! How caller input is read: the serde building blocks every input type is made of, and the
//! one place where a deserialization error becomes an `INVALID_ARGUMENT` naming its field.
//!
//! Each block says what it expects, in a message of its own ("must be a whole number from 1 to
//! 4") or in serde's `expecting` ("an array"), which [`decode`] rewords from serde's standard
//! messages ("invalid type: string \"x\", expected an array" becomes "must be an array").
//! `null` and `undefined` both read as "not given", as serde-wasm-bindgen reads them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::PowerPostError;

/// Longest string read from caller input, in UTF-16 units (JS string length).
pub(crate) const MAX_TEXT_LENGTH: usize = 1024;

/// Reads `input` as a `T`; an error names the field, e.g. `images[0].quantity`, or
/// `argument` itself when the whole value is wrong. `prefix` goes before field paths:
/// `"options."` for `options.timeoutMs`, `""` for a plan's `caption.researchMode`.
pub(crate) fn decode<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    input: D,
    argument: &str,
    prefix: &str,
) -> Result<T, PowerPostError>
where
    D::Error: ErrorText,
{
    serde_path_to_error::deserialize(input).map_err(|error| {
        let field = field_name(error.path(), argument, prefix);
        PowerPostError::invalid_argument(field, &reworded(&error.inner().text()))
    })
}

/// What a deserializer's error says, without decoration.
pub(crate) trait ErrorText {
    fn text(&self) -> String;
}

#[cfg(all(test, not(target_arch = "wasm32")))]
impl ErrorText for serde_json::Error {
    fn text(&self) -> String {
        self.to_string()
    }
}

/// [`decode`] for a test's JSON, the host's stand-in for a JS value.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    input: serde_json::Value,
    argument: &str,
    prefix: &str,
) -> Result<T, PowerPostError> {
    decode(input, argument, prefix)
}

fn field_name(path: &serde_path_to_error::Path, argument: &str, prefix: &str) -> String {
    use serde_path_to_error::Segment;
    let mut field = String::from(prefix);
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !field.is_empty() && !field.ends_with('.') {
                    field.push('.');
                }
                field.push_str(key);
            }
            Segment::Unknown => field.push_str(".?"),
        }
    }
    if field.len() == prefix.len() {
        String::from(argument)
    } else {
        field
    }
}

/// serde's own messages in this package's words; messages the blocks below make themselves
/// pass through unchanged.
fn reworded(message: &str) -> String {
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        if let Some((_, expected)) = message.rsplit_once(", expected ") {
            return format!("must be {expected}");
        }
    }
    if message.starts_with("unknown field `") {
        return format!("is not a known field; expected one of {}", expected_names(message).join(", "));
    }
    message.to_string()
}

/// The names serde lists in backticks after "expected".
fn expected_names(message: &str) -> Vec<&str> {
    let expected = message.rsplit_once(", expected ").map_or("", |(_, list)| list);
    expected.split('`').skip(1).step_by(2).collect()
}

/// Implements `Deserialize` for structs derived with `#[serde(remote = "Self")]` so that they
/// read a JS object by its own keys, as a map: serde-wasm-bindgen would look up only the
/// declared fields, and `deny_unknown_fields` would never see a misspelt one. Arrays and
/// anything else that is not an object are refused ("must be a plain object"). A struct
/// generic over the runtime's values is named with its parameters (`WatchOptions<S>`).
macro_rules! read_as_object {
    ($($name:ident),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $name::deserialize($crate::input::AsObject(deserializer))
            }
        }
    )+};
    ($name:ident<$($param:ident),+>) => {
        impl<'de, $($param: serde::Deserialize<'de>),+> serde::Deserialize<'de> for $name<$($param),+> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $name::deserialize($crate::input::AsObject(deserializer))
            }
        }
    };
}
pub(crate) use read_as_object;

/// See [`read_as_object`]: a deserializer that serves a derived struct from a map.
pub(crate) struct AsObject<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for AsObject<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(ObjectOnly(visitor))
    }

    // A derived struct only ever asks for `deserialize_struct`.
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

struct ObjectOnly<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for ObjectOnly<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a plain object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

/// A whole number from `MIN` to `MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Whole<const MIN: u32, const MAX: u32>(pub u32);

impl<const MIN: u32, const MAX: u32> Whole<MIN, MAX> {
    fn expected() -> String {
        format!("must be a whole number from {MIN} to {MAX}")
    }

    /// The number a field that must be given holds, or an `INVALID_ARGUMENT` naming `field`.
    pub(crate) fn required(value: Option<Self>, field: impl FnOnce() -> String) -> Result<u32, PowerPostError> {
        value.map(|Whole(number)| number).ok_or_else(|| PowerPostError::invalid_argument(field(), &Self::expected()))
    }
}

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let expected = || de::Error::custom(Self::expected());
        let Number(number) = Number::deserialize(deserializer).map_err(|_| expected())?;
        if number >= f64::from(MIN) && number <= f64::from(MAX) && number.fract() == 0.0 {
            Ok(Whole(number as u32))
        } else {
            Err(expected())
        }
    }
}

/// Declares an enum of names, the package's one way of writing a closed set of choices: each
/// variant with its name, `ALL`, `name()`, and serde derived through them: written as its name,
/// read from a [`Choice`] by [`Choice::among`] or [`Choice::listed`], which say what else it
/// expects (`else among(r#"must be "regular" or "deep""#)`, `else listed("post type")`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }
        else $read:ident($expected:expr)
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

        impl TryFrom<crate::input::Choice> for $name {
            type Error = String;

            fn try_from(choice: crate::input::Choice) -> Result<Self, String> {
                choice.$read(&Self::ALL, Self::name, $expected)
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

    /// The one of `all` given; anything else is told `expected` (`must be "regular" or "deep"`).
    pub(crate) fn among<T: Copy>(
        &self,
        all: &[T],
        name_of: fn(T) -> &'static str,
        expected: &str,
    ) -> Result<T, String> {
        self.find(all, name_of).ok_or_else(|| expected.to_string())
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

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl Visitor<'_> for Expect {
            type Value = Number;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Number, E> {
                Ok(Number(number))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Number, E> {
                Ok(Number(number as f64))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Number, E> {
                Ok(Number(number as f64))
            }
        }
        deserializer.deserialize_f64(Expect)
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
        // `any`, not `seq`: serde-wasm-bindgen would iterate a string as a sequence.
        deserializer.deserialize_any(Expect(PhantomData))
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
        deserializer.deserialize_any(Expect(PhantomData))
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
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
    struct Sample {
        count: Option<Whole<1, 4>>,
        names: Option<List<Text, 2>>,
        flag: Option<Flag>,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(remote = "Self", deny_unknown_fields)]
    struct Nested {
        level: Option<Whole<0, 9>>,
    }

    read_as_object!(Sample, Nested);

    fn read(value: serde_json::Value) -> Result<Sample, PowerPostError> {
        from_json(value, "sample", "sample.")
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
        let setting = |value| from_json::<Setting<Whole<0, 9>>>(value, "s", "");
        assert_eq!(setting(json!(null)).unwrap(), Setting::Cleared);
        assert_eq!(setting(json!(4)).unwrap(), Setting::To(Whole(4)));
    }

    #[test]
    fn numbers_and_entries_say_what_they_expect() {
        assert_eq!(from_json::<Number>(json!("7"), "balance", "").unwrap_err().message, "balance must be a number");
        assert_eq!(from_json::<Number>(json!(7), "balance", "").ok(), Some(Number(7.0)));
        let entries = |value| from_json::<Entries<String, Whole<0, 9>>>(value, "surcharges", "");
        assert_eq!(entries(json!([1])).unwrap_err().message, "surcharges must be a plain object");
        assert_eq!(
            entries(json!({"x": 2, "y": 3})).unwrap().0,
            [("x".to_string(), Whole(2)), ("y".to_string(), Whole(3))]
        );
    }

    #[test]
    fn serde_messages_are_reworded() {
        assert_eq!(
            reworded("unknown field `a, expected b`, expected one of `c`, `d`"),
            "is not a known field; expected one of c, d"
        );
        assert_eq!(reworded("invalid type: string \"a, expected b\", expected an array"), "must be an array");
        assert_eq!(reworded("anything else"), "anything else");
    }
}
