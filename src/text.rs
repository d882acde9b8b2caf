//! Tiny string builders. `format!` and `core::fmt` would be most of the wasm binary,
//! so messages and labels are assembled with these instead.

use crate::prelude::*;

/// Appends the decimal digits of `value`.
pub fn push_uint(out: &mut String, value: u64) {
    // From the highest power of ten down, with no digit buffer to index (an index that could
    // fail keeps core's number formatting in the wasm for its panic message).
    let mut divisor = 1;
    while value / divisor >= 10 {
        divisor *= 10;
    }
    loop {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        if divisor == 1 {
            break;
        }
        divisor /= 10;
    }
}

/// Appends `[index]`, as in a field path like `images[2]`.
pub fn push_index(out: &mut String, index: usize) {
    out.push('[');
    push_uint(out, index as u64);
    out.push(']');
}

/// Byte offset of the first `needle` in `haystack`. A plain scan: core's two-way `str`
/// searcher costs ~2.5 KB of wasm, and every text searched here is short.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.as_bytes().windows(needle.len()).position(|window| window == needle.as_bytes())
}

// core's `char` searcher (behind `split(',')`, `split_once(',')`, `find(':')`) slices by
// index, and that possible panic keeps core's number formatting in the wasm; these split on
// an ASCII byte without it.

/// `text.split(separator)`.
pub fn split_ascii(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    text.split(move |c: char| c == char::from(separator))
}

/// `text.split_once(separator)`.
pub fn split_once_ascii(text: &str, separator: u8) -> Option<(&str, &str)> {
    let at = find_ascii(text, separator)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text.find(separator)`.
pub fn find_ascii(text: &str, separator: u8) -> Option<usize> {
    text.bytes().position(|byte| byte == separator)
}

/// The value of 1 to `max_digits` (at most 19) ASCII digits; `None` for anything else,
/// signs and spaces included. (core's `parse` is larger, and one copy per integer type.)
pub fn parse_digits(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits.min(19) {
        return None;
    }
    text.bytes().try_fold(0u64, |value, byte| byte.is_ascii_digit().then(|| value * 10 + u64::from(byte - b'0')))
}

/// Concatenates string pieces in one allocation.
pub fn concat(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|piece| piece.len()).sum());
    for piece in pieces {
        out.push_str(piece);
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_paths() {
        for value in [0u64, 7, 10, 4096, u64::MAX] {
            let mut out = String::new();
            push_uint(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        let mut path = String::from("images");
        push_index(&mut path, 12);
        assert_eq!(path, "images[12]");
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        for (haystack, needle) in
            [("pp_live_sk_x", "_sk_"), ("ab", "abc"), ("", ""), ("aaab", "aab"), ("x_sk", "_sk_"), ("é_sk_", "_sk_")]
        {
            assert_eq!(find(haystack, needle), haystack.find(needle), "{haystack} / {needle}");
        }
    }
}
