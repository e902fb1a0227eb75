//! The JSON behind the mention, summary and settings pages: one mention with its hoax case and
//! near-duplicate cluster, a day's summary, the watch profiles with their alert recipients, and
//! the fact-check entries (listing, and adding the agency's own clarification).

use crate::auth::Caller;
use crate::params::{body_error, ApiQuery};
use crate::{spec, ApiError, AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use simak_analyze::factcheck::FactCheck;
use simak_core::Mention;
use simak_index::{Bucket, Interval, SearchRequest, Sort};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Posts of a cluster shown on a mention's page (its timeline counts all of them).
const CLUSTER_POSTS: usize = 50;

/// `GET /api/mentions/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentionDetail {
    /// The mention.
    pub mention: Mention,
    /// Its review cases the caller may see (one per profile it was flagged for).
    pub cases: Vec<simak_review::Case>,
    /// Its near-duplicate cluster, when the analyzer gave it one.
    pub cluster: Option<ClusterView>,
}

/// A near-duplicate cluster as the mention page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterView {
    /// The cluster id (16 hex digits).
    pub id: String,
    /// Copies the caller may see.
    pub total: usize,
    /// Copies per hour, only the hours with copies, oldest first.
    pub timeline: Vec<Bucket>,
    /// The newest copies (at most 50).
    pub posts: Vec<Mention>,
}

/// One mention with its review cases and near-duplicate cluster (copies per hour, newest
/// posts). Only within the caller's profiles; a mention of another OPD answers 404, like an
/// unknown id.
#[utoipa::path(get, path = "/api/mentions/{id}", params(("id" = String, Path, description = "The mention id")), responses(
    (status = 200, description = "The mention", body = MentionDetail),
    (status = 400), (status = 401), (status = 404), (status = 500),
))]
pub async fn mention(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = st.searcher.clone();
    let lookup = id.clone();
    let mut m = tokio::task::spawn_blocking(move || s.get(&lookup))
        .await
        .map_err(|e| ApiError::internal("the mention lookup", e))?
        .map_err(crate::search_error)?
        .ok_or_else(|| ApiError::not_found(format!("no mention {id:?}")))?;
    if let Some(scope) = caller.scope() {
        // Another OPD's mention answers as one that does not exist: ids cannot be probed.
        if !m.profiles.iter().any(|p| scope.contains(p)) {
            return Err(ApiError::not_found(format!("no mention {id:?}")));
        }
    }
    let hoax = m.hoax();
    caller.redact(&mut m);
    let case_ids: Vec<String> = m
        .profiles
        .iter()
        .filter(|p| caller.account.can_see(p))
        .filter_map(|p| simak_review::case_id(p, hoax.as_ref()?))
        .collect();
    let r = st.review.clone();
    let cases = tokio::task::spawn_blocking(move || {
        case_ids
            .iter()
            .filter_map(|c| r.case(c).ok())
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::internal("the case lookup", e))?;
    let cluster = match hoax.and_then(|h| h.cluster) {
        Some(simak_core::Cluster { id: c, .. }) => {
            let req = SearchRequest {
                cluster: Some(c.clone()),
                within_profiles: caller.scope(),
                limit: CLUSTER_POSTS,
                sort: Sort::Newest,
                timeline: Some(Interval::Hour),
                ..Default::default()
            };
            let s = st.searcher.clone();
            let r = tokio::task::spawn_blocking(move || s.search(&req))
                .await
                .map_err(|e| ApiError::internal("the cluster search", e))?
                .map_err(crate::search_error)?;
            // Only the hours with posts: a wave is a few hours in a fortnight.
            let timeline: Vec<_> = r
                .timeline
                .unwrap_or_default()
                .into_iter()
                .filter(|b| b.total > 0)
                .collect();
            let posts: Vec<_> = r
                .hits
                .into_iter()
                .map(|h| {
                    let mut m = h.mention;
                    caller.redact(&mut m);
                    m
                })
                .collect();
            Some(ClusterView {
                id: c,
                total: r.total,
                timeline,
                posts,
            })
        }
        None => None,
    };
    Ok(Json(MentionDetail {
        mention: m,
        cases,
        cluster,
    })
    .into_response())
}

/// `GET /api/summary/{profile}/{date}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    /// The watch profile.
    pub profile: String,
    /// Its name.
    pub profile_name: String,
    /// The day (WIB).
    pub date: chrono::NaiveDate,
    /// Mentions that day.
    pub total: u64,
    /// The 7 days before, then the day, oldest first.
    pub days: Vec<DayCounts>,
    /// Per source.
    pub by_source: Vec<SourceCounts>,
    /// Most frequent terms that day: `[term, count]`.
    #[schema(schema_with = spec::term_counts_schema)]
    pub top_terms: Vec<(String, u64)>,
    /// Most frequent hashtags that day: `[hashtag, count]`.
    #[schema(schema_with = spec::term_counts_schema)]
    pub top_hashtags: Vec<(String, u64)>,
    /// Posts with the most reach that day.
    pub top_posts: Vec<Mention>,
    /// Hoax cases new that day or still open.
    pub cases: Vec<CaseRow>,
    /// The profile's complaint cases: posted that day, answered of them, overdue now, median
    /// minutes to the first answer.
    pub complaints: Option<simak_review::complaints::ComplaintFigures>,
}

/// Mentions of one day by sentiment.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCounts {
    /// The day (WIB).
    pub date: chrono::NaiveDate,
    /// Mentions.
    pub total: u64,
    /// Negative ones.
    pub negative: u64,
    /// Neutral ones.
    pub neutral: u64,
    /// Positive ones.
    pub positive: u64,
}

/// Mentions of one source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceCounts {
    /// The source.
    pub source: String,
    /// That day.
    pub total: u64,
    /// The day before.
    pub day_before: u64,
    /// The mean of the 7 days before.
    pub mean_7_days: f64,
}

/// A hoax case in a summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRow {
    /// The case id.
    pub id: String,
    /// Its state.
    pub state: simak_review::State,
    /// Its label.
    pub label: String,
    /// Its mentions.
    pub mentions: u64,
    /// The first mention's text.
    pub text: String,
}

/// A day's summary for a profile (WIB day): totals per day and source, sentiment, top terms,
/// hashtags and posts, hoax cases. The page at `/summary/{profile}/{date}` shows the same with
/// charts.
#[utoipa::path(get, path = "/api/summary/{profile}/{date}", params(
    ("profile" = String, Path, description = "The watch profile"),
    ("date" = chrono::NaiveDate, Path, description = "The day, YYYY-MM-DD (WIB)"),
), responses(
    (status = 200, description = "The summary", body = SummaryView),
    (status = 400), (status = 401), (status = 403), (status = 404), (status = 500),
))]
pub async fn summary(
    State(st): State<AppState>,
    caller: Caller,
    Path((profile, date)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.must_see(&profile)?;
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("the date must be YYYY-MM-DD, got {date:?}")))?;
    let Some(p) = st.profiles.get().iter().find(|p| p.id == profile).cloned() else {
        return Err(ApiError::not_found(format!("no watch profile {profile:?}")));
    };
    let s = tokio::task::spawn_blocking(move || {
        simak_alert::summary::build(st.searcher.as_ref(), Some(&st.review), &p.id, &p.name, date)
    })
    .await
    .map_err(|e| ApiError::internal("the summary", e))?
    .map_err(|e| ApiError::internal("the summary", e))?;
    let days = s
        .days
        .into_iter()
        .map(|(date, total, negative, neutral, positive)| DayCounts {
            date,
            total,
            negative,
            neutral,
            positive,
        })
        .collect();
    let by_source = s
        .by_source
        .into_iter()
        .map(|(source, total, day_before, mean_7_days)| SourceCounts {
            source,
            total,
            day_before,
            mean_7_days,
        })
        .collect();
    let cases = s
        .cases
        .into_iter()
        .map(|(id, state, label, mentions, text)| CaseRow {
            id,
            state,
            label,
            mentions,
            text,
        })
        .collect();
    Ok(Json(SummaryView {
        profile: s.profile,
        profile_name: s.profile_name,
        date: s.date,
        total: s.total,
        days,
        by_source,
        top_terms: s.top_terms,
        top_hashtags: s.top_hashtags,
        top_posts: s
            .top_posts
            .into_iter()
            .map(|mut m| {
                caller.redact(&mut m);
                m
            })
            .collect(),
        cases,
        complaints: s.complaints,
    })
    .into_response())
}

/// `GET /api/profiles`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    /// The watch profiles the caller may see.
    pub profiles: Vec<ProfileView>,
}

/// A watch profile with the recipients its alerts go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    /// The profile as configured.
    #[serde(flatten)]
    pub profile: simak_analyze::profiles::WatchProfile,
    /// Who actually gets its e-mails: its own recipients, else the configured defaults.
    pub recipients: Vec<String>,
}

/// The watch profiles the caller may see, each with the alert recipients that actually get its
/// e-mails (its own, else the configured defaults).
#[utoipa::path(get, path = "/api/profiles", responses(
    (status = 200, description = "Profiles", body = ProfileList),
    (status = 401), (status = 500),
))]
pub async fn profiles(State(st): State<AppState>, caller: Caller) -> Json<ProfileList> {
    let profiles = st
        .profiles
        .get()
        .iter()
        .filter(|p| caller.account.can_see(&p.id))
        .map(|p| ProfileView {
            recipients: simak_alert::recipients(&p.alert_recipients, &st.alerts_cfg),
            profile: p.clone(),
        })
        .collect();
    Json(ProfileList { profiles })
}

/// Set the complaint routing of a watch profile (its `[complaints]` table: categories, places,
/// target hours, fallback). Admins only. Checked like the profile loader checks it (known
/// categories, places from the gazetteer, a target of 1 to 8760 hours; a 409 when another
/// profile is already the fallback); written into the profile's file (the rest of the file and its comments stay) and the
/// audit log. New complaints follow it from the review feeder's next batch; existing cases keep
/// their OPD.
#[utoipa::path(put, path = "/api/profiles/{id}/complaints", operation_id = "set_complaint_routing",
    params(("id" = String, Path, description = "The watch profile")),
    request_body = simak_core::config::ComplaintRouting, responses(
    (status = 200, description = "The profile after the edit", body = ProfileView),
    (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 500),
))]
pub async fn set_complaint_routing(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    if caller.account.role != simak_auth::Role::Admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an admin may change the complaint routing",
        ));
    }
    let Json(mut raw) = body.map_err(body_error)?;
    // JSON has one number type: 12.0 is the whole number 12.
    if let Some(h) = raw.get_mut("target_hours") {
        if let Some(f) = h
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 1e9)
        {
            *h = serde_json::json!(f as u64);
        }
    }
    let new: simak_core::config::ComplaintRouting = serde_json::from_value(raw).map_err(|e| {
        let text = format!("the body is not a complaint routing: {e}");
        if text.contains("unknown field `") {
            ApiError::new(ErrorCode::UnknownParameter, text)
        } else {
            ApiError::bad_request(text)
        }
    })?;
    let handle = st.profiles.clone();
    let _one_at_a_time = handle.edit.clone().lock_owned().await;
    let (auth, actor) = (st.auth.clone(), caller.account.username.clone());
    let updated = tokio::task::spawn_blocking(move || {
        use simak_review::routing::{update, RoutingError};
        let old = update(&handle.dir, &handle.gazetteer, &id, &new).map_err(|e| match e {
            RoutingError::NotFound(m) => ApiError::not_found(m),
            RoutingError::Invalid(m) => ApiError::bad_request(m),
            RoutingError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            RoutingError::Io(m) => ApiError::internal("the watch profile files", m),
        })?;
        let profiles = simak_analyze::profiles::Profiles::load_dir(&handle.dir)
            .map_err(|e| ApiError::internal("the watch profile files", e))?;
        let p = profiles.iter().find(|p| p.id == id).cloned();
        let fmt =
            |r: &simak_core::config::ComplaintRouting| serde_json::to_string(r).unwrap_or_default();
        if let Some(p) = &p {
            let detail = format!("{} -> {}", fmt(&old), fmt(&p.complaints));
            if let Err(e) = auth.audit(&actor, "profile.complaints", &id, &detail) {
                tracing::error!(error = %e, "writing the audit log failed");
            }
        }
        *handle.now.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(profiles);
        tracing::info!(profile = %id, by = %actor, "complaint routing changed");
        p.ok_or_else(|| ApiError::internal("the watch profile files", "the profile vanished"))
    })
    .await
    .expect("routing task")?;
    Ok(Json(ProfileView {
        recipients: simak_alert::recipients(&updated.alert_recipients, &st.alerts_cfg),
        profile: updated,
    })
    .into_response())
}

/// The query string of `GET /api/factchecks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FactCheckParams {
    /// Keeps entries whose claim, explanation, id or source contains this (any case).
    q: Option<String>,
    /// Page size (the maximum is the server's `server.max_limit`).
    #[param(value_type = Option<u64>, minimum = 1, default = 100)]
    limit: Option<String>,
}

/// `GET /api/factchecks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactCheckList {
    /// Entries matching `q`.
    pub total: usize,
    /// The first `limit` of them, newest first.
    pub factchecks: Vec<FactCheck>,
}

/// Fact-check entries the analyzer matches against, newest first.
#[utoipa::path(get, path = "/api/factchecks", params(FactCheckParams), responses(
    (status = 200, description = "The entries", body = FactCheckList),
    (status = 400), (status = 401), (status = 500),
))]
pub async fn factchecks(
    State(st): State<AppState>,
    _caller: Caller,
    ApiQuery(p): ApiQuery<FactCheckParams>,
) -> Result<Response, ApiError> {
    let limit = crate::page_limit(p.limit.as_deref(), 100, st.max_limit)?;
    let store = st.factcheck_store.clone();
    let q = p.q.unwrap_or_default();
    let (total, hits) = tokio::task::spawn_blocking(move || store.search(&q, limit, 0))
        .await
        .map_err(|e| ApiError::internal("reading the fact-checks", e))?
        .map_err(|e| ApiError::internal("reading the fact-checks", e))?;
    Ok(Json(FactCheckList {
        total,
        factchecks: hits,
    })
    .into_response())
}

/// `POST /api/factchecks` body: the agency's own clarification of a claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFactCheck {
    /// The watch profile (OPD) whose clarification it is.
    profile: String,
    /// The circulating claim, at least 10 characters.
    #[schema(min_length = 10, pattern = "\\S[\\s\\S]{8,}\\S")]
    claim: String,
    /// The verdict (empty: `hoaks`).
    #[serde(default)]
    #[schema(default = "hoaks")]
    verdict: String,
    /// What is true instead.
    #[serde(default)]
    explanation: String,
    /// The clarification's public address, http(s).
    #[serde(default)]
    #[schema(
        pattern = "^https?://([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*(:[0-9]{1,4})?(/[A-Za-z0-9._~%/-]*)?$"
    )]
    url: Option<String>,
}

/// `POST /api/factchecks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactCheckCreated {
    /// The fact-check as published.
    pub factcheck: FactCheck,
}

/// `POST /api/factchecks`: adds the agency's clarification of a circulating claim, as the
/// profile's own fact-check. Officers of that profile and admins; audited. It is published to
/// the fact-check topic, so the analyzer matches the next copies of the claim against it.
#[utoipa::path(post, path = "/api/factchecks", request_body = NewFactCheck, responses(
    (status = 201, description = "The fact-check as published", body = FactCheckCreated),
    (status = 400), (status = 401), (status = 403), (status = 404), (status = 500), (status = 503),
))]
pub async fn add_factcheck(
    State(st): State<AppState>,
    caller: Caller,
    body: Result<Json<NewFactCheck>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(body_error)?;
    caller.must_see(&b.profile)?;
    if !caller.account.can_act(&b.profile) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a viewer account cannot add fact-checks",
        ));
    }
    if !st.profiles.get().iter().any(|p| p.id == b.profile) {
        return Err(ApiError::not_found(format!(
            "no watch profile {:?}",
            b.profile
        )));
    }
    let claim = b.claim.trim();
    if claim.chars().count() < 10 {
        return Err(ApiError::bad_request(
            "claim must state the circulating claim in at least 10 characters",
        ));
    }
    let url = b
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &url {
        let ok = url::Url::parse(u)
            .map(|p| matches!(p.scheme(), "http" | "https"))
            .unwrap_or(false);
        if !ok {
            return Err(ApiError::bad_request(format!(
                "url must be an http(s) address, got {u:?}"
            )));
        }
    }
    let verdict = match b.verdict.trim() {
        "" => "hoaks".to_string(),
        v => v.to_string(),
    };
    let fc = FactCheck {
        id: format!(
            "{}:{}",
            b.profile,
            &simak_core::mention::short_hash(claim.to_lowercase().as_bytes())
        ),
        claim: claim.to_string(),
        verdict,
        explanation: b.explanation.trim().to_string(),
        url,
        published_at: Some(chrono::Utc::now()),
        source: b.profile.clone(),
    };
    st.publish_factcheck(&fc)
        .await
        .map_err(|e| e.into_api("the fact-check is not published"))?;
    let (auth, actor, id) = (
        st.auth.clone(),
        caller.account.username.clone(),
        fc.id.clone(),
    );
    let detail = fc.claim.clone();
    let _ = tokio::task::spawn_blocking(move || {
        if let Err(e) = auth.audit(&actor, "factcheck.add", &id, &detail) {
            tracing::error!(error = %e, "writing the audit log failed");
        }
    })
    .await;
    Ok((
        StatusCode::CREATED,
        Json(FactCheckCreated { factcheck: fc }),
    )
        .into_response())
}
