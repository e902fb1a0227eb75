//! The X source against a local server answering as API v2 recent search does: `since_id` and
//! `next_token`, `expansions=author_id`, `x-rate-limit-*` headers, and a 429, a 503, a timeout,
//! a truncated and a malformed answer, while new posts keep arriving. After the failures and a
//! restart in the middle of a sweep, every post the server offered is in the log exactly once.

mod common;
use common::{serve, stall, truncate, Bench, Fault, Platform};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use simak_core::config::{NamedQuery, XConfig};
use simak_ingest::x::XSearch;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

const ID0: u64 = 1_860_000_000_000_000_000;

fn id(i: usize) -> String {
    (ID0 + i as u64).to_string()
}

fn index(id: &str) -> usize {
    (id.parse::<u64>().unwrap() - ID0) as usize
}

struct Replay {
    platform: Platform,
    total: usize,
    refuse_since: bool,
}

async fn recent(
    State(st): State<Arc<Mutex<Replay>>>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(
        h.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer test-bearer")
    );
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    let (fault, body) = {
        let mut g = st.lock().unwrap();
        if g.refuse_since && q.contains_key("since_id") {
            g.refuse_since = false;
            return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({
                "errors": [{"parameters": {"since_id": [q["since_id"]]},
                    "message": "Invalid 'since_id':'1'. 'since_id' must be a tweet id created after 2026-11-16T00:00Z"}],
                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request"}))).into_response();
        }
        assert!(q["expansions"].contains("author_id"));
        assert!(q["tweet.fields"].contains("public_metrics"));
        let total = g.total;
        let (_, fault) = g.platform.request(&q, 120, 130, total);
        let since = q.get("since_id").map(|s| index(s));
        let before = q.get("next_token").map(|t| t.parse::<usize>().unwrap());
        let limit: usize = q["max_results"].parse().unwrap();
        let page: Vec<usize> = g
            .platform
            .page(before, limit)
            .into_iter()
            .filter(|i| since.is_none_or(|s| *i > s))
            .collect();
        let more = page
            .last()
            .is_some_and(|last| *last > since.map_or(0, |s| s + 1));
        let mut meta = serde_json::json!({"result_count": page.len()});
        if let (Some(first), Some(last)) = (page.first(), page.last()) {
            meta["newest_id"] = id(*first).into();
            meta["oldest_id"] = id(*last).into();
            if more {
                meta["next_token"] = last.to_string().into();
            }
        }
        let data: Vec<serde_json::Value> = page.iter().map(|i| serde_json::json!({
            "id": id(*i), "text": format!("Pemkab Sukamaju lambat tangani banjir #{i}"),
            "author_id": format!("{}", 500 + i % 4), "created_at": chrono::DateTime::from_timestamp(1_790_000_000 + *i as i64, 0).unwrap().to_rfc3339(),
            "lang": "in", "conversation_id": id(*i), "edit_history_tweet_ids": [id(*i)],
            "public_metrics": {"retweet_count": i % 3, "reply_count": 0, "like_count": i % 11, "quote_count": 0, "bookmark_count": 0, "impression_count": 100 + i}
        })).collect();
        let users: Vec<serde_json::Value> = (0..4).map(|u| serde_json::json!({
            "id": format!("{}", 500 + u), "username": format!("warga_{u}"), "name": format!("Warga {u}"),
            "public_metrics": {"followers_count": 10 * u, "following_count": 1, "tweet_count": 5, "listed_count": 0}
        })).collect();
        let mut body = serde_json::json!({"meta": meta});
        if !data.is_empty() {
            body["data"] = data.into();
            body["includes"] = serde_json::json!({ "users": users });
        }
        if fault.is_none() {
            g.platform.offered.extend(page);
        }
        (fault, body.to_string())
    };
    let limits = [
        ("x-rate-limit-limit", "450".to_string()),
        ("x-rate-limit-remaining", "449".to_string()),
        ("x-rate-limit-reset", reset.clone()),
    ];
    match fault {
        Some(Fault::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("x-rate-limit-limit", "450".to_string()),
                ("x-rate-limit-remaining", "0".to_string()),
                ("x-rate-limit-reset", reset),
            ],
            "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\",\"type\":\"about:blank\",\"status\":429}",
        )
            .into_response(),
        Some(Fault::Unavailable) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(Fault::Timeout) => {
            stall().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Truncated) => (limits, truncate(body)).into_response(),
        Some(Fault::Malformed) => (limits, "{\"data\": ").into_response(),
        None => (limits, [("content-type", "application/json; charset=utf-8")], body).into_response(),
    }
}

async fn start(total: usize, refuse_since: bool) -> (String, Arc<Mutex<Replay>>) {
    let st = Arc::new(Mutex::new(Replay {
        platform: Platform::default(),
        total,
        refuse_since,
    }));
    let app = axum::Router::new()
        .route("/2/tweets/search/recent", get(recent))
        .with_state(st.clone());
    (format!("http://{}", serve(app).await), st)
}

fn source(base: &str) -> Box<dyn simak_ingest::Source> {
    let cfg = XConfig {
        interval_secs: 1,
        timeout_secs: 1,
        max_pages: 20,
        base_url: base.into(),
        searches: Vec::new(),
    };
    let q = NamedQuery {
        name: "pemkab".into(),
        query: "(\"Pemkab Sukamaju\" OR Sukamaju) -is:retweet".into(),
        subreddit: None,
    };
    Box::new(XSearch::new(q, &cfg, "test-bearer", reqwest::Client::new()))
}

#[tokio::test]
async fn failures_and_a_restart_lose_and_repeat_nothing() {
    const TOTAL: usize = 800;
    let (base, st) = start(TOTAL, false).await;
    let bench = Bench::new();
    // Stop in the middle of a sweep, after the timeout.
    let s = st.clone();
    let saved = bench
        .run_to_mid_sweep(source(&base), "x:pemkab", move || {
            s.lock().unwrap().platform.requests
        })
        .await;
    let before = st.lock().unwrap().platform.params.len();
    assert!(saved["page"].is_string(), "stopped mid-sweep: {saved}");
    let s = st.clone();
    let newest: i64 = id(TOTAL - 1).parse().unwrap();
    bench
        .run_to_since(source(&base), "x:pemkab", newest, move || {
            s.lock().unwrap().platform.published == TOTAL
        })
        .await;
    let want: BTreeSet<usize> = {
        let g = st.lock().unwrap();
        assert_eq!(
            g.platform.params[before]
                .get("next_token")
                .map(String::as_str),
            saved["page"].as_str(),
            "the restart resumed at the page it stopped at"
        );
        assert_eq!(
            g.platform.params[before]
                .get("since_id")
                .map(|s| s.parse::<i64>().unwrap()),
            saved["since"].as_i64(),
        );
        let want: BTreeSet<usize> = (20..TOTAL).collect();
        assert_eq!(g.platform.offered, want, "nothing skipped");
        want
    };
    bench
        .assert_exactly_once(&want.iter().map(|i| format!("x:{}", id(*i))).collect())
        .await;
    let h = bench.health("x:pemkab");
    assert!(h.rate_limited_total >= 1 && h.errors_total >= 3, "{h:?}");
    assert!(h.gaps.is_empty());
}

#[tokio::test]
async fn a_since_id_beyond_seven_days_is_a_gap_and_a_fresh_start() {
    let (base, st) = start(300, false).await;
    let bench = Bench::new();
    let s = st.clone();
    bench
        .run(source(&base), move || {
            s.lock().unwrap().platform.requests >= 1
        })
        .await;
    st.lock().unwrap().refuse_since = true;
    let s = st.clone();
    bench
        .run(source(&base), move || {
            s.lock().unwrap().platform.requests >= 3
        })
        .await;
    let h = bench.health("x:pemkab");
    assert_eq!(h.gaps.len(), 1, "{h:?}");
    assert!(h.gaps[0].reason.contains("7 days"));
    let g = st.lock().unwrap();
    assert!(
        !g.platform.params[1].contains_key("since_id"),
        "started afresh"
    );
}
