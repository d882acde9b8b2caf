//! API keys: what a well-formed key looks like, and the only form of it that may ever be
//! shown (a redacted hint). A key that fails here never reaches a request.

use crate::prelude::*;

use crate::error::PowerPostError;

/// Longer strings are rejected before they are copied out of JS at all.
pub const MAX_KEY_LENGTH: usize = 256;

const FIELD: &str = "apiKey";
const SHAPE: &str = "must look like pp_<env>_sk_<id> (letters, digits, '_' or '-'; no spaces)";

/// Checks `pp_<env>_sk_<id>`: `env` is lowercase letters and digits (`live`, later maybe `test`),
/// `id` is letters, digits, `_` or `-`. That rules out whitespace, control characters and
/// anything else that could split or inject a header line.
pub fn validate_api_key(key: &str) -> Result<(), PowerPostError> {
    if key.is_empty() {
        return Err(PowerPostError::invalid_argument(FIELD, "is empty; pass your PowerPost secret key"));
    }
    if key.len() > MAX_KEY_LENGTH {
        return Err(PowerPostError::invalid_argument(FIELD, "is too long to be a PowerPost key"));
    }
    if key_parts(key).is_none() {
        return Err(PowerPostError::invalid_argument(FIELD, SHAPE));
    }
    Ok(())
}

/// `(env, id)` of a well-formed key.
fn key_parts(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("pp_")?;
    let (env, id) = rest.split_at_checked(crate::text::find(rest, "_sk_")?)?;
    let id = id.get(4..)?;
    let env_ok = !env.is_empty() && env.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (env_ok && id_ok).then_some((env, id))
}

/// `pp_live_sk_…wxyz`: the prefix and, for ids long enough to keep a secret, the last four
/// characters. Anything that is not a well-formed key redacts to `[redacted]`.
pub fn redact_api_key(key: &str) -> String {
    let Some((env, id)) = key_parts(key) else { return String::from("[redacted]") };
    let mut hint = crate::text::concat(&["pp_", env, "_sk_…"]);
    if id.len() >= 16 {
        hint.push_str(id.get(id.len() - 4..).unwrap_or_default());
    }
    hint
}

/// Replaces every occurrence of `key` in `text` by its redacted hint, for text that came from
/// elsewhere (a server's message, a thrown error) and might echo the key back.
pub fn scrub_api_key(text: &str, key: &str) -> String {
    if key.is_empty() {
        return String::from(text);
    }
    let hint = redact_api_key(key);
    let mut scrubbed = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = crate::text::find(rest, key).and_then(|at| rest.split_at_checked(at)) {
        scrubbed.push_str(before);
        scrubbed.push_str(&hint);
        rest = after.get(key.len()..).unwrap_or_default();
    }
    scrubbed.push_str(rest);
    scrubbed
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const KEY: &str = "pp_live_sk_0123456789abcdefWXYZ";

    #[test]
    fn accepts_documented_and_plausible_future_keys() {
        for key in [KEY, "pp_test_sk_a", "pp_live_sk_ab-cd_ef", "pp_staging2_sk_X"] {
            assert_eq!(validate_api_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn rejects_malformed_keys_without_echoing_them() {
        let bad = [
            "",
            "sk_live_123",
            "pp_live_123",
            "pp__sk_abc",
            "pp_live_sk_",
            "PP_live_sk_abc",
            "pp_LIVE_sk_abc",
            "pp_live_sk_abc def",
            "pp_live_sk_abc\r\nx-evil: 1",
            "pp_live_sk_abc\n",
            " pp_live_sk_abc",
            "pp_live_sk_abc\0",
            "pp_live_sk_abc\t",
            "pp_live_sk_ábc",
            "pp_live_sk_abc/def",
        ];
        for key in bad {
            let error = validate_api_key(key).expect_err(key);
            assert_eq!(error.code, ErrorCode::InvalidArgument);
            assert_eq!(error.field.as_deref(), Some("apiKey"));
            if key.len() > 3 {
                assert!(!error.message.contains(key.trim()), "message echoes the key: {}", error.message);
            }
        }
        let huge = "pp_live_sk_".to_string() + &"a".repeat(MAX_KEY_LENGTH);
        assert!(validate_api_key(&huge).unwrap_err().message.contains("too long"));
    }

    #[test]
    fn redaction_keeps_at_most_the_last_four_characters() {
        assert_eq!(redact_api_key(KEY), "pp_live_sk_…WXYZ");
        assert_eq!(redact_api_key("pp_test_sk_short"), "pp_test_sk_…", "short ids show nothing");
        assert_eq!(redact_api_key("not a key"), "[redacted]");
        let scrubbed = scrub_api_key(&format!("bad key {KEY}, really {KEY}"), KEY);
        assert_eq!(scrubbed, "bad key pp_live_sk_…WXYZ, really pp_live_sk_…WXYZ");
        assert_eq!(scrub_api_key("nothing here", KEY), "nothing here");
    }
}
