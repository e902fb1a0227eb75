//! Complaint cases over HTTP: the list with its filters, one case with its history, and the
//! officers' actions (answer, resolve, re-route, not ours, reopen). An officer sees and acts on
//! its own OPD's cases only; another OPD's case answers 404, exactly as an unknown id.

use crate::auth::Caller;
use crate::params::{body_error, ApiQuery};
use crate::{page_limit, spec, ApiError, AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use simak_core::ComplaintCategory;
use simak_review::complaints::{
    ComplaintAction, ComplaintCase, ComplaintEvent, ComplaintFilter, Router, Status,
};
use simak_review::ReviewError;
use utoipa::{IntoParams, ToSchema};

/// The statuses (the `status` filter's values).
pub const STATUSES: [&str; 4] = ["open", "answered", "resolved", "not_ours"];
/// The actions on a complaint case.
pub const ACTIONS: [&str; 5] = ["answer", "resolve", "not_ours", "reroute", "reopen"];

fn status_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::Schema>> {
    spec::one_of(&STATUSES).build()
}
fn category_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::Schema>> {
    let names: Vec<&str> = ComplaintCategory::ALL.iter().map(|c| c.as_str()).collect();
    spec::one_of(&names).build()
}
fn action_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::Schema>> {
    spec::one_of(&ACTIONS).build()
}

/// The 404 of a case the caller may not see or that does not exist: one answer for both.
fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("no complaint {id:?}"))
}

fn api_error(id: &str, e: ReviewError) -> ApiError {
    match e {
        ReviewError::NotFound(_) => missing(id),
        ReviewError::Invalid(m) => ApiError::bad_request(m),
        ReviewError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
        ReviewError::Db(e) => ApiError::internal("the complaint cases", e),
        ReviewError::Schema(e) => ApiError::internal("the complaint cases", e),
    }
}

/// The routing table of the server's watch profiles.
fn router(st: &AppState) -> Result<Router, ApiError> {
    Router::new(st.profiles.get().iter())
        .map_err(|e| ApiError::internal("the complaint routing", e))
}

/// The query string of `GET /api/complaints`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintParams {
    /// Only this OPD's (watch profile's) cases (403 for another OPD's).
    opd: Option<String>,
    /// Only cases in this status.
    #[param(schema_with = status_schema)]
    status: Option<String>,
    /// Only cases about this service.
    #[param(schema_with = category_schema)]
    category: Option<String>,
    /// `true`: only open cases past their OPD's target; `false`: only the others.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Posted from: RFC 3339, YYYY-MM-DD (midnight WIB) or an age before now (30m, 24h, 7d).
    #[param(schema_with = spec::time_schema)]
    since: Option<String>,
    /// Posted before (exclusive), in the same forms.
    #[param(schema_with = spec::time_schema)]
    until: Option<String>,
    /// Page size (the maximum is the server's `server.max_limit`).
    #[param(value_type = Option<u64>, minimum = 1, default = 50)]
    limit: Option<String>,
    /// Cases to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000, default = 0)]
    offset: Option<String>,
}

/// `GET /api/complaints`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintList {
    /// Open cases first (the most urgent first), then answered ones, then the rest, newest
    /// first.
    pub complaints: Vec<ComplaintCase>,
}

/// Complaint cases of the caller's OPDs, open and most urgent first.
#[utoipa::path(get, path = "/api/complaints", operation_id = "complaint_list", params(ComplaintParams), responses(
    (status = 200, description = "Complaint cases", body = ComplaintList),
    (status = 400), (status = 401), (status = 403), (status = 500),
))]
pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ComplaintParams>,
) -> Result<Response, ApiError> {
    let status = match p.status.as_deref() {
        Some(s) => Some(Status::parse(s).map_err(|e| api_error("", e))?),
        None => None,
    };
    let category = match p.category.as_deref() {
        Some(c) => Some(ComplaintCategory::parse(c).ok_or_else(|| {
            let names: Vec<&str> = ComplaintCategory::ALL.iter().map(|c| c.as_str()).collect();
            ApiError::bad_request(format!(
                "category {c:?} is not one of: {}",
                names.join(", ")
            ))
        })?),
        None => None,
    };
    let overdue = match p.overdue.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(x) => {
            return Err(ApiError::bad_request(format!(
                "overdue must be true or false, got {x:?}"
            )))
        }
    };
    let now = chrono::Utc::now();
    let time = |name: &str, v: &Option<String>| -> Result<_, ApiError> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) => simak_core::time::parse_time(s, now)
                .map(Some)
                .map_err(|e| ApiError::bad_request(format!("{name}: {e}"))),
        }
    };
    let (since, until) = (time("since", &p.since)?, time("until", &p.until)?);
    let Some(opds) = crate::scoped_profiles(&caller, p.opd)? else {
        return Ok(Json(ComplaintList { complaints: vec![] }).into_response());
    };
    let f = ComplaintFilter {
        opds,
        status,
        category,
        overdue,
        since,
        until,
        limit: Some(page_limit(p.limit.as_deref(), 50, st.max_limit)?),
        offset: crate::review_offset(p.offset.as_deref())?,
    };
    let r = st.review.clone();
    let complaints = tokio::task::spawn_blocking(move || r.complaints(&f))
        .await
        .expect("complaint task")
        .map_err(|e| api_error("", e))?;
    Ok(Json(ComplaintList { complaints }).into_response())
}

/// An OPD a case can be re-routed to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Opd {
    /// The watch profile id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// `GET /api/complaints/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDetail {
    /// The case.
    pub complaint: ComplaintCase,
    /// Its history, oldest first: opened, routed (with the rule's reason), then what officers
    /// did.
    pub history: Vec<ComplaintEvent>,
    /// The OPDs it can be re-routed to.
    pub opds: Vec<Opd>,
}

/// The case `id` and its history, if `caller` may see its OPD (else the 404 of an unknown id).
async fn load(
    st: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(ComplaintCase, Vec<ComplaintEvent>), ApiError> {
    // Only digits name a case; anything else is as unknown as a number nobody has.
    let n: i64 = id
        .parse()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| missing(id))?;
    let r = st.review.clone();
    let (case, history) = tokio::task::spawn_blocking(move || {
        Ok::<_, ReviewError>((r.complaint(n)?, r.complaint_events(n)?))
    })
    .await
    .expect("complaint task")
    .map_err(|e| api_error(id, e))?;
    caller.must_see_item(&case.opd, || missing(id))?;
    Ok((case, history))
}

/// One complaint case with its history (404 for another OPD's, as for an unknown id).
#[utoipa::path(get, path = "/api/complaints/{id}", operation_id = "complaint_detail", params(("id" = String, Path, description = "The case number")), responses(
    (status = 200, description = "The case", body = ComplaintDetail),
    (status = 401), (status = 404), (status = 500),
))]
pub async fn detail(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (complaint, history) = load(&st, &caller, &id).await?;
    let opds = st
        .profiles
        .get()
        .iter()
        .map(|p| Opd {
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect();
    Ok(Json(ComplaintDetail {
        complaint,
        history,
        opds,
    })
    .into_response())
}

/// `POST /api/complaints/{id}/actions` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintActionBody {
    /// What to do.
    #[schema(schema_with = action_schema)]
    action: String,
    /// The office's answer: required with `answer`.
    #[schema(max_length = 5000)]
    text: Option<String>,
    /// The public reply (http or https), with `answer`.
    url: Option<String>,
    /// The OPD (watch profile id) that owns the case: required with `reroute`.
    opd: Option<String>,
    /// The officer's note; with `reroute` required: why.
    #[schema(max_length = 5000)]
    note: Option<String>,
}

/// Answer (text, link to the public reply), resolve, re-route (to `opd`, with a `note` saying
/// why), mark not ours, or reopen a complaint case, as the caller. Officers of the case's OPD and
/// admins only; recorded in the case's history and the audit log.
#[utoipa::path(post, path = "/api/complaints/{id}/actions", operation_id = "complaint_act", params(("id" = String, Path, description = "The case number")),
    request_body = ComplaintActionBody, responses(
    (status = 200, description = "The case after the action", body = ComplaintCase),
    (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 500),
))]
pub async fn act(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<ComplaintActionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(body_error)?;
    let action = ComplaintAction::parse(
        &b.action,
        b.text.as_deref(),
        b.url.as_deref(),
        b.opd.as_deref(),
        b.note.as_deref(),
    )
    .map_err(|e| api_error(&id, e))?;
    let (case, _) = load(&st, &caller, &id).await?;
    if !caller.account.can_act(&case.opd) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a viewer account cannot change a complaint",
        ));
    }
    let router = router(&st)?;
    let (r, auth, actor) = (
        st.review.clone(),
        st.auth.clone(),
        caller.account.username.clone(),
    );
    let detail = [
        b.opd.as_deref(),
        b.url.as_deref(),
        b.text.as_deref(),
        b.note.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let verb = action.name();
    let n = case.id;
    let after = tokio::task::spawn_blocking(move || {
        let c = r.act_on_complaint(n, &actor, &action, b.note.as_deref(), &router)?;
        if let Err(e) = auth.audit(
            &actor,
            &format!("complaint.{verb}"),
            &n.to_string(),
            &detail,
        ) {
            tracing::error!(error = %e, "writing the audit log failed");
        }
        Ok::<_, ReviewError>(c)
    })
    .await
    .expect("complaint task")
    .map_err(|e| api_error(&id, e))?;
    Ok(Json(after).into_response())
}
