//! Mentions flow for real: import → Kafka → analyzer → Kafka → indexer → search (HTTP and CLI).

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

const DOCS: &str = r#"{"id":"p:1","source":"x","text":"Jalan rusak parah di depan kantor Pemkab Sukamaju, mohon diperbaiki","published_at":"2026-11-20T08:00:00+07:00","author":{"handle":"Warga_Satu"}}
{"id":"p:2","source":"rss","title":"Banjir","text":"Banjir merendam tiga desa di Kecamatan Sukamaju sejak semalam","published_at":"2026-11-21T09:00:00+07:00","url":"https://berita.example.id/banjir"}
{"id":"p:3","source":"x","text":"The regency government opened a new public library downtown today","published_at":"2026-11-22T10:00:00+07:00"}
{"id":"p:4","source":"mastodon","text":"Pelayanan jalan tol dan jalan desa rusak, kantor dinas diam saja","published_at":"2026-11-19T07:00:00+07:00"}
{"id":"p:5","source":"x","text":"<script>alert('xss')</script> <img src=x onerror=alert(1)> jalan rusak","published_at":"2026-11-18T07:00:00+07:00"}
"#;

async fn get(url: &str) -> (u16, Value) {
    let r = crate::harness::http_get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_import_analyze_index_search() {
    let broker = Broker::start();
    let app = App::new(Some(&broker.addr), "");
    let _analyzer = app.spawn(&["analyze"]);
    let _indexer = app.spawn(&["index"]);
    let _server = app.spawn(&["serve"]);
    let out = app.import(DOCS);
    assert_ok(&out);
    let base = app.base_url();
    let all = {
        let mut last = Value::Null;
        for _ in 0..600 {
            if let Ok(r) = crate::harness::http_get(format!("{base}/api/search?q=*")).await {
                last = r.json().await.unwrap_or(Value::Null);
                if last["total"] == 5 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        last
    };
    assert_eq!(all["total"], 5, "{all}\n{}", app.logs());
    // Newest first by default.
    assert_eq!(ids(&all), ["p:3", "p:2", "p:1", "p:4", "p:5"]);
    // The analyzer set the language.
    let langs = &all["facets"]["lang"];
    assert_eq!(langs["en"], 1, "{langs}");
    assert_eq!(langs["id"], 4, "{langs}");
    assert_eq!(all["facets"]["source"]["x"], 3);
    // Every mention got a sentiment, and the one about the Pemkab matched its watch profile.
    let sentiments: u64 = all["facets"]["sentiment"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sentiments, 5, "{all}");
    assert_eq!(all["facets"]["profile"]["pemkab-sukamaju"], 1, "{all}");
    let (_, r) = get(&format!("{base}/api/search?q=*&profile=pemkab-sukamaju")).await;
    assert_eq!(ids(&r), ["p:1"]);
    // The road complaint is the public works office's business too (its shipped profile).
    assert_eq!(
        r["hits"][0]["profiles"],
        serde_json::json!(["dpupr-sukamaju", "pemkab-sukamaju"])
    );
    // The sentiment filter finds p:1 under its own label, and only under it.
    let label = r["hits"][0]["sentiment"]["label"]
        .as_str()
        .unwrap()
        .to_string();
    for other in ["negative", "neutral", "positive"] {
        let (_, r) = get(&format!("{base}/api/search?q=*&sentiment={other}&lang=id")).await;
        assert_eq!(ids(&r).contains(&"p:1".to_string()), other == label, "{r}");
    }

    // The whole result set exports, not one page: JSONL and CSV, newest first.
    let text = |url: String| async move {
        let r = crate::harness::http_get(url).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (s, jsonl) = text(format!("{base}/api/export?q=*&format=jsonl&limit=1")).await;
    assert_eq!(s, 200);
    let exported: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        exported
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["p:3", "p:2", "p:1", "p:4", "p:5"]
    );
    let (s, csv) = text(format!("{base}/api/export?q=jalan")).await;
    assert_eq!(s, 200);
    assert!(csv.starts_with("id,published_at,source,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    assert!(
        csv.contains("<script>alert('xss')</script>"),
        "CSV keeps the text as it was"
    );
    let (s, bad) = text(format!("{base}/api/export?q=%22unclosed")).await;
    assert_eq!(s, 400, "{bad}");
    let (s, _) = text(format!("{base}/api/export?format=xlsx")).await;
    assert_eq!(s, 400);

    // Terms are ANDed; phrases are exact; proximity allows words between.
    let (_, r) = get(&format!("{base}/api/search?q=jalan%20rusak")).await;
    assert_eq!(r["total"], 3);
    let (_, r) = get(&format!("{base}/api/search?q=%22jalan%20rusak%22")).await;
    assert_eq!(ids(&r), ["p:1", "p:5"], "p:4 has the words apart");
    let (_, r) = get(&format!("{base}/api/search?q=%22parah%20kantor%22~2")).await;
    assert_eq!(ids(&r), ["p:1"], "proximity");
    let (_, r) = get(&format!("{base}/api/search?q=%22parah%20kantor%22")).await;
    assert_eq!(r["total"], 0, "exact phrase does not match words apart");
    let (_, r) = get(&format!(
        "{base}/api/search?q=banjir%20OR%20library&sort=relevance"
    ))
    .await;
    assert_eq!(r["total"], 2);
    assert!(r["hits"][0]["score"].as_f64().unwrap() > 0.0);
    let (_, r) = get(&format!("{base}/api/search?q=jalan%20-pemkab")).await;
    assert_eq!(ids(&r), ["p:4", "p:5"]);
    // Filters.
    let (_, r) = get(&format!("{base}/api/search?q=*&source=x&lang=id")).await;
    assert_eq!(ids(&r), ["p:1", "p:5"]);
    let (_, r) = get(&format!(
        "{base}/api/search?q=*&since=2026-11-20&until=2026-11-22"
    ))
    .await;
    assert_eq!(ids(&r), ["p:2", "p:1"]);
    let (_, r) = get(&format!("{base}/api/search?q=author:warga_satu")).await;
    assert_eq!(ids(&r), ["p:1"], "author handles match case-insensitively");
    let (_, r) = get(&format!("{base}/api/search?q=*&limit=2&offset=2")).await;
    assert_eq!(ids(&r), ["p:1", "p:4"]);
    assert_eq!(r["total"], 5);
    // Highlights mark matches and escape markup from the post.
    let (_, r) = get(&format!("{base}/api/search?q=banjir")).await;
    assert!(r["hits"][0]["highlight"]
        .as_str()
        .unwrap()
        .contains("<b>Banjir</b>"));
    let (_, r) = get(&format!("{base}/api/search?q=xss")).await;
    let h = r["hits"][0]["highlight"].as_str().unwrap();
    assert!(!h.contains("<script") && !h.contains("<img"), "{h}");
    assert!(h.contains("&lt;script&gt;"), "{h}");

    // Malformed queries are 400 with a message, never 500.
    for (q, want) in [
        ("%22unclosed", "syntax"),
        ("nofield:x", "unknown field `nofield`"),
        ("-pemkab", "only excludes"),
    ] {
        let (status, r) = get(&format!("{base}/api/search?q={q}")).await;
        assert_eq!(status, 400, "{q}: {r}");
        assert_eq!(r["error"]["code"], "bad_query");
        assert!(
            r["error"]["message"].as_str().unwrap().contains(want),
            "{q}: {r}"
        );
    }
    for (params, want) in [
        ("q=x&since=kemarin", "since"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=abc", "limit"),
        (
            "q=x&sentiment=AAA",
            "sentiment \"AAA\" is not one of: negative, neutral, positive",
        ),
        ("q=x&lang=xx", "lang \"xx\" is not one of"),
        ("q=x&sort=popular", "sort"),
        ("q=x&since=2026-11-22&until=2026-11-20", "before"),
    ] {
        let (status, r) = get(&format!("{base}/api/search?{params}")).await;
        assert_eq!(status, 400, "{params}: {r}");
        assert!(
            r["error"]["message"].as_str().unwrap().contains(want),
            "{params}: {r}"
        );
    }

    // The CLI gives the same results, and exit status 2 on a bad query.
    let out = app.run(&["search", "banjir", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&v), ["p:2"]);
    let out = app.run(&["search", "\"unclosed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad query"));
    let out = app.run(&["search", "jalan", "--source", "mastodon"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("1 mentions"), "{text}");
}

/// The index keeps its place in a Kafka cluster reached under another broker address: it names
/// the cluster by the id the brokers report, not by `bus.brokers` (changing that once forced a
/// full reindex).
#[tokio::test(flavor = "multi_thread")]
async fn kafka_index_keeps_its_place_when_the_broker_list_changes() {
    let broker = Broker::start();
    let app = App::new(Some(&broker.addr), "");
    let _analyzer = app.spawn(&["analyze"]);
    let mut indexer = app.spawn(&["index"]);
    assert_ok(&app.import(DOCS));
    let index = app.index_path();
    wait_for("5 mentions indexed", Duration::from_secs(60), || {
        (index.exists() && index_ids(&index).0 == 5).then_some(())
    });
    assert!(indexer.terminate().success(), "{}", app.logs());
    let log = app.dir.path().join("index.log");
    let started = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("indexer started")
            .count()
    };
    assert_eq!(started(), 1);

    // The same broker, by another name for the same address.
    let port = broker.addr.rsplit(':').next().unwrap();
    let other = format!("localhost:{port}");
    let _indexer = app.spawn_with(&["index"], &[("SIMAK_BUS__BROKERS", &other)]);
    wait_for(
        "the indexer to start again",
        Duration::from_secs(60),
        || (started() == 2).then_some(()),
    );
    let more = r#"{"id":"p:6","source":"x","text":"Lampu jalan di Jl. Merdeka mati sudah dua minggu","published_at":"2026-11-23T08:00:00+07:00"}
"#;
    assert_ok(&app.import(more));
    wait_for("the sixth mention indexed", Duration::from_secs(60), || {
        (index_ids(&index).0 == 6).then_some(())
    });
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("built from another log"),
        "the indexer started the cluster again from the beginning:\n{text}"
    );
    assert!(text.contains("kafka-cluster:"), "{text}");
}
