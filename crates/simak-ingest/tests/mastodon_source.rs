//! The Mastodon source against a local server answering as an instance does: hashtag timeline
//! pages with `min_id`, statuses in their real shape, `X-RateLimit-*` headers, a 429, a 503 and
//! a truncated body, while new posts keep arriving. After the failures and a restart, every
//! status the server offered is in the log exactly once, and the restart resumed from the
//! saved `min_id`.

mod common;
use common::drain;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use simak_bus::embedded::EmbeddedLog;
use simak_bus::Producer;
use simak_core::config::{MastodonConfig, MastodonInstance};
use simak_ingest::cursor::CursorStore;
use simak_ingest::mastodon::MastodonTag;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const FINAL: usize = 150;

#[derive(Default)]
struct Instance {
    published: usize,
    requests: usize,
    offered: BTreeSet<String>,
    min_ids: Vec<Option<String>>,
}

fn id(i: usize) -> String {
    format!("1130000000000{i:05}")
}

fn status(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": id(i),
        "created_at": format!("2026-11-20T01:{:02}:{:02}.000Z", i / 60, i % 60),
        "in_reply_to_id": null, "sensitive": false, "spoiler_text": "", "visibility": "public",
        "language": "id",
        "uri": format!("https://social.example/users/warga{}/statuses/{}", i % 7, id(i)),
        "url": format!("https://social.example/@warga{}/{}", i % 7, id(i)),
        "replies_count": 0, "reblogs_count": i % 3, "favourites_count": i % 5, "edited_at": null,
        "content": format!("<p>Laporan warga nomor {i} soal jalan rusak <a href=\"https://social.example/tags/sukamaju\" class=\"mention hashtag\" rel=\"tag\">#<span>sukamaju</span></a></p>"),
        "account": {"id": format!("{}", i % 7), "username": format!("warga{}", i % 7),
            "acct": format!("warga{}", i % 7), "display_name": "Warga", "followers_count": 10,
            "url": format!("https://social.example/@warga{}", i % 7)},
        "media_attachments": [], "mentions": [], "tags": [{"name": "sukamaju"}], "emojis": []
    })
}

async fn timeline(
    State(st): State<Arc<Mutex<Instance>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut g = st.lock().unwrap();
    g.requests += 1;
    g.published = (g.published + 15).clamp(50, FINAL);
    g.min_ids.push(q.get("min_id").cloned());
    let reset = (chrono::Utc::now() + chrono::Duration::milliseconds(800))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match g.requests {
        2 => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("x-ratelimit-remaining", "0".to_string()),
                    ("x-ratelimit-reset", reset),
                ],
                "{\"error\":\"Too many requests\"}",
            )
                .into_response()
        }
        4 => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => {}
    }
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(40);
    let page: Vec<usize> = match q.get("min_id") {
        None => (g.published.saturating_sub(limit)..g.published).collect(),
        Some(m) => {
            let after = (0..g.published).filter(|i| id(*i) > *m);
            after.take(limit).collect()
        }
    };
    let mut body: Vec<serde_json::Value> = page.iter().rev().map(|i| status(*i)).collect();
    let mut text = serde_json::to_string(&body).unwrap();
    if g.requests == 6 {
        // Truncated: nothing in it may count as offered.
        text.truncate(text.len() / 2);
        body.clear();
    }
    for s in &body {
        g.offered.insert(s["uri"].as_str().unwrap().to_string());
    }
    let remaining = if g.requests == 7 { "0" } else { "250" };
    (
        [
            (
                "content-type",
                "application/json; charset=utf-8".to_string(),
            ),
            ("x-ratelimit-limit", "300".to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", reset),
        ],
        text,
    )
        .into_response()
}

#[tokio::test]
async fn failures_and_a_restart_lose_and_repeat_nothing() {
    let st = Arc::new(Mutex::new(Instance::default()));
    let app = axum::Router::new()
        .route("/api/v1/timelines/tag/{tag}", axum::routing::get(timeline))
        .with_state(st.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let log =
        EmbeddedLog::open(&dir.path().join("log"), 2, false, Duration::from_millis(5)).unwrap();
    let producer = Producer::Embedded(log.producer("m").unwrap());
    let store = CursorStore::new(&dir.path().join("sources"), 1000);
    let cfg = MastodonConfig {
        interval_secs: 1,
        timeout_secs: 5,
        instances: vec![MastodonInstance {
            name: "social".into(),
            url: format!("http://{addr}/"),
            hashtags: vec!["#sukamaju".into()],
            token_env: None,
        }],
    };
    let run = |until_requests: usize, until_all: bool| {
        let token = CancellationToken::new();
        let src = MastodonTag::new(&cfg.instances[0], "#sukamaju", &cfg, reqwest::Client::new());
        let h = tokio::spawn(simak_ingest::scheduler::drive(
            Box::new(src),
            producer.clone(),
            store.clone(),
            Duration::from_secs(1),
            token.clone(),
        ));
        let st = st.clone();
        async move {
            for _ in 0..400 {
                let done = {
                    let g = st.lock().unwrap();
                    g.requests >= until_requests
                        && (!until_all || g.offered.len() == FINAL - 10 && g.published == FINAL)
                };
                if done {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            token.cancel();
            h.await.unwrap();
        }
    };
    run(8, false).await;
    let saved = store
        .load("mastodon:social:sukamaju")
        .unwrap()
        .cursor
        .unwrap()["min_id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = st.lock().unwrap().min_ids.len();
    run(usize::MAX, true).await;

    let (min_ids, offered) = {
        let g = st.lock().unwrap();
        (g.min_ids.clone(), g.offered.clone())
    };
    assert_eq!(
        min_ids[0], None,
        "the first run starts from the newest page"
    );
    assert_eq!(
        min_ids[before].as_deref(),
        Some(saved.as_str()),
        "the restart resumed"
    );
    // The first page held the newest 40 of 50; everything after it was offered.
    assert_eq!(offered.len(), FINAL - 10, "{min_ids:?}");
    let keys = drain(&log).await;
    let n = keys.len();
    let uniq: BTreeSet<String> = keys.into_iter().collect();
    assert_eq!(n, uniq.len(), "no status twice");
    let want: BTreeSet<String> = offered
        .iter()
        .map(|u| simak_core::url_mention_id("mastodon", u))
        .collect();
    assert_eq!(uniq, want, "every offered status, once");
}
