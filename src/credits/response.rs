//! What a response means: the balance of a 200, or the `PowerPostError` of anything else,
//! with the request id, rate limit and retry hint read from its headers and body.
//! Bodies arrive already parsed by the runtime's `JSON.parse` (so no JSON parser is
//! compiled in) and are read through the [`Value`] view.

use crate::prelude::*;

use crate::credits::key::scrub_api_key;
use crate::error::{ErrorCode, PowerPostError};
use crate::text::{concat, parse_digits, push_uint, split_ascii, split_once_ascii};
use crate::value::{Text, Value};

/// The headers this client reads, as raw strings (`None` when absent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseHeaders {
    pub request_id: Option<String>,
    pub rate_limit_limit: Option<String>,
    pub rate_limit_remaining: Option<String>,
    pub rate_limit_reset: Option<String>,
    pub retry_after: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds.
    pub reset_at: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Credits {
    pub balance: f64,
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
}

/// A response body, as the runtime's `JSON.parse` left it.
pub enum ResponseBody<V> {
    Json(V),
    NotJson,
    /// JSON with more values than one tape holds (see `tape`); no PowerPost response is
    /// near that, so it is read as no body at all, and a 200 carrying one is invalid.
    TooLarge,
}

const MAX_MESSAGE_LENGTH: u32 = 500;

/// Header values longer than this are treated as absent.
pub const MAX_HEADER_LENGTH: usize = 256;

/// Interprets one complete response. `now_ms` resolves `Retry-After` dates; `api_key` is
/// scrubbed from any message the server sends back.
pub fn interpret<V: Value>(
    status: u16,
    headers: &ResponseHeaders,
    body: ResponseBody<V>,
    now_ms: f64,
    api_key: &str,
) -> Result<Credits, PowerPostError> {
    let request_id = headers.request_id.clone().filter(|id| is_printable(id));
    if status == 200 {
        let balance = match &body {
            ResponseBody::Json(body) => read_balance(body),
            ResponseBody::NotJson => Err("body is not JSON"),
            ResponseBody::TooLarge => Err("body is too large to read"),
        };
        return match balance {
            Ok(balance) => Ok(Credits { balance, request_id, rate_limit: parse_rate_limit(headers) }),
            Err(why) => Err(invalid_response(status, request_id, why)),
        };
    }
    let api_error = match &body {
        ResponseBody::Json(body) => Some(body.get("error")).filter(|error| error.is_plain_object()),
        ResponseBody::NotJson | ResponseBody::TooLarge => None,
    };
    let (named_code, server_message, body_retry_after_ms) = match &api_error {
        Some(error) => (
            text_of(&error.get("code")).as_deref().and_then(ErrorCode::from_api),
            text_of(&error.get("message")),
            seconds_to_ms(error.get("retryAfter").as_number()),
        ),
        None => (None, None, None),
    };
    let code = named_code.unwrap_or_else(|| ErrorCode::for_status(status));
    let mut message = String::new();
    push_uint(&mut message, status.into());
    message.push(' ');
    message.push_str(code.as_str());
    message.push_str(": ");
    match server_message {
        Some(text) if !text.is_empty() => message.push_str(&scrub_api_key(&text, api_key)),
        _ => message.push_str(status_reason(status)),
    }
    let retry_after_ms = body_retry_after_ms
        .or_else(|| headers.retry_after.as_deref().and_then(|value| parse_retry_after(value, now_ms)));
    Err(PowerPostError::new(code, message).with_response(status, request_id, retry_after_ms))
}

fn read_balance<V: Value>(body: &V) -> Result<f64, &'static str> {
    if !body.is_plain_object() {
        return Err("body is not a JSON object");
    }
    match body.get("balance").as_number() {
        Some(balance) if balance.is_finite() && balance >= 0.0 => Ok(balance),
        Some(_) => Err("balance is not a finite, non-negative number"),
        None => Err("balance is missing or not a number"),
    }
}

fn invalid_response(status: u16, request_id: Option<String>, why: &str) -> PowerPostError {
    let message = concat(&["unexpected response from PowerPost: ", why]);
    PowerPostError::new(ErrorCode::InvalidResponse, message).with_response(status, request_id, None)
}

fn text_of<V: Value>(value: &V) -> Option<String> {
    match value.as_text(MAX_MESSAGE_LENGTH) {
        Text::Ok(text) => Some(text),
        Text::TooLong | Text::NotAString => None,
    }
}

fn is_printable(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_HEADER_LENGTH && text.bytes().all(|b| b.is_ascii_graphic())
}

fn seconds_to_ms(seconds: Option<f64>) -> Option<f64> {
    seconds.filter(|s| s.is_finite() && *s >= 0.0).map(|s| ceil_non_negative(s * 1000.0))
}

/// `x.ceil()` for `x >= 0` (core has no float rounding without std).
fn ceil_non_negative(x: f64) -> f64 {
    // From 2^52 on, every f64 is a whole number; below, `as u64` truncates towards zero.
    if x >= 4_503_599_627_370_496.0 {
        return x;
    }
    let whole = x as u64 as f64;
    if whole < x {
        whole + 1.0
    } else {
        whole
    }
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
pub fn parse_rate_limit(headers: &ResponseHeaders) -> Option<RateLimit> {
    let number = |value: &Option<String>| parse_whole(value.as_deref()?.trim());
    Some(RateLimit {
        limit: number(&headers.rate_limit_limit)?,
        remaining: number(&headers.rate_limit_remaining)?,
        reset_at: number(&headers.rate_limit_reset)?,
    })
}

/// Up to 15 decimal digits (exact as a JS number).
fn parse_whole(text: &str) -> Option<u64> {
    parse_digits(text, 15)
}

/// `Retry-After` as delay-seconds or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), in ms
/// from `now_ms`. A date in the past means "now" (0).
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Some(seconds) = parse_whole(value) {
        return Some(seconds as f64 * 1000.0);
    }
    let date_ms = parse_http_date(value, now_ms)? as f64 * 1000.0;
    Some(ceil_non_negative((date_ms - now_ms).max(0.0)))
}

/// Unix seconds of an HTTP-date in any of the three forms a recipient must accept (RFC 9110,
/// 5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
/// `Sunday, 06-Nov-94 08:49:37 GMT`, whose two-digit year is read as the latest such year not
/// more than 50 years after `now_ms`, and asctime `Sun Nov  6 08:49:37 1994`.
pub fn parse_http_date(value: &str, now_ms: f64) -> Option<i64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (day, month_name, year, clock) = match split_once_ascii(value, b',') {
        Some((_weekday, rest)) => {
            let mut parts = split_ascii(rest.strip_prefix(' ')?, b' ');
            let first = parts.next()?;
            let date = match split_once_ascii(first, b'-') {
                Some((day, month_and_year)) => {
                    let (month, short_year) = split_once_ascii(month_and_year, b'-')?;
                    let short_year = parse_whole(short_year).filter(|_| short_year.len() == 2)?;
                    (day, month, full_year(short_year, now_ms), parts.next()?)
                }
                None => (first, parts.next()?, parse_whole(parts.next()?)?, parts.next()?),
            };
            if parts.next()? != "GMT" || parts.next().is_some() {
                return None;
            }
            date
        }
        None => {
            let mut parts = split_ascii(value, b' ').filter(|part| !part.is_empty());
            let (_weekday, month, day, clock) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let year = parse_whole(parts.next()?)?;
            if parts.next().is_some() {
                return None;
            }
            (day, month, year, clock)
        }
    };
    let day = parse_whole(day)?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u64 + 1;
    let mut clock = split_ascii(clock, b':');
    let hour = parse_whole(clock.next()?)?;
    let minute = parse_whole(clock.next()?)?;
    let second = parse_whole(clock.next()?)?;
    if clock.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year as i64, month as i64, day as i64);
    Some(days * 86_400 + (hour * 3600 + minute * 60 + second) as i64)
}

/// The year ending in `two_digits` that is the latest not more than 50 years after the year of `now_ms`.
fn full_year(two_digits: u64, now_ms: f64) -> u64 {
    const MS_PER_YEAR: f64 = 365.2425 * 86_400_000.0;
    let now_year = if now_ms.is_finite() { 1970 + (now_ms / MS_PER_YEAR).clamp(0.0, 8029.0) as u64 } else { 1970 };
    let century = now_year - now_year % 100;
    let candidate = century + two_digits;
    if candidate > now_year + 50 {
        candidate - 100
    } else if candidate + 100 <= now_year + 50 {
        candidate + 100
    } else {
        candidate
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::value::json::Json;
    use proptest::strategy::Strategy;
    use serde_json::json;

    const KEY: &str = "pp_live_sk_0123456789abcdefWXYZ";

    fn headers() -> ResponseHeaders {
        ResponseHeaders {
            request_id: Some("req_abc123".into()),
            rate_limit_limit: Some("30".into()),
            rate_limit_remaining: Some("29".into()),
            rate_limit_reset: Some("1767225600".into()),
            retry_after: None,
        }
    }

    fn run(status: u16, headers: &ResponseHeaders, body: Option<serde_json::Value>) -> Result<Credits, PowerPostError> {
        interpret(
            status,
            headers,
            body.map_or(ResponseBody::NotJson, |body| ResponseBody::Json(Json::of(body))),
            0.0,
            KEY,
        )
    }

    #[test]
    fn a_body_too_large_to_read_is_no_body() {
        let too_large = |status| interpret::<Json>(status, &headers(), ResponseBody::TooLarge, 0.0, KEY).unwrap_err();
        let error = too_large(200);
        assert_eq!((error.code, error.status), (ErrorCode::InvalidResponse, Some(200)));
        assert!(error.message.ends_with("body is too large to read"), "{}", error.message);
        let error = too_large(503);
        assert_eq!((error.code, error.status, error.retryable()), (ErrorCode::InternalError, Some(503), true));
        assert_eq!(too_large(401).code, ErrorCode::InvalidApiKey);
    }

    #[test]
    fn a_200_with_a_balance_is_credits() {
        let credits = run(200, &headers(), Some(json!({"balance": 47}))).unwrap();
        assert_eq!(credits.balance, 47.0);
        assert_eq!(credits.request_id.as_deref(), Some("req_abc123"));
        assert_eq!(credits.rate_limit, Some(RateLimit { limit: 30, remaining: 29, reset_at: 1_767_225_600 }));
        let zero = run(200, &ResponseHeaders::default(), Some(json!({"balance": 0, "extra": true}))).unwrap();
        assert_eq!((zero.balance, zero.request_id, zero.rate_limit), (0.0, None, None));
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
    }

    #[test]
    fn server_messages_never_carry_the_key() {
        let body = json!({"error": {"message": format!("key {KEY} is revoked"), "code": "INVALID_API_KEY"}});
        let error = run(401, &headers(), Some(body)).unwrap_err();
        assert!(!error.message.contains(KEY));
        assert!(error.message.contains("pp_live_sk_…WXYZ"));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120", 0.0), Some(120_000.0));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0.0));
        let now_ms = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now_ms), Some(784_111_777));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now_ms), Some(30_000.0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now_ms), Some(0.0), "past dates mean now");
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", 0.0), Some(0));
        assert_eq!(parse_http_date("Sat, 29 Feb 2028 23:59:59 GMT", 0.0), Some(1_835_481_599));
        for bad in [
            "",
            "-1",
            "1.5",
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
            assert_eq!(parse_retry_after(bad, 0.0), None, "{bad}");
        }
    }

    #[test]
    fn rate_limit_needs_all_three_whole_headers() {
        let mut partial = headers();
        partial.rate_limit_reset = None;
        assert_eq!(parse_rate_limit(&partial), None);
        let mut garbage = headers();
        garbage.rate_limit_remaining = Some("-1".into());
        assert_eq!(parse_rate_limit(&garbage), None);
    }

    #[test]
    fn the_obsolete_http_date_forms_are_accepted_too() {
        let in_2026 = 1_795_000_000_000.0; // 2026-11-18
        for form in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_http_date(form, in_2026), Some(784_111_777), "{form}");
        }
        assert_eq!(
            parse_http_date("Thursday, 26-Nov-26 10:00:00 GMT", in_2026),
            parse_http_date("Thu, 26 Nov 2026 10:00:00 GMT", 0.0)
        );
        // A two-digit year is the latest one not more than 50 years ahead.
        let years: Vec<u64> = [0, 26, 76, 77, 99].into_iter().map(|yy| full_year(yy, in_2026)).collect();
        assert_eq!(years, [2000, 2026, 2076, 1977, 1999]);
        assert_eq!(full_year(10, 3_500_000_000_000.0), 2110, "in 2080, '10' is 2110");
        assert_eq!(full_year(5, f64::NAN), 2005);
    }

    proptest::proptest! {
        #[test]
        fn header_parsers_never_panic(value in ".{0,40}", now_ms in proptest::num::f64::ANY) {
            let _ = parse_retry_after(&value, now_ms);
            let _ = parse_http_date(&value, now_ms);
            let repeated = Some(value.clone());
            let headers = ResponseHeaders { rate_limit_limit: repeated.clone(), rate_limit_remaining: repeated.clone(), rate_limit_reset: repeated, ..ResponseHeaders::default() };
            let _ = parse_rate_limit(&headers);
        }

        #[test]
        fn delay_seconds_are_exact(seconds in 0u64..1_000_000_000) {
            proptest::prop_assert_eq!(parse_retry_after(&seconds.to_string(), 0.0), Some(seconds as f64 * 1000.0));
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
    }

    #[test]
    fn request_ids_must_be_printable() {
        let mut odd = headers();
        odd.request_id = Some("req 1\n".into());
        assert_eq!(run(200, &odd, Some(json!({"balance": 1}))).unwrap().request_id, None);
    }
}
