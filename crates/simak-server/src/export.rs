//! `GET /api/export?format=csv|jsonl&<search parameters>`: every mention matching a search (not
//! one page), newest first, streamed as it is read from the index, within the caller's profiles.
//!
//! CSV cells that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) get
//! a leading `'`: exported posts are hostile text and officers open exports in spreadsheets.

use crate::auth::Caller;
use crate::params::ApiQuery;
use crate::{spec, to_request, ApiError, AppState, SearchParams};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use simak_core::Mention;

/// The query string: the search's (checked as for a search; the page parameters are then
/// ignored: an export holds every match), plus `format`.
#[derive(Debug, Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    #[serde(flatten)]
    search: SearchParams,
}

impl utoipa::IntoParams for ExportParams {
    fn into_params(
        in_: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        let format = utoipa::openapi::path::ParameterBuilder::new()
            .name("format")
            .parameter_in(utoipa::openapi::path::ParameterIn::Query)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "csv (a header row, then one row per mention) or jsonl (one mention per line)",
            ))
            .schema(Some(spec::format_schema()))
            .build();
        let mut params = vec![format];
        params.extend(<SearchParams as utoipa::IntoParams>::into_params(in_));
        params
    }
}

/// The CSV columns.
pub const COLUMNS: [&str; 17] = [
    "id",
    "published_at",
    "source",
    "author_handle",
    "author_name",
    "url",
    "title",
    "text",
    "lang",
    "sentiment",
    "profiles",
    "hoax_label",
    "hoax_score",
    "likes",
    "shares",
    "replies",
    "views",
];

fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// One mention as a CSV record.
pub fn csv_row(m: &Mention) -> Vec<String> {
    let hoax = m.hoax();
    vec![
        m.id.clone(),
        m.published_at.to_rfc3339(),
        m.source.clone(),
        opt(m.author.handle.as_deref()),
        opt(m.author.name.as_deref()),
        opt(m.url.as_deref()),
        opt(m.title.as_deref()),
        m.text.clone(),
        opt(m.lang.as_deref()),
        opt(m.sentiment.as_ref().map(|s| s.label.clone())),
        m.profiles.join(" "),
        opt(hoax.as_ref().map(|h| h.label)),
        opt(hoax.as_ref().map(|h| h.score_f64())),
        opt(m.metrics.likes),
        opt(m.metrics.shares),
        opt(m.metrics.replies),
        opt(m.metrics.views),
    ]
    .into_iter()
    .map(|c| cell(&c))
    .collect()
}

/// One CSV record as the export writes it (quoted where needed, `\n`-terminated).
pub fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}

/// Every mention matching a search (not one page), newest first, streamed, within the caller's
/// profiles. CSV cells a spreadsheet would read as a formula get a leading `'`.
#[utoipa::path(get, path = "/api/export", params(ExportParams), responses(
    (status = 200, description = "The export", content(
        (String = "text/csv"),
        (String = "application/x-ndjson"),
    )),
    (status = 400), (status = 401), (status = 403), (status = 500),
))]
pub async fn export(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let csv = match p.format.as_deref().unwrap_or("csv") {
        "csv" => true,
        "jsonl" => false,
        other => {
            return Err(ApiError::bad_request(format!(
                "format {other:?} is not one of: csv, jsonl"
            )))
        }
    };
    let mut req = to_request(&p.search, st.max_limit)?;
    if let Some(profile) = &req.profile {
        caller.must_see(profile)?;
    }
    req.within_profiles = caller.scope();
    // Reject a malformed query before the 200 goes out; parsing stays off the async workers.
    let searcher = st.searcher.clone();
    let req = tokio::task::spawn_blocking(move || searcher.check(&req).map(|_| req))
        .await
        .map_err(|e| ApiError::internal("the export", e))?
        .map_err(crate::search_error)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let searcher = st.searcher.clone();
    tokio::task::spawn_blocking(move || {
        if csv
            && tx
                .blocking_send(csv_line(&COLUMNS.map(String::from)))
                .is_err()
        {
            return;
        }
        let r = searcher.export(&req, &mut |mut m| {
            caller.redact(&mut m);
            let line = if csv {
                csv_line(&csv_row(&m))
            } else {
                let mut l = m.to_json();
                l.push(b'\n');
                l
            };
            tx.blocking_send(line).is_ok()
        });
        if let Err(e) = r {
            tracing::error!(error = %e, "export failed midway");
        }
    });
    let stream = futures::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|o| o.map(Ok::<_, std::convert::Infallible>))
    });
    let (ctype, ext) = if csv {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/x-ndjson", "jsonl")
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"simak-export.{ext}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_escaped() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("jalan rusak"), "jalan rusak");
        let line = String::from_utf8(csv_line(&[
            "a,b".into(),
            "say \"hi\"".into(),
            "x\ny".into(),
        ]))
        .unwrap();
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\"\n");
    }
}
