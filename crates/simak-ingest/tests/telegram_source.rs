//! The Telegram source against a local server answering as `t.me/s/<channel>` does: HTML
//! pages of ~20 posts with views, edits and replies, `?before=` paging, and a 429, a 503, a
//! timeout, a truncated page and an error page, while new posts keep arriving. After the
//! failures and a restart in the middle of a sweep, every post the server offered is in the log
//! exactly once. A channel without a public preview is reported and not retried.

mod common;
use common::{serve, stall, truncate, Bench, Fault, Platform};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use simak_core::config::TelegramConfig;
use simak_ingest::health::State as HState;
use simak_ingest::telegram::TelegramChannel;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Replay {
    platform: Platform,
    total: usize,
    private_requests: usize,
}

fn post(i: usize) -> String {
    let id = i + 1;
    let t = chrono::DateTime::from_timestamp(1_790_000_000 + i as i64 * 60, 0)
        .unwrap()
        .to_rfc3339();
    let reply = if i % 4 == 1 {
        format!("<a class=\"tgme_widget_message_reply\" href=\"https://t.me/humas_sukamaju/{i}\"><div class=\"tgme_widget_message_author accent_color\"><span class=\"tgme_widget_message_author_name\">Humas Sukamaju</span></div><div class=\"tgme_widget_message_metatext js-message_reply_text\" dir=\"auto\">pesan sebelumnya</div></a>")
    } else {
        String::new()
    };
    let edited = if i.is_multiple_of(5) { "edited " } else { "" };
    format!(
        r#"<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="humas_sukamaju/{id}" data-view="eyJjIjoxfQ">
<div class="tgme_widget_message_user"><a href="https://t.me/humas_sukamaju"><i class="tgme_widget_message_user_photo bgcolor0" data-content="H"></i></a></div>
<div class="tgme_widget_message_bubble"><i class="tgme_widget_message_bubble_tail"></i>
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/humas_sukamaju"><span dir="auto">Humas Pemkab Sukamaju</span></a></div>
{reply}<div class="tgme_widget_message_text js-message_text" dir="auto">Info {i}: layanan &lt;KTP&gt; buka pukul 08.00 <b>WIB</b>.<br/>Terima kasih.</div>
<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">{views}</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date" href="https://t.me/humas_sukamaju/{id}"><time datetime="{t}" class="time">08:00</time></a></span>
</div></div></div></div></div>"#,
        views = if i.is_multiple_of(2) {
            format!("{}.{}K", 1 + i % 9, i % 10)
        } else {
            format!("{}", 100 + i)
        },
    )
}

fn page_html(posts: &[usize]) -> String {
    let body: String = posts.iter().rev().map(|i| post(*i)).collect();
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Humas Pemkab Sukamaju – Telegram</title></head><body class="widget_frame_base tgme_webpreview_body">
<header class="tgme_header"></header><main class="tgme_main"><div class="tgme_container">
<div class="tgme_channel_info"><div class="tgme_channel_info_header"><div class="tgme_channel_info_header_title"><span dir="auto">Humas Pemkab Sukamaju</span></div></div></div>
<section class="tgme_channel_history js-message_history">{body}</section></div></main></body></html>"#
    )
}

async fn preview(
    State(st): State<Arc<Mutex<Replay>>>,
    Path(channel): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if channel == "private_ch" {
        st.lock().unwrap().private_requests += 1;
        return (StatusCode::FOUND, [("location", "https://t.me/private_ch")]).into_response();
    }
    assert_eq!(channel, "humas_sukamaju");
    let (fault, body) = {
        let mut g = st.lock().unwrap();
        let total = g.total;
        let (_, fault) = g.platform.request(&q, 30, 25, total);
        // `before=<message id>`: posts with smaller ids; message id = index + 1.
        let before = q.get("before").map(|b| b.parse::<usize>().unwrap() - 1);
        let page = g.platform.page(before, 20);
        let body = page_html(&page);
        if fault.is_none() {
            g.platform.offered.extend(page);
        }
        (fault, body)
    };
    match fault {
        Some(Fault::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "Too Many Requests",
        )
            .into_response(),
        Some(Fault::Unavailable) => (
            StatusCode::BAD_GATEWAY,
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        Some(Fault::Timeout) => {
            stall().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Truncated) => (
            [("content-type", "text/html; charset=utf-8")],
            truncate(body),
        )
            .into_response(),
        Some(Fault::Malformed) => (
            [("content-type", "text/html; charset=utf-8")],
            "<html><body><h1>Please wait...</h1></body></html>",
        )
            .into_response(),
        None => ([("content-type", "text/html; charset=utf-8")], body).into_response(),
    }
}

async fn start(total: usize) -> (String, Arc<Mutex<Replay>>) {
    let st = Arc::new(Mutex::new(Replay {
        platform: Platform::default(),
        total,
        private_requests: 0,
    }));
    let app = axum::Router::new()
        .route("/s/{channel}", get(preview))
        .with_state(st.clone());
    (format!("http://{}", serve(app).await), st)
}

fn source(base: &str, channel: &str) -> Box<dyn simak_ingest::Source> {
    let cfg = TelegramConfig {
        interval_secs: 1,
        timeout_secs: 1,
        max_pages: 20,
        base_url: base.into(),
        channels: vec![channel.into()],
    };
    Box::new(TelegramChannel::new(
        channel,
        &cfg,
        simak_ingest::http_client_no_redirects("test", 1).unwrap(),
    ))
}

#[tokio::test]
async fn failures_and_a_restart_lose_and_repeat_nothing() {
    const TOTAL: usize = 400;
    let (base, st) = start(TOTAL).await;
    let bench = Bench::new();
    let s = st.clone();
    let saved = bench
        .run_to_mid_sweep(
            source(&base, "humas_sukamaju"),
            "telegram:humas_sukamaju",
            move || s.lock().unwrap().platform.requests,
        )
        .await;
    let before = st.lock().unwrap().platform.params.len();
    let s = st.clone();
    bench
        .run_to_since(
            source(&base, "humas_sukamaju"),
            "telegram:humas_sukamaju",
            TOTAL as i64,
            move || s.lock().unwrap().platform.published == TOTAL,
        )
        .await;
    {
        let g = st.lock().unwrap();
        assert_eq!(
            g.platform.params[before].get("before").map(String::as_str),
            saved["page"].as_str(),
            "the restart resumed at the page it stopped at"
        );
        // The first page held the newest 20 of 30.
        let want: BTreeSet<usize> = (10..TOTAL).collect();
        assert_eq!(g.platform.offered, want, "nothing skipped");
    }
    bench
        .assert_exactly_once(
            &(10..TOTAL)
                .map(|i| format!("telegram:humas_sukamaju/{}", i + 1))
                .collect(),
        )
        .await;
    let h = bench.health("telegram:humas_sukamaju");
    assert!(h.rate_limited_total >= 1 && h.errors_total >= 3, "{h:?}");
    assert_ne!(
        h.state,
        HState::NeedsAttention,
        "one error page does not stop the source"
    );
}

#[tokio::test]
async fn a_channel_without_preview_is_reported_and_not_retried() {
    let (base, st) = start(10).await;
    let bench = Bench::new();
    let token = tokio_util::sync::CancellationToken::new();
    let h = tokio::spawn(simak_ingest::scheduler::drive(
        source(&base, "private_ch"),
        bench.producer.clone(),
        bench.store.clone(),
        Duration::from_millis(100),
        token.clone(),
    ));
    // The driver returns on its own: the source is stopped, not retried.
    tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .expect("the source stops")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(st.lock().unwrap().private_requests, 1);
    let health = bench.health("telegram:private_ch");
    assert_eq!(health.state, HState::NeedsAttention);
    assert!(health
        .last_error_message
        .unwrap()
        .contains("no public preview"),);
    assert!(health.next_fetch_at.is_none());
}
