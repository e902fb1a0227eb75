//! The Google News source against a local server answering as `news.google.com/rss/search`
//! does: an RSS window of the newest articles whose links are Google's, some carrying the
//! publisher URL in the article id, some redirecting to it, one resolving neither way. Each
//! article gets the same mention id as from the publisher's own feed; a 503 and a truncated
//! feed lose nothing; a window that is wholly new records a gap.

mod common;
use common::{drain, drain_mentions, serve, Bench};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use simak_core::config::{GoogleNewsConfig, NamedQuery, RssConfig};
use simak_ingest::googlenews::GoogleNews;
use simak_ingest::Source;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Replay {
    requests: usize,
    /// The feed shows articles window.0..window.1.
    window: (usize, usize),
    offered: BTreeSet<usize>,
}

fn publisher(i: usize) -> String {
    format!("https://berita.example.id/daerah/{i}-sukamaju?utm_source=googlenews")
}

fn google_link(base: &str, i: usize) -> String {
    match i % 3 {
        // Older ids: the URL inside a base64 protobuf.
        0 => {
            let url = publisher(i);
            let mut pb = vec![0x08, 0x13, 0x22, url.len() as u8];
            pb.extend_from_slice(url.as_bytes());
            pb.extend_from_slice(&[0xd2, 0x01, 0x00]);
            format!(
                "https://news.google.com/rss/articles/{}?oc=5",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pb)
            )
        }
        // Newer ids: resolved by Google's redirect.
        1 => format!("{base}/rss/articles/AU_yqLr{i}?oc=5"),
        // Resolves neither way.
        _ => format!("{base}/rss/articles/CBMiXopaque{i}?oc=5"),
    }
}

fn item(base: &str, i: usize) -> String {
    let t = chrono::DateTime::from_timestamp(1_790_000_000 + i as i64 * 600, 0)
        .unwrap()
        .to_rfc2822();
    format!("<item><title>Pemkab Sukamaju perbaiki jalan, tahap {i} - Berita Daerah</title><link>{}</link><guid isPermaLink=\"false\">CBMi{i}</guid><pubDate>{t}</pubDate><description>&lt;a href=\"{}\" target=\"_blank\"&gt;Pemkab Sukamaju perbaiki jalan, tahap {i}&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color=\"#6f6f6f\"&gt;Berita Daerah&lt;/font&gt;</description><source url=\"https://berita.example.id\">Berita Daerah</source></item>", google_link(base, i).replace('&', "&amp;"), google_link(base, i).replace('&', "&amp;"))
}

fn feed(base: &str, items: impl Iterator<Item = usize>) -> String {
    let body: String = items.map(|i| item(base, i)).collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><generator>NFE/5.0</generator><title>\"Pemkab Sukamaju\" - Google News</title><link>https://news.google.com/search?q=%22Pemkab+Sukamaju%22&amp;hl=id&amp;gl=ID&amp;ceid=ID:id</link><language>id</language><description>Google News</description>{body}</channel></rss>")
}

type S = Arc<Mutex<(Replay, String)>>;

async fn search(State(st): State<S>, Query(q): Query<HashMap<String, String>>) -> Response {
    assert_eq!(q.get("hl").map(String::as_str), Some("id"));
    assert_eq!(q.get("gl").map(String::as_str), Some("ID"));
    assert_eq!(q.get("ceid").map(String::as_str), Some("ID:id"));
    assert_eq!(
        q.get("q").map(String::as_str),
        Some("\"Pemkab Sukamaju\" OR Sukamaju")
    );
    let mut g = st.lock().unwrap();
    let base = g.1.clone();
    let r = &mut g.0;
    r.requests += 1;
    let (a, b) = r.window;
    let body = feed(&base, (a..b).rev());
    match r.requests {
        2 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        3 => {
            let mut t = body;
            t.truncate(t.len() / 2);
            ([("content-type", "application/rss+xml; charset=utf-8")], t).into_response()
        }
        _ => {
            r.offered.extend(a..b);
            (
                [("content-type", "application/rss+xml; charset=utf-8")],
                body,
            )
                .into_response()
        }
    }
}

async fn article(Path(id): Path<String>) -> Response {
    if let Some(i) = id.strip_prefix("AU_yqLr") {
        let i: usize = i.parse().unwrap();
        return (StatusCode::FOUND, [("location", publisher(i))]).into_response();
    }
    // What Google serves for ids it resolves in the browser: a page, no redirect.
    (
        [("content-type", "text/html")],
        "<html><body><c-wiz></c-wiz></body></html>",
    )
        .into_response()
}

#[tokio::test]
async fn articles_resolve_to_publisher_ids_and_nothing_is_lost() {
    let st: S = Arc::new(Mutex::new((
        Replay {
            window: (0, 12),
            ..Default::default()
        },
        String::new(),
    )));
    let app = axum::Router::new()
        .route("/rss/search", get(search))
        .route("/rss/articles/{id}", get(article))
        .with_state(st.clone());
    let base = format!("http://{}", serve(app).await);
    st.lock().unwrap().1 = base.clone();
    let rss = RssConfig {
        timeout_secs: 2,
        ..Default::default()
    };
    let cfg = GoogleNewsConfig {
        interval_secs: 1,
        base_url: base.clone(),
        ..Default::default()
    };
    let q = NamedQuery {
        name: "pemkab".into(),
        query: "\"Pemkab Sukamaju\" OR Sukamaju".into(),
        subreddit: None,
    };
    let bench = Bench::new();
    let make =
        || Box::new(GoogleNews::new(&q, &cfg, &rss, reqwest::Client::new())) as Box<dyn Source>;

    // Poll 1 takes 0..12; poll 2 fails (503), poll 3 is truncated, poll 4 takes 6..18.
    let s = st.clone();
    bench
        .run(make(), move || s.lock().unwrap().0.requests >= 1)
        .await;
    st.lock().unwrap().0.window = (6, 18);
    let s = st.clone();
    bench
        .run(make(), move || s.lock().unwrap().0.requests >= 4)
        .await;
    // Then a burst: the whole window is new, 40..52 — what was between is gone.
    st.lock().unwrap().0.window = (40, 52);
    let s = st.clone();
    bench
        .run(make(), move || s.lock().unwrap().0.requests >= 5)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let keys = drain(&bench.log).await;
    // Google News is its own source (the search page's source filter and facet), even though
    // a resolved article's id is the publisher's, shared with its own feed.
    let mentions = drain_mentions(&bench.log).await;
    assert_eq!(mentions.len(), keys.len());
    assert!(
        mentions.iter().all(|m| m.source == "google_news"),
        "{:?}",
        mentions.iter().map(|m| &m.source).collect::<BTreeSet<_>>()
    );
    let uniq: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), uniq.len(), "no article twice");
    let offered = st.lock().unwrap().0.offered.clone();
    assert_eq!(keys.len(), offered.len(), "every offered article");

    // The same article from the publisher's own feed has the same id, for i % 3 != 2.
    let own: Vec<String> = offered
        .iter()
        .map(|i| {
            let body = format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Berita Daerah</title><item><title>t</title><link>{}</link><description>d</description></item></channel></rss>", publisher(*i).replace('&', "&amp;"));
            let m = simak_ingest::rss::parse_feed(body.as_bytes(), "https://berita.example.id/feed", "berita").unwrap();
            m[0].id.clone()
        })
        .collect();
    for (i, id) in offered.iter().zip(&own) {
        assert_eq!(keys.contains(id), i % 3 != 2, "article {i}");
    }
    let h = bench.health("google_news:pemkab");
    assert_eq!(h.gaps.len(), 1, "{h:?}");
    assert!(
        h.gaps[0].reason.contains("all 12 items"),
        "{}",
        h.gaps[0].reason
    );
    // The feed source takes a 503 as "come back later".
    assert_eq!((h.rate_limited_total, h.errors_total), (1, 1), "{h:?}");
}
