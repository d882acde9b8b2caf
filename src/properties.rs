//! Property tests across the floors: every type caller input is read into, read by the input
//! reader from arbitrary values. No value makes it panic, and every error names the argument
//! or a field that exists in the value (the reader names only what it was given).

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value as J};

use crate::credits::key::ApiKey;
use crate::credits::options::{AffordOptions, ClientAffordOptions, ClientOptions, RequestOptions};
use crate::credits::watch::WatchOptions;
use crate::input::{from_json, Number, Path};
use crate::pricing::plan::{EstimateOptions, PostPlan, ESTIMATE_OPTIONS, PLAN};
use crate::pricing::rate_card::RateCardOverrides;
use crate::pricing::settle::{Cost, EstimateInput, Outcome, BALANCE, COST, ESTIMATE, OUTCOME};

/// Every key a plan, rate card or settlement reads, and a few no type does; the options' keys
/// are added from the option types themselves ([`keys`]).
const KEYS: &[&str] = &[
    "caption",
    "images",
    "videos",
    "publish",
    "researchMode",
    "imageInputs",
    "videoInputSeconds",
    "sourceUrls",
    "postTypes",
    "model",
    "quantity",
    "size",
    "durationSeconds",
    "audio",
    "rateCard",
    "version",
    "imageModels",
    "videoModels",
    "regular",
    "deep",
    "perImageInput",
    "perSourceUrl",
    "videoInput",
    "perUnit",
    "unitSeconds",
    "perImage",
    "sizes",
    "perSecond",
    "audioPerSecond",
    "durations",
    "base",
    "surcharges",
    "x",
    "flux2-flex",
    "veo-3.1",
    "items",
    "kind",
    "label",
    "credits",
    "index",
    "unitCredits",
    "baseCredits",
    "succeeded",
    "failed",
    "postType",
    "status",
    "total",
    "a.b",
    "[0]",
    "",
];

/// The field names serde hands a format for the struct `T`, renames applied: what a caller may
/// write in it.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{value::Error, Error as _, Visitor};
    struct Fields(std::cell::Cell<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &Fields {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            self.0.set(fields);
            Err(Error::custom("fields taken"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let fields = Fields(std::cell::Cell::new(&[]));
    let _ = T::deserialize(&fields);
    fields.0.get()
}

/// [`KEYS`] and every option of every call, taken from the option types: an option added to
/// one is fuzzed without a word here.
fn keys() -> Vec<&'static str> {
    let mut keys = KEYS.to_vec();
    for fields in [
        fields_of::<ClientOptions<(), (), ()>>(),
        fields_of::<ClientAffordOptions<(), (), ()>>(),
        fields_of::<WatchOptions<()>>(),
        fields_of::<EstimateOptions>(),
    ] {
        keys.extend(fields.iter().filter(|field| !KEYS.contains(field)));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Any JSON value, its objects made of the keys input types read (and a few none does).
pub(crate) fn arbitrary_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<f64>().prop_map(|n| serde_json::Number::from_f64(n).map_or(J::Null, J::Number)),
        (-5i64..700).prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "regular",
            "deep",
            "flux2-flex",
            "square",
            "x-post",
            "instagram-feed",
            "x",
            "caption",
            "image",
            "publish",
            "succeeded",
            "posted",
            "failed",
            "bearer",
            "https://powerpost.ai",
            "pp_live_sk_abc",
            "",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map(prop::sample::select(keys()), inner, 0..6)
                .prop_map(|m| J::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Whether `rest` (a field without its argument's name) leads to a value inside `value`.
/// Keys may hold `.` and `[` themselves, so every key that fits is tried.
fn leads_into(value: &J, rest: &str) -> bool {
    if rest.is_empty() {
        return true;
    }
    let index = rest.strip_prefix('[').and_then(|after| after.split_once(']'));
    let entry = index.and_then(|(index, after)| Some((value.get(index.parse::<usize>().ok()?)?, after)));
    if entry.is_some_and(|(entry, after)| leads_into(entry, after)) {
        return true;
    }
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    value.as_object().is_some_and(|object| {
        object.iter().any(|(key, entry)| {
            let shown = if key.is_empty() { "\"\"" } else { key.as_str() };
            rest.strip_prefix(shown)
                .is_some_and(|after| (after.is_empty() || after.starts_with(['.', '['])) && leads_into(entry, after))
        })
    })
}

/// Reads `value` as a `T` under `at`; an error must name `at` itself or a field of `value`.
fn check<T: DeserializeOwned>(value: &J, at: &Path) -> Result<(), TestCaseError> {
    let Err(error) = from_json::<T>(value.clone(), at) else { return Ok(()) };
    let field = error.field.clone().unwrap_or_default();
    let root = at.to_string();
    prop_assert!(error.message.starts_with(&field), "{}", error.message);
    if field == root {
        return Ok(());
    }
    let named = at.key("x").to_string() != "x";
    let rest = if named { field.strip_prefix(&root) } else { Some(field.as_str()) };
    prop_assert!(rest.is_some_and(|rest| leads_into(value, rest)), "{field} is not in {value}: {}", error.message);
    Ok(())
}

proptest! {
    #[test]
    fn every_input_type_reads_any_value_or_names_a_field_it_was_given(value in arbitrary_json()) {
        let options = Path::argument("options");
        check::<PostPlan>(&value, &PLAN)?;
        check::<Option<EstimateOptions>>(&value, &ESTIMATE_OPTIONS)?;
        check::<RateCardOverrides>(&value, &Path::argument("rateCard"))?;
        check::<EstimateInput>(&value, &ESTIMATE)?;
        check::<Option<Outcome>>(&value, &OUTCOME)?;
        check::<Option<RequestOptions<(), ()>>>(&value, &options)?;
        check::<Option<ClientOptions<(), (), ()>>>(&value, &options)?;
        check::<Option<AffordOptions<(), ()>>>(&value, &options)?;
        check::<Option<ClientAffordOptions<(), (), ()>>>(&value, &options)?;
        check::<Option<WatchOptions<()>>>(&value, &options)?;
        check::<ApiKey>(&value, &Path::argument("apiKey"))?;
        check::<Number>(&value, &BALANCE)?;
        check::<Cost>(&value, &COST)?;
    }
}

#[test]
fn the_fuzzed_keys_hold_the_option_types_fields() {
    let keys = keys();
    for options in [fields_of::<ClientAffordOptions<(), (), ()>>(), fields_of::<WatchOptions<()>>()] {
        assert!(options.len() >= 3, "{options:?}");
        assert!(options.iter().all(|option| keys.contains(option)), "{options:?}");
    }
    for option in ["store", "storeTimeoutMs", "onStoreError", "rateCard", "intervalMs"] {
        assert!(keys.contains(&option), "{option}");
    }
}

#[test]
fn a_field_is_found_only_where_it_is() {
    let value = json!({"imageModels": {"gpt-image-1.5": {"sizes": ["a"]}}, "images": [{}, {"model": 1}]});
    assert!(leads_into(&value, "imageModels.gpt-image-1.5.sizes[0]"));
    assert!(leads_into(&value, "images[1].model"));
    assert!(!leads_into(&value, "images[2]"));
    assert!(!leads_into(&value, "images[1].size"));
    assert!(!leads_into(&value, "imageModels.gpt-image-1"));
}

/// The field names a file words in its messages: each `key("…")` and `at("…")`, and the name
/// given with a value to `credits_of` or `count` (settlement's helpers that build the path).
fn worded_fields(source: &'static str) -> Vec<&'static str> {
    let mut fields = Vec::new();
    for line in source.lines() {
        for opening in ["key(\"", "at(\""] {
            for (start, _) in line.match_indices(opening) {
                let rest = &line[start + opening.len()..];
                fields.extend(rest.split_once('"').map(|(field, _)| field));
            }
        }
        for helper in ["credits_of(", "count("] {
            for (start, _) in line.match_indices(helper) {
                let call = &line[start..];
                let call = &call[..call.find(')').unwrap_or(call.len())];
                fields.extend(call.split('"').nth(1));
            }
        }
    }
    fields
}

/// The pricing code names fields again where it checks what the reader read (`must list at
/// least one size` at `…sizes`): each such name is a field of an input type, renames applied.
#[test]
fn the_fields_pricing_words_are_its_input_types_fields() {
    use crate::pricing::calibrate::Charge;
    use crate::pricing::plan::{CaptionPlan, ImagePlan, PublishPlan, VideoPlan};
    use crate::pricing::rate_card::{ImageModelOverride, VideoModelOverride};
    use crate::pricing::settle::{EstimateTotal, ImageOutcome, LineInput, PublishOutcome};
    let known: Vec<&str> = [
        fields_of::<PostPlan>(),
        fields_of::<CaptionPlan>(),
        fields_of::<ImagePlan>(),
        fields_of::<VideoPlan>(),
        fields_of::<PublishPlan>(),
        fields_of::<EstimateOptions>(),
        fields_of::<RateCardOverrides>(),
        fields_of::<ImageModelOverride>(),
        fields_of::<VideoModelOverride>(),
        fields_of::<EstimateInput>(),
        fields_of::<LineInput>(),
        fields_of::<Outcome>(),
        fields_of::<ImageOutcome>(),
        fields_of::<PublishOutcome>(),
        fields_of::<EstimateTotal>(),
        fields_of::<Charge>(),
    ]
    .concat();
    let sources = [
        include_str!("pricing/estimate.rs"),
        include_str!("pricing/rate_card.rs"),
        include_str!("pricing/settle.rs"),
        include_str!("pricing/calibrate.rs"),
    ];
    let worded: Vec<&str> = sources.into_iter().flat_map(worded_fields).collect();
    assert!(worded.len() >= 30, "{worded:?}");
    let unknown: Vec<&&str> = worded.iter().filter(|field| !known.contains(field)).collect();
    assert!(unknown.is_empty(), "not fields of an input type: {unknown:?}");
}
