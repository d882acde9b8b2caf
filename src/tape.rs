//! The tape: how whole values cross the wasm boundary in one call each way. Crossing once
//! per property cost ~150 ns a crossing on the reference machine, which made an estimate
//! take over 20 µs; a tape makes it one crossing in and one out.
//!
//! A tape is a sequence of f64: a tag, then the tag's payload.
//! - `UNDEFINED`, `NULL`, `FALSE`, `TRUE`, `OTHER` (function, symbol, bigint, class
//!   instance, or nesting deeper than the encoder goes), `LONG_STRING` (too long to copy);
//! - `NUMBER`, value;
//! - `STRING`, length, UTF-16 code units;
//! - `ARRAY`, length, span, elements;
//! - `OBJECT`, entry count, span, then per entry: a key, then its value;
//! - `STRING_ID`, id: a string of [`KNOWN_STRINGS`]. A key is its length and code units, or,
//!   for a known string, `-1 - id` in a single slot. Keys and catalogue values are nearly
//!   all known, so most strings cross as one number instead of one number per character.
//!
//! A container's span is how many slots its contents take, so a reader steps over it at once.
//!
//! `src/js/boundary.js` encodes JS values into tapes (into its own array, copied in the same
//! call into a buffer Rust keeps in linear memory and reuses) and decodes tapes into plain JS
//! values; [`TapeWriter`] writes tapes here and [`TapeValue`] reads them through the [`Value`]
//! view.

use crate::prelude::*;

use crate::error::PowerPostError;
use crate::value::{unknown_key_error, Names, Path, Text, Value};

const UNDEFINED: f64 = 0.0;
const NULL: f64 = 1.0;
const FALSE: f64 = 2.0;
const TRUE: f64 = 3.0;
const NUMBER: f64 = 4.0;
const STRING: f64 = 5.0;
const ARRAY: f64 = 6.0;
const OBJECT: f64 = 7.0;
const LONG_STRING: f64 = 9.0;
const STRING_ID: f64 = 10.0;

/// Every key and catalogue value the crate reads or writes. The JS side receives this list
/// once, at first use; ids are positions in it.
pub const KNOWN_STRINGS: [&str; 92] = [
    "affordable",
    "audio",
    "audioPerSecond",
    "balance",
    "base",
    "baseCredits",
    "caption",
    "charged",
    "code",
    "cost",
    "credits",
    "deep",
    "durationSeconds",
    "durations",
    "error",
    "facebook",
    "facebook-post",
    "facebook-reel",
    "facebook-story",
    "failed",
    "feed",
    "flux2-flex",
    "gpt-image-1.5",
    "ideogram-3",
    "image",
    "imageInputs",
    "imageModels",
    "images",
    "index",
    "instagram",
    "instagram-feed",
    "instagram-reel",
    "instagram-story",
    "items",
    "kind",
    "kling-3.0-pro",
    "label",
    "landscape",
    "limit",
    "linkedin",
    "linkedin-post",
    "message",
    "model",
    "nano-banana-2",
    "perImage",
    "perImageInput",
    "perSecond",
    "perSourceUrl",
    "perUnit",
    "portrait",
    "postType",
    "postTypes",
    "posted",
    "publish",
    "quantity",
    "rateCard",
    "rateCardVersion",
    "rateLimit",
    "refunded",
    "regular",
    "remaining",
    "requestId",
    "researchMode",
    "resetAt",
    "retryAfter",
    "runway-gen-4.5",
    "shortfall",
    "size",
    "sizes",
    "sourceUrls",
    "square",
    "status",
    "succeeded",
    "surcharges",
    "tiktok",
    "tiktok-photos",
    "tiktok-video",
    "total",
    "unitCredits",
    "unitSeconds",
    "veo-3.1",
    "version",
    "video",
    "videoInput",
    "videoInputSeconds",
    "videoModels",
    "videos",
    "x",
    "x-post",
    "youtube",
    "youtube-short",
    "youtube-video",
];

const ID_TABLE_SIZE: usize = 256;
const NO_ID: u8 = u8::MAX;

/// Length and three sampled bytes, mixed: enough to spread these names over the table, and
/// far cheaper than hashing every byte (the table lookup runs for every key on both sides).
const fn quick_hash(bytes: &[u8]) -> usize {
    let length = bytes.len();
    if length == 0 {
        return 0;
    }
    let sample =
        (bytes[0] as u32) | (bytes[length / 2] as u32) << 8 | (bytes[length - 1] as u32) << 16 | (length as u32) << 24;
    (sample.wrapping_mul(0x9E37_79B1) >> 24) as usize
}

/// Open-addressing table from string hash to id, built at compile time: looking a string up
/// costs one hash and (almost always) one comparison. A binary search was 30% of an estimate.
const ID_TABLE: [u8; ID_TABLE_SIZE] = {
    let mut table = [NO_ID; ID_TABLE_SIZE];
    let mut id = 0;
    while id < KNOWN_STRINGS.len() {
        let mut slot = quick_hash(KNOWN_STRINGS[id].as_bytes()) % ID_TABLE_SIZE;
        while table[slot] != NO_ID {
            slot = (slot + 1) % ID_TABLE_SIZE;
        }
        table[slot] = id as u8;
        id += 1;
    }
    table
};

/// The id of a known string, for constants: a name that is not known fails the build.
pub const fn known_id_at_compile_time(text: &str) -> u8 {
    let text = text.as_bytes();
    let mut id = 0;
    while id < KNOWN_STRINGS.len() {
        let known = KNOWN_STRINGS[id].as_bytes();
        let mut same = known.len() == text.len();
        let mut at = 0;
        while same && at < text.len() {
            same = known[at] == text[at];
            at += 1;
        }
        if same {
            return id as u8;
        }
        id += 1;
    }
    panic!("not in KNOWN_STRINGS")
}

fn known_id(text: &str) -> Option<usize> {
    let mut slot = quick_hash(text.as_bytes()) % ID_TABLE_SIZE;
    loop {
        let id = *ID_TABLE.get(slot)?;
        if id == NO_ID {
            return None;
        }
        if KNOWN_STRINGS.get(usize::from(id)) == Some(&text) {
            return Some(usize::from(id));
        }
        slot = (slot + 1) % ID_TABLE_SIZE;
    }
}

/// Writes a tape. Containers record their element count when they end.
pub struct TapeWriter {
    tape: Vec<f64>,
    /// Open containers: where their count goes, how many they hold so far, and whether
    /// they are objects (which count keys) or arrays (which count values).
    open: Vec<(usize, u32, bool)>,
}

impl Default for TapeWriter {
    fn default() -> Self {
        Self { tape: Vec::with_capacity(256), open: Vec::with_capacity(8) }
    }
}

impl TapeWriter {
    pub fn finish(self) -> Vec<f64> {
        self.tape
    }

    fn count_value(&mut self) {
        if let Some((_, count, false)) = self.open.last_mut() {
            *count += 1;
        }
    }

    fn begin(&mut self, tag: f64, is_object: bool) -> &mut Self {
        self.count_value();
        self.tape.push(tag);
        self.open.push((self.tape.len(), 0, is_object));
        self.tape.extend([0.0, 0.0]);
        self
    }

    fn end(&mut self) -> &mut Self {
        if let Some((at, count, _)) = self.open.pop() {
            let span = self.tape.len().saturating_sub(at + 2) as f64;
            if let Some([count_slot, span_slot]) = self.tape.get_mut(at..at + 2) {
                (*count_slot, *span_slot) = (f64::from(count), span);
            }
        }
        self
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.begin(OBJECT, true)
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.end()
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.begin(ARRAY, false)
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.end()
    }

    /// Length, then UTF-16 code units.
    fn units(&mut self, text: &str) {
        let length_at = self.tape.len();
        self.tape.push(0.0);
        if text.is_ascii() {
            self.tape.extend(text.bytes().map(f64::from));
        } else {
            self.tape.extend(text.encode_utf16().map(f64::from));
        }
        let length = (self.tape.len() - length_at - 1) as f64;
        if let Some(slot) = self.tape.get_mut(length_at) {
            *slot = length;
        }
    }

    /// An object key; the next call writes its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        if let Some((_, count, true)) = self.open.last_mut() {
            *count += 1;
        }
        match known_id(key) {
            Some(id) => self.tape.push(-1.0 - id as f64),
            None => self.units(key),
        }
        self
    }

    pub fn string(&mut self, value: &str) -> &mut Self {
        self.count_value();
        match known_id(value) {
            Some(id) => {
                self.tape.push(STRING_ID);
                self.tape.push(id as f64);
            }
            None => {
                self.tape.push(STRING);
                self.units(value);
            }
        }
        self
    }

    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.number(value as f64)
    }

    pub fn number(&mut self, value: f64) -> &mut Self {
        self.count_value();
        self.tape.push(NUMBER);
        self.tape.push(value);
        self
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.count_value();
        self.tape.push(if value { TRUE } else { FALSE });
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.count_value();
        self.tape.push(NULL);
        self
    }

    pub fn field_str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).string(value)
    }

    pub fn field_uint(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key).uint(value)
    }
}

/// A value inside a tape, read in place. Reading never panics, even on a malformed tape:
/// anything out of bounds reads as undefined.
#[derive(Clone, Copy, Debug)]
pub struct TapeValue<'a> {
    tape: &'a [f64],
    at: usize,
}

impl<'a> TapeValue<'a> {
    pub fn root(tape: &'a [f64]) -> Self {
        Self { tape, at: 0 }
    }

    fn undefined(tape: &'a [f64]) -> Self {
        Self { tape, at: usize::MAX }
    }

    #[inline(always)]
    fn read(&self, at: usize) -> f64 {
        self.tape.get(at).copied().unwrap_or(UNDEFINED)
    }

    #[inline(always)]
    fn tag(&self) -> f64 {
        self.read(self.at)
    }

    /// A length or count at `at`, as a bounded index.
    #[inline(always)]
    fn count(&self, at: usize) -> usize {
        let count = self.read(at);
        if count >= 0.0 && count <= self.tape.len() as f64 {
            count as usize
        } else {
            0
        }
    }

    /// The known string with the id at `at`.
    fn known(&self, at: usize) -> Option<&'static str> {
        let id = self.read(at);
        (id >= 0.0).then(|| KNOWN_STRINGS.get(id as usize).copied()).flatten()
    }

    /// The known string a key slot at `at` names, if it names one.
    #[inline(always)]
    fn known_key(&self, at: usize) -> Option<&'static str> {
        let slot = self.read(at);
        (slot < 0.0).then(|| KNOWN_STRINGS.get((-1.0 - slot) as usize).copied()).flatten()
    }

    /// The position just after the key at `at`.
    #[inline(always)]
    fn skip_key(&self, at: usize) -> usize {
        if self.read(at) < 0.0 {
            at + 1
        } else {
            at + 1 + self.count(at)
        }
    }

    /// The position just after the value at `at`.
    #[inline(always)]
    fn skip(&self, at: usize) -> usize {
        let tag = self.read(at);
        if tag == NUMBER || tag == STRING_ID {
            at + 2
        } else if tag == STRING {
            at + 2 + self.count(at + 1)
        } else if tag == ARRAY || tag == OBJECT {
            at + 3 + self.count(at + 2)
        } else {
            at.saturating_add(1)
        }
    }

    /// Whether the key at `at` is `key`, whose known id (if any) is `key_id`.
    fn key_is(&self, at: usize, key: &str, key_id: Option<usize>) -> bool {
        let slot = self.read(at);
        if slot < 0.0 {
            return key_id.is_some_and(|id| slot == -1.0 - id as f64);
        }
        let length = self.count(at);
        let units = self.tape.get(at + 1..at + 1 + length).unwrap_or(&[]);
        units.len() == length && key.encode_utf16().map(f64::from).eq(units.iter().copied())
    }

    /// The string (or key) whose length and units start at `at`.
    fn string_at(&self, at: usize) -> String {
        if let Some(known) = self.known_key(at) {
            return String::from(known);
        }
        let length = self.count(at);
        let units = self.tape.get(at + 1..at + 1 + length).unwrap_or(&[]);
        // Keys, URLs, header values and ids are ASCII: one byte per unit, no UTF-16 decoding.
        if units.iter().all(|unit| (0.0..128.0).contains(unit)) {
            return units.iter().map(|unit| char::from(*unit as u8)).collect();
        }
        let units: Vec<u16> = units.iter().map(|unit| *unit as u16).collect();
        String::from_utf16_lossy(&units)
    }

    /// `Value::fields` without the array size, so that one copy serves every object shape.
    fn fields_into(
        &self,
        path: &Path,
        names: &[&'static str],
        ids: &[u8],
        found: &mut [Self],
    ) -> Result<(), PowerPostError> {
        let mut unknown_at = None;
        self.entries(&mut |key_at, value_at| {
            // Every name in `keys` is known, so a key spelled out in units is unknown.
            let slot = self.read(key_at);
            match ids.iter().zip(found.iter_mut()).find(|(id, _)| slot == -1.0 - f64::from(**id)) {
                Some((_, value)) => value.at = value_at,
                None => unknown_at = Some(key_at),
            }
            unknown_at.is_none()
        });
        match unknown_at {
            Some(key_at) => Err(unknown_key_error(path, &self.string_at(key_at), names)),
            None => Ok(()),
        }
    }

    /// Visits an object's entries as (key position, value position) until `visit` says stop.
    fn entries(&self, visit: &mut dyn FnMut(usize, usize) -> bool) {
        if self.tag() != OBJECT {
            return;
        }
        let mut at = self.at + 3;
        for _ in 0..self.count(self.at + 1) {
            if at >= self.tape.len() {
                return;
            }
            let value_at = self.skip_key(at);
            if !visit(at, value_at) {
                return;
            }
            at = self.skip(value_at);
        }
    }
}

impl Value for TapeValue<'_> {
    #[inline(always)]
    fn is_undefined(&self) -> bool {
        self.tag() == UNDEFINED
    }
    #[inline(always)]
    fn is_null(&self) -> bool {
        self.tag() == NULL
    }
    #[inline(always)]
    fn as_number(&self) -> Option<f64> {
        (self.tag() == NUMBER).then(|| self.read(self.at + 1))
    }
    #[inline(always)]
    fn as_bool(&self) -> Option<bool> {
        match self.tag() {
            tag if tag == TRUE => Some(true),
            tag if tag == FALSE => Some(false),
            _ => None,
        }
    }
    fn as_text(&self, max_len: u32) -> Text {
        match self.tag() {
            tag if tag == LONG_STRING => Text::TooLong,
            tag if tag == STRING && self.count(self.at + 1) > max_len as usize => Text::TooLong,
            tag if tag == STRING => Text::Ok(self.string_at(self.at + 1)),
            tag if tag == STRING_ID => match self.known(self.at + 1) {
                Some(known) if known.len() <= max_len as usize => Text::Ok(String::from(known)),
                Some(_) => Text::TooLong,
                None => Text::NotAString,
            },
            _ => Text::NotAString,
        }
    }
    #[inline(always)]
    fn is_plain_object(&self) -> bool {
        self.tag() == OBJECT
    }
    #[inline(always)]
    fn array_length(&self) -> Option<u32> {
        (self.tag() == ARRAY).then(|| self.count(self.at + 1) as u32)
    }
    fn get(&self, key: &'static str) -> Self {
        self.get_entry(key)
    }
    fn get_entry(&self, key: &str) -> Self {
        let mut found = Self::undefined(self.tape);
        let key_id = known_id(key);
        self.entries(&mut |key_at, value_at| {
            if self.key_is(key_at, key, key_id) {
                found.at = value_at;
                return false;
            }
            true
        });
        found
    }
    fn at(&self, index: u32) -> Self {
        let Some(length) = self.array_length() else { return Self::undefined(self.tape) };
        if index >= length {
            return Self::undefined(self.tape);
        }
        let mut at = self.at + 3;
        for _ in 0..index {
            at = self.skip(at);
        }
        Self { tape: self.tape, at }
    }
    #[inline(always)]
    fn element_after(&self, previous: &Self, index: u32) -> Self {
        match self.array_length() {
            Some(length) if index < length && previous.at < self.tape.len() => {
                Self { tape: self.tape, at: self.skip(previous.at) }
            }
            _ => Self::undefined(self.tape),
        }
    }
    fn key_count(&self) -> u32 {
        if self.tag() == OBJECT {
            self.count(self.at + 1) as u32
        } else {
            0
        }
    }
    fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        self.entries(&mut |key_at, _| {
            keys.push(self.string_at(key_at));
            true
        });
        keys
    }
    #[inline(always)]
    fn one_of<const N: usize>(&self, candidates: &Names<N>) -> Option<usize> {
        if self.tag() == STRING_ID {
            let id = self.read(self.at + 1);
            return candidates.ids.iter().position(|candidate| f64::from(*candidate) == id);
        }
        // Known strings always cross as ids, so a string spelled out is none of them.
        None
    }
    fn fields<const N: usize>(&self, path: &Path, keys: &Names<N>) -> Result<[Self; N], PowerPostError> {
        let mut found = [Self::undefined(self.tape); N];
        self.fields_into(path, &keys.names, &keys.ids, &mut found)?;
        Ok(found)
    }
    fn unknown_key(&self, known: &[&'static str]) -> Option<String> {
        let mut unknown = None;
        self.entries(&mut |key_at, _| {
            let is_known = match self.known_key(key_at) {
                Some(name) => known.contains(&name),
                None => known.contains(&self.string_at(key_at).as_str()),
            };
            if !is_known {
                unknown = Some(self.string_at(key_at));
            }
            is_known
        });
        unknown
    }
}

/// Tapes as JSON, so host tests can state expected results plainly.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub fn to_json(value: TapeValue) -> serde_json::Value {
    use serde_json::Value as J;
    if let Some(length) = value.array_length() {
        return J::Array((0..length).map(|i| to_json(value.at(i))).collect());
    }
    if value.is_plain_object() {
        return J::Object(value.keys().into_iter().map(|key| (key.clone(), to_json(value.get_entry(&key)))).collect());
    }
    match (value.as_number(), value.as_bool(), value.as_text(u32::MAX)) {
        (Some(number), _, _) if number.fract() == 0.0 && number.abs() < 9e15 => serde_json::json!(number as i64),
        (Some(number), _, _) => serde_json::json!(number),
        (_, Some(flag), _) => J::Bool(flag),
        (_, _, Text::Ok(text)) => J::String(text),
        _ => J::Null,
    }
}

/// Writes a JSON value as a tape, as the JS encoder would for the same plain value.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub fn from_json(value: &serde_json::Value, out: &mut TapeWriter) {
    use serde_json::Value as J;
    match value {
        J::Null => {
            out.null();
        }
        J::Bool(flag) => {
            out.bool(*flag);
        }
        J::Number(number) => {
            out.number(number.as_f64().unwrap_or(f64::NAN));
        }
        J::String(text) => {
            out.string(text);
        }
        J::Array(items) => {
            out.begin_array();
            items.iter().for_each(|item| from_json(item, out));
            out.end_array();
        }
        J::Object(entries) => {
            out.begin_object();
            for (key, item) in entries {
                out.key(key);
                from_json(item, out);
            }
            out.end_object();
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn round_trip(value: &serde_json::Value) -> serde_json::Value {
        let mut out = TapeWriter::default();
        from_json(value, &mut out);
        to_json(TapeValue::root(&out.finish()))
    }

    #[test]
    fn nested_values_round_trip() {
        let value = json!({"total": 12, "half": 0.5, "items": [{"label": "1 × “quoted” \\ label", "n": 1}, {"deep": {"x": [true, false, null]}}], "empty": {}, "none": []});
        assert_eq!(round_trip(&value), value);
    }

    #[test]
    fn reads_properties_and_elements_in_place() {
        let mut out = TapeWriter::default();
        from_json(&json!({"a": [1, {"b": "x"}, 3], "c": "café"}), &mut out);
        let tape = out.finish();
        let root = TapeValue::root(&tape);
        assert_eq!(root.key_count(), 2);
        assert_eq!(root.get("a").array_length(), Some(3));
        assert_eq!(root.get("a").at(2).as_number(), Some(3.0));
        assert!(matches!(root.get("a").at(1).get("b").as_text(10), Text::Ok(t) if t == "x"));
        assert!(matches!(root.get("c").as_text(10), Text::Ok(t) if t == "café"));
        assert!(matches!(root.get("c").as_text(3), Text::TooLong));
        assert!(root.get("missing").is_undefined());
        assert!(root.get("a").at(3).is_undefined());
        assert!(root.get("c").get("x").is_undefined());
        assert_eq!(root.keys(), ["a", "c"]);
    }

    #[test]
    fn known_strings_are_sorted_unique_and_cross_as_one_slot() {
        assert!(KNOWN_STRINGS.len() < ID_TABLE_SIZE / 2, "keep the id table at most half full");
        for (id, name) in KNOWN_STRINGS.iter().enumerate() {
            assert_eq!(known_id(name), Some(id), "{name}");
        }
        assert_eq!(known_id("not-a-known-string"), None);
        assert_eq!(known_id(""), None);
        // boundary.js interns them as property keys, which would move integer-like keys first.
        assert!(KNOWN_STRINGS.iter().all(|name| !name.bytes().all(|byte| byte.is_ascii_digit())));
        let longest_probe = KNOWN_STRINGS.iter().map(|name| {
            let home = quick_hash(name.as_bytes()) % ID_TABLE_SIZE;
            let slot = ID_TABLE.iter().position(|id| usize::from(*id) == known_id(name).unwrap()).unwrap();
            (slot + ID_TABLE_SIZE - home) % ID_TABLE_SIZE
        });
        assert!(longest_probe.max().unwrap() <= 8, "the hash clusters: pick other sample bytes");
        let mut out = TapeWriter::default();
        out.begin_object().field_str("model", "flux2-flex").field_str("label", "2 × custom").end_object();
        let tape = out.finish();
        let model = known_id("model").unwrap() as f64;
        let flux = known_id("flux2-flex").unwrap() as f64;
        let label = -1.0 - known_id("label").unwrap() as f64;
        // Span: 3 slots for the first entry, 1 + 2 + 10 for the second.
        assert_eq!(&tape[..7], &[OBJECT, 2.0, 16.0, -1.0 - model, STRING_ID, flux, label]);
        assert_eq!(tape.len(), 3 + 16);
        assert_eq!(to_json(TapeValue::root(&tape)), json!({"model": "flux2-flex", "label": "2 × custom"}));
    }

    proptest! {
        #[test]
        fn malformed_tapes_never_panic(tape in prop::collection::vec(prop_oneof![0.0..11.0f64, -100.0..0.0f64, Just(f64::NAN), Just(1e9), Just(-1.0)], 0..40)) {
            let root = TapeValue::root(&tape);
            let _ = (root.key_count(), root.keys(), root.get("a").as_number(), root.at(3).array_length(), to_json(root));
        }
    }
}
