//! `simak bench sources`: per-source collection throughput. Each platform's source pages back
//! through `n` items served by an in-process replay server in the platform's shape (the same
//! shapes as the tests), through the scheduler (dedupe, cursor saves) into the embedded log,
//! fsync on as in production. The baseline, measured in the same run, is fetching the same pages
//! with a bare HTTP client and discarding them: the ratio is what parsing, deduping and logging
//! cost on top of the transfer.

use anyhow::Result;
use axum::extract::{Path, Query};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use simak_bus::embedded::EmbeddedLog;
use simak_bus::Producer;
use simak_ingest::cursor::CursorStore;
use simak_ingest::sweep::Sweep;
use simak_ingest::Source;
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const T0: i64 = 1_790_000_000;

fn q(map: &HashMap<String, String>, k: &str) -> Option<usize> {
    map.get(k)
        .and_then(|v| v.trim_start_matches("t3_").parse().ok())
}

/// Items older than `before`, newest first.
fn page(n: usize, before: Option<usize>, limit: usize) -> Vec<usize> {
    (0..before.unwrap_or(n).min(n)).rev().take(limit).collect()
}

fn text(i: usize) -> String {
    format!("Warga melaporkan jalan rusak di Kecamatan Sukamaju nomor {i}, mohon segera diperbaiki oleh dinas terkait")
}

fn time(i: usize) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + i as i64, 0).expect("valid")
}

fn router(n: usize) -> axum::Router {
    axum::Router::new()
        .route(
            "/search.json",
            get(move |Query(m): Query<HashMap<String, String>>| async move {
                let p = page(n, q(&m, "after"), 100);
                let children: Vec<_> = p.iter().map(|i| serde_json::json!({"kind": "t3", "data": {
                    "name": format!("t3_{i}"), "created_utc": (T0 + *i as i64) as f64, "title": text(*i),
                    "selftext": "", "author": "warga", "subreddit": "indonesia",
                    "permalink": format!("/r/indonesia/comments/{i}/x/"), "score": 1, "num_comments": 0}})).collect();
                let after = p.last().filter(|l| **l > 0).map(|l| format!("t3_{l}"));
                axum::Json(serde_json::json!({"kind": "Listing", "data": {"after": after, "children": children}})).into_response()
            }),
        )
        .route(
            "/2/tweets/search/recent",
            get(move |Query(m): Query<HashMap<String, String>>| async move {
                let p = page(n, q(&m, "next_token"), 100);
                let data: Vec<_> = p.iter().map(|i| serde_json::json!({"id": (1_000_000 + i).to_string(), "text": text(*i),
                    "author_id": "7", "created_at": time(*i).to_rfc3339(), "lang": "in",
                    "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0, "impression_count": 10}})).collect();
                let mut meta = serde_json::json!({"result_count": p.len()});
                if let Some(l) = p.last().filter(|l| **l > 0) {
                    meta["next_token"] = l.to_string().into();
                }
                axum::Json(serde_json::json!({"data": data, "includes": {"users": [{"id": "7", "username": "warga", "name": "Warga", "public_metrics": {"followers_count": 5}}]}, "meta": meta})).into_response()
            }),
        )
        .route(
            "/youtube/v3/commentThreads",
            get(move |Query(m): Query<HashMap<String, String>>| async move {
                let p = page(n, q(&m, "pageToken"), 100);
                let items: Vec<_> = p.iter().map(|i| serde_json::json!({"id": format!("Ug{i}"), "snippet": {"videoId": "v",
                    "totalReplyCount": 0, "topLevelComment": {"id": format!("Ug{i}"), "snippet": {"textOriginal": text(*i),
                    "authorDisplayName": "@warga", "likeCount": 1, "publishedAt": time(*i).to_rfc3339()}}}})).collect();
                let mut body = serde_json::json!({"items": items});
                if let Some(l) = p.last().filter(|l| **l > 0) {
                    body["nextPageToken"] = l.to_string().into();
                }
                axum::Json(body).into_response()
            }),
        )
        .route(
            "/s/{channel}",
            get(move |Path(_c): Path<String>, Query(m): Query<HashMap<String, String>>| async move {
                // Message id = index + 1.
                let p = page(n, q(&m, "before").map(|b| b - 1), 20);
                let posts: String = p.iter().rev().map(|i| format!(
                    r#"<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="humas/{id}"><div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text js-message_text" dir="auto">{t}</div><div class="tgme_widget_message_footer"><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">1.2K</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/humas/{id}"><time datetime="{d}" class="time">08:00</time></a></span></div></div></div></div></div>"#,
                    id = i + 1, t = text(*i), d = time(*i).to_rfc3339())).collect();
                ([("content-type", "text/html; charset=utf-8")], format!("<!DOCTYPE html><html><body><div class=\"tgme_channel_info\"></div><section class=\"tgme_channel_history\">{posts}</section></body></html>")).into_response()
            }),
        )
        .route(
            "/api/v1/timelines/tag/{tag}",
            get(move |Query(m): Query<HashMap<String, String>>| async move {
                let min: usize = m.get("min_id").and_then(|v| v.parse().ok()).unwrap_or(0);
                // Ids are 1000000 + index; min_id pages forward, oldest first, 40 at a time.
                let from = (min + 1).saturating_sub(1_000_000);
                let p: Vec<usize> = (from..n).take(40).collect();
                let body: Vec<_> = p.iter().rev().map(|i| serde_json::json!({"id": (1_000_000 + i).to_string(),
                    "created_at": time(*i).to_rfc3339(), "uri": format!("https://social.example/statuses/{i}"),
                    "content": format!("<p>{}</p>", text(*i)), "language": "id",
                    "account": {"acct": "warga", "display_name": "Warga", "followers_count": 3}})).collect();
                axum::Json(body).into_response()
            }),
        )
}

struct Case {
    platform: &'static str,
    path: &'static str,
    source: Box<dyn Source>,
    /// The cursor that makes the first fetch page back through everything.
    cursor: Option<serde_json::Value>,
}

fn cases(base: &str) -> Vec<Case> {
    use simak_core::config::*;
    let client = reqwest::Client::new();
    let q = NamedQuery {
        name: "bench".into(),
        query: "sukamaju".into(),
        subreddit: None,
    };
    let sweep_from = |pos: i64| {
        Some(
            Sweep {
                since: Some(pos),
                since_time: Some(time(0)),
                ..Default::default()
            }
            .to_cursor(),
        )
    };
    let reddit = RedditConfig {
        base_url: base.into(),
        max_pages: usize::MAX,
        ..Default::default()
    };
    let x = XConfig {
        base_url: base.into(),
        max_pages: usize::MAX,
        ..Default::default()
    };
    let yt_target = YoutubeTarget {
        name: "bench".into(),
        video_id: Some("v".into()),
        channel_id: None,
        search_terms: None,
    };
    let yt = YoutubeConfig {
        base_url: base.into(),
        max_pages: usize::MAX,
        targets: vec![yt_target.clone()],
        ..Default::default()
    };
    let tg = TelegramConfig {
        base_url: base.into(),
        max_pages: usize::MAX,
        ..Default::default()
    };
    let masto = MastodonConfig::default();
    let inst = MastodonInstance {
        name: "bench".into(),
        url: base.into(),
        hashtags: vec!["sukamaju".into()],
        token_env: None,
    };
    vec![
        Case {
            platform: "reddit",
            path: "/search.json?q=x&sort=new&limit=100",
            source: Box::new(simak_ingest::reddit::RedditSearch::new(
                q.clone(),
                &reddit,
                client.clone(),
            )),
            cursor: sweep_from(T0 - 1),
        },
        Case {
            platform: "x",
            path: "/2/tweets/search/recent?query=x",
            source: Box::new(simak_ingest::x::XSearch::new(
                q.clone(),
                &x,
                "bench",
                client.clone(),
            )),
            cursor: sweep_from(999_999),
        },
        Case {
            platform: "youtube",
            path: "/youtube/v3/commentThreads?part=snippet",
            source: Box::new(simak_ingest::youtube::YoutubeComments::new(
                yt_target,
                &yt,
                "bench",
                client.clone(),
            )),
            cursor: sweep_from(T0 - 1),
        },
        Case {
            platform: "telegram",
            path: "/s/humas",
            source: Box::new(simak_ingest::telegram::TelegramChannel::new(
                "humas",
                &tg,
                simak_ingest::http_client_no_redirects("bench", 30).expect("client"),
            )),
            cursor: sweep_from(0),
        },
        Case {
            platform: "mastodon",
            path: "/api/v1/timelines/tag/sukamaju?limit=40",
            source: Box::new(simak_ingest::mastodon::MastodonTag::new(
                &inst, "sukamaju", &masto, client,
            )),
            cursor: Some(serde_json::json!({"min_id": "999999"})),
        },
    ]
}

/// Pages per item count for the bare-HTTP baseline.
fn per_page(platform: &str) -> usize {
    match platform {
        "telegram" => 20,
        "mastodon" => 40,
        _ => 100,
    }
}

pub async fn run(n: usize) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router(n)).await });
    let base = format!("http://{addr}");
    println!(
        "sources bench: {n} items per source, one source at a time, replay server on loopback, embedded log (fsync on)"
    );
    println!(
        "{:<10} {:>9} {:>10} {:>14} {:>18}",
        "source", "seconds", "items/s", "bare HTTP/s", "vs bare HTTP"
    );
    for case in cases(&base) {
        // Baseline: the same number of pages, fetched and dropped.
        let client = reqwest::Client::new();
        let pages = n.div_ceil(per_page(case.platform));
        let t = Instant::now();
        for _ in 0..pages {
            let body = client
                .get(format!("{base}{}", case.path))
                .send()
                .await?
                .bytes()
                .await?;
            std::hint::black_box(body);
        }
        let bare = n as f64 / t.elapsed().as_secs_f64();

        let dir = tempfile::Builder::new()
            .prefix("simak-bench-src")
            .tempdir()?;
        let log = EmbeddedLog::open(&dir.path().join("log"), 3, true, Duration::from_millis(5))?;
        let producer = Producer::Embedded(log.producer("m")?);
        let store = CursorStore::new(&dir.path().join("sources"), 2 * n);
        let name = case.source.name().to_string();
        let mut st = store.load(&name)?;
        st.cursor = case.cursor.clone();
        store.save(&name, &st)?;
        let token = CancellationToken::new();
        let t = Instant::now();
        let h = tokio::spawn(simak_ingest::scheduler::drive(
            case.source,
            producer,
            store.clone(),
            Duration::from_secs(1),
            token.clone(),
        ));
        let health = store.health_dir();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let hl = simak_ingest::health::load(&health, &name);
            if hl.items_total as usize >= n || t.elapsed() > Duration::from_secs(300) {
                break;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        token.cancel();
        h.await?;
        let got = simak_ingest::health::load(&health, &name).items_total;
        let rate = got as f64 / secs;
        println!(
            "{:<10} {:>9.2} {:>10.0} {:>14.0} {:>17.2}x{}",
            case.platform,
            secs,
            rate,
            bare,
            rate / bare,
            if got as usize == n {
                String::new()
            } else {
                format!("  (only {got} of {n})")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
