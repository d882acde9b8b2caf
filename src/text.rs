//! Tiny string builders. `format!` and `core::fmt` would be most of the wasm binary,
//! so messages and labels are assembled with these instead.

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
    }
}
