//! The RSS source against a local server that answers as real feeds do: ETag and
//! Last-Modified with 304s, 429 with Retry-After, 5xx, 404, truncated and malformed bodies.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use simak_core::config::{FeedConfig, RssConfig};
use simak_ingest::rss::RssSource;
use simak_ingest::{Source, SourceError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Berita Kabupaten</title>
<item><title>Banjir di Sukamaju</title><link>https://berita.example.id/1</link>
<description>Warga mengungsi ke balai desa</description><pubDate>Fri, 20 Nov 2026 08:00:00 +0700</pubDate></item>
<item><title>Jalan rusak</title><link>https://berita.example.id/2</link>
<description>Jalan kabupaten rusak parah</description><pubDate>Sat, 21 Nov 2026 08:00:00 +0700</pubDate></item>
</channel></rss>"#;

#[derive(Default)]
struct Seen {
    if_none_match: Vec<Option<String>>,
    if_modified_since: Vec<Option<String>>,
}

async fn serve() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let app = axum::Router::new()
        .route(
            "/etag.xml",
            get(move |h: HeaderMap| {
                let s = s.clone();
                async move {
                    let inm = h
                        .get("if-none-match")
                        .map(|v| v.to_str().unwrap().to_string());
                    let ims = h
                        .get("if-modified-since")
                        .map(|v| v.to_str().unwrap().to_string());
                    let mut g = s.lock().unwrap();
                    g.if_none_match.push(inm.clone());
                    g.if_modified_since.push(ims);
                    if inm.as_deref() == Some("\"v1\"") {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    (
                        [
                            ("content-type", "application/rss+xml; charset=utf-8"),
                            ("etag", "\"v1\""),
                            ("last-modified", "Sat, 21 Nov 2026 01:00:00 GMT"),
                        ],
                        FEED,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/busy.xml",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "7")],
                    "slow down",
                )
                    .into_response()
            }),
        )
        .route(
            "/down.xml",
            get(|| async { StatusCode::BAD_GATEWAY.into_response() }),
        )
        .route(
            "/gone.xml",
            get(|| async { StatusCode::NOT_FOUND.into_response() }),
        )
        .route(
            "/garbage.xml",
            get(|| async { "<html><body>maintenance</body></html>" }),
        )
        .route(
            "/truncated.xml",
            get(|| async { FEED[..FEED.len() / 2].to_string() }),
        )
        .route(
            "/huge.xml",
            get(|| async { Response::new(axum::body::Body::from("x".repeat(4096))) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn source(url: String, max_bytes: usize) -> RssSource {
    let cfg = RssConfig {
        timeout_secs: 5,
        max_bytes,
        ..Default::default()
    };
    let feed = FeedConfig {
        name: "t".into(),
        url,
        interval_secs: Some(60),
    };
    RssSource::new(&feed, &cfg, reqwest::Client::new())
}

#[tokio::test]
async fn conditional_get_returns_items_then_304() {
    let (base, seen) = serve().await;
    let mut s = source(format!("{base}/etag.xml"), 1 << 20);
    let first = s.fetch(None).await.unwrap();
    assert_eq!(first.mentions.len(), 2);
    assert_eq!(first.next_poll, Duration::from_secs(60));
    let cursor = first.cursor.unwrap();
    assert_eq!(cursor["etag"], "\"v1\"");
    let second = s.fetch(Some(&cursor)).await.unwrap();
    assert!(second.mentions.is_empty(), "304 means nothing new");
    assert!(second.cursor.is_none(), "a 304 keeps the old cursor");
    let g = seen.lock().unwrap();
    assert_eq!(g.if_none_match, [None, Some("\"v1\"".to_string())]);
    assert_eq!(
        g.if_modified_since[1].as_deref(),
        Some("Sat, 21 Nov 2026 01:00:00 GMT")
    );
}

#[tokio::test]
async fn failures_are_classified() {
    let (base, _) = serve().await;
    match source(format!("{base}/busy.xml"), 1 << 20)
        .fetch(None)
        .await
    {
        Err(SourceError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Duration::from_secs(7))
        }
        other => panic!("429: {other:?}"),
    }
    assert!(matches!(
        source(format!("{base}/down.xml"), 1 << 20)
            .fetch(None)
            .await,
        Err(SourceError::Transient(_))
    ));
    match source(format!("{base}/gone.xml"), 1 << 20)
        .fetch(None)
        .await
    {
        Err(SourceError::Permanent(m)) => assert!(m.contains("404"), "{m}"),
        other => panic!("404: {other:?}"),
    }
    for path in ["garbage.xml", "truncated.xml"] {
        match source(format!("{base}/{path}"), 1 << 20).fetch(None).await {
            Err(SourceError::Transient(m)) => assert!(m.contains(path), "{m}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    match source(format!("{base}/huge.xml"), 1000).fetch(None).await {
        Err(SourceError::Permanent(m)) => assert!(m.contains("max_bytes"), "{m}"),
        other => panic!("huge: {other:?}"),
    }
    // Nothing listens on port 9 of loopback: a connection error is transient.
    assert!(matches!(
        source("http://127.0.0.1:9/feed.xml".into(), 1 << 20)
            .fetch(None)
            .await,
        Err(SourceError::Transient(_))
    ));
}
