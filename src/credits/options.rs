//! Request options: their defaults, their checks, how per-call options override a client's,
//! and the URL and auth header they produce. The JS-only options (`signal`, `fetch`,
//! `onRetry`) are read by the binding layer; everything with a rule lives here.

use crate::prelude::*;

use crate::error::PowerPostError;
use crate::text::{find_ascii, parse_digits, split_ascii};
use crate::value::{optional_text, optional_whole, reject_unknown_keys, require_object, Path, Value};

pub const DEFAULT_BASE_URL: &str = "https://powerpost.ai/api/v1";
pub const CREDITS_PATH: &str = "/account/credits";
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// setTimeout's own ceiling (2^31 - 1 ms).
pub const MAX_TIMEOUT_MS: u32 = 2_147_483_647;
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const MAX_RETRIES_LIMIT: u32 = 10;

pub const OPTION_NAMES: [&str; 7] = ["baseUrl", "timeoutMs", "maxRetries", "signal", "auth", "fetch", "onRetry"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthScheme {
    ApiKeyHeader,
    Bearer,
}

impl AuthScheme {
    pub fn header_name(self) -> &'static str {
        match self {
            Self::ApiKeyHeader => "x-api-key",
            Self::Bearer => "authorization",
        }
    }

    /// What precedes the key in the header value.
    pub fn value_prefix(self) -> &'static str {
        match self {
            Self::ApiKeyHeader => "",
            Self::Bearer => "Bearer ",
        }
    }
}

/// The options with a rule, as given (each `None` when not set).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlainOptions {
    /// Already checked and reduced to the full credits endpoint URL.
    pub credits_url: Option<String>,
    pub timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
    pub auth: Option<AuthScheme>,
}

/// The settings one call runs with, after defaults and overrides.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSettings {
    pub credits_url: String,
    pub timeout_ms: u32,
    pub max_retries: u32,
    pub auth: AuthScheme,
}

impl PlainOptions {
    /// Reads `options` (undefined means none) and checks every field it sets.
    pub fn decode<V: Value>(options: &V) -> Result<Self, PowerPostError> {
        if options.is_undefined() {
            return Ok(Self::default());
        }
        let path = Path::Root("options");
        require_object(options, &path)?;
        reject_unknown_keys(options, &path, &OPTION_NAMES)?;
        let credits_url = match optional_text(&options.get("baseUrl"), &path.key("baseUrl"))? {
            Some(base_url) => Some(credits_url(&base_url)?),
            None => None,
        };
        let timeout_ms = options.get("timeoutMs");
        let timeout_ms = optional_whole(&timeout_ms, &path.key("timeoutMs"), 1, MAX_TIMEOUT_MS)?;
        let max_retries = optional_whole(&options.get("maxRetries"), &path.key("maxRetries"), 0, MAX_RETRIES_LIMIT)?;
        let auth = match optional_text(&options.get("auth"), &path.key("auth"))?.as_deref() {
            None => None,
            Some("x-api-key") => Some(AuthScheme::ApiKeyHeader),
            Some("bearer") => Some(AuthScheme::Bearer),
            Some(_) => {
                return Err(PowerPostError::invalid_argument("options.auth", "must be \"x-api-key\" or \"bearer\""))
            }
        };
        Ok(Self { credits_url, timeout_ms, max_retries, auth })
    }

    /// `self` with every field that `overrides` sets replaced.
    pub fn overridden_by(&self, overrides: &PlainOptions) -> PlainOptions {
        PlainOptions {
            credits_url: overrides.credits_url.clone().or_else(|| self.credits_url.clone()),
            timeout_ms: overrides.timeout_ms.or(self.timeout_ms),
            max_retries: overrides.max_retries.or(self.max_retries),
            auth: overrides.auth.or(self.auth),
        }
    }

    pub fn settings(&self) -> CallSettings {
        CallSettings {
            credits_url: self
                .credits_url
                .clone()
                .unwrap_or_else(|| crate::text::concat(&[DEFAULT_BASE_URL, CREDITS_PATH])),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            auth: self.auth.unwrap_or(AuthScheme::ApiKeyHeader),
        }
    }
}

/// Checks a base URL and appends the credits path. Only `http(s)://host[:port][/path]` is
/// accepted: no credentials, query or fragment, and plain http only for loopback hosts, so
/// a key is never sent in clear text over a network.
pub fn credits_url(base_url: &str) -> Result<String, PowerPostError> {
    const FIELD: &str = "options.baseUrl";
    let invalid = |why: &str| PowerPostError::invalid_argument(FIELD, why);
    if !base_url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("must be an absolute URL without spaces or control characters"));
    }
    let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(base_url, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(base_url, "http://") {
        (false, rest)
    } else {
        return Err(invalid("must start with https:// (or http:// for a loopback host)"));
    };
    if rest.contains(['?', '#', '\\']) {
        return Err(invalid("must not contain a query, a fragment or backslashes"));
    }
    let authority = split_ascii(rest, b'/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("must not contain credentials"));
    }
    let host = host_of(authority).ok_or_else(|| invalid("must name a host"))?;
    if !secure && !is_loopback_host(host) {
        return Err(invalid("must use https unless the host is loopback (localhost, 127.0.0.1, [::1])"));
    }
    let mut base = base_url;
    while let Some(shorter) = base.strip_suffix('/') {
        base = shorter;
    }
    Ok(crate::text::concat(&[base, CREDITS_PATH]))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

/// The host of `host[:port]` or `[v6][:port]`; `None` when empty or malformed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, after_host) = if authority.starts_with('[') {
        let (host, after_host) = authority.split_at_checked(find_ascii(authority, b']')? + 1)?;
        let inside = host.get(1..host.len() - 1)?;
        let valid = !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        (valid.then_some(host)?, after_host)
    } else {
        let (host, after_host) = authority.split_at_checked(find_ascii(authority, b':').unwrap_or(authority.len()))?;
        let valid = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        (valid.then_some(host)?, after_host)
    };
    let port_ok = match after_host.strip_prefix(':') {
        None => after_host.is_empty(),
        Some(port) => parse_digits(port, 5).is_some(),
    };
    port_ok.then_some(host)
}

/// `localhost`, `[::1]` or an IPv4 address in 127.0.0.0/8.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = split_ascii(host, b'.').collect();
    octets.len() == 4
        && octets[0] == "127"
        && octets.iter().all(|octet| parse_digits(octet, 3).is_some_and(|n| n <= 255))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::value::json::Json;
    use serde_json::json;

    #[test]
    fn base_urls_become_the_credits_endpoint() {
        let ok = [
            ("https://powerpost.ai/api/v1", "https://powerpost.ai/api/v1/account/credits"),
            ("https://powerpost.ai/api/v1/", "https://powerpost.ai/api/v1/account/credits"),
            ("HTTPS://PowerPost.ai", "HTTPS://PowerPost.ai/account/credits"),
            ("http://127.0.0.1:8787/api/v1", "http://127.0.0.1:8787/api/v1/account/credits"),
            ("http://localhost:3000", "http://localhost:3000/account/credits"),
            ("http://[::1]:9/api/v1", "http://[::1]:9/api/v1/account/credits"),
            ("http://127.10.0.3/x", "http://127.10.0.3/x/account/credits"),
        ];
        for (base, expected) in ok {
            assert_eq!(credits_url(base).as_deref(), Ok(expected), "{base}");
        }
    }

    #[test]
    fn unsafe_or_malformed_base_urls_are_rejected() {
        let bad = [
            "",
            "powerpost.ai/api/v1",
            "ftp://powerpost.ai",
            "http://powerpost.ai/api/v1",
            "http://127.0.0.1.evil.com/",
            "http://128.0.0.1/",
            "http://localhost.evil.com/",
            "http://10.0.0.1:80",
            "https://user:pass@powerpost.ai",
            "https://powerpost.ai/api?x=1",
            "https://powerpost.ai/api#frag",
            "https://",
            "https:///path",
            "https://powerpost.ai:/x",
            "https://powerpost.ai:80a/x",
            "https://power post.ai",
            "https://powerpost.ai/\n",
            "https://powerpost.ai\\@evil.com",
            "http://[::2]:80",
        ];
        for base in bad {
            let error = credits_url(base).expect_err(base);
            assert_eq!(error.field.as_deref(), Some("options.baseUrl"), "{base}");
        }
    }

    #[test]
    fn options_decode_defaults_and_override() {
        let client = PlainOptions::decode(&Json::of(json!({"timeoutMs": 5000, "auth": "bearer"}))).unwrap();
        let call = PlainOptions::decode(&Json::of(json!({"timeoutMs": 100, "maxRetries": 0}))).unwrap();
        let settings = client.overridden_by(&call).settings();
        assert_eq!(settings.timeout_ms, 100);
        assert_eq!(settings.max_retries, 0);
        assert_eq!(settings.auth, AuthScheme::Bearer);
        assert_eq!(settings.credits_url, "https://powerpost.ai/api/v1/account/credits");
        let defaults = PlainOptions::decode(&Json(None)).unwrap().settings();
        assert_eq!((defaults.timeout_ms, defaults.max_retries, defaults.auth), (30_000, 2, AuthScheme::ApiKeyHeader));
    }

    #[test]
    fn bad_options_name_their_field() {
        let cases = [
            (json!({"timeoutMs": -1}), "options.timeoutMs"),
            (json!({"timeoutMs": 0}), "options.timeoutMs"),
            (json!({"timeoutMs": "100"}), "options.timeoutMs"),
            (json!({"timeoutMs": 1.5}), "options.timeoutMs"),
            (json!({"maxRetries": 11}), "options.maxRetries"),
            (json!({"maxRetries": -1}), "options.maxRetries"),
            (json!({"auth": "basic"}), "options.auth"),
            (json!({"baseUrl": 5}), "options.baseUrl"),
            (json!({"timeout": 5}), "options.timeout"),
            (json!([1]), "options"),
            (json!("x"), "options"),
            (json!(null), "options"),
        ];
        for (options, field) in cases {
            let error = PlainOptions::decode(&Json::of(options.clone())).expect_err(&options.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{options}");
        }
    }
}
