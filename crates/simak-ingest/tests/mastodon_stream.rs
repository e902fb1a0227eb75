//! Mastodon with a user token: the timeline catches up, then the streaming API (SSE `update`,
//! `status.update`, `delete`, heartbeats) delivers new statuses; when the server closes the
//! stream, statuses posted meanwhile are caught from the timeline before reconnecting, and a
//! restart resumes from the saved `min_id`. Every status is in the log exactly once.

mod common;
use common::{serve, Bench};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use simak_core::config::{MastodonConfig, MastodonInstance};
use simak_ingest::mastodon::MastodonTag;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Instance {
    published: usize,
    connections: usize,
    streamed: usize,
}

fn id(i: usize) -> String {
    format!("1140000000000{i:05}")
}

fn status(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": id(i), "created_at": format!("2026-11-20T02:{:02}:{:02}.000Z", i / 60, i % 60),
        "uri": format!("https://social.example/users/warga/statuses/{}", id(i)),
        "url": format!("https://social.example/@warga/{}", id(i)),
        "content": format!("<p>Banjir di <a href=\"https://social.example/tags/sukamaju\" class=\"mention hashtag\">#<span>sukamaju</span></a> nomor {i}</p>"),
        "language": "id", "spoiler_text": "", "visibility": "public", "edited_at": null,
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
        "account": {"id": "1", "username": "warga", "acct": "warga", "display_name": "Warga", "followers_count": 3, "url": "https://social.example/@warga"}
    })
}

type S = Arc<Mutex<Instance>>;

async fn timeline(State(st): State<S>, Query(q): Query<HashMap<String, String>>) -> Response {
    let g = st.lock().unwrap();
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    let page: Vec<usize> = match q.get("min_id") {
        None => (g.published.saturating_sub(limit)..g.published).collect(),
        Some(m) => (0..g.published)
            .filter(|i| id(*i) > *m)
            .take(limit)
            .collect(),
    };
    axum::Json(page.iter().rev().map(|i| status(*i)).collect::<Vec<_>>()).into_response()
}

async fn streaming(
    State(st): State<S>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer user-token") {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"error\":\"Error: Missing access token\"}",
        )
            .into_response();
    }
    assert_eq!(q.get("tag").map(String::as_str), Some("sukamaju"));
    let (tx, rx) = futures::channel::mpsc::unbounded::<Result<String, std::convert::Infallible>>();
    let st = st.clone();
    tokio::spawn(async move {
        let n = {
            let mut g = st.lock().unwrap();
            g.connections += 1;
            g.connections
        };
        let _ = tx.unbounded_send(Ok(":)\n".into()));
        if n > 3 {
            // Quiet from here on: heartbeats only, so the test sees a stable end.
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if tx.unbounded_send(Ok(":thump\n".into())).is_err() {
                    return;
                }
            }
            return;
        }
        for k in 0..10 {
            tokio::time::sleep(Duration::from_millis(30)).await;
            if tx.is_closed() {
                // The subscriber left: on a real instance the status would go to whoever is
                // subscribed; here nobody is.
                break;
            }
            let i = {
                let mut g = st.lock().unwrap();
                g.published += 1;
                g.streamed += 1;
                g.published - 1
            };
            let _ = tx.unbounded_send(Ok(format!("event: update\ndata: {}\n\n", status(i))));
            if k == 3 {
                let _ = tx.unbounded_send(Ok(":thump\n".into()));
                let _ =
                    tx.unbounded_send(Ok(format!("event: status.update\ndata: {}\n\n", status(i))));
                let _ = tx.unbounded_send(Ok(format!("event: delete\ndata: {}\n\n", id(i - 1))));
            }
        }
        // Posted while the stream is down: only the timeline has them.
        st.lock().unwrap().published += 5;
        drop(tx);
    });
    (
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ],
        Body::from_stream(rx),
    )
        .into_response()
}

#[tokio::test]
async fn the_stream_and_the_timeline_together_lose_and_repeat_nothing() {
    let st: S = Arc::new(Mutex::new(Instance {
        published: 10,
        ..Default::default()
    }));
    let app = axum::Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(timeline))
        .route("/api/v1/streaming/hashtag", get(streaming))
        .with_state(st.clone());
    let base = format!("http://{}", serve(app).await);
    let cfg = MastodonConfig {
        interval_secs: 1,
        timeout_secs: 2,
        instances: vec![MastodonInstance {
            name: "social".into(),
            url: base,
            hashtags: vec!["sukamaju".into()],
            token_env: None,
        }],
    };
    let bench = Bench::new();
    let make = || {
        Box::new(
            MastodonTag::new(&cfg.instances[0], "sukamaju", &cfg, reqwest::Client::new())
                .with_token("user-token"),
        ) as Box<dyn simak_ingest::Source>
    };
    let s = st.clone();
    bench
        .run(make(), move || s.lock().unwrap().connections >= 2)
        .await;
    let s = st.clone();
    let store = bench.store.clone();
    bench
        .run(make(), move || {
            let g = s.lock().unwrap();
            g.connections >= 4
                && store
                    .load("mastodon:social:sukamaju")
                    .unwrap()
                    .cursor
                    .unwrap()["min_id"]
                    == id(g.published - 1).as_str()
        })
        .await;
    let (published, streamed) = {
        let g = st.lock().unwrap();
        (g.published, g.streamed)
    };
    assert!(streamed >= 20, "statuses came over the stream: {streamed}");
    let want: BTreeSet<String> = (0..published)
        .map(|i| {
            simak_core::url_mention_id(
                "mastodon",
                &format!("https://social.example/users/warga/statuses/{}", id(i)),
            )
        })
        .collect();
    bench.assert_exactly_once(&want).await;
}
