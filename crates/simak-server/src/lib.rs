//! The HTTP server: the search API (and, later, the web UI).
//!
//! Errors are JSON `{"error": {"code": "...", "message": "..."}}` with a stable code from the
//! table in [`error`]; the OpenAPI document ([`spec`]) is generated from the handlers' types.
#![warn(missing_docs)]

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use simak_index::{SearchError, SearchRequest, Searcher, Sort};
use simak_review::{Filter, ReviewError, ReviewStore};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub mod accounts;
pub mod auth;
pub mod complaints;
pub mod error;
pub mod export;
pub mod params;
pub mod sources;
pub mod spec;
pub mod storage;
pub mod views;

use auth::{Caller, PageCaller};
pub use error::{ApiError, ErrorCode};
use params::{body_error, ApiQuery};
use spec::{LANGUAGES, SENTIMENTS};
use utoipa::{IntoParams, ToSchema};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The index reader.
    pub searcher: Arc<dyn Searcher>,
    /// Largest page size.
    pub max_limit: usize,
    /// The review queue.
    pub review: Arc<ReviewStore>,
    /// Alert state and the outbox.
    pub alerts: Arc<simak_alert::AlertStore>,
    /// Where alerts are written as `.eml` files.
    pub outbox_dir: std::path::PathBuf,
    /// The watch profiles (for the summary pages), re-read after a routing edit
    /// (`PUT /api/profiles/{id}/complaints`).
    pub profiles: ProfilesHandle,
    /// Where Simak is opened (links in pages).
    pub base_url: String,
    /// Accounts, sessions, API tokens and the audit log.
    pub auth: Arc<simak_auth::AuthStore>,
    /// The log and the fact-check topic a clarified case's fact-check is published to.
    pub factchecks: Option<(simak_bus::Bus, String)>,
    /// Alert settings (the default recipients shown with each profile).
    pub alerts_cfg: simak_core::config::AlertsConfig,
    /// The fact-check knowledge base the analyzer keeps (`<data_dir>/factchecks`); each read
    /// sees its latest commit.
    pub factcheck_store: Arc<simak_analyze::factcheck::FactCheckStore>,
    /// The sources' state directory (`<data_dir>/sources`), whose `health/` the scheduler
    /// writes.
    pub sources_dir: std::path::PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`server.trusted_proxies`).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

/// The server's watch profiles, swapped after an admin edits a profile's complaint routing.
#[derive(Clone)]
pub struct ProfilesHandle {
    pub(crate) now: Arc<std::sync::RwLock<Arc<simak_analyze::profiles::Profiles>>>,
    /// Where they are read from and the gazetteer their places are checked against.
    pub(crate) dir: std::path::PathBuf,
    pub(crate) gazetteer: std::path::PathBuf,
    /// One routing edit at a time (the at-most-one-fallback rule spans all files).
    pub(crate) edit: Arc<tokio::sync::Mutex<()>>,
}

impl ProfilesHandle {
    /// The profiles of `dir` (their complaint places checked against `gazetteer` on edits).
    pub fn load(
        dir: &std::path::Path,
        gazetteer: &std::path::Path,
    ) -> Result<ProfilesHandle, simak_analyze::profiles::ProfileError> {
        Ok(ProfilesHandle {
            now: Arc::new(std::sync::RwLock::new(Arc::new(
                simak_analyze::profiles::Profiles::load_dir(dir)?,
            ))),
            dir: dir.to_path_buf(),
            gazetteer: gazetteer.to_path_buf(),
            edit: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The profiles now.
    pub fn get(&self) -> Arc<simak_analyze::profiles::Profiles> {
        self.now.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Why a fact-check could not be published.
pub(crate) enum PublishError {
    /// This server has no log to publish to.
    NoLog,
    /// The log refused it.
    Log(simak_bus::BusError),
}

impl AppState {
    /// Publishes `fc` to the fact-check topic, which the analyzer follows.
    pub(crate) async fn publish_factcheck(
        &self,
        fc: &simak_analyze::factcheck::FactCheck,
    ) -> Result<(), PublishError> {
        let Some((bus, topic)) = &self.factchecks else {
            return Err(PublishError::NoLog);
        };
        async {
            bus.ensure_topic(topic).await?;
            bus.producer(topic)?.send(vec![fc.to_record()]).await
        }
        .await
        .map_err(PublishError::Log)
    }
}

impl PublishError {
    /// The answer when publishing failed: 503 `log_unavailable` whatever the cause (no log on
    /// this server, or the log refused), with `what` saying what did happen and how to go on.
    /// A broker error is logged here, never sent to the client.
    pub(crate) fn into_api(self, what: &str) -> ApiError {
        let cause = match self {
            PublishError::NoLog => "this server has no log to publish fact-checks to",
            PublishError::Log(e) => {
                tracing::error!(error = %e, "publishing a fact-check failed");
                "the log is unavailable; retry later"
            }
        };
        ApiError::new(ErrorCode::LogUnavailable, format!("{what}: {cause}"))
    }
}

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::NotFound(id) => ApiError::not_found(format!("no review case {id:?}")),
            ReviewError::Invalid(m) => ApiError::bad_request(m),
            ReviewError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            ReviewError::Db(e) => ApiError::internal("the review queue", e),
            ReviewError::Schema(e) => ApiError::internal("the review queue", e),
        }
    }
}

/// The query string of `GET /api/search`. Every field is read as text and checked by
/// [`to_request`], so that a bad value gets a message naming the parameter; the attributes
/// give the OpenAPI document the same rules.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Query: terms (AND), "phrases", "proximity"~N, OR, -exclusion, field:value; `*` matches
    /// everything. At most 4096 characters and 32 levels of parentheses or NOT/-/+.
    #[param(max_length = 4096)]
    pub(crate) q: Option<String>,
    /// From: RFC 3339, YYYY-MM-DD (midnight WIB) or an age before now (30m, 24h, 7d).
    #[param(schema_with = spec::time_schema)]
    pub(crate) since: Option<String>,
    /// Until (exclusive): RFC 3339, YYYY-MM-DD (midnight WIB) or an age before now.
    #[param(schema_with = spec::time_schema)]
    pub(crate) until: Option<String>,
    /// Only this source (`rss`, `bluesky`, `reddit`, ...).
    pub(crate) source: Option<String>,
    /// Only this language.
    #[param(schema_with = spec::lang_schema)]
    pub(crate) lang: Option<String>,
    /// Only this sentiment.
    #[param(schema_with = spec::sentiment_schema)]
    pub(crate) sentiment: Option<String>,
    /// Only mentions that matched this watch profile (403 for another OPD's).
    pub(crate) profile: Option<String>,
    /// Only this hoax label.
    #[param(schema_with = spec::hoax_schema)]
    pub(crate) hoax: Option<String>,
    /// Only this near-duplicate cluster (16 hex digits).
    pub(crate) cluster: Option<String>,
    /// Also count matches per hour or WIB day and sentiment. At most 1000 buckets: without
    /// since, the last 1000 before the newest match; a wider since..until is a 400.
    #[param(value_type = Option<simak_index::Interval>)]
    pub(crate) timeline: Option<String>,
    /// Page size (the maximum is the server's `server.max_limit`).
    #[param(value_type = Option<u64>, minimum = 1, default = 20)]
    pub(crate) limit: Option<String>,
    /// Hits to skip: at most 10000 minus the largest page (`server.max_limit`), so that every
    /// page stays within the first 10000 hits (deeper: cursor, or /api/export).
    #[param(value_type = Option<u64>, minimum = 0, default = 0)]
    pub(crate) offset: Option<String>,
    /// Continue after a page: the next_cursor it returned (sort=newest only, without offset).
    pub(crate) cursor: Option<String>,
    /// Order of the hits.
    #[param(value_type = Option<simak_index::Sort>)]
    pub(crate) sort: Option<String>,
}

pub(crate) fn parse_num(name: &str, v: Option<&str>, default: usize) -> Result<usize, ApiError> {
    match v {
        None => Ok(default),
        // Digits only: `+5` and ` 5` are not the integers the document promises.
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ApiError::bad_request(format!("{name} must be a whole number ≥ 0, got {s:?}"))
            }),
    }
}

/// A 400 naming the allowed values when `v` is given and not one of them.
fn one_of(name: &str, v: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match v {
        Some(x) if !allowed.contains(&x) => Err(ApiError::bad_request(format!(
            "{name} {x:?} is not one of: {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// A list's page size: `default` when absent (at most `max`); 0 (a page of nothing) or more
/// than `max` is a 400, as the document's bounds say.
pub(crate) fn page_limit(v: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    match parse_num("limit", v, default.min(max))? {
        n if n == 0 || n > max => Err(ApiError::bad_request(format!(
            "limit must be between 1 and {max}, got {n}"
        ))),
        n => Ok(n),
    }
}

/// The deepest `offset` of a search: the window (the first 10000 hits) less the largest page.
pub fn max_search_offset(max_limit: usize) -> usize {
    simak_index::search::MAX_WINDOW.saturating_sub(max_limit)
}

/// Turns query-string parameters into a search request.
pub fn to_request(p: &SearchParams, max_limit: usize) -> Result<SearchRequest, ApiError> {
    let now = chrono::Utc::now();
    let time = |name: &str, v: &Option<String>| -> Result<_, ApiError> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) => simak_core::time::parse_time(s, now)
                .map(Some)
                .map_err(|e| ApiError::bad_request(format!("{name}: {e}"))),
        }
    };
    let limit = page_limit(p.limit.as_deref(), 20, max_limit)?;
    let offset = parse_num("offset", p.offset.as_deref(), 0)?;
    // One bound per parameter, as the document gives them: any page size at any allowed
    // offset stays within the window.
    let max_offset = max_search_offset(max_limit);
    if offset > max_offset {
        return Err(ApiError::bad_request(format!(
            "offset must be at most {max_offset}, got {offset}: page further with the cursor of \
             the previous page (next_cursor, sort=newest) or use /api/export"
        )));
    }
    if offset.saturating_add(limit) > simak_index::search::MAX_WINDOW {
        return Err(ApiError::bad_request(format!(
            "offset + limit must be at most {}, got {}: page further with the cursor of the \
             previous page (next_cursor, sort=newest) or use /api/export",
            simak_index::search::MAX_WINDOW,
            offset.saturating_add(limit)
        )));
    }
    let sort = match p.sort.as_deref() {
        None => Sort::Newest,
        Some(s) => s.parse().map_err(ApiError::bad_request)?,
    };
    let timeline = match p.timeline.as_deref() {
        None => None,
        Some(s) => Some(s.parse().map_err(ApiError::bad_request)?),
    };
    // A typed parameter is exactly one of its values: empty is not "absent" (leave it out).
    let hoax = p.hoax.as_deref();
    if let Some(h) = hoax {
        one_of("hoax", Some(h), &spec::HOAX_LABELS)?;
    }
    let nonempty = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // A filter no mention can have is a mistake, not an empty result.
    let sentiment = p.sentiment.clone();
    one_of("sentiment", sentiment.as_deref(), &SENTIMENTS)?;
    let lang = p.lang.clone();
    one_of("lang", lang.as_deref(), &LANGUAGES)?;
    Ok(SearchRequest {
        q: p.q.clone().unwrap_or_default(),
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
        source: nonempty(&p.source),
        lang,
        sentiment,
        profile: nonempty(&p.profile),
        hoax: hoax.map(str::to_string),
        cluster: nonempty(&p.cluster),
        timeline,
        within_profiles: None,
        limit,
        offset,
        cursor: nonempty(&p.cursor),
        sort,
    })
}

/// Search mentions (restricted to the caller's profiles): the matches' total, a page of hits
/// and facet counts.
#[utoipa::path(get, path = "/api/search", params(SearchParams), responses(
    (status = 200, description = "Matches: total, a page of hits, facet counts over all matches", body = simak_index::SearchResponse),
    (status = 400), (status = 401), (status = 403), (status = 500),
))]
pub(crate) async fn search(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let mut req = to_request(&params, st.max_limit)?;
    if let Some(p) = &req.profile {
        caller.must_see(p)?;
    }
    req.within_profiles = caller.scope();
    let searcher = st.searcher.clone();
    let res = tokio::task::spawn_blocking(move || searcher.search(&req))
        .await
        .map_err(|e| ApiError::internal("the search", e))?;
    match res {
        Ok(mut r) => {
            caller.redact_response(&mut r);
            Ok(Json(r).into_response())
        }
        Err(e) => Err(search_error(e)),
    }
}

/// The API error of a failed search.
pub(crate) fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::BadQuery(m) => ApiError::new(ErrorCode::BadQuery, m),
        e => ApiError::internal("the search", e),
    }
}

/// `GET /api/stats`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Stats {
    /// Mentions the caller can see.
    pub mentions: u64,
}

/// How many mentions the caller can see (all of them for an admin, the ones matching its
/// profiles for anyone else).
#[utoipa::path(get, path = "/api/stats", responses(
    (status = 200, description = "Counts", body = Stats),
    (status = 401), (status = 500),
))]
pub(crate) async fn stats(
    State(st): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let Some(scope) = caller.scope() else {
        return Ok(Json(Stats {
            mentions: st.searcher.num_docs(),
        })
        .into_response());
    };
    let searcher = st.searcher.clone();
    let req = SearchRequest {
        within_profiles: Some(scope),
        ..SearchRequest::default()
    };
    let n = tokio::task::spawn_blocking(move || searcher.count(&req))
        .await
        .map_err(|e| ApiError::internal("the search", e))?
        .map_err(search_error)?;
    Ok(Json(Stats { mentions: n as u64 }).into_response())
}

/// The query string of `GET /api/review`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Only this watch profile's cases (403 for another OPD's).
    profile: Option<String>,
    /// Only cases in this state.
    #[param(schema_with = spec::state_schema)]
    state: Option<String>,
    /// Only cases scored at least this.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 1)]
    min_score: Option<String>,
    /// Page size (the maximum is the server's `server.max_limit`).
    #[param(value_type = Option<u64>, minimum = 1, default = 50)]
    limit: Option<String>,
    /// Cases to skip.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 1000000, default = 0)]
    offset: Option<String>,
}

/// `GET /api/review`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CaseList {
    /// Open cases first, then by score.
    pub cases: Vec<simak_review::Case>,
}

/// The hoax review queue, open cases first (the caller's profiles).
#[utoipa::path(get, path = "/api/review", params(ReviewParams), responses(
    (status = 200, description = "Cases", body = CaseList),
    (status = 400), (status = 401), (status = 403), (status = 500),
))]
pub(crate) async fn review_list(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ReviewParams>,
) -> Result<Response, ApiError> {
    let state = match p.state.as_deref() {
        Some(s) => Some(simak_review::State::parse(s)?),
        None => None,
    };
    let min_score = match p.min_score.as_deref() {
        Some(s) => Some(
            s.parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("min_score must be between 0 and 1, got {s:?}"))
                })?,
        ),
        None => None,
    };
    let Some(profiles) = scoped_profiles(&caller, p.profile)? else {
        return Ok(Json(CaseList { cases: vec![] }).into_response());
    };
    let f = Filter {
        profiles,
        state,
        min_score,
        limit: Some(page_limit(p.limit.as_deref(), 50, st.max_limit)?),
        offset: review_offset(p.offset.as_deref())?,
    };
    let r = st.review.clone();
    let cases = tokio::task::spawn_blocking(move || r.list(&f))
        .await
        .expect("review task")?;
    Ok(Json(CaseList { cases }).into_response())
}

/// A case, its mentions and its history, if `caller` may see its profile.
async fn load_case(
    st: &AppState,
    caller: &Caller,
    id: String,
) -> Result<
    (
        simak_review::Case,
        Vec<simak_review::CaseMention>,
        Vec<simak_review::Event>,
    ),
    ApiError,
> {
    let r = st.review.clone();
    let case_id = id.clone();
    let (case, mentions, history) = tokio::task::spawn_blocking(move || {
        Ok::<_, ReviewError>((
            r.case(&case_id)?,
            r.mentions(&case_id)?,
            r.events(&case_id)?,
        ))
    })
    .await
    .expect("review task")?;
    caller.must_see_item(&case.profile, || ReviewError::NotFound(id).into())?;
    Ok((case, mentions, history))
}

/// `GET /api/review/{id}`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CaseDetail {
    /// The case.
    pub case: simak_review::Case,
    /// Its mentions.
    pub mentions: Vec<simak_review::CaseMention>,
    /// Its changes of state, oldest first.
    pub history: Vec<simak_review::Event>,
}

/// One case: the case, its mentions and its history (404 for another OPD's, as for an unknown id).
#[utoipa::path(get, path = "/api/review/{id}", params(("id" = String, Path, description = "The case id")), responses(
    (status = 200, description = "The case", body = CaseDetail),
    (status = 401), (status = 404), (status = 500),
))]
pub(crate) async fn review_case(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let (case, mentions, history) = load_case(&st, &caller, id).await?;
    Ok(Json(CaseDetail {
        case,
        mentions,
        history,
    })
    .into_response())
}

/// `POST /api/review/{id}/actions` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// What to do.
    #[schema(schema_with = action_schema)]
    action: String,
    /// The officer's note, kept in the case's history.
    note: Option<String>,
    /// The public clarification, http(s): required with `clarify` (400 without it).
    url: Option<String>,
}

fn action_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::Schema>> {
    spec::one_of(&spec::ACTIONS).build()
}

/// `POST /api/review/{id}/actions`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ActionOutcome {
    /// The case after the action.
    pub case: simak_review::Case,
    /// The fact-check a clarification became (published to the analyzer).
    pub factcheck: Option<simak_analyze::factcheck::FactCheck>,
}

/// `POST /api/review/{id}/actions`: take, confirm, not_hoax, clarify (with `url`) or reopen a
/// case, as the caller, with a note. Officers of the case's profile and admins only; recorded in
/// the case's history and the audit log. A clarification is published as a fact-check.
#[utoipa::path(post, path = "/api/review/{id}/actions", params(("id" = String, Path, description = "The case id")),
    request_body = ActionBody, responses(
    (status = 200, description = "The case after the action, and the fact-check a clarification became", body = ActionOutcome),
    (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 500), (status = 503),
))]
pub(crate) async fn review_act(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Result<Json<ActionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(body_error)?;
    let action = simak_review::Action::parse(&b.action, b.url.as_deref())?;
    let r = st.review.clone();
    let case_id = id.clone();
    let case = tokio::task::spawn_blocking(move || r.case(&case_id))
        .await
        .expect("review task")?;
    caller.must_see_item(&case.profile, || ReviewError::NotFound(id.clone()).into())?;
    if !caller.account.can_act(&case.profile) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a viewer account cannot change a case",
        ));
    }
    let (r, auth, actor) = (
        st.review.clone(),
        st.auth.clone(),
        caller.account.username.clone(),
    );
    let detail = [b.url.as_deref(), b.note.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let verb = b.action.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let o = r.act(&id, &actor, &action, b.note.as_deref())?;
        if let Err(e) = auth.audit(&actor, &format!("review.{verb}"), &id, &detail) {
            tracing::error!(error = %e, "writing the audit log failed");
        }
        Ok::<_, ReviewError>(o)
    })
    .await
    .expect("review task")?;
    if let Some(fc) = &outcome.factcheck {
        if let Err(e) = st.publish_factcheck(fc).await {
            tracing::warn!(case = %outcome.case.id, "the clarified case's fact-check is not published");
            return Err(e.into_api("the case is clarified, but its fact-check is not published"));
        }
    }
    Ok(Json(ActionOutcome {
        case: outcome.case,
        factcheck: outcome.factcheck,
    })
    .into_response())
}

/// The watch profile of an alert key (`hoax:<profile>:…`, `<kind>:<profile>:<hour>`).
fn alert_profile(key: &str) -> &str {
    key.split(':').nth(1).unwrap_or_default()
}

/// `GET /api/alerts`.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AlertList {
    /// The outbox's latest 200 rows the caller may see, newest first.
    pub alerts: Vec<simak_alert::OutboxItem>,
}

/// The alert outbox (the caller's profiles).
#[utoipa::path(get, path = "/api/alerts", responses(
    (status = 200, description = "Alerts, newest first", body = AlertList),
    (status = 401), (status = 500),
))]
pub(crate) async fn alerts_list(
    State(st): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let a = st.alerts.clone();
    let items = tokio::task::spawn_blocking(move || a.outbox(200))
        .await
        .expect("alert task")
        .map_err(|e| ApiError::internal("reading the outbox", e))?;
    let items: Vec<_> = items
        .into_iter()
        .filter(|i| caller.account.can_see(alert_profile(&i.key)))
        .collect();
    Ok(Json(AlertList { alerts: items }).into_response())
}

/// An alert written as a file, `GET /outbox/00000001.eml`.
async fn outbox_file(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    // A file does not say its profile: admins only.
    caller.must_be_admin()?;
    let ok =
        name.len() == 12 && name.ends_with(".eml") && name[..8].bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(ApiError::not_found(format!("no outbox file {name:?}")));
    }
    match tokio::fs::read(st.outbox_dir.join(&name)).await {
        Ok(bytes) => Ok((
            [
                (axum::http::header::CONTENT_TYPE, "message/rfc822"),
                (axum::http::header::CONTENT_DISPOSITION, "attachment"),
            ],
            bytes,
        )
            .into_response()),
        Err(_) => Err(ApiError::not_found(format!("no outbox file {name:?}"))),
    }
}

/// `GET /review/{id}`: a case's page (read-only until accounts arrive): the evidence, the
/// mentions, the history. Every text is escaped.
async fn review_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    use simak_alert::compose::{esc, link};
    let (case, mentions, history) = load_case(&st, &caller, id).await?;
    let state = case.state.label_id();
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Kasus {}</title></head><body style=\"font-family:sans-serif;max-width:760px\"><h1>Kasus hoaks</h1><p><code>{}</code> · profil {} · status <b>{}</b> · {} · skor {:.0}% · {} unggahan</p><blockquote>{}</blockquote>",
        esc(&case.id),
        esc(&case.id),
        esc(&case.profile),
        state,
        esc(&case.label),
        case.score * 100.0,
        case.mentions,
        esc(&case.text)
    );
    if let Some(u) = &case.clarification_url {
        h.push_str(&format!("<p>Klarifikasi: {}</p>", link(u, u)));
    }
    h.push_str("<h2>Mengapa ditandai</h2><ul>");
    for r in case.reasons.as_array().into_iter().flatten() {
        h.push_str(&format!("<li>{}</li>", esc(r.as_str().unwrap_or_default())));
    }
    h.push_str("</ul><h2>Cek fakta yang cocok</h2><ul>");
    for m in case.matches.as_array().into_iter().flatten() {
        let claim = m["claim"].as_str().unwrap_or_default();
        h.push_str(&format!(
            "<li>{} (keyakinan pencocokan {:.0}%)</li>",
            link(m["url"].as_str().unwrap_or_default(), claim),
            m["similarity"].as_f64().unwrap_or(0.0) * 100.0
        ));
    }
    h.push_str("</ul><h2>Unggahan</h2><ol>");
    for m in &mentions {
        h.push_str(&format!(
            "<li>{} · {} · {}</li>",
            esc(&m.published_at),
            esc(&m.text),
            m.url
                .as_deref()
                .map(|u| link(u, "buka"))
                .unwrap_or_default()
        ));
    }
    h.push_str("</ol><h2>Riwayat</h2><ul>");
    for e in &history {
        h.push_str(&format!(
            "<li>{} · {} · {}: {} → {}{}</li>",
            esc(&e.at),
            esc(&e.actor),
            esc(&e.action),
            esc(&e.from),
            esc(&e.to),
            e.note
                .as_deref()
                .map(|n| format!(" ({})", esc(n)))
                .unwrap_or_default()
        ));
    }
    h.push_str("</ul><p style=\"color:#666\">Ubah status dengan <code>simak review act</code>.</p></body></html>");
    Ok(Html(h).into_response())
}

/// `GET /summary/{profile}/{date}`: the daily summary page.
async fn summary_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    axum::extract::Path((profile, date)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.must_see(&profile)?;
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("the date must be YYYY-MM-DD, got {date:?}")))?;
    let res = tokio::task::spawn_blocking(move || -> Result<Option<String>, String> {
        let Some(p) = st.profiles.get().iter().find(|p| p.id == profile).cloned() else {
            return Ok(None);
        };
        let s = simak_alert::summary::build(
            st.searcher.as_ref(),
            Some(&st.review),
            &p.id,
            &p.name,
            date,
        )?;
        simak_alert::summary::page(&s, &st.base_url).map(Some)
    })
    .await
    .expect("summary task");
    match res {
        Ok(Some(html)) => Ok(Html(html).into_response()),
        Ok(None) => Err(ApiError::not_found("no such watch profile")),
        Err(e) => Err(ApiError::internal("building the summary", e)),
    }
}

async fn index_page(_caller: PageCaller) -> Html<&'static str> {
    Html(include_str!("../static/app.html"))
}

/// The web UI's script and style sheet (no build step: plain files compiled into the binary).
async fn static_file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.js" => (
            include_str!("../static/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "login.js" => (
            include_str!("../static/login.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.css" => (include_str!("../static/app.css"), "text/css; charset=utf-8"),
        _ => return not_found().await.into_response(),
    };
    (
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Headers on every response: scripts only from Simak's own files (no inline script, so
/// hostile text that slipped into a page could not run), no framing, no sniffing, no referrer
/// leaking search terms to the sites officers open.
async fn security_headers(mut r: Response) -> Response {
    use axum::http::header::{self, HeaderValue};
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
             form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The most header bytes (names and values) a request may carry: a browser's cookie and an
/// API token need a few hundred; reverse proxies allow 8 to 32 KiB.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses a request whose headers are larger than [`MAX_HEADER_BYTES`] with a 400 saying so,
/// before any handler or the accounts database sees it (hyper alone took about 400 KB).
async fn header_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let n: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if n > MAX_HEADER_BYTES {
        return ApiError::bad_request(format!(
            "the request headers are {n} bytes; at most {MAX_HEADER_BYTES}"
        ))
        .into_response();
    }
    next.run(req).await
}

/// The OpenAPI document of the `/api` endpoints ([`spec::document`]).
#[utoipa::path(get, path = "/api/openapi.json", security(()), responses(
    (status = 200, description = "This document (OpenAPI 3.1)", body = Object),
))]
pub(crate) async fn openapi(State(doc): State<Arc<String>>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.as_str().to_owned(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// The router.
pub fn router(state: AppState) -> Router {
    let opds: Vec<String> = state.profiles.get().iter().map(|p| p.id.clone()).collect();
    let places = simak_analyze::complaint::Gazetteer::load(&state.profiles.gazetteer)
        .map(|g| g.names())
        .unwrap_or_default();
    let doc = spec::with_opds(spec::document(state.max_limit), &opds);
    let doc = Arc::new(spec::with_places(doc, &places).to_string());
    Router::new()
        .route("/", get(index_page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{name}", get(static_file))
        .route("/login", get(auth::login_page))
        .route("/api/login", axum::routing::post(auth::login))
        .route("/api/logout", axum::routing::post(auth::logout))
        .route("/api/me", get(auth::me))
        .route("/api/openapi.json", get(openapi).with_state(doc))
        .route("/api/search", get(search))
        .route("/api/stats", get(stats))
        .route("/api/export", get(export::export))
        .route("/api/review", get(review_list))
        .route("/api/review/{id}", get(review_case))
        .route("/api/review/{id}/actions", axum::routing::post(review_act))
        .route("/api/complaints", get(complaints::list))
        .route("/api/complaints/{id}", get(complaints::detail))
        .route(
            "/api/complaints/{id}/actions",
            axum::routing::post(complaints::act),
        )
        .route("/api/accounts/ranking", get(accounts::ranking))
        .route("/api/alerts", get(alerts_list))
        .route("/api/mentions/{id}", get(views::mention))
        .route("/api/summary/{profile}/{date}", get(views::summary))
        .route("/api/profiles", get(views::profiles))
        .route(
            "/api/profiles/{id}/complaints",
            axum::routing::put(views::set_complaint_routing),
        )
        .route(
            "/api/factchecks",
            get(views::factchecks).post(views::add_factcheck),
        )
        .route("/api/sources", get(sources::sources))
        .route("/metrics", get(sources::metrics))
        .route("/outbox/{name}", get(outbox_file))
        .route("/summary/{profile}/{date}", get(summary_page))
        .route("/review/{id}", get(review_page))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(header_limit))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves on `addr` until `shutdown`.
pub async fn serve(
    addr: &str,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {addr}: {e} (set server.addr or SIMAK_SERVER__ADDR)"),
        )
    })?;
    // A handover of an OPD's official accounts (its profile file changed) goes into the audit
    // log as the server first reads it.
    let (auth, opds) = (state.auth.clone(), accounts::opds(&state));
    match tokio::task::spawn_blocking(move || accounts::audit_account_changes(&auth, &opds)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(profiles = n, "official accounts recorded in the audit log"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "recording the official accounts in the audit log failed")
        }
        Err(e) => {
            tracing::warn!(error = %e, "recording the official accounts in the audit log failed")
        }
    }
    tracing::info!(addr = %listener.local_addr()?, "HTTP server listening");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}

/// The profiles (OPDs) a list of cases covers: the ones asked for, each checked against the
/// caller's scope, else the caller's whole scope (empty: every profile, for a caller without a
/// scope). None when the caller sees no profile at all: the list is empty.
pub(crate) fn scoped_profiles(
    caller: &Caller,
    asked: impl IntoIterator<Item = String>,
) -> Result<Option<Vec<String>>, ApiError> {
    let asked: Vec<String> = asked.into_iter().filter(|s| !s.is_empty()).collect();
    for p in &asked {
        caller.must_see(p)?;
    }
    if !asked.is_empty() {
        return Ok(Some(asked));
    }
    match caller.scope() {
        Some(scope) if scope.is_empty() => Ok(None),
        Some(scope) => Ok(Some(scope)),
        None => Ok(Some(Vec::new())),
    }
}

/// `offset` of a case list (review cases, complaints): at most [`spec::MAX_REVIEW_OFFSET`].
pub(crate) fn review_offset(offset: Option<&str>) -> Result<usize, ApiError> {
    match parse_num("offset", offset, 0)? {
        n if n > spec::MAX_REVIEW_OFFSET => Err(ApiError::bad_request(format!(
            "offset must be at most {}, got {n}",
            spec::MAX_REVIEW_OFFSET
        ))),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_check_not_published_is_one_answer_whatever_the_cause() {
        // The review action once answered 500 and the fact-check form 503 for the same cause.
        let causes = [
            PublishError::NoLog,
            PublishError::Log(simak_bus::BusError::Config("broker down".into())),
        ];
        for cause in causes {
            let e = cause.into_api("the fact-check is not published");
            assert_eq!(
                (e.status(), e.code),
                (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::LogUnavailable
                )
            );
            assert!(!e.message.contains("broker down"), "{}", e.message);
        }
    }
}
