//! The API's errors: one table of stable codes, each with its HTTP status and meaning. Every
//! error answer is `{"error": {"code": "<code>", "message": "<what was wrong>"}}`; clients
//! branch on the code, people read the message. [`TABLE`] is the one table of codes (code,
//! HTTP status, meaning): the OpenAPI document's error responses are generated from it and a
//! test checks that the README holds it as generated.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter or body is malformed or out of range.
    BadRequest,
    /// A query parameter or body field the endpoint does not take.
    UnknownParameter,
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
    /// The action does not apply to the resource in its current state.
    Conflict,
    /// The log (embedded or Kafka) cannot take a fact-check now.
    LogUnavailable,
    /// A server-side failure; its cause is in the server log, not in the answer.
    Internal,
}

/// One row of the error table: the code, the code as sent, its HTTP status and its meaning.
#[derive(Debug, Clone, Copy)]
pub struct ErrorRow {
    /// The code.
    pub code: ErrorCode,
    /// The code as sent in `error.code`.
    pub name: &'static str,
    /// The HTTP status that goes with it.
    pub status: u16,
    /// What it means, for the README and the OpenAPI document.
    pub meaning: &'static str,
}

/// The error table: the single source of the codes, their statuses and meanings. The README's
/// table and the OpenAPI document's error responses are generated from (or checked against) it.
pub const TABLE: [ErrorRow; 12] = [
    ErrorRow {
        code: ErrorCode::BadRequest,
        name: "bad_request",
        status: 400,
        meaning:
            "a parameter or body is malformed or out of range (`limit=0`, `limit` above the \
                  maximum, `sentiment=AAA`, a bad date, `offset` past 10,000 less the largest page)",
    },
    ErrorRow {
        code: ErrorCode::UnknownParameter,
        name: "unknown_parameter",
        status: 400,
        meaning: "a query parameter or JSON body field the endpoint does not take (the message \
                  lists the ones it does)",
    },
    ErrorRow {
        code: ErrorCode::BadQuery,
        name: "bad_query",
        status: 400,
        meaning: "the search query cannot be parsed or answered (syntax, length, nesting, a field \
                  that cannot be searched that way)",
    },
    ErrorRow {
        code: ErrorCode::Unauthorized,
        name: "unauthorized",
        status: 401,
        meaning: "no session and no API token",
    },
    ErrorRow {
        code: ErrorCode::Forbidden,
        name: "forbidden",
        status: 403,
        meaning: "the account may not do this (a viewer acting, an officer naming another OPD's \
                  watch profile)",
    },
    ErrorRow {
        code: ErrorCode::Csrf,
        name: "csrf",
        status: 403,
        meaning: "a state-changing request without this session's `X-CSRF-Token`",
    },
    ErrorRow {
        code: ErrorCode::BadCredentials,
        name: "bad_credentials",
        status: 401,
        meaning: "wrong account name or password (never says which)",
    },
    ErrorRow {
        code: ErrorCode::RateLimited,
        name: "rate_limited",
        status: 429,
        meaning: "too many failed logins; `Retry-After` says when to try again",
    },
    ErrorRow {
        code: ErrorCode::NotFound,
        name: "not_found",
        status: 404,
        meaning: "no such resource, or one outside the caller's OPD (the two are not told apart)",
    },
    ErrorRow {
        code: ErrorCode::Conflict,
        name: "conflict",
        status: 409,
        meaning: "the action does not apply to the case in its current state (`confirm` on a \
                  case someone already confirmed); reload it and decide again",
    },
    ErrorRow {
        code: ErrorCode::LogUnavailable,
        name: "log_unavailable",
        status: 503,
        meaning: "the log cannot take a fact-check now (or this server has none); a clarified \
                  case stays clarified, retry to publish",
    },
    ErrorRow {
        code: ErrorCode::Internal,
        name: "internal",
        status: 500,
        meaning: "a server-side failure; the cause is in the server log, not in the answer",
    },
];

impl ErrorCode {
    /// Every code, in the order of the table.
    pub const ALL: [ErrorCode; TABLE.len()] = {
        let mut all = [ErrorCode::Internal; TABLE.len()];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].code;
            i += 1;
        }
        all
    };

    /// This code's row of [`TABLE`].
    pub fn row(self) -> &'static ErrorRow {
        TABLE
            .iter()
            .find(|r| r.code == self)
            .expect("every code has a row")
    }

    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// The HTTP status that goes with it.
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.row().status).expect("a valid status")
    }

    /// What it means.
    pub fn meaning(self) -> &'static str {
        self.row().meaning
    }
}

/// The README's error table, as generated from [`TABLE`].
pub fn markdown_table() -> String {
    let mut t = String::from("| code | status | meaning |\n|---|---|---|\n");
    for r in TABLE {
        t.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.name, r.status, r.meaning
        ));
    }
    t
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
    fn every_code_has_one_row() {
        for c in ErrorCode::ALL {
            assert_eq!(TABLE.iter().filter(|r| r.code == c).count(), 1, "{c:?}");
            assert!(c.status().is_client_error() || c.status().is_server_error());
        }
    }

    #[test]
    fn the_readme_table_is_the_table() {
        // The README holds the table exactly as generated (the meanings flow onto one line).
        let readme = include_str!("../../../README.md");
        let table = markdown_table();
        let flat: String = table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            readme.contains(&flat),
            "README.md must hold the error table as generated:\n{flat}"
        );
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
