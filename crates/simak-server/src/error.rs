//! The API's errors: one table of stable codes, each with its HTTP status and meaning. Every
//! error answer is `{"error": {"code": "<code>", "message": "<what was wrong>"}}`; clients
//! branch on the code, people read the message. The README's table and the OpenAPI
//! `Error.code` enum are checked against [`ErrorCode::ALL`] by tests.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter or body is malformed or out of range.
    BadRequest,
    /// The search query cannot be parsed or answered.
    BadQuery,
    /// No session or API token.
    Unauthorized,
    /// The account may not do this, or not for this watch profile.
    Forbidden,
    /// A state-changing request without this session's CSRF token.
    Csrf,
    /// Wrong account name or password (never says which).
    BadCredentials,
    /// Too many failed logins; `Retry-After` says when to try again.
    RateLimited,
    /// No such resource (or one outside the caller's OPD).
    NotFound,
    /// The log (embedded or Kafka) cannot take a fact-check now.
    LogUnavailable,
    /// A server-side failure; its cause is in the server log, not in the answer.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order of the README's table.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::BadRequest,
        ErrorCode::BadQuery,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Csrf,
        ErrorCode::BadCredentials,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
        ErrorCode::LogUnavailable,
        ErrorCode::Internal,
    ];

    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Csrf => "csrf",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::NotFound => "not_found",
            ErrorCode::LogUnavailable => "log_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status that goes with it.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest | ErrorCode::BadQuery => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized | ErrorCode::BadCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::Csrf => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::LogUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An API error: a stable code and a message saying what was wrong.
#[derive(Debug)]
pub struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    /// Seconds for `Retry-After`, when the caller should wait.
    retry_after: Option<i64>,
}

impl ApiError {
    /// An error with `code`.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// A 500 whose cause goes to the log, not to the caller.
    pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "{what} failed");
        ApiError::new(
            ErrorCode::Internal,
            format!("{what} failed; see the server log"),
        )
    }

    /// The same error, telling the caller to wait `secs` seconds (`Retry-After`).
    pub(crate) fn retry_after(mut self, secs: i64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            serde_json::json!({"error": {"code": self.code.as_str(), "message": self.message}});
        let mut resp = (self.code.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = secs.to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
    }

    #[test]
    fn the_openapi_enum_is_the_table() {
        let spec: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let listed: Vec<&str> = spec["components"]["schemas"]["Error"]["properties"]["error"]
            ["properties"]["code"]["enum"]
            .as_array()
            .expect("Error.code enum")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let table: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, table);
    }

    #[test]
    fn the_readme_table_is_the_table() {
        let readme = include_str!("../../../README.md");
        for c in ErrorCode::ALL {
            let row = format!("| `{}` | {} |", c.as_str(), c.status().as_u16());
            assert!(readme.contains(&row), "README lacks the row {row:?}");
        }
    }

    #[test]
    fn rate_limits_say_when() {
        let r = ApiError::new(ErrorCode::RateLimited, "later")
            .retry_after(30)
            .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "30");
    }
}
