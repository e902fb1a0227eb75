//! The YouTube source against a local server answering as the Data API v3 does:
//! `commentThreads` newest first with `pageToken`, API errors in Google's shape, a 429 with
//! Retry-After, a 503, a timeout, a truncated and a malformed answer, and a 403 quotaExceeded,
//! while new comments keep arriving. After the failures and a restart in the middle of a sweep,
//! every comment the server offered is in the log exactly once; a spent quota pauses the
//! source until midnight Pacific time and says so in its health.

mod common;
use common::{serve, stall, truncate, Bench, Fault, Platform};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use simak_core::config::{YoutubeConfig, YoutubeTarget};
use simak_ingest::health::State as HState;
use simak_ingest::youtube::{quota_reset, YoutubeComments};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

struct Replay {
    platform: Platform,
    total: usize,
    quota_spent: bool,
}

fn google_error(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": message,
        "errors": [{"message": message, "domain": "youtube.quota", "reason": reason}]}})
    .to_string()
}

async fn threads(
    State(st): State<Arc<Mutex<Replay>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("key").map(String::as_str), Some("test-key"));
    assert_eq!(q.get("order").map(String::as_str), Some("time"));
    assert_eq!(q.get("videoId").map(String::as_str), Some("vid123"));
    assert_eq!(q.get("searchTerms").map(String::as_str), Some("sukamaju"));
    let (fault, body) = {
        let mut g = st.lock().unwrap();
        if g.quota_spent {
            return (
                StatusCode::FORBIDDEN,
                google_error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>."),
            )
                .into_response();
        }
        let total = g.total;
        let (_, fault) = g.platform.request(&q, 100, 90, total);
        let before = q
            .get("pageToken")
            .map(|t| t.trim_start_matches("QURT").parse::<usize>().unwrap());
        let limit: usize = q["maxResults"].parse().unwrap();
        let page = g.platform.page(before, limit);
        let items: Vec<serde_json::Value> = page.iter().map(|i| {
            let t = chrono::DateTime::from_timestamp(1_790_000_000 + *i as i64 * 7, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            serde_json::json!({"kind": "youtube#commentThread", "etag": "e", "id": format!("Ugz{i:05}"),
                "snippet": {"channelId": "UCpemkab", "videoId": "vid123", "canReply": true, "totalReplyCount": i % 3, "isPublic": true,
                    "topLevelComment": {"kind": "youtube#comment", "etag": "e", "id": format!("Ugz{i:05}"),
                        "snippet": {"channelId": "UCpemkab", "videoId": "vid123",
                            "textDisplay": format!("Sukamaju butuh perbaikan jalan {i}"), "textOriginal": format!("Sukamaju butuh perbaikan jalan {i}"),
                            "authorDisplayName": format!("@warga{}", i % 5), "authorProfileImageUrl": "https://yt3.example/x.jpg",
                            "authorChannelUrl": format!("http://www.youtube.com/@warga{}", i % 5), "authorChannelId": {"value": format!("UCw{}", i % 5)},
                            "canRate": true, "viewerRating": "none", "likeCount": i % 13, "publishedAt": t, "updatedAt": t}}}})
        }).collect();
        let mut body = serde_json::json!({"kind": "youtube#commentThreadListResponse", "etag": "e",
            "pageInfo": {"totalResults": items.len(), "resultsPerPage": limit}, "items": items});
        if let Some(last) = page.last().filter(|l| **l > 0) {
            body["nextPageToken"] = format!("QURT{last}").into();
        }
        if fault.is_none() {
            g.platform.offered.extend(page);
        }
        (fault, body.to_string())
    };
    match fault {
        Some(Fault::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            google_error(429, "rateLimitExceeded", "Too many requests"),
        )
            .into_response(),
        Some(Fault::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            google_error(503, "backendError", "Backend Error"),
        )
            .into_response(),
        Some(Fault::Timeout) => {
            stall().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Truncated) => truncate(body).into_response(),
        Some(Fault::Malformed) => {
            "{\"kind\": \"youtube#commentThreadListResponse\"}".into_response()
        }
        None => ([("content-type", "application/json; charset=UTF-8")], body).into_response(),
    }
}

async fn start(total: usize) -> (String, Arc<Mutex<Replay>>) {
    let st = Arc::new(Mutex::new(Replay {
        platform: Platform::default(),
        total,
        quota_spent: false,
    }));
    let app = axum::Router::new()
        .route("/youtube/v3/commentThreads", get(threads))
        .with_state(st.clone());
    (format!("http://{}", serve(app).await), st)
}

fn source(base: &str) -> Box<dyn simak_ingest::Source> {
    let target = YoutubeTarget {
        name: "pemkab".into(),
        video_id: Some("vid123".into()),
        channel_id: None,
        search_terms: Some("sukamaju".into()),
    };
    let cfg = YoutubeConfig {
        interval_secs: 1,
        timeout_secs: 1,
        max_pages: 20,
        base_url: base.into(),
        targets: vec![target.clone()],
    };
    Box::new(YoutubeComments::new(
        target,
        &cfg,
        "test-key",
        reqwest::Client::new(),
    ))
}

#[tokio::test]
async fn failures_and_a_restart_lose_and_repeat_nothing_and_a_spent_quota_pauses() {
    const TOTAL: usize = 700;
    let (base, st) = start(TOTAL).await;
    let bench = Bench::new();
    let s = st.clone();
    let saved = bench
        .run_to_mid_sweep(source(&base), "youtube:pemkab", move || {
            s.lock().unwrap().platform.requests
        })
        .await;
    let before = st.lock().unwrap().platform.params.len();
    let s = st.clone();
    let newest = 1_790_000_000 + (TOTAL as i64 - 1) * 7;
    bench
        .run_to_since(source(&base), "youtube:pemkab", newest, move || {
            s.lock().unwrap().platform.published == TOTAL
        })
        .await;
    {
        let g = st.lock().unwrap();
        assert_eq!(
            g.platform.params[before]
                .get("pageToken")
                .map(String::as_str),
            saved["page"].as_str(),
            "the restart resumed at the page it stopped at"
        );
        let want: BTreeSet<usize> = (0..TOTAL).collect();
        assert_eq!(g.platform.offered, want, "nothing skipped");
    }
    bench
        .assert_exactly_once(&(0..TOTAL).map(|i| format!("youtube:Ugz{i:05}")).collect())
        .await;
    let h = bench.health("youtube:pemkab");
    assert!(h.rate_limited_total >= 1 && h.errors_total >= 3, "{h:?}");

    // The quota runs out: the source pauses until it resets, and says so.
    st.lock().unwrap().quota_spent = true;
    let store = bench.store.clone();
    let health_dir = store.health_dir();
    bench
        .run(source(&base), move || {
            simak_ingest::health::load(&health_dir, "youtube:pemkab").state == HState::RateLimited
        })
        .await;
    let h = bench.health("youtube:pemkab");
    assert_eq!(h.state, HState::RateLimited);
    let until = h.rate_limited_until.unwrap();
    let reset = quota_reset(chrono::Utc::now());
    assert!(
        (until - reset).num_seconds().abs() <= 2,
        "{until} vs {reset}"
    );
    let msg = h.last_error_message.unwrap();
    assert!(
        msg.contains("quota") && msg.contains("paused until"),
        "{msg}"
    );
}
