//! Collection health on a running `simak run`: a Telegram channel and a Reddit search replayed
//! by a local server, and a channel without a public preview. Their posts are searchable;
//! `GET /api/sources` and `GET /metrics` report each source, and the channel without preview is
//! reported as needing attention, not retried.

use crate::harness::*;
use axum::response::IntoResponse;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TELEGRAM: &str = r#"<!DOCTYPE html><html><head><title>Humas Sukamaju</title></head><body>
<div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">Humas Sukamaju</span></div></div>
<section class="tgme_channel_history js-message_history">
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="humas_sukamaju/7"><div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_text js-message_text" dir="auto">Pelayanan perpustakaan keliling hadir di Kecamatan Sukamaju Utara hari Sabtu</div>
<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">2.5K</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/humas_sukamaju/7"><time datetime="2026-11-20T01:00:00+00:00" class="time">08:00</time></a></span></div></div></div></div></div>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="humas_sukamaju/8"><div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_text js-message_text" dir="auto">Jadwal vaksinasi &lt;script&gt;alert(1)&lt;/script&gt; di puskesmas perpustakaan</div>
<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">900</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/humas_sukamaju/8"><time datetime="2026-11-20T02:00:00+00:00" class="time">09:00</time></a></span></div></div></div></div></div>
</section></body></html>"#;

fn reddit_listing() -> Value {
    serde_json::json!({"kind": "Listing", "data": {"after": null, "before": null, "dist": 1, "children": [
        {"kind": "t3", "data": {"name": "t3_e2e1", "id": "e2e1", "created_utc": 1_790_000_000.0,
            "title": "Perpustakaan keliling Sukamaju", "selftext": "Ada yang sudah coba? Bukunya lengkap.",
            "author": "warga_e2e", "subreddit": "indonesia", "permalink": "/r/indonesia/comments/e2e1/perpustakaan/",
            "url": "https://www.reddit.com/r/indonesia/comments/e2e1/perpustakaan/", "score": 5, "num_comments": 2}}
    ]}})
}

async fn get(url: &str) -> (u16, String) {
    match crate::harness::http_get(url).await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sources_report_their_health_and_metrics() {
    let private_hits = Arc::new(AtomicU32::new(0));
    let p = private_hits.clone();
    let replay = axum::Router::new()
        .route(
            "/s/humas_sukamaju",
            axum::routing::get(|| async {
                ([("content-type", "text/html; charset=utf-8")], TELEGRAM).into_response()
            }),
        )
        .route(
            "/s/private_ch",
            axum::routing::get(move || {
                p.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        axum::http::StatusCode::FOUND,
                        [("location", "https://t.me/private_ch")],
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/search.json",
            axum::routing::get(|| async { axum::Json(reddit_listing()).into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, replay).await.unwrap() });

    let app = App::new(
        None,
        &format!(
            "[sources.telegram]\nbase_url = \"http://{addr}\"\ninterval_secs = 1\nchannels = [\"humas_sukamaju\", \"private_ch\"]\n\
             [sources.reddit]\nbase_url = \"http://{addr}\"\ninterval_secs = 1\nsearches = [{{ name = \"sukamaju\", query = \"sukamaju\" }}]\n"
        ),
    );
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    let mut found = Value::Null;
    for _ in 0..300 {
        let (_, body) = get(&format!("{base}/api/search?q=perpustakaan")).await;
        found = serde_json::from_str(&body).unwrap_or(Value::Null);
        if found["total"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["total"], 3, "{found}\n{}", app.logs());
    let sources: std::collections::BTreeSet<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["reddit", "telegram"].into_iter().collect());

    let (status, body) = get(&format!("{base}/api/sources")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let by_name = |n: &str| {
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} in {v}"))
    };
    let tg = by_name("telegram:humas_sukamaju");
    assert_eq!(tg["state"], "ok", "{tg}");
    assert_eq!(tg["items_total"], 2);
    assert!(tg["last_success"].is_string());
    assert_eq!(by_name("reddit:sukamaju")["items_total"], 1);
    let private = by_name("telegram:private_ch");
    assert_eq!(private["state"], "needs_attention", "{private}");
    assert!(private["last_error_message"]
        .as_str()
        .unwrap()
        .contains("no public preview"));
    assert_eq!(
        private["outages"].as_array().unwrap().len(),
        1,
        "its outage runs until now"
    );

    let (status, metrics) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "simak_source_items_total{source=\"telegram:humas_sukamaju\",platform=\"telegram\"} 2"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        "simak_source_state{source=\"telegram:private_ch\",platform=\"telegram\",state=\"needs_attention\"} 1"
    ));
    // `simak run` supervises every stage that reads the log, and says so in the same page.
    for stage in ["analyzer", "indexer", "alert rules", "review feeder"] {
        assert!(
            metrics.contains(&format!(
                "simak_stage_restarts_total{{stage=\"{stage}\"}} 0"
            )),
            "{stage}: {metrics}"
        );
    }
    // Stopped, not retried. Waiting for something not to happen: 2 s is two polling
    // intervals (interval_secs = 1) in which a retry would have come.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(private_hits.load(Ordering::SeqCst), 1);
}
