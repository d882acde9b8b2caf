//! The reader's host tests, over JSON values.

use std::fmt;

use serde::de::{Deserializer, Visitor};
use serde::Deserialize;
use serde_json::{json, Value as J};

use super::de::MAX_DEPTH;
use super::*;

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

/// How a key or a name reached its visitor: by its index among serde's names, or as text.
#[derive(Debug, PartialEq)]
enum Reached {
    Index(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for Reached {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl Visitor<'_> for Expect {
            type Value = Reached;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a key")
            }
            fn visit_u64<E: serde::de::Error>(self, index: u64) -> Result<Reached, E> {
                Ok(Reached::Index(index))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Reached, E> {
                Ok(Reached::Text(text.to_string()))
            }
        }
        deserializer.deserialize_identifier(Expect)
    }
}

/// The keys of `value` as a struct with fields `a` and `b` reaches them.
fn keys_reached(value: J) -> Vec<Reached> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<Reached>;
        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<Reached>, A::Error> {
            let mut keys = Vec::new();
            while let Some((key, _)) = map.next_entry::<Reached, serde::de::IgnoredAny>()? {
                keys.push(key);
            }
            Ok(keys)
        }
    }
    let reader = Reader::new(value);
    reader.deserialize_struct("AB", &["a", "b"], Keys).unwrap()
}

#[test]
fn a_struct_reaches_its_known_keys_by_index_and_others_as_text() {
    // JSON objects of the host tests keep their keys sorted.
    let keys = keys_reached(json!({"b": 1, "zz": 2, "a": 3}));
    assert_eq!(keys, [Reached::Index(0), Reached::Index(1), Reached::Text(String::from("zz"))]);
}

#[test]
fn a_name_is_read_by_its_index_among_the_names() {
    let names: &'static [&'static str] = &["regular", "deep"];
    let read = |value: J| Choice::read(Reader::new(value), names);
    assert!(matches!(read(json!("deep")), Choice::Known(1)));
    assert!(matches!(read(json!("regular")), Choice::Known(0)));
    assert!(matches!(read(json!("shallow")), Choice::Unknown));
    assert!(matches!(read(json!(1)), Choice::NotText));
    assert_eq!(read(json!("deep")).among(&[10, 20]), Some(20));
    assert_eq!(Choice::Known(2).among(&[10, 20]), None);
    assert_eq!(read(json!(1)).listed(&[10, 20], names, "mode").unwrap_err(), "must be a string");
    assert_eq!(
        read(json!("x")).listed(&[10, 20], names, "mode").unwrap_err(),
        "is not a known mode; expected one of regular, deep"
    );
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
        assert_eq!((error.field.as_deref(), error.message.as_str()), (Some("sample"), "sample must be a plain object"));
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
    assert_eq!(entries(json!({"x": 2, "y": 3})).unwrap().0, [("x".to_string(), Whole(2)), ("y".to_string(), Whole(3))]);
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
        (json!({"names": ["a", "!throws"]}), "sample.names[1] could not be read: a property getter or a Proxy threw"),
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
