//! What a response means: the balance of a 200, or the `PowerPostError` of anything else,
//! with the request id, rate limit and retry hint read from its headers and body.

use serde::{Deserialize, Serialize};

use super::http_date::parse_http_date;
use super::key::ApiKey;
use crate::error::{ErrorCode, PowerPostError};
use crate::input::{read_leniently, Lenient, Number, Value};
use crate::pricing::settle::is_balance;

/// A response as read off the wire: status, the headers this client reads, and the body
/// parsed as JSON by the runtime (`None` when it is not JSON).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawResponse<B> {
    pub status: u16,
    pub headers: ResponseHeaders,
    pub body: Option<B>,
}

/// What a body may say, each part read leniently: keys and kinds the contract does not name
/// are no error, and keys not named here are never read.
#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    balance: Lenient<Number>,
    #[serde(default)]
    error: Lenient<ApiError>,
}

/// An error body's `error`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiError {
    #[serde(default)]
    code: Lenient<String>,
    #[serde(default)]
    message: Lenient<String>,
    #[serde(default)]
    retry_after: Lenient<Number>,
}

/// The headers this client reads, as raw strings (`None` when absent).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ResponseHeaders {
    pub request_id: Option<String>,
    pub rate_limit_limit: Option<String>,
    pub rate_limit_remaining: Option<String>,
    pub rate_limit_reset: Option<String>,
    pub retry_after: Option<String>,
}

impl ResponseHeaders {
    /// Reads the five headers through `get` (a header lookup by lowercase name).
    pub(crate) fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            request_id: get("x-request-id"),
            rate_limit_limit: get("x-ratelimit-limit"),
            rate_limit_remaining: get("x-ratelimit-remaining"),
            rate_limit_reset: get("x-ratelimit-reset"),
            retry_after: get("retry-after"),
        }
    }
}

/// What `getCredits` resolves with.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Credits {
    pub balance: f64,
    /// `X-Request-Id` of the response.
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    /// When the server answered (ms since the Unix epoch, the local clock), so that a kept
    /// result says how old it is.
    pub fetched_at: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds.
    pub reset_at: u64,
}

/// Server messages longer than this (in UTF-16 units) are replaced by the status's reason.
const MAX_MESSAGE_LENGTH: usize = 500;
/// Header values longer than this are treated as absent.
const MAX_HEADER_LENGTH: usize = 256;

/// Interprets one complete response, read whole at `now_ms`, which also resolves `Retry-After`
/// dates; the key is scrubbed from any message the server sends back.
pub(crate) fn interpret<B: Value>(
    response: RawResponse<B>,
    now_ms: f64,
    key: &ApiKey,
) -> Result<Credits, PowerPostError> {
    let RawResponse { status, headers, body } = response;
    let request_id = headers.request_id.clone().filter(|id| is_printable(id));
    if (300..400).contains(&status) {
        return Err(PowerPostError { request_id, ..PowerPostError::redirect(Some(status)) });
    }
    let json = body.is_some();
    let body: Option<Body> = body.and_then(read_leniently);
    if status == 200 {
        return match read_balance(json, body) {
            Ok(balance) => Ok(Credits { balance, request_id, rate_limit: rate_limit(&headers), fetched_at: now_ms }),
            Err(why) => Err(PowerPostError::new(
                ErrorCode::InvalidResponse,
                format!("unexpected response from PowerPost: {why}"),
            )
            .with_response(status, request_id, None)),
        };
    }
    let api_error = body.and_then(|body| body.error.0);
    let (code, message, body_hint) = match api_error {
        Some(ApiError { code, message, retry_after }) => (code.0, message.0, retry_after.0.map(|Number(n)| n)),
        None => (None, None, None),
    };
    let code = code.as_deref().and_then(ErrorCode::from_api).unwrap_or_else(|| ErrorCode::for_status(status));
    let message = match message {
        Some(message) if !message.is_empty() && message.encode_utf16().count() <= MAX_MESSAGE_LENGTH => {
            key.scrub(&message)
        }
        _ => status_reason(status).to_string(),
    };
    let retry_after_ms = seconds_to_ms(body_hint)
        .or_else(|| headers.retry_after.as_deref().and_then(|value| retry_after_ms(value, now_ms)));
    Err(PowerPostError::new(code, format!("{status} {}: {message}", code.as_str())).with_response(
        status,
        request_id,
        retry_after_ms,
    ))
}

/// A 200's balance that [`is_balance`] refuses; the words are [`BALANCE_RULE`]'s (a test holds them).
const NOT_A_BALANCE: &str = "balance is not a finite, non-negative number";

/// The balance of a 200's body; `json` tells a body that is not JSON from one that is not an object.
fn read_balance(json: bool, body: Option<Body>) -> Result<f64, &'static str> {
    let body = body.ok_or(if json { "body is not a JSON object" } else { "body is not JSON" })?;
    match body.balance.0 {
        Some(Number(balance)) if is_balance(balance) => Ok(balance),
        Some(_) => Err(NOT_A_BALANCE),
        None => Err("balance is missing or not a number"),
    }
}

fn is_printable(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_HEADER_LENGTH && text.bytes().all(|b| b.is_ascii_graphic())
}

fn seconds_to_ms(seconds: Option<f64>) -> Option<f64> {
    seconds.filter(|s| s.is_finite() && *s >= 0.0).map(|s| (s * 1000.0).ceil())
}

fn status_reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "HTTP error",
    }
}

/// `X-RateLimit-*`, when all three are present and whole numbers.
fn rate_limit(headers: &ResponseHeaders) -> Option<RateLimit> {
    let number = |value: &Option<String>| whole(value.as_deref()?.trim());
    Some(RateLimit {
        limit: number(&headers.rate_limit_limit)?,
        remaining: number(&headers.rate_limit_remaining)?,
        reset_at: number(&headers.rate_limit_reset)?,
    })
}

/// Up to 15 decimal digits (exact as a JS number).
fn whole(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// `Retry-After` as delay-seconds or an HTTP date (any of the three forms RFC 9110 has a
/// recipient accept), in ms from `now_ms`. A date in the past means "now" (0).
fn retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Some(seconds) = whole(value) {
        return Some(seconds as f64 * 1000.0);
    }
    let date_ms = parse_http_date(value)?;
    Some((date_ms - now_ms).max(0.0).ceil())
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;
    use serde_json::json;

    use crate::credits::fakes::KEY;

    fn headers() -> ResponseHeaders {
        ResponseHeaders {
            request_id: Some("req_abc123".into()),
            rate_limit_limit: Some("30".into()),
            rate_limit_remaining: Some("29".into()),
            rate_limit_reset: Some("1767225600".into()),
            retry_after: None,
        }
    }

    /// The body as the runtime parses it: `JSON.parse`, `None` when that fails.
    fn run_text(status: u16, headers: &ResponseHeaders, body: &str) -> Result<Credits, PowerPostError> {
        run(status, headers, serde_json::from_str(body).ok())
    }

    /// `None`: a body that is not JSON.
    fn run(status: u16, headers: &ResponseHeaders, body: Option<serde_json::Value>) -> Result<Credits, PowerPostError> {
        let response = RawResponse { status, headers: headers.clone(), body };
        interpret(response, 0.0, &ApiKey::parse(KEY).unwrap())
    }

    #[test]
    fn headers_are_read_by_their_lowercase_names() {
        let read = ResponseHeaders::read(|name| Some(format!("value of {name}")));
        assert_eq!(read.request_id.as_deref(), Some("value of x-request-id"));
        assert_eq!(read.rate_limit_limit.as_deref(), Some("value of x-ratelimit-limit"));
        assert_eq!(read.rate_limit_remaining.as_deref(), Some("value of x-ratelimit-remaining"));
        assert_eq!(read.rate_limit_reset.as_deref(), Some("value of x-ratelimit-reset"));
        assert_eq!(read.retry_after.as_deref(), Some("value of retry-after"));
        assert_eq!(ResponseHeaders::read(|_| None), ResponseHeaders::default());
    }

    #[test]
    fn a_balance_refused_is_told_in_the_words_of_the_rule() {
        assert_eq!(NOT_A_BALANCE, format!("balance is not {}", crate::pricing::settle::BALANCE_RULE));
    }

    #[test]
    fn a_200_with_a_balance_is_credits() {
        let credits = run(200, &headers(), Some(json!({"balance": 47}))).unwrap();
        assert_eq!(credits.balance, 47.0);
        assert_eq!(credits.request_id.as_deref(), Some("req_abc123"));
        assert_eq!(credits.rate_limit, Some(RateLimit { limit: 30, remaining: 29, reset_at: 1_767_225_600 }));
        let zero = run(200, &ResponseHeaders::default(), Some(json!({"balance": 0, "extra": true}))).unwrap();
        assert_eq!((zero.balance, zero.request_id, zero.rate_limit), (0.0, None, None));
        assert_eq!(
            serde_json::to_value(&credits).unwrap(),
            json!({"balance": 47.0, "requestId": "req_abc123", "rateLimit": {"limit": 30, "remaining": 29, "resetAt": 1_767_225_600}, "fetchedAt": 0.0})
        );
        let response = RawResponse { status: 200, headers: headers(), body: Some(json!({"balance": 5})) };
        let at = interpret(response, 1_767_225_000_123.0, &ApiKey::parse(KEY).unwrap()).unwrap();
        assert_eq!(at.fetched_at, 1_767_225_000_123.0, "when the response was read whole");
    }

    #[test]
    fn a_redirect_is_an_http_error_with_its_status_whatever_the_body_says() {
        for status in [300, 301, 302, 303, 307, 308, 399] {
            let error = run(status, &headers(), Some(json!({"balance": 47}))).unwrap_err();
            assert_eq!((error.code, error.status, error.retryable()), (ErrorCode::HttpError, Some(status), false));
            assert_eq!(error.request_id.as_deref(), Some("req_abc123"));
            assert!(
                error.message.starts_with(&format!("{status} HTTP_ERROR: redirect not followed")),
                "{}",
                error.message
            );
        }
        assert_eq!(run(400, &headers(), None).unwrap_err().message, "400 HTTP_ERROR: Bad Request");
        assert_eq!(run(299, &headers(), None).unwrap_err().code, ErrorCode::HttpError);
    }

    #[test]
    fn a_large_body_is_read_whole() {
        let padding = vec![0; 100_000];
        assert_eq!(run(200, &headers(), Some(json!({"padding": padding, "balance": 47}))).unwrap().balance, 47.0);
        let error =
            run(503, &headers(), Some(json!({"error": {"code": "INTERNAL_ERROR"}, "padding": padding}))).unwrap_err();
        assert_eq!((error.code, error.status, error.retryable()), (ErrorCode::InternalError, Some(503), true));
    }

    #[test]
    fn a_200_without_a_valid_balance_is_invalid_response() {
        let bodies = [
            Some(json!({"balance": "47"})),
            Some(json!({"balance": -1})),
            Some(json!({"balance": null})),
            Some(json!({})),
            Some(json!([])),
            Some(json!(null)),
            Some(json!(47)),
            None,
        ];
        for body in bodies {
            let error = run(200, &headers(), body.clone()).expect_err(&format!("{body:?}"));
            assert_eq!(error.code, ErrorCode::InvalidResponse);
            assert_eq!(error.status, Some(200));
            assert_eq!(error.request_id.as_deref(), Some("req_abc123"));
            assert!(!error.retryable());
        }
        for text in ["", "{\"balance\": 4", "{\"balance\": 1e400}"] {
            assert_eq!(run_text(200, &headers(), text).unwrap_err().code, ErrorCode::InvalidResponse, "{text}");
        }
        assert_eq!(
            run(200, &headers(), Some(json!({"balance": -1}))).unwrap_err().message,
            "unexpected response from PowerPost: balance is not a finite, non-negative number"
        );
    }

    #[test]
    fn api_error_bodies_pass_their_code_through() {
        let cases = [
            (400, "VALIDATION_ERROR"),
            (401, "INVALID_API_KEY"),
            (402, "INSUFFICIENT_CREDITS"),
            (403, "FORBIDDEN"),
            (403, "INSUFFICIENT_SCOPE"),
            (404, "NOT_FOUND"),
            (429, "RATE_LIMIT_EXCEEDED"),
            (500, "INTERNAL_ERROR"),
        ];
        for (status, code) in cases {
            let body = json!({"error": {"message": "Nope", "code": code}});
            let error = run(status, &headers(), Some(body)).unwrap_err();
            assert_eq!(error.code.as_str(), code);
            assert_eq!(error.status, Some(status));
            assert_eq!(error.message, format!("{status} {code}: Nope"));
            assert_eq!(error.request_id.as_deref(), Some("req_abc123"));
        }
    }

    #[test]
    fn error_responses_without_a_usable_body_follow_the_status() {
        for (status, body) in [
            (502, None),
            (401, Some(json!({"error": "nope"}))),
            (403, Some(json!({"error": {"code": "SOMETHING_NEW"}}))),
            (429, Some(json!([1]))),
            (418, None),
            (400, Some(json!({"message": "x"}))),
        ] {
            let error = run(status, &headers(), body).unwrap_err();
            assert_eq!(error.code, ErrorCode::for_status(status), "{status}");
            assert!(error.message.starts_with(&status.to_string()));
        }
        assert_eq!(run(502, &headers(), None).unwrap_err().message, "502 INTERNAL_ERROR: Bad Gateway");
        // Each documented status says its own reason when the body gives none.
        let reasons = [
            (400, "400 HTTP_ERROR: Bad Request"),
            (401, "401 INVALID_API_KEY: Unauthorized"),
            (402, "402 HTTP_ERROR: Payment Required"),
            (403, "403 FORBIDDEN: Forbidden"),
            (404, "404 NOT_FOUND: Not Found"),
            (429, "429 RATE_LIMIT_EXCEEDED: Too Many Requests"),
            (500, "500 INTERNAL_ERROR: Internal Server Error"),
            (503, "503 INTERNAL_ERROR: Service Unavailable"),
            (504, "504 INTERNAL_ERROR: Gateway Timeout"),
            (418, "418 HTTP_ERROR: HTTP error"),
        ];
        for (status, message) in reasons {
            assert_eq!(run(status, &headers(), None).unwrap_err().message, message);
        }
        let long = json!({"error": {"code": "INTERNAL_ERROR", "message": "x".repeat(501)}});
        assert_eq!(run(500, &headers(), Some(long)).unwrap_err().message, "500 INTERNAL_ERROR: Internal Server Error");
    }

    #[test]
    fn retry_hints_come_from_the_body_first_then_the_header() {
        let mut with_header = headers();
        with_header.retry_after = Some("7".into());
        let body =
            json!({"error": {"message": "Rate limit exceeded", "code": "RATE_LIMIT_EXCEEDED", "retryAfter": 45}});
        let error = run(429, &with_header, Some(body)).unwrap_err();
        assert_eq!(error.retry_after_ms, Some(45_000.0));
        assert!(error.retryable());
        assert_eq!(run(429, &with_header, None).unwrap_err().retry_after_ms, Some(7_000.0));
        assert_eq!(run(503, &headers(), None).unwrap_err().retry_after_ms, None);
        let bad_hint = json!({"error": {"code": "RATE_LIMIT_EXCEEDED", "retryAfter": -3}});
        assert_eq!(run(429, &with_header, Some(bad_hint)).unwrap_err().retry_after_ms, Some(7_000.0));
        let fraction = json!({"error": {"code": "RATE_LIMIT_EXCEEDED", "retryAfter": 0.0004}});
        assert_eq!(run(429, &headers(), Some(fraction)).unwrap_err().retry_after_ms, Some(1.0));
    }

    #[test]
    fn server_messages_never_carry_the_key() {
        let body = json!({"error": {"message": format!("key {KEY} is revoked"), "code": "INVALID_API_KEY"}});
        let error = run(401, &headers(), Some(body)).unwrap_err();
        assert!(!error.message.contains(KEY));
        assert!(error.message.contains("pp_live_sk_…WXYZ"));
    }

    #[test]
    fn retry_after_accepts_seconds_and_the_three_http_date_forms() {
        assert_eq!(retry_after_ms("120", 0.0), Some(120_000.0));
        assert_eq!(retry_after_ms(" 0 ", 0.0), Some(0.0));
        let now_ms = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        for form in ["Sun, 06 Nov 1994 08:50:07 GMT", "Sunday, 06-Nov-94 08:50:07 GMT", "Sun Nov  6 08:50:07 1994"] {
            assert_eq!(retry_after_ms(form, now_ms), Some(30_000.0), "{form}");
        }
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT", now_ms), Some(0.0), "past dates mean now");
        assert_eq!(retry_after_ms("Thu, 01 Jan 1970 00:00:01 GMT", 0.0), Some(1000.0));
        assert_eq!(retry_after_ms("Tue, 29 Feb 2028 23:59:59 GMT", 0.0), Some(1_835_481_599_000.0));
        for bad in [
            "",
            "-1",
            "1.5",
            "+5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "99999999999999999999",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun Nov  6 08:49 1994",
        ] {
            assert_eq!(retry_after_ms(bad, 0.0), None, "{bad}");
        }
    }

    #[test]
    fn rate_limit_needs_all_three_whole_headers() {
        let mut partial = headers();
        partial.rate_limit_reset = None;
        assert_eq!(rate_limit(&partial), None);
        let mut garbage = headers();
        garbage.rate_limit_remaining = Some("-1".into());
        assert_eq!(rate_limit(&garbage), None);
    }

    #[test]
    fn request_ids_must_be_printable() {
        let mut odd = headers();
        odd.request_id = Some("req 1\n".into());
        assert_eq!(run(200, &odd, Some(json!({"balance": 1}))).unwrap().request_id, None);
    }

    proptest::proptest! {
        #[test]
        fn header_parsers_never_panic(value in ".{0,40}", now_ms in proptest::num::f64::ANY) {
            let _ = retry_after_ms(&value, now_ms);
            let repeated = Some(value.clone());
            let headers = ResponseHeaders { rate_limit_limit: repeated.clone(), rate_limit_remaining: repeated.clone(), rate_limit_reset: repeated, ..ResponseHeaders::default() };
            let _ = rate_limit(&headers);
        }

        #[test]
        fn delay_seconds_are_exact(seconds in 0u64..1_000_000_000) {
            proptest::prop_assert_eq!(retry_after_ms(&seconds.to_string(), 0.0), Some(seconds as f64 * 1000.0));
        }

        #[test]
        fn any_status_and_body_gives_credits_or_an_error_with_that_status(
            status in 100u16..600,
            body in proptest::option::of(proptest::prop_oneof![
                proptest::strategy::Just(json!(null)),
                proptest::num::f64::ANY.prop_map(|n| json!({"balance": n})),
                ".{0,12}".prop_map(|code| json!({"error": {"code": code, "message": code, "retryAfter": 3}})),
                ".{0,12}".prop_map(|text| json!({"balance": text})),
            ]),
        ) {
            match run(status, &headers(), body) {
                Ok(credits) => proptest::prop_assert!(status == 200 && credits.balance.is_finite() && credits.balance >= 0.0),
                Err(error) => proptest::prop_assert_eq!(error.status, Some(status)),
            }
        }

        #[test]
        fn any_body_text_is_read_without_panicking(status in 100u16..600, body in ".{0,64}") {
            let _ = run_text(status, &headers(), &body);
        }
    }
}
