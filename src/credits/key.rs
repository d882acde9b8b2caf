//! API keys: what a well-formed key looks like, and the only form of it that may ever be
//! shown (a redacted hint). A key that fails here never reaches a request.

use std::fmt;

use serde::{de, Deserialize, Deserializer};

#[cfg(all(test, not(target_arch = "wasm32")))]
use crate::error::PowerPostError;

const MAX_KEY_LENGTH: usize = 256;

/// A well-formed PowerPost secret key, `pp_<env>_sk_<id>`. Its `Debug` shows the hint only.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    /// The key in `key`, checked as [`check`] says.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn parse(key: &str) -> Result<Self, PowerPostError> {
        check(key).map_err(|why| PowerPostError::invalid_argument("apiKey", why))?;
        Ok(Self(key.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// `pp_live_sk_…wxyz`: the prefix and, for ids long enough to keep a secret, the last four
    /// characters.
    pub(crate) fn hint(&self) -> String {
        let (env, id) = parts(&self.0).unwrap_or_default();
        let tail = if id.len() >= 16 { &id[id.len() - 4..] } else { "" };
        format!("pp_{env}_sk_…{tail}")
    }

    /// `text` with every occurrence of the key replaced by its hint, for text that came from
    /// elsewhere (a server's message, a thrown error) and might echo the key back.
    pub(crate) fn scrub(&self, text: &str) -> String {
        text.replace(&self.0, &self.hint())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.hint())
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)
            .map_err(|_| de::Error::custom("must be a string (your PowerPost secret key)"))?;
        check(&key).map_err(de::Error::custom)?;
        Ok(Self(key))
    }
}

/// What is wrong with `key`, if anything. A key is `pp_<env>_sk_<id>`: `env` is lowercase
/// letters and digits (`live`, later maybe `test`), `id` is letters, digits, `_` or `-`. That
/// rules out whitespace, control characters and anything else that could split or inject a
/// header line.
fn check(key: &str) -> Result<(), &'static str> {
    if key.is_empty() {
        return Err("is empty; pass your PowerPost secret key");
    }
    if key.len() > MAX_KEY_LENGTH {
        return Err("is too long to be a PowerPost key");
    }
    if parts(key).is_none() {
        return Err("must look like pp_<env>_sk_<id> (letters, digits, '_' or '-'; no spaces)");
    }
    Ok(())
}

/// `(env, id)` of a well-formed key.
fn parts(key: &str) -> Option<(&str, &str)> {
    let (env, id) = key.strip_prefix("pp_")?.split_once("_sk_")?;
    let env_ok = !env.is_empty() && env.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (env_ok && id_ok).then_some((env, id))
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    use crate::credits::fakes::KEY;

    #[test]
    fn accepts_documented_and_plausible_future_keys() {
        for key in [KEY, "pp_test_sk_a", "pp_live_sk_ab-cd_ef", "pp_staging2_sk_X"] {
            assert_eq!(ApiKey::parse(key).map(|key| key.as_str().to_string()), Ok(key.to_string()), "{key}");
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
            let error = ApiKey::parse(key).expect_err(key);
            assert_eq!(error.code, ErrorCode::InvalidArgument);
            assert_eq!(error.field.as_deref(), Some("apiKey"));
            if key.len() > 3 {
                assert!(!error.message.contains(key.trim()), "message echoes the key: {}", error.message);
            }
        }
        let huge = "pp_live_sk_".to_string() + &"a".repeat(MAX_KEY_LENGTH);
        assert!(ApiKey::parse(&huge).unwrap_err().message.contains("too long"));
        let longest = "pp_live_sk_".to_string() + &"a".repeat(MAX_KEY_LENGTH - "pp_live_sk_".len());
        assert_eq!(ApiKey::parse(&longest).unwrap().as_str(), longest, "the limit itself is allowed");
        assert!(ApiKey::parse(&format!("{longest}a")).unwrap_err().message.contains("too long"));
    }

    #[test]
    fn keys_read_from_js_values_name_the_argument() {
        let read = |value| crate::input::from_json::<ApiKey>(value, &crate::input::Path::fields_of("apiKey"));
        assert_eq!(read(serde_json::json!(KEY)).unwrap().as_str(), KEY);
        for (value, message) in [
            (serde_json::json!(42), "apiKey must be a string (your PowerPost secret key)"),
            (serde_json::json!(null), "apiKey must be a string (your PowerPost secret key)"),
            (
                serde_json::json!("nope"),
                "apiKey must look like pp_<env>_sk_<id> (letters, digits, '_' or '-'; no spaces)",
            ),
        ] {
            let error = read(value).unwrap_err();
            assert_eq!((error.field.as_deref(), error.message.as_str()), (Some("apiKey"), message));
        }
    }

    #[test]
    fn the_hint_keeps_at_most_the_last_four_characters() {
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(key.hint(), "pp_live_sk_…WXYZ");
        assert_eq!(format!("{key:?}"), "pp_live_sk_…WXYZ", "Debug never shows the key");
        assert_eq!(ApiKey::parse("pp_test_sk_short").unwrap().hint(), "pp_test_sk_…", "short ids show nothing");
        let scrubbed = key.scrub(&format!("bad key {KEY}, really {KEY}"));
        assert_eq!(scrubbed, "bad key pp_live_sk_…WXYZ, really pp_live_sk_…WXYZ");
        assert_eq!(key.scrub("nothing here"), "nothing here");
    }
}
