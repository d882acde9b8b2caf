//! The error every public call reports: its codes, which of them are worth retrying, and how
//! messages are worded. The binding layer turns a [`PowerPostError`] into a JS `Error` named
//! `PowerPostError`; nothing here knows about JS.

use std::fmt;

/// Every `code` a `PowerPostError` can carry, in the order of [`ErrorCode::TABLE`], which says
/// what each means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    ValidationError,
    InvalidApiKey,
    InsufficientCredits,
    Forbidden,
    InsufficientScope,
    NotFound,
    AlreadyPublished,
    FileTooLarge,
    StorageQuotaExceeded,
    PlatformNotConnected,
    RateLimitExceeded,
    InternalError,
    HttpError,
    InvalidArgument,
    InvalidResponse,
    NetworkError,
    Timeout,
    Aborted,
    StoreError,
}

/// Where a code comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// PowerPost's error bodies; `status` is the one an error response without a usable code
    /// gets this code for.
    Api { status: Option<u16> },
    /// The client itself; `retryable`: the same request may succeed later.
    Client { retryable: bool },
}

impl ErrorCode {
    /// Each code once: its name, and where it comes from.
    const TABLE: [(ErrorCode, &'static str, Source); 19] = [
        (Self::ValidationError, "VALIDATION_ERROR", Source::Api { status: None }),
        (Self::InvalidApiKey, "INVALID_API_KEY", Source::Api { status: Some(401) }),
        (Self::InsufficientCredits, "INSUFFICIENT_CREDITS", Source::Api { status: None }),
        (Self::Forbidden, "FORBIDDEN", Source::Api { status: Some(403) }),
        (Self::InsufficientScope, "INSUFFICIENT_SCOPE", Source::Api { status: None }),
        (Self::NotFound, "NOT_FOUND", Source::Api { status: Some(404) }),
        (Self::AlreadyPublished, "ALREADY_PUBLISHED", Source::Api { status: None }),
        (Self::FileTooLarge, "FILE_TOO_LARGE", Source::Api { status: None }),
        (Self::StorageQuotaExceeded, "STORAGE_QUOTA_EXCEEDED", Source::Api { status: None }),
        (Self::PlatformNotConnected, "PLATFORM_NOT_CONNECTED", Source::Api { status: None }),
        (Self::RateLimitExceeded, "RATE_LIMIT_EXCEEDED", Source::Api { status: Some(429) }),
        // Also every 5xx without a usable code (see `for_status`).
        (Self::InternalError, "INTERNAL_ERROR", Source::Api { status: Some(500) }),
        // An error response whose body is not JSON or names no code we know.
        (Self::HttpError, "HTTP_ERROR", Source::Client { retryable: false }),
        (Self::InvalidArgument, "INVALID_ARGUMENT", Source::Client { retryable: false }),
        (Self::InvalidResponse, "INVALID_RESPONSE", Source::Client { retryable: false }),
        (Self::NetworkError, "NETWORK_ERROR", Source::Client { retryable: true }),
        (Self::Timeout, "TIMEOUT", Source::Client { retryable: true }),
        (Self::Aborted, "ABORTED", Source::Client { retryable: false }),
        // Only ever given to `onStoreError`; the client tries its store again after a while.
        (Self::StoreError, "STORE_ERROR", Source::Client { retryable: true }),
    ];

    /// The code's row: the table lists the codes in the order they are declared (the table
    /// test and the assertion below hold it to that).
    fn row(self) -> &'static (ErrorCode, &'static str, Source) {
        &Self::TABLE[self as usize]
    }

    pub(crate) fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The code an API error body names, if it is one PowerPost documents.
    pub(crate) fn from_api(name: &str) -> Option<Self> {
        let api = |source: &Source| matches!(source, Source::Api { .. });
        Self::TABLE.iter().find(|(_, known, source)| *known == name && api(source)).map(|(code, _, _)| *code)
    }

    /// The code for an error response that carries no usable code of its own.
    pub(crate) fn for_status(status: u16) -> Self {
        if (500..=599).contains(&status) {
            return Self::InternalError;
        }
        let stands_for = |source: &Source| *source == Source::Api { status: Some(status) };
        Self::TABLE.iter().find(|(_, _, source)| stands_for(source)).map_or(Self::HttpError, |(code, _, _)| *code)
    }
}

const _: () = assert!(ErrorCode::StoreError as usize + 1 == ErrorCode::TABLE.len(), "a row for every code");

/// Statuses worth another attempt; everything else (400, 401, 402, 403, 404, ...) is final.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// What every failed call reports.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PowerPostError {
    pub code: ErrorCode,
    pub message: String,
    /// HTTP status; `None` when no response arrived, but 429 for a shared pause over a minute
    /// (another instance met the limit, and no request was sent).
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub retry_after_ms: Option<f64>,
    /// For `InvalidArgument`: the path of the bad input, e.g. `images[0].quantity`.
    pub field: Option<String>,
}

impl PowerPostError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: None, request_id: None, retry_after_ms: None, field: None }
    }

    /// The error with the response's status, request id and retry hint.
    pub(crate) fn with_response(self, status: u16, request_id: Option<String>, retry_after_ms: Option<f64>) -> Self {
        Self { status: Some(status), request_id, retry_after_ms, ..self }
    }

    /// A bad argument: the message starts with the field's path, then says what was expected.
    pub(crate) fn invalid_argument(field: impl Into<String>, expectation: &str) -> Self {
        let field = field.into();
        Self { field: Some(field.clone()), ..Self::new(ErrorCode::InvalidArgument, format!("{field} {expectation}")) }
    }

    pub(crate) fn timeout(timeout_ms: u32) -> Self {
        Self::new(ErrorCode::Timeout, format!("request timed out after {timeout_ms} ms"))
    }

    pub(crate) fn aborted() -> Self {
        Self::new(ErrorCode::Aborted, "request aborted by the caller's signal")
    }

    pub(crate) fn network(detail: &str) -> Self {
        let message =
            if detail.is_empty() { String::from("network error") } else { format!("network error: {detail}") };
        Self::new(ErrorCode::NetworkError, message)
    }

    /// A redirect, which is never followed so that the key never reaches another origin:
    /// `status` is the 3xx, or `None` where the runtime hides it (an opaque-redirect response).
    pub(crate) fn redirect(status: Option<u16>) -> Self {
        const WHY: &str = "HTTP_ERROR: redirect not followed, so the key is not sent to another origin";
        let message = status.map_or_else(|| WHY.to_string(), |status| format!("{status} {WHY}"));
        Self { status, ..Self::new(ErrorCode::HttpError, message) }
    }

    /// Another instance sharing the store was told by a 429 to wait `left_ms` more, over the
    /// longest hint a call waits for: this call fails at once, as that 429 would.
    pub(crate) fn shared_pause(left_ms: f64) -> Self {
        let message = format!(
            "429 RATE_LIMIT_EXCEEDED: the instances sharing this balance were asked to wait {} s more",
            (left_ms / 1000.0).ceil() as u64
        );
        Self::new(ErrorCode::RateLimitExceeded, message).with_response(429, None, Some(left_ms))
    }

    /// `fetch` gave something other than a response to read.
    pub(crate) fn invalid_transport(why: &str) -> Self {
        Self::new(ErrorCode::InvalidResponse, format!("unexpected response from fetch: {why}"))
    }

    /// Whether the same request may succeed if sent again later: a failure of the client's
    /// own that says so, or a status worth retrying.
    pub(crate) fn retryable(&self) -> bool {
        matches!(self.code.row().2, Source::Client { retryable: true }) || self.status.is_some_and(is_retryable_status)
    }
}

impl fmt::Display for PowerPostError {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for PowerPostError {}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_code_once_and_api_codes_round_trip() {
        for (index, (code, name, source)) in ErrorCode::TABLE.iter().enumerate() {
            assert_eq!(*code as usize, index, "{name} is in the order the codes are declared");
            assert_eq!(code.as_str(), *name);
            let from_body = matches!(source, Source::Api { .. });
            assert_eq!(ErrorCode::from_api(name), from_body.then_some(*code), "{name}");
        }
        assert_eq!(ErrorCode::HttpError.as_str(), "HTTP_ERROR");
        assert_eq!(ErrorCode::Aborted.as_str(), "ABORTED");
        assert_eq!(ErrorCode::from_api("TIMEOUT"), None, "client-side codes never come from a body");
        assert_eq!(ErrorCode::from_api("invalid_api_key"), None);
        assert_eq!(ErrorCode::from_api(""), None);
    }

    /// The d.ts is kept by hand; its `ErrorCode` union must list exactly the codes there are.
    #[test]
    fn the_type_definitions_list_every_code() {
        let dts = include_str!("../pkg-template/index.d.ts");
        let union = dts.split("export type ErrorCode =").nth(1).and_then(|rest| rest.split(';').next()).unwrap();
        let mut listed: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
        let mut codes: Vec<&str> = ErrorCode::TABLE.iter().map(|(_, name, _)| *name).collect();
        listed.sort_unstable();
        codes.sort_unstable();
        assert_eq!(listed, codes);
    }

    #[test]
    fn status_fallback_follows_the_contract() {
        assert_eq!(ErrorCode::for_status(401), ErrorCode::InvalidApiKey);
        assert_eq!(ErrorCode::for_status(403), ErrorCode::Forbidden);
        assert_eq!(ErrorCode::for_status(404), ErrorCode::NotFound);
        assert_eq!(ErrorCode::for_status(429), ErrorCode::RateLimitExceeded);
        assert_eq!(ErrorCode::for_status(502), ErrorCode::InternalError);
        assert_eq!(ErrorCode::for_status(599), ErrorCode::InternalError);
        assert_eq!(ErrorCode::for_status(400), ErrorCode::HttpError);
        assert_eq!(ErrorCode::for_status(402), ErrorCode::HttpError);
        assert_eq!(ErrorCode::for_status(418), ErrorCode::HttpError);
    }

    #[test]
    fn retryable_covers_exactly_the_listed_statuses_and_transport_failures() {
        let with_status = |status| PowerPostError::new(ErrorCode::HttpError, "").with_response(status, None, None);
        for status in [429, 500, 502, 503, 504] {
            assert!(with_status(status).retryable(), "{status}");
        }
        for status in [400, 401, 402, 403, 404, 409, 501, 505] {
            assert!(!with_status(status).retryable(), "{status}");
        }
        assert!(PowerPostError::network("").retryable());
        assert!(PowerPostError::timeout(5).retryable());
        assert!(!PowerPostError::aborted().retryable());
        assert!(!PowerPostError::invalid_argument("apiKey", "is bad").retryable());
        let bad_body = PowerPostError::new(ErrorCode::InvalidResponse, "").with_response(200, None, None);
        assert!(!bad_body.retryable());
        assert!(!PowerPostError::redirect(None).retryable());
        assert!(!PowerPostError::redirect(Some(307)).retryable());
    }

    #[test]
    fn messages_name_the_field_and_the_limit() {
        let error = PowerPostError::invalid_argument("images[0].quantity", "must be a whole number from 1 to 4");
        assert_eq!(error.message, "images[0].quantity must be a whole number from 1 to 4");
        assert_eq!(error.field.as_deref(), Some("images[0].quantity"));
        assert_eq!(PowerPostError::timeout(30000).message, "request timed out after 30000 ms");
        assert_eq!(PowerPostError::network("fetch failed").message, "network error: fetch failed");
        assert_eq!(PowerPostError::network("").message, "network error");
        assert_eq!(PowerPostError::timeout(5).to_string(), "request timed out after 5 ms", "Display is the message");
        let hidden = PowerPostError::redirect(None);
        assert_eq!((hidden.code, hidden.status), (ErrorCode::HttpError, None));
        assert_eq!(hidden.message, "HTTP_ERROR: redirect not followed, so the key is not sent to another origin");
        let shown = PowerPostError::redirect(Some(302));
        assert_eq!((shown.code, shown.status), (ErrorCode::HttpError, Some(302)));
        assert_eq!(shown.message, "302 HTTP_ERROR: redirect not followed, so the key is not sent to another origin");
    }
}
