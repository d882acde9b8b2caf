//! Request options: what a caller may pass, their checks and defaults, how per-call options
//! override a client's, and the URL and auth header they produce.

use serde::{de, Deserialize, Deserializer};

use super::key::ApiKey;
use crate::input::{named_enum, Whole};
use crate::pricing::rate_card::RateCardOverrides;

pub(crate) const DEFAULT_BASE_URL: &str = "https://powerpost.ai/api/v1";
const CREDITS_PATH: &str = "/account/credits";
pub(crate) const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// The longest any timer may be: setTimeout's own ceiling (2^31 - 1 ms).
pub(crate) const MAX_TIMER_MS: u32 = 2_147_483_647;
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;
/// How long one operation of a fleet's store may take before a call goes on without it.
pub(crate) const DEFAULT_STORE_TIMEOUT_MS: u32 = 500;
pub(crate) const MAX_RETRIES_LIMIT: u32 = 10;

/// Declares the options type of one kind of call: the request options every call takes, each
/// `None` when not given, plus the call's own. Each type lists exactly what its call reads, so
/// an option another call takes is refused as unknown, and the message lists only these. `S`
/// and `F`, written at every use, are the runtime's own values (an `AbortSignal`, JS
/// functions), and so is any further type parameter (`ClientOptions<S, F, T>`: `T` a store),
/// which only the binding layer reads. (`#[serde(flatten)]` of one shared struct would say this
/// without a macro, but serde cannot refuse unknown fields through a flattened one.)
///
/// `options_type!(ClientOptions<S, F> { max_age_ms: Option<MaxAge> })` expands to:
///
/// ```ignore
/// #[derive(Clone, Debug, Deserialize)]
/// #[serde(rename_all = "camelCase", deny_unknown_fields)]
/// pub(crate) struct ClientOptions<S, F> {
///     pub base_url: Option<BaseUrl>,
///     pub timeout_ms: Option<Whole<1, MAX_TIMER_MS>>,
///     pub max_retries: Option<Whole<0, MAX_RETRIES_LIMIT>>,
///     pub auth: Option<AuthScheme>,
///     pub signal: Option<S>,
///     pub fetch: Option<F>,
///     pub on_retry: Option<F>,
///     pub max_age_ms: Option<MaxAge>,
/// }
/// impl<S, F> Default for ClientOptions<S, F> { /* every field None */ }
/// impl<S: Clone, F: Clone> ClientOptions<S, F> {
///     /// The seven request options, as a `RequestOptions`.
///     pub(crate) fn request_options(&self) -> RequestOptions<S, F> { /* ... */ }
/// }
/// ```
macro_rules! options_type {
    (
        $(#[$meta:meta])* $name:ident<S, F $(, $generic:ident)*>
        { $($(#[$extra_meta:meta])* $extra:ident: $extra_type:ty),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $name<S, F $(, $generic)*> {
            pub base_url: Option<BaseUrl>,
            pub timeout_ms: Option<Whole<1, MAX_TIMER_MS>>,
            pub max_retries: Option<Whole<0, MAX_RETRIES_LIMIT>>,
            pub auth: Option<AuthScheme>,
            pub signal: Option<S>,
            pub fetch: Option<F>,
            pub on_retry: Option<F>,
            $($(#[$extra_meta])* pub $extra: $extra_type,)*
        }

        /// Nothing given.
        impl<S, F $(, $generic)*> Default for $name<S, F $(, $generic)*> {
            fn default() -> Self {
                Self {
                    base_url: None,
                    timeout_ms: None,
                    max_retries: None,
                    auth: None,
                    signal: None,
                    fetch: None,
                    on_retry: None,
                    $($extra: None,)*
                }
            }
        }

        impl<S: Clone, F: Clone $(, $generic)*> $name<S, F $(, $generic)*> {
            /// The request options every call reads.
            #[allow(dead_code, reason = "never needed of RequestOptions itself")]
            pub(crate) fn request_options(&self) -> RequestOptions<S, F> {
                RequestOptions {
                    base_url: self.base_url.clone(),
                    timeout_ms: self.timeout_ms,
                    max_retries: self.max_retries,
                    auth: self.auth,
                    signal: self.signal.clone(),
                    fetch: self.fetch.clone(),
                    on_retry: self.on_retry.clone(),
                }
            }
        }
    };
}

options_type!(
    /// `getCredits`.
    RequestOptions<S, F> {}
);

options_type!(
    /// A `CreditsClient`'s defaults, and its `getCredits` calls. `T` is the runtime's store.
    ClientOptions<S, F, T> {
        /// How old a kept result may be to answer a client's call.
        max_age_ms: Option<MaxAge>,
        #[serde(default = "Option::default", deserialize_with = "store_setting", bound(deserialize = "T: Deserialize<'de>"))]
        store: Option<StoreSetting<T>>,
        store_timeout_ms: Option<Whole<1, MAX_TIMER_MS>>,
        on_store_error: Option<F>,
    }
);

options_type!(
    /// `canAfford`.
    AffordOptions<S, F> { rate_card: Option<RateCardOverrides> }
);

options_type!(
    /// A `CreditsClient`'s `canAfford`.
    ClientAffordOptions<S, F, T> {
        max_age_ms: Option<MaxAge>,
        rate_card: Option<RateCardOverrides>,
        #[serde(default = "Option::default", deserialize_with = "store_setting", bound(deserialize = "T: Deserialize<'de>"))]
        store: Option<StoreSetting<T>>,
        store_timeout_ms: Option<Whole<1, MAX_TIMER_MS>>,
        on_store_error: Option<F>,
    }
);

/// `options.store`: a store, or `null` (per call: not the client's either).
#[derive(Clone, Debug)]
pub(crate) enum StoreSetting<T> {
    Off,
    On(T),
}

fn store_setting<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<StoreSetting<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(|store| Some(store.map_or(StoreSetting::Off, StoreSetting::On)))
}

/// The store options of a client or of one of its calls.
#[derive(Clone)]
pub(crate) struct StoreOptions<T, F> {
    pub store: Option<StoreSetting<T>>,
    pub timeout_ms: Option<Whole<1, MAX_TIMER_MS>>,
    pub on_error: Option<F>,
}

impl<T: Clone, F: Clone> StoreOptions<T, F> {
    /// `self` with every option that `call` gives replaced.
    pub(crate) fn overridden_by(&self, call: &Self) -> Self {
        Self {
            store: call.store.clone().or_else(|| self.store.clone()),
            timeout_ms: call.timeout_ms.or(self.timeout_ms),
            on_error: call.on_error.clone().or_else(|| self.on_error.clone()),
        }
    }

    /// The store to use, if any.
    pub(crate) fn store(&self) -> Option<&T> {
        match &self.store {
            Some(StoreSetting::On(store)) => Some(store),
            _ => None,
        }
    }

    /// How long one store operation may take.
    pub(crate) fn timeout_ms(&self) -> u32 {
        self.timeout_ms.map_or(DEFAULT_STORE_TIMEOUT_MS, |Whole(ms)| ms)
    }
}

/// The store options of the types that have them, written once: `store`, `storeTimeoutMs`
/// and `onStoreError` as one [`StoreOptions`].
macro_rules! store_options {
    ($($name:ident),*) => {$(
        impl<S, F: Clone, T: Clone> $name<S, F, T> {
            pub(crate) fn store_options(&self) -> StoreOptions<T, F> {
                StoreOptions {
                    store: self.store.clone(),
                    timeout_ms: self.store_timeout_ms,
                    on_error: self.on_store_error.clone(),
                }
            }
        }
    )*};
}

store_options!(ClientOptions, ClientAffordOptions);

pub(crate) type MaxAge = Whole<0, MAX_TIMER_MS>;

/// `maxAgeMs` in milliseconds; 0 (the default): no kept result answers a call.
pub(crate) fn max_age_ms(max_age: Option<MaxAge>) -> f64 {
    max_age.map_or(0.0, |Whole(ms)| f64::from(ms))
}

impl<S: Clone, F: Clone> RequestOptions<S, F> {
    /// `self` with every option that `call` gives replaced.
    pub(crate) fn overridden_by(&self, call: &Self) -> Self {
        Self {
            base_url: call.base_url.clone().or_else(|| self.base_url.clone()),
            timeout_ms: call.timeout_ms.or(self.timeout_ms),
            max_retries: call.max_retries.or(self.max_retries),
            auth: call.auth.or(self.auth),
            signal: call.signal.clone().or_else(|| self.signal.clone()),
            fetch: call.fetch.clone().or_else(|| self.fetch.clone()),
            on_retry: call.on_retry.clone().or_else(|| self.on_retry.clone()),
        }
    }
}

impl<S, F> RequestOptions<S, F> {
    pub(crate) fn timeout_ms(&self) -> u32 {
        self.timeout_ms.map_or(DEFAULT_TIMEOUT_MS, |Whole(ms)| ms)
    }

    pub(crate) fn max_retries(&self) -> u32 {
        self.max_retries.map_or(DEFAULT_MAX_RETRIES, |Whole(retries)| retries)
    }

    /// The base URL, without trailing slashes.
    pub(crate) fn base_url(&self) -> &str {
        self.base_url.as_ref().map_or(DEFAULT_BASE_URL, |BaseUrl(base)| base)
    }

    /// The request every attempt of a call sends.
    pub(crate) fn request(&self, key: &ApiKey) -> Request {
        let url = format!("{}{CREDITS_PATH}", self.base_url());
        let auth_header = match self.auth.unwrap_or(AuthScheme::ApiKeyHeader) {
            AuthScheme::ApiKeyHeader => ("x-api-key", key.as_str().to_string()),
            AuthScheme::Bearer => ("authorization", format!("Bearer {}", key.as_str())),
        };
        Request { url, auth_header }
    }
}

/// A `GET` of the credits endpoint, the key in one header and nowhere else.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Request {
    pub url: String,
    /// Header name and value.
    pub auth_header: (&'static str, String),
}

named_enum! {
    pub(crate) enum AuthScheme {
        /// `x-api-key: <key>`
        ApiKeyHeader = "x-api-key",
        /// `Authorization: Bearer <key>`
        Bearer = "bearer",
    }
    else among
}

/// A checked base URL, without trailing slashes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BaseUrl(String);

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let url = String::deserialize(deserializer)?;
        check_base_url(&url).map_err(de::Error::custom)?;
        Ok(BaseUrl(url.trim_end_matches('/').to_string()))
    }
}

/// Only `http(s)://host[:port][/path]` is accepted: no credentials, query or fragment, and
/// plain http only for loopback hosts, so a key is never sent in clear text over a network.
fn check_base_url(url: &str) -> Result<(), &'static str> {
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be an absolute URL without spaces or control characters");
    }
    let scheme_end = url.find("://").ok_or("must start with https:// (or http:// for a loopback host)")?;
    let (scheme, rest) = (&url[..scheme_end], &url[scheme_end + 3..]);
    let secure = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err("must start with https:// (or http:// for a loopback host)");
    };
    if rest.contains(['?', '#', '\\']) {
        return Err("must not contain a query, a fragment or backslashes");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not contain credentials");
    }
    let host = host_of(authority).ok_or("must name a host")?;
    if !secure && !is_loopback_host(host) {
        return Err("must use https unless the host is loopback (localhost, 127.0.0.1, [::1])");
    }
    Ok(())
}

/// The host of `host[:port]` or `[v6][:port]`; `None` when empty or malformed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, after) = bracketed.split_once(']')?;
            let valid = !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
            (valid.then_some(&authority[..inside.len() + 2])?, after)
        }
        None => {
            let host_end = authority.find(':').unwrap_or(authority.len());
            let host = &authority[..host_end];
            let valid = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            (valid.then_some(host)?, &authority[host_end..])
        }
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()),
    };
    port_ok.then_some(host)
}

/// `localhost`, `[::1]` or an IPv4 address in 127.0.0.0/8.
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::input::from_json;
    use serde_json::json;

    /// The runtime's own values, which host tests never hold.
    type Options = RequestOptions<(), ()>;

    fn options(value: serde_json::Value) -> Result<Options, crate::error::PowerPostError> {
        from_json::<Option<Options>>(value, &crate::input::Path::argument("options")).map(Option::unwrap_or_default)
    }

    fn url_of(base: &str) -> Result<String, crate::error::PowerPostError> {
        let key = ApiKey::parse("pp_live_sk_x").unwrap();
        options(json!({ "baseUrl": base })).map(|options| options.request(&key).url)
    }

    #[test]
    fn base_urls_become_the_credits_endpoint() {
        let ok = [
            ("https://powerpost.ai/api/v1", "https://powerpost.ai/api/v1/account/credits"),
            ("https://powerpost.ai/api/v1/", "https://powerpost.ai/api/v1/account/credits"),
            ("HTTPS://PowerPost.ai", "HTTPS://PowerPost.ai/account/credits"),
            ("http://127.0.0.1:8787/api/v1", "http://127.0.0.1:8787/api/v1/account/credits"),
            ("http://localhost:3000", "http://localhost:3000/account/credits"),
            ("http://[::1]:9/api/v1", "http://[::1]:9/api/v1/account/credits"),
            ("https://[::ffff:192.0.2.1]/v1", "https://[::ffff:192.0.2.1]/v1/account/credits"),
            ("https://api-eu.powerpost.ai/v1", "https://api-eu.powerpost.ai/v1/account/credits"),
            ("http://127.10.0.3/x", "http://127.10.0.3/x/account/credits"),
        ];
        for (base, expected) in ok {
            assert_eq!(url_of(base).as_deref(), Ok(expected), "{base}");
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
            "https://[]:80",
            "https://[]/",
            "https://[::1/",
            "http://127.0.0.1:123456/",
            "ht\u{e9}tp://localhost/",
        ];
        for base in bad {
            let error = url_of(base).expect_err(base);
            assert_eq!(error.field.as_deref(), Some("options.baseUrl"), "{base}");
        }
        assert_eq!(
            url_of("http://powerpost.ai").unwrap_err().message,
            "options.baseUrl must use https unless the host is loopback (localhost, 127.0.0.1, [::1])"
        );
    }

    #[test]
    fn each_call_takes_its_own_options_and_names_only_those() {
        let error = options(json!({"maxAgeMs": 5000})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("options.maxAgeMs"));
        assert_eq!(
            error.message,
            "options.maxAgeMs is not a known field; expected one of baseUrl, timeoutMs, maxRetries, auth, signal, \
             fetch, onRetry"
        );
        let read = |value| from_json::<ClientOptions<(), (), ()>>(value, &crate::input::Path::argument("options"));
        let client = read(json!({"maxAgeMs": 5000, "timeoutMs": 10})).unwrap();
        assert_eq!((max_age_ms(client.max_age_ms), client.request_options().timeout_ms()), (5000.0, 10));
        assert_eq!(max_age_ms(None), 0.0);
        assert_eq!(read(json!({"maxAgeMs": -1})).unwrap_err().field.as_deref(), Some("options.maxAgeMs"));
        let error = read(json!({"rateCard": {}})).unwrap_err().message;
        assert!(error.ends_with("onRetry, maxAgeMs, store, storeTimeoutMs, onStoreError"), "{error}");
        let afford = from_json::<AffordOptions<(), ()>>(
            json!({"rateCard": {"caption": {"deep": 20}}}),
            &crate::input::Path::argument("options"),
        );
        assert!(afford.unwrap().rate_card.is_some());
        let error =
            from_json::<AffordOptions<(), ()>>(json!({"maxAgeMs": 1}), &crate::input::Path::argument("options"))
                .unwrap_err();
        assert!(error.message.ends_with("onRetry, rateCard"), "{}", error.message);
        let both = from_json::<ClientAffordOptions<(), (), ()>>(
            json!({"maxAgeMs": 1, "rateCard": {}}),
            &crate::input::Path::argument("options"),
        );
        let both = both.unwrap();
        assert_eq!((max_age_ms(both.max_age_ms), both.rate_card.is_some()), (1.0, true));
    }

    #[test]
    fn a_client_store_is_overridden_per_call_and_null_skips_it() {
        let read = |value| {
            from_json::<ClientOptions<(), (), u32>>(value, &crate::input::Path::argument("options"))
                .unwrap()
                .store_options()
        };
        let client = read(json!({"store": 7, "onStoreError": null}));
        assert_eq!((client.store(), client.timeout_ms()), (Some(&7), DEFAULT_STORE_TIMEOUT_MS));
        let call = client.overridden_by(&read(json!({"storeTimeoutMs": 50})));
        assert_eq!((call.store(), call.timeout_ms()), (Some(&7), 50), "the client's store, the call's timeout");
        assert_eq!(client.overridden_by(&read(json!({"store": 8}))).store(), Some(&8));
        assert_eq!(client.overridden_by(&read(json!({"store": null}))).store(), None);
        assert_eq!(read(json!({})).store(), None);
        let zero = from_json::<ClientOptions<(), (), u32>>(
            json!({"storeTimeoutMs": 0}),
            &crate::input::Path::argument("options"),
        );
        assert_eq!(zero.unwrap_err().field.as_deref(), Some("options.storeTimeoutMs"));
    }

    #[test]
    fn options_have_defaults_and_calls_override_clients() {
        let key = ApiKey::parse("pp_live_sk_abc").unwrap();
        let client = options(json!({"timeoutMs": 5000, "auth": "bearer"})).unwrap();
        let call = options(json!({"timeoutMs": 100, "maxRetries": 0})).unwrap();
        let merged = client.overridden_by(&call);
        assert_eq!((merged.timeout_ms(), merged.max_retries()), (100, 0));
        assert_eq!(
            merged.request(&key),
            Request {
                url: "https://powerpost.ai/api/v1/account/credits".into(),
                auth_header: ("authorization", "Bearer pp_live_sk_abc".into())
            }
        );
        let defaults = options(json!(null)).unwrap();
        assert_eq!((defaults.timeout_ms(), defaults.max_retries()), (30_000, 2));
        assert_eq!(defaults.request(&key).auth_header, ("x-api-key", "pp_live_sk_abc".into()));
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
        ];
        for (value, field) in cases {
            let error = options(value.clone()).expect_err(&value.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{value}");
        }
        assert_eq!(
            options(json!({"auth": "basic"})).unwrap_err().message,
            "options.auth must be \"x-api-key\" or \"bearer\""
        );
        assert_eq!(
            options(json!({"timeout": 5})).unwrap_err().message,
            "options.timeout is not a known field; expected one of baseUrl, timeoutMs, maxRetries, auth, signal, fetch, \
             onRetry"
        );
    }
}
