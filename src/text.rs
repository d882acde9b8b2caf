//! Tiny string builders. `format!` and `core::fmt` would be most of the wasm binary,
//! so messages and labels are assembled with these instead.

use crate::prelude::*;

/// Appends the decimal digits of `value`.
pub fn push_uint(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
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
