//! The Jetstream source against a local websocket server that replays real Jetstream v1 events
//! (../shared/data/fixtures/jetstream) as Jetstream does: from the `cursor` query parameter on,
//! filtered by `wantedCollections`. The first connection breaks mid-stream; later ones must
//! rewind from the cursor, and a restart must resume from the saved cursor. Every wanted post
//! reaches the log exactly once.

mod common;
use common::drain;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::Query;
use simak_bus::embedded::EmbeddedLog;
use simak_bus::Producer;
use simak_core::config::JetstreamConfig;
use simak_ingest::cursor::CursorStore;
use simak_ingest::jetstream::{parse_event, Jetstream, REWIND_US};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const FIXTURE: &str = "../../../shared/data/fixtures/jetstream/corpus_testdata_expected_v1.jsonl";

#[derive(Default)]
struct Seen {
    queries: Vec<HashMap<String, String>>,
}

fn events() -> Vec<(i64, String)> {
    let text = std::fs::read_to_string(FIXTURE).expect("the Jetstream fixtures beside the repo");
    let mut ev: Vec<(i64, String)> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["time_us"].as_i64().unwrap(), l.to_string())
        })
        .collect();
    ev.sort_by_key(|e| e.0);
    ev
}

async fn serve(seen: Arc<Mutex<Seen>>) -> String {
    let app = axum::Router::new().route(
        "/subscribe",
        axum::routing::get(
            move |ws: WebSocketUpgrade, Query(q): Query<HashMap<String, String>>| {
                let seen = seen.clone();
                async move {
                    let n = {
                        let mut g = seen.lock().unwrap();
                        g.queries.push(q.clone());
                        g.queries.len()
                    };
                    ws.on_upgrade(move |sock| replay(sock, q, n))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("ws://{addr}/subscribe")
}

async fn replay(mut sock: WebSocket, q: HashMap<String, String>, nth: usize) {
    let cursor: i64 = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let ev = events();
    let from: Vec<&(i64, String)> = ev.iter().filter(|e| e.0 >= cursor).collect();
    for (i, (_, line)) in from.iter().enumerate() {
        // The first connection breaks half-way, with a truncated event as its last words.
        if nth == 1 && i == from.len() / 2 {
            let _ = sock
                .send(Message::Text(line[..line.len() / 2].to_string().into()))
                .await;
            return;
        }
        if i == 3 {
            let _ = sock.send(Message::Text("not json at all".into())).await;
        }
        if sock.send(Message::Text(line.clone().into())).await.is_err() {
            return;
        }
    }
    // Then stay open, as Jetstream does, until the client goes.
    while let Some(Ok(_)) = sock.recv().await {}
}

fn source(url: &str) -> Jetstream {
    let cfg = JetstreamConfig {
        url: url.to_string(),
        langs: vec!["en".into(), "tr".into()],
        batch_ms: 100,
        batch_max: 3,
        ..Default::default()
    };
    Jetstream::new(&cfg, &["the".to_string(), "people".to_string()])
}

#[tokio::test]
async fn breaks_rewinds_restarts_and_delivers_each_post_once() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = serve(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let log =
        EmbeddedLog::open(&dir.path().join("log"), 2, false, Duration::from_millis(5)).unwrap();
    let producer = Producer::Embedded(log.producer("m").unwrap());
    let store = CursorStore::new(&dir.path().join("sources"), 1000);

    // What should arrive: post creations in en/tr containing "the" or "people".
    let probe = source(&url);
    let mut want: Vec<String> = events()
        .iter()
        .filter_map(|(_, l)| parse_event(&serde_json::from_str(l).unwrap()).and_then(|e| e.1))
        .filter(|m| {
            let langs: Vec<String> = m.extra["langs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_string())
                .collect();
            probe.wanted(&m.text, &langs)
        })
        .map(|m| m.id)
        .collect();
    want.sort();
    assert!(want.len() >= 4, "the filter keeps some posts: {want:?}");

    let last_us = events().last().unwrap().0;
    let run = |stop_at: i64, connections: usize| {
        let seen = seen.clone();
        let token = CancellationToken::new();
        let h = tokio::spawn(simak_ingest::scheduler::drive(
            Box::new(source(&url)),
            producer.clone(),
            store.clone(),
            Duration::from_millis(200),
            token.clone(),
        ));
        let store = store.clone();
        async move {
            for _ in 0..300 {
                let at = store
                    .load("bluesky:jetstream")
                    .unwrap()
                    .cursor
                    .and_then(|c| c["time_us"].as_i64());
                if at.is_some_and(|t| t >= stop_at)
                    && seen.lock().unwrap().queries.len() >= connections
                {
                    // Let the replayed overlap arrive (and be dropped) before stopping.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            token.cancel();
            h.await.unwrap();
        }
    };
    // First run: through the broken connection and a reconnection, up to the end.
    run(last_us, 2).await;
    let saved = store.load("bluesky:jetstream").unwrap().cursor.unwrap()["time_us"]
        .as_i64()
        .unwrap();
    assert_eq!(saved, last_us);
    // A restart resumes from the saved cursor, rewound.
    run(last_us, 3).await;

    let q = seen.lock().unwrap().queries.clone();
    assert!(q.len() >= 3, "break, reconnect, restart: {q:?}");
    assert!(q
        .iter()
        .all(|q| q["wantedCollections"] == "app.bsky.feed.post"));
    assert!(!q[0].contains_key("cursor"), "the first run starts live");
    let second: i64 = q[1]["cursor"].parse().unwrap();
    assert!(
        second < last_us,
        "the reconnection rewinds from where the break was"
    );
    let last: i64 = q.last().unwrap()["cursor"].parse().unwrap();
    assert_eq!(
        last,
        last_us - REWIND_US,
        "the restart resumes from the saved cursor"
    );

    let mut keys = drain(&log).await;
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(n, keys.len(), "no post twice in the log");
    assert_eq!(keys, want, "every wanted post, once");
}
