//! The JSON behind the mention, summary and settings pages: one mention with its hoax case and
//! near-duplicate cluster, a day's summary, the watch profiles with their alert recipients, and
//! the fact-check entries (listing, and adding the agency's own clarification).

use crate::auth::Caller;
use crate::{ApiError, AppState, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use simak_analyze::factcheck::FactCheck;
use simak_index::{Interval, SearchRequest, Sort};

/// Posts of a cluster shown on a mention's page (its timeline counts all of them).
const CLUSTER_POSTS: usize = 50;

/// `GET /api/mentions/{id}`: the mention, its review cases (one per profile it was flagged
/// for) and its near-duplicate cluster: how many copies, per hour, and the newest ones. Only
/// within the caller's profiles; a mention of another OPD answers 404, like an unknown id.
pub async fn mention(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = st.searcher.clone();
    let lookup = id.clone();
    let m = tokio::task::spawn_blocking(move || s.get(&lookup))
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
            let posts: Vec<_> = r.hits.into_iter().map(|h| h.mention).collect();
            serde_json::json!({"id": c, "total": r.total, "timeline": timeline, "posts": posts})
        }
        None => serde_json::Value::Null,
    };
    Ok(Json(serde_json::json!({"mention": m, "cases": cases, "cluster": cluster})).into_response())
}

/// `GET /api/summary/{profile}/{date}`: a day's summary as JSON (the page at
/// `/summary/{profile}/{date}` shows the same with charts).
pub async fn summary(
    State(st): State<AppState>,
    caller: Caller,
    Path((profile, date)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.must_see(&profile)?;
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("the date must be YYYY-MM-DD, got {date:?}")))?;
    let Some(p) = st.profiles.iter().find(|p| p.id == profile).cloned() else {
        return Err(ApiError::not_found(format!("no watch profile {profile:?}")));
    };
    let s = tokio::task::spawn_blocking(move || {
        simak_alert::summary::build(&st.searcher, Some(&st.review), &p.id, &p.name, date)
    })
    .await
    .map_err(|e| ApiError::internal("the summary", e))?
    .map_err(|e| ApiError::internal("the summary", e))?;
    let days: Vec<_> = s
        .days
        .iter()
        .map(|(d, total, neg, neu, pos)| {
            serde_json::json!({"date": d, "total": total, "negative": neg, "neutral": neu, "positive": pos})
        })
        .collect();
    let by_source: Vec<_> = s
        .by_source
        .iter()
        .map(|(src, day, before, mean7)| {
            serde_json::json!({"source": src, "total": day, "day_before": before, "mean_7_days": mean7})
        })
        .collect();
    let cases: Vec<_> = s
        .cases
        .iter()
        .map(|(id, state, label, n, text)| {
            serde_json::json!({"id": id, "state": state, "label": label, "mentions": n, "text": text})
        })
        .collect();
    Ok(Json(serde_json::json!({
        "profile": s.profile,
        "profile_name": s.profile_name,
        "date": s.date,
        "total": s.total,
        "days": days,
        "by_source": by_source,
        "top_terms": s.top_terms,
        "top_hashtags": s.top_hashtags,
        "top_posts": s.top_posts,
        "cases": cases,
    }))
    .into_response())
}

/// `GET /api/profiles`: the watch profiles the caller may see, each with the alert recipients
/// that actually get its e-mails (its own, else the configured defaults).
pub async fn profiles(State(st): State<AppState>, caller: Caller) -> Json<serde_json::Value> {
    let list: Vec<_> = st
        .profiles
        .iter()
        .filter(|p| caller.account.can_see(&p.id))
        .map(|p| {
            let mut v = serde_json::to_value(p).expect("profile serializes");
            v["recipients"] =
                serde_json::json!(simak_alert::recipients(&p.alert_recipients, &st.alerts_cfg));
            v
        })
        .collect();
    Json(serde_json::json!({ "profiles": list }))
}

/// The query string of `GET /api/factchecks`.
#[derive(Debug, Deserialize)]
pub struct FactCheckParams {
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /api/factchecks?q=&limit=`: fact-check entries the analyzer matches against, newest
/// first; `q` keeps those whose claim, explanation, id or source contains it (any case).
pub async fn factchecks(
    State(st): State<AppState>,
    _caller: Caller,
    params: Result<Query<FactCheckParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = crate::page_limit(p.limit.as_deref(), 100, st.max_limit)?;
    let store = st.factcheck_store.clone();
    let q = p.q.unwrap_or_default();
    let (total, hits) = tokio::task::spawn_blocking(move || store.search(&q, limit, 0))
        .await
        .map_err(|e| ApiError::internal("reading the fact-checks", e))?
        .map_err(|e| ApiError::internal("reading the fact-checks", e))?;
    Ok(Json(serde_json::json!({"total": total, "factchecks": hits})).into_response())
}

/// `POST /api/factchecks` body: the agency's own clarification of a claim.
#[derive(Debug, Deserialize)]
pub struct NewFactCheck {
    profile: String,
    claim: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    url: Option<String>,
}

/// `POST /api/factchecks`: adds the agency's clarification of a circulating claim, as the
/// profile's own fact-check. Officers of that profile and admins; audited. It is published to
/// the fact-check topic, so the analyzer matches the next copies of the claim against it.
pub async fn add_factcheck(
    State(st): State<AppState>,
    caller: Caller,
    body: Result<Json<NewFactCheck>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    caller.must_see(&b.profile)?;
    if !caller.account.can_act(&b.profile) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a viewer account cannot add fact-checks",
        ));
    }
    if !st.profiles.iter().any(|p| p.id == b.profile) {
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
        Json(serde_json::json!({ "factcheck": fc })),
    )
        .into_response())
}
