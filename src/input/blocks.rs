//! The building blocks input types are made of, each with its own message ("must be a whole
//! number from 1 to 4"): whole numbers, named enums, texts, flags, numbers, bounded lists,
//! entries, lenient parts of a response, and settings that may be `null`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Path, MAX_TEXT_LENGTH};
use crate::error::PowerPostError;

/// Largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whether `number` is a whole number from `min` to `max` (never when it is not finite): the one
/// test of every count, bound and cost read.
pub(crate) fn is_whole(number: f64, min: f64, max: f64) -> bool {
    number.fract() == 0.0 && (min..=max).contains(&number)
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
/// variant with its name, `ALL`, `NAMES`, `name()`, and serde through them: written as its
/// name, read as a [`Choice`] among `NAMES`. A short set says what it takes when given
/// anything else (`else among`: `must be "regular" or "deep"`, also `expected()`); a long one,
/// the kind of name it wanted and every one there is (`else listed("post type")`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }
        else $read:ident $(($what:expr))?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub(crate) const ALL: [$name; [$($text),+].len()] = [$(Self::$variant),+];
            /// Each variant's name, in the order of `ALL`.
            pub(crate) const NAMES: &'static [&'static str] = &[$($text),+];

            pub(crate) fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }
        }

        /// Written as serde writes a unit variant: serde-wasm-bindgen writes its name as a JS
        /// string it makes once.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_unit_variant(stringify!($name), *self as u32, self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let choice = crate::input::Choice::read(deserializer, Self::NAMES);
                Self::try_from(choice).map_err(serde::de::Error::custom)
            }
        }

        crate::input::named_enum!(@$read $name $(($what))?);
    };
    (@among $name:ident) => {
        impl $name {
            /// What a caller is told when giving anything else: `must be "a" or "b"`.
            pub(crate) fn expected() -> String {
                crate::input::Choice::one_of(Self::NAMES)
            }
        }

        impl TryFrom<crate::input::Choice> for $name {
            type Error = String;

            fn try_from(choice: crate::input::Choice) -> Result<Self, String> {
                choice.among(&Self::ALL).ok_or_else(Self::expected)
            }
        }
    };
    (@listed $name:ident ($what:expr)) => {
        impl TryFrom<crate::input::Choice> for $name {
            type Error = String;

            fn try_from(choice: crate::input::Choice) -> Result<Self, String> {
                choice.listed(&Self::ALL, Self::NAMES, $what)
            }
        }
    };
}
pub(crate) use named_enum;

/// What a caller gave where a name of a closed set is expected (see [`named_enum`]).
#[derive(Debug)]
pub(crate) enum Choice {
    /// The set's name at this index (`among` finds none when it is out of range).
    Known(usize),
    /// Another string.
    Unknown,
    /// Anything but a string.
    NotText,
}

impl Choice {
    /// What `deserializer` holds, read as serde reads a unit variant of an enum whose variants
    /// are `names`: a format may find it among them and give its index.
    pub(crate) fn read<'de, D: Deserializer<'de>>(deserializer: D, names: &'static [&'static str]) -> Choice {
        deserializer.deserialize_enum("", names, Names(names)).unwrap_or(Choice::NotText)
    }

    /// The one of `all` given, if it is one.
    pub(crate) fn among<T: Copy>(&self, all: &[T]) -> Option<T> {
        match self {
            Choice::Known(index) => all.get(*index).copied(),
            Choice::Unknown | Choice::NotText => None,
        }
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

    /// The one of `all` (named `names`) given; another string is told every name there is, as
    /// a set too long to spell out in a sentence (`what`: "post type").
    pub(crate) fn listed<T: Copy>(&self, all: &[T], names: &[&str], what: &str) -> Result<T, String> {
        if let Choice::NotText = self {
            return Err(String::from("must be a string"));
        }
        self.among(all).ok_or_else(|| format!("is not a known {what}; expected one of {}", names.join(", ")))
    }
}

/// The names of a [`Choice`]: serde's visitor of the enum, and the seed and visitor of its
/// variant's name.
struct Names(&'static [&'static str]);

impl<'de> Visitor<'de> for Names {
    type Value = Choice;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Choice, A::Error> {
        let (choice, variant) = data.variant_seed(self)?;
        de::VariantAccess::unit_variant(variant)?;
        Ok(choice)
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Choice, E> {
        Ok(usize::try_from(index).map_or(Choice::Unknown, Choice::Known))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Choice, E> {
        Ok(self.0.iter().position(|name| *name == text).map_or(Choice::Unknown, Choice::Known))
    }
}

impl<'de> de::DeserializeSeed<'de> for Names {
    type Value = Choice;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Choice, D::Error> {
        deserializer.deserialize_identifier(self)
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
