//! The error every public call reports: its codes, which of them are worth retrying, and how
//! messages are worded. The binding layer turns a [`PowerPostError`] into a JS `Error` named
//! `PowerPostError`; nothing here knows about JS.

use std::fmt;

/// Every `code` a `PowerPostError` can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    // Passed through from the API's error body.
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
    /// An error response whose body is not JSON or names no code we know.
    HttpError,
    // Raised by the client itself.
    InvalidArgument,
    InvalidResponse,
    NetworkError,
    Timeout,
    Aborted,
}

impl ErrorCode {
    /// Every code; the first twelve are the ones PowerPost documents for its error bodies.
    const ALL: [ErrorCode; 18] = [
        Self::ValidationError,
        Self::InvalidApiKey,
        Self::InsufficientCredits,
        Self::Forbidden,
        Self::InsufficientScope,
        Self::NotFound,
        Self::AlreadyPublished,
        Self::FileTooLarge,
        Self::StorageQuotaExceeded,
        Self::PlatformNotConnected,
        Self::RateLimitExceeded,
        Self::InternalError,
        Self::HttpError,
        Self::InvalidArgument,
        Self::InvalidResponse,
        Self::NetworkError,
        Self::Timeout,
        Self::Aborted,
    ];

    const API_CODES: &[ErrorCode] = Self::ALL.split_at(12).0;

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "VALIDATION_ERROR",
            Self::InvalidApiKey => "INVALID_API_KEY",
            Self::InsufficientCredits => "INSUFFICIENT_CREDITS",
            Self::Forbidden => "FORBIDDEN",
            Self::InsufficientScope => "INSUFFICIENT_SCOPE",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyPublished => "ALREADY_PUBLISHED",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::StorageQuotaExceeded => "STORAGE_QUOTA_EXCEEDED",
            Self::PlatformNotConnected => "PLATFORM_NOT_CONNECTED",
            Self::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            Self::InternalError => "INTERNAL_ERROR",
            Self::HttpError => "HTTP_ERROR",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::NetworkError => "NETWORK_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::Aborted => "ABORTED",
        }
    }

    /// The code an API error body names, if it is one PowerPost documents.
    pub(crate) fn from_api(code: &str) -> Option<Self> {
        Self::API_CODES.iter().copied().find(|known| known.as_str() == code)
    }

    /// The code for an error response that carries no usable code of its own.
    pub(crate) fn for_status(status: u16) -> Self {
        match status {
            401 => Self::InvalidApiKey,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            429 => Self::RateLimitExceeded,
            500..=599 => Self::InternalError,
            _ => Self::HttpError,
        }
    }
}

/// Statuses worth another attempt; everything else (400, 401, 402, 403, 404, ...) is final.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// What every failed call reports.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PowerPostError {
    pub code: ErrorCode,
    pub message: String,
    /// HTTP status; `None` when no response arrived.
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

    /// `fetch` gave something other than a response to read.
    pub(crate) fn invalid_transport(why: &str) -> Self {
        Self::new(ErrorCode::InvalidResponse, format!("unexpected response from fetch: {why}"))
    }

    /// Whether the same request may succeed if sent again later.
    pub(crate) fn retryable(&self) -> bool {
        match self.code {
            ErrorCode::NetworkError | ErrorCode::Timeout => true,
            // Bad input, an abort and a bad 200 body carry no status worth retrying either.
            _ => self.status.is_some_and(is_retryable_status),
        }
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
    fn api_codes_round_trip_and_unknown_codes_are_rejected() {
        for code in ErrorCode::API_CODES {
            assert_eq!(ErrorCode::from_api(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::API_CODES.last(), Some(&ErrorCode::InternalError));
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
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
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
