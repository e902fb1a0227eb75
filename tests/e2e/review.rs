//! The hoax loop on a running `simak run`: a fact-check imported while it runs is used at once,
//! a post spreading it reaches the review queue, an officer clarifies it, and the clarification
//! becomes a fact-check that flags the next post.

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

const FACTCHECK: &str = "{\"id\":\"tbh-77\",\"claim\":\"Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp\",\"verdict\":\"hoaks\",\"url\":\"https://cekfakta.example.id/77\",\"source\":\"cekfakta\"}\n";

async fn get(url: &str) -> (u16, Value) {
    match crate::harness::http_get(url).await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

async fn poll(what: &str, app: &App, mut f: impl AsyncFnMut() -> Option<Value>) -> Value {
    for _ in 0..300 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}\n{}", app.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn factcheck_stream_review_queue_and_clarification() {
    let app = App::new(None, "");
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    poll("the server", &app, async || {
        let (s, v) = get(&format!("{base}/api/review")).await;
        (s == 200).then_some(v)
    })
    .await;

    // Imported while the pipeline runs: the analyzer follows the fact-check stream.
    let out = with_stdin(app.cmd(&["factcheck", "import", "-"]), FACTCHECK);
    assert_ok(&out);
    app.wait_analyzer_factchecks(1);

    let posts = concat!(
        "{\"id\":\"x:1\",\"source\":\"x\",\"text\":\"SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp\",\"published_at\":\"2026-11-20T08:00:00+07:00\"}\n",
        "{\"id\":\"x:2\",\"source\":\"x\",\"text\":\"Pemkab Sukamaju membagikan bantuan tunai 5 juta untuk warga yang mendaftar lewat tautan WhatsApp, buruan\",\"published_at\":\"2026-11-20T08:05:00+07:00\"}\n",
        "{\"id\":\"x:3\",\"source\":\"x\",\"text\":\"Jalan di depan kantor Pemkab Sukamaju rusak, mohon diperbaiki\",\"published_at\":\"2026-11-20T09:00:00+07:00\"}\n",
    );
    let out = app.import(posts);
    assert_ok(&out);

    let case_id = "pemkab-sukamaju:fc:tbh-77";
    let list = poll("the case with both posts", &app, async || {
        let (_, v) = get(&format!("{base}/api/review?profile=pemkab-sukamaju")).await;
        let c = v["cases"]
            .as_array()?
            .iter()
            .find(|c| c["id"] == case_id)?
            .clone();
        (c["mentions"] == 2).then_some(v)
    })
    .await;
    let cases = list["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "the ordinary post is not a case: {list}");
    assert_eq!(cases[0]["state"], "new");
    assert_eq!(cases[0]["label"], "known_hoax");

    // Bad input: a clear error, exit status 2.
    let out = app.run(&["review", "act", case_id, "clarify", "--by", "humas"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("URL"));
    let out = app.run(&["review", "act", "nope", "take", "--by", "humas"]);
    assert_eq!(out.status.code(), Some(2));

    // The operator takes the case on the command line.
    let out = app.run(&["review", "act", case_id, "take", "--by", "operator-humas"]);
    assert_ok(&out);
    // Officers act through the API, each within its own OPD.
    let token_of = |user: &str, profile: &str, role: &str| {
        app.add_user(user, role, profile, None, "kata-sandi-kantor");
        app.token(user)
    };
    let kabid = token_of("kabid-ikp", "pemkab-sukamaju", "officer");
    let other = token_of("humas-kominfo", "diskominfo-sukamaju", "officer");
    let viewer = token_of("pimpinan", "pemkab-sukamaju", "viewer");
    let act = |token: String, body: Value| {
        let url = format!("{base}/api/review/{}/actions", case_id.replace(':', "%3A"));
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let confirm = serde_json::json!({"action": "confirm", "note": "dicek ke Dinsos"});
    let (s, v) = act(other, confirm.clone()).await;
    assert_eq!(
        (s, &v["error"]["code"]),
        (404, &Value::from("not_found")),
        "another OPD: its case answers as one that does not exist"
    );
    let (s, _) = act(viewer, confirm.clone()).await;
    assert_eq!(s, 403, "a viewer");
    let (s, v) = act(kabid.clone(), serde_json::json!({"action": "clarify"})).await;
    assert_eq!(
        (s, &v["error"]["code"]),
        (400, &Value::from("bad_request")),
        "clarify needs a URL: {v}"
    );
    let (s, v) = act(kabid.clone(), confirm).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["case"]["state"], "confirmed");
    let (s, v) = act(
        kabid,
        serde_json::json!({"action": "clarify", "url": "https://sukamajukab.go.id/klarifikasi/bantuan-5-juta",
            "note": "Pemkab tidak membuka pendaftaran bantuan lewat WhatsApp"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["factcheck"]["id"]
        .as_str()
        .unwrap()
        .starts_with("klarifikasi:"));
    let audit = String::from_utf8_lossy(&app.run(&["user", "audit"]).stdout).to_string();
    assert!(
        audit.contains("review.confirm")
            && audit.contains("review.clarify")
            && audit.contains("kabid-ikp"),
        "{audit}"
    );
    let (s, one) = get(&format!(
        "{base}/api/review/{}",
        case_id.replace(':', "%3A")
    ))
    .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["case"]["state"], "clarified");
    assert_eq!(
        one["case"]["clarification_url"],
        "https://sukamajukab.go.id/klarifikasi/bantuan-5-juta"
    );
    let who: Vec<&str> = one["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["operator-humas", "kabid-ikp", "kabid-ikp"]);
    let (s, missing) = get(&format!("{base}/api/review/nope")).await;
    assert_eq!(
        (s, &missing["error"]["code"]),
        (404, &Value::from("not_found"))
    );
    let (s, bad) = get(&format!("{base}/api/review?state=done")).await;
    assert_eq!(
        (s, &bad["error"]["code"]),
        (400, &Value::from("bad_request"))
    );
    // A page of nothing was answered as an empty list (review) or as a page of one (fact-checks).
    for path in ["/api/review?limit=0", "/api/factchecks?limit=0"] {
        let (s, bad) = get(&format!("{base}{path}")).await;
        assert_eq!(
            (s, &bad["error"]["code"]),
            (400, &Value::from("bad_request")),
            "{path}: {bad}"
        );
    }

    // The clarification is a fact-check now: the next copy of the post matches it.
    let out = app.import(
        "{\"id\":\"x:4\",\"source\":\"x\",\"text\":\"SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp!!\",\"published_at\":\"2026-11-20T10:00:00+07:00\"}\n",
    );
    assert!(out.status.success());
    let hit = poll("the new post in the index", &app, async || {
        let (_, v) = get(&format!("{base}/api/search?q=*&limit=10")).await;
        v["hits"]
            .as_array()?
            .iter()
            .find(|h| h["id"] == "x:4")
            .cloned()
    })
    .await;
    let ids: Vec<&str> = hit["hoax"]["matches"]
        .as_array()
        .unwrap_or_else(|| panic!("{hit}"))
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"klarifikasi:pemkab-sukamaju:fc:tbh-77"),
        "{ids:?} {hit}"
    );

    // Decisions export as labels.
    let out = app.run(&["review", "export"]);
    let labels: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(labels
        .iter()
        .all(|l| l["label"] == "hoax" && l["decided_by"] == "kabid-ikp"));
}

const WP_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
	<title>TurnBackHoax</title>
	<atom:link href="https://turnbackhoax.example.id/feed/" rel="self" type="application/rss+xml" />
	<link>https://turnbackhoax.example.id</link>
	<description>Fakta atau hoaks?</description>
	<lastBuildDate>Sun, 22 Nov 2026 03:00:00 +0000</lastBuildDate>
	<language>id-ID</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<generator>https://wordpress.org/?v=6.6</generator>
	<item>
		<title>[HOAKS] Air PDAM Sukamaju Tercemar Racun dan Tidak Boleh Diminum</title>
		<link>https://turnbackhoax.example.id/2026/11/22/hoaks-air-pdam-sukamaju/?utm_source=rss</link>
		<dc:creator><![CDATA[Tim Cek Fakta]]></dc:creator>
		<pubDate>Sun, 22 Nov 2026 02:00:00 +0000</pubDate>
		<category><![CDATA[Hoaks]]></category>
		<guid isPermaLink="false">https://turnbackhoax.example.id/?p=90211</guid>
		<description><![CDATA[<p>Hasil uji laboratorium Dinas Kesehatan menyatakan air PDAM memenuhi baku mutu. &#8230;</p>]]></description>
		<content:encoded><![CDATA[<p><strong>Penjelasan:</strong> Hasil uji laboratorium Dinas Kesehatan menyatakan air PDAM memenuhi baku mutu.</p>]]></content:encoded>
	</item>
	<item>
		<title>Rapat Koordinasi Pemeriksa Fakta Se-Jawa Barat</title>
		<link>https://turnbackhoax.example.id/2026/11/21/rapat/</link>
		<pubDate>Sat, 21 Nov 2026 02:00:00 +0000</pubDate>
		<guid isPermaLink="false">https://turnbackhoax.example.id/?p=90200</guid>
		<description><![CDATA[<p>Kegiatan rutin.</p>]]></description>
	</item>
</channel>
</rss>"#;

#[tokio::test(flavor = "multi_thread")]
async fn factcheck_feed_items_flag_posts() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let app_server = axum::Router::new().route(
        "/feed/",
        axum::routing::get(move || {
            let h = h.clone();
            async move {
                use axum::response::IntoResponse;
                // The first answer is an outage with Retry-After, as a busy WordPress gives.
                if h.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [("retry-after", "1")],
                        "sedang pemeliharaan",
                    )
                        .into_response();
                }
                (
                    [("content-type", "application/rss+xml; charset=UTF-8")],
                    WP_FEED,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app_server).await.unwrap() });

    let app = App::new(
        None,
        &format!(
            "[sources]\nfactcheck_feeds = [{{ name = \"turnbackhoax\", url = \"http://{addr}/feed/\", interval_secs = 1 }}]\n"
        ),
    );
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    // The feed answers after its outage; its fact-check reaches the analyzers through the
    // stream. Posts analyzed before that are not flagged, so send a fresh copy until one is.
    let mut hit = Value::Null;
    for i in 0..30 {
        let id = format!("x:9-{i}");
        let out = app.import(&format!(
            "{{\"id\":\"{id}\",\"source\":\"x\",\"text\":\"Jangan minum air PDAM Sukamaju dulu, airnya tercemar racun dan tidak boleh diminum sampai ada pemberitahuan\",\"published_at\":\"2026-11-22T10:00:00+07:00\"}}\n"
        ));
        assert!(out.status.success());
        hit = poll("the post in the index", &app, async || {
            let (_, v) = get(&format!("{base}/api/search?q=*&limit=100")).await;
            v["hits"]
                .as_array()?
                .iter()
                .find(|h| h["id"] == id.as_str())
                .cloned()
        })
        .await;
        if hit["hoax"]["label"] == "known_hoax" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        hits.load(Ordering::SeqCst) >= 2,
        "the feed was fetched again after its outage"
    );
    let m = &hit["hoax"]["matches"][0];
    assert!(
        m["id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("turnbackhoax:u"),
        "{hit}"
    );
    assert_eq!(m["verdict"], "hoaks");
    assert_eq!(
        m["claim"],
        "Air PDAM Sukamaju Tercemar Racun dan Tidak Boleh Diminum"
    );
    assert_eq!(hit["hoax"]["label"], "known_hoax", "{hit}");
    assert_eq!(
        m["url"],
        "https://turnbackhoax.example.id/2026/11/22/hoaks-air-pdam-sukamaju/?utm_source=rss"
    );
}
