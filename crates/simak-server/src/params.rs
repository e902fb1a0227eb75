//! Query strings and JSON bodies as the API takes them: a parameter or field the endpoint does
//! not take is a 400 `unknown_parameter` naming the ones it does (the list is the one the
//! OpenAPI document shows, so the two cannot disagree), anything malformed a 400 `bad_request`.

use crate::{ApiError, ErrorCode};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::openapi::path::ParameterIn;
use utoipa::IntoParams;

/// A query string of `T`'s documented parameters.
pub struct ApiQuery<T>(pub T);

/// The names of `T`'s query parameters.
pub fn names<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect()
}

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + IntoParams + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _st: &S) -> Result<ApiQuery<T>, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let known = names::<T>();
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(k)) {
            return Err(ApiError::new(
                ErrorCode::UnknownParameter,
                format!(
                    "unknown parameter {k:?}; this endpoint takes: {}",
                    known.join(", ")
                ),
            ));
        }
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// The answer to a JSON body that could not be read: `unknown_parameter` for a field the body
/// does not take (its types deny unknown fields), else `bad_request`.
pub fn body_error(e: JsonRejection) -> ApiError {
    let text = e.body_text();
    if text.contains("unknown field `") {
        ApiError::new(ErrorCode::UnknownParameter, text)
    } else {
        ApiError::bad_request(text)
    }
}
