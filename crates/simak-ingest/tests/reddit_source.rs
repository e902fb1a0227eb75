//! The Reddit source against a local server answering as Reddit does: `sort=new` listings
//! paged with `after`, an OAuth app token, `x-ratelimit-*` headers, and a 429, a 503, a
//! timeout, a truncated and a malformed answer, while new posts keep arriving. After the
//! failures and a restart in the middle of a sweep, every post the server offered is in the log
//! exactly once, and the restart resumed at the page it stopped at.

mod common;
use common::{serve, stall, truncate, Bench, Fault, Platform};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use simak_core::config::{NamedQuery, RedditConfig};
use simak_ingest::reddit::RedditSearch;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

const BASE: i64 = 1_790_000_000;

fn child(i: usize) -> serde_json::Value {
    serde_json::json!({"kind": "t3", "data": {
        "name": format!("t3_{i:06}"), "id": format!("{i:06}"), "created_utc": (BASE + i as i64 * 10) as f64,
        "title": format!("Laporan warga {i}: jalan rusak di Sukamaju"), "selftext": "Mohon ditindaklanjuti.",
        "author": format!("warga{}", i % 9), "author_fullname": format!("t2_{}", i % 9),
        "subreddit": "indonesia", "subreddit_name_prefixed": "r/indonesia",
        "permalink": format!("/r/indonesia/comments/{i:06}/laporan/"),
        "url": format!("https://www.reddit.com/r/indonesia/comments/{i:06}/laporan/"),
        "score": i % 50, "num_comments": i % 7, "num_crossposts": 0, "over_18": false
    }})
}

struct Replay {
    platform: Platform,
    tokens: usize,
    total: usize,
    oauth: bool,
}

async fn token(State(st): State<Arc<Mutex<Replay>>>, h: HeaderMap) -> Response {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // base64("app-id:app-secret")
    if auth != "Basic YXBwLWlkOmFwcC1zZWNyZXQ=" {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"message\": \"Unauthorized\", \"error\": 401}",
        )
            .into_response();
    }
    let mut g = st.lock().unwrap();
    g.tokens += 1;
    axum::Json(serde_json::json!({"access_token": format!("tok-{}", g.tokens), "token_type": "bearer", "expires_in": 86400, "scope": "*"})).into_response()
}

async fn search(
    State(st): State<Arc<Mutex<Replay>>>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (fault, body) = {
        let mut g = st.lock().unwrap();
        if g.oauth {
            let auth = h
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(
                auth.starts_with("Bearer tok-"),
                "searches carry the app token: {auth:?}"
            );
        }
        assert_eq!(q.get("sort").map(String::as_str), Some("new"));
        let total = g.total;
        let (_, fault) = g.platform.request(&q, 150, 150, total);
        let before = q
            .get("after")
            .map(|a| a.trim_start_matches("t3_").parse::<usize>().unwrap());
        let limit: usize = q["limit"].parse().unwrap();
        let page = g.platform.page(before, limit);
        let after = page
            .last()
            .filter(|last| **last > 0)
            .map(|last| format!("t3_{last:06}"));
        let body = serde_json::json!({"kind": "Listing", "data": {
            "after": after, "dist": page.len(), "modhash": "", "geo_filter": "", "before": null,
            "children": page.iter().map(|i| child(*i)).collect::<Vec<_>>()
        }})
        .to_string();
        if fault.is_none() {
            g.platform.offered.extend(page);
        }
        (fault, body)
    };
    let limits = [
        ("x-ratelimit-used", "1".to_string()),
        ("x-ratelimit-remaining", "99.0".to_string()),
        ("x-ratelimit-reset", "300".to_string()),
    ];
    match fault {
        Some(Fault::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("x-ratelimit-used", "100".to_string()),
                ("x-ratelimit-remaining", "0.0".to_string()),
                ("x-ratelimit-reset", "1".to_string()),
            ],
            "{\"message\": \"Too Many Requests\", \"error\": 429}",
        )
            .into_response(),
        Some(Fault::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html>upstream connect error</html>",
        )
            .into_response(),
        Some(Fault::Timeout) => {
            stall().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Truncated) => (limits, truncate(body)).into_response(),
        Some(Fault::Malformed) => (
            limits,
            "<!doctype html><title>Reddit - Dive into anything</title>",
        )
            .into_response(),
        None => (
            limits,
            [("content-type", "application/json; charset=UTF-8")],
            body,
        )
            .into_response(),
    }
}

async fn start(total: usize, oauth: bool) -> (String, Arc<Mutex<Replay>>) {
    let st = Arc::new(Mutex::new(Replay {
        platform: Platform::default(),
        tokens: 0,
        total,
        oauth,
    }));
    let app = axum::Router::new()
        .route("/api/v1/access_token", post(token))
        .route("/search", get(search))
        .route("/search.json", get(search))
        .route("/r/{sub}/search.json", get(search))
        .with_state(st.clone());
    let addr = serve(app).await;
    (format!("http://{addr}"), st)
}

fn config(base: &str, max_pages: usize) -> RedditConfig {
    RedditConfig {
        interval_secs: 1,
        timeout_secs: 1,
        max_pages,
        base_url: base.into(),
        oauth_url: base.into(),
        token_url: format!("{base}/api/v1/access_token"),
        searches: Vec::new(),
        enabled: false,
    }
}

fn search_q() -> NamedQuery {
    NamedQuery {
        name: "sukamaju".into(),
        query: "sukamaju".into(),
        subreddit: None,
    }
}

#[tokio::test]
async fn failures_and_a_restart_lose_and_repeat_nothing() {
    const TOTAL: usize = 900;
    let (base, st) = start(TOTAL, true).await;
    let cfg = config(&base, 20);
    let bench = Bench::new();
    let source = || {
        Box::new(
            RedditSearch::new(search_q(), &cfg, reqwest::Client::new())
                .with_credentials("app-id", "app-secret"),
        ) as Box<dyn simak_ingest::Source>
    };
    // Stop in the middle of a sweep.
    let s = st.clone();
    let saved = bench
        .run_to_mid_sweep(source(), "reddit:sukamaju", move || {
            s.lock().unwrap().platform.requests
        })
        .await;
    let before = st.lock().unwrap().platform.params.len();
    assert!(saved["page"].is_string(), "stopped mid-sweep: {saved}");
    let newest_created = BASE + (TOTAL as i64 - 1) * 10;
    let s = st.clone();
    bench
        .run_to_since(source(), "reddit:sukamaju", newest_created, move || {
            s.lock().unwrap().platform.published == TOTAL
        })
        .await;
    let ids: BTreeSet<String> = {
        let g = st.lock().unwrap();
        assert_eq!(
            g.platform.params[before].get("after").map(String::as_str),
            saved["page"].as_str(),
            "the restart resumed at the page it stopped at"
        );
        assert!(g.tokens >= 2, "each run took an app token");
        // The first run starts from the newest page of 150: items 50.. were offered.
        let want: BTreeSet<usize> = (50..TOTAL).collect();
        assert_eq!(g.platform.offered, want, "nothing skipped");
        want.iter().map(|i| format!("reddit:t3_{i:06}")).collect()
    };
    bench.assert_exactly_once(&ids).await;
    let h = bench.health("reddit:sukamaju");
    // A fault answered while a run was being stopped is not seen by the source.
    assert!(h.rate_limited_total >= 1 && h.errors_total >= 3, "{h:?}");
    assert!(h.gaps.is_empty(), "no gap: every sweep reached its cursor");
    assert!(h.outages.len() >= 4, "{:?}", h.outages);
    assert!(h.outages.iter().any(|o| o.reason.contains("429")));
}

#[tokio::test]
async fn a_sweep_beyond_its_pages_records_a_gap() {
    // 150 new posts per request, 1 page of 100 per sweep: the sweep cannot reach its cursor.
    let (base, st) = start(450, false).await;
    let cfg = config(&base, 1);
    let bench = Bench::new();
    let s = st.clone();
    bench
        .run(
            Box::new(RedditSearch::new(search_q(), &cfg, reqwest::Client::new())),
            move || s.lock().unwrap().platform.requests >= 3,
        )
        .await;
    let h = bench.health("reddit:sukamaju");
    assert!(!h.gaps.is_empty(), "{h:?}");
    let g = &h.gaps[0];
    assert!(g.from < g.to);
    assert!(g.reason.contains("pages"), "{}", g.reason);
    // The public endpoint was used: no token.
    assert_eq!(st.lock().unwrap().tokens, 0);
}
