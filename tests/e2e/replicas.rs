//! Two search replicas on one Kafka stream, as separate processes: each its own `simak index`
//! (its own consumer group and index) and its own `simak serve`. One replica's indexer is killed
//! with SIGKILL in the middle of a stream of 20,000 mentions and restarted; afterwards both hold
//! exactly the mentions produced and answer the same queries alike over HTTP.

use crate::crash::{assert_exactly_once, stream_in_background, wait_mid_stream};
use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

/// Points `b`'s topics at `a`'s (its consumer groups stay its own): `b` becomes a replica of
/// the stream `a` ingests and analyzes.
fn read_topics_of(b: &App, a: &App) {
    let topics = |app: &App| -> Vec<String> {
        std::fs::read_to_string(&app.config)
            .unwrap()
            .lines()
            .filter(|l| {
                l.starts_with("mentions = ")
                    || l.starts_with("enriched = ")
                    || l.starts_with("factchecks = ")
            })
            .map(str::to_string)
            .collect()
    };
    let (from, to) = (topics(b), topics(a));
    assert_eq!(from.len(), 3, "the harness names three topics");
    let mut text = std::fs::read_to_string(&b.config).unwrap();
    for (f, t) in from.iter().zip(&to) {
        text = text.replace(f.as_str(), t);
    }
    std::fs::write(&b.config, text).unwrap();
}

/// What must be the same on two replicas holding the same mentions, whatever their segments:
/// the total, the facet counts, and the ids of the page in their order, also for a page that
/// does not hold every match and cuts through hits of one second (newest first follows an order
/// of the mentions themselves, not of each index's layout).
fn answer(v: &Value) -> (u64, Value, Vec<String>) {
    let total = v["total"].as_u64().unwrap_or(u64::MAX);
    (total, v["facets"].clone(), ids(v))
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["id"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn search(app: &App, q: &str) -> Value {
    let r = http_get(format!("{}/api/search?{q}", app.base_url()))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{q}: {}", r.status());
    r.json::<Value>().await.unwrap()
}

/// Every hit of `q` in pages of `limit`, following each page's cursor on the next replica of
/// `apps` in turn.
async fn page_through(apps: &[&App], q: &str, limit: usize, pages: usize) -> Vec<String> {
    let mut got = Vec::new();
    let mut cursor = String::new();
    for turn in 0..pages {
        let v = search(
            apps[turn % apps.len()],
            &format!("{q}&limit={limit}{cursor}"),
        )
        .await;
        got.extend(ids(&v));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    got
}

#[test]
fn two_replicas_answer_alike_after_one_is_killed_mid_stream() {
    let broker = Broker::start();
    let a = App::new(Some(&broker.addr), "");
    let b = App::new(Some(&broker.addr), "");
    read_topics_of(&b, &a);
    let _analyzer = a.spawn(&["analyze"]);
    let _index_a = a.spawn(&["index"]);
    let mut index_b = b.spawn(&["index"]);
    let feeder = stream_in_background(&a, "repl");
    let at_kill = wait_mid_stream(&b);
    index_b.kill9();
    eprintln!("killed replica b's indexer at {at_kill} indexed mentions");
    std::thread::sleep(Duration::from_millis(500));
    let _index_b = b.spawn(&["index"]);
    feeder.join().unwrap();
    assert_exactly_once(&a, "repl");
    assert_exactly_once(&b, "repl");

    let _serve_a = a.spawn(&["serve"]);
    let _serve_b = b.spawn(&["serve"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let queries = [
        "q=*&limit=20",
        "q=banjir&limit=50",
        "q=%22laporan%201234%22",
        "q=author:warga5%20AND%20antrean&limit=100",
        "q=pelayanan%20OR%20festival&limit=10",
    ];
    rt.block_on(async {
        for app in [&a, &b] {
            let url = format!("{}/api/search?q=*&limit=1", app.base_url());
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(r) = http_get(&url).await {
                    if r.status().is_success() {
                        break;
                    }
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "serve did not answer: {}",
                    app.logs()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        for q in queries {
            let mut got = Vec::new();
            for app in [&a, &b] {
                got.push(answer(&search(app, q).await));
            }
            assert!(got[0].0 > 0 && got[0].0 != u64::MAX, "{q}: no hits");
            if !q.contains("laporan") && !q.contains("warga5") {
                assert!(
                    got[0].0 as usize > got[0].2.len(),
                    "{q}: the page should not hold every match"
                );
            }
            assert_eq!(got[0], got[1], "the replicas answer {q} differently");
        }
        // Each hour of the stream holds ~170 mentions published in the same second: a cursor
        // taken from one replica continues on the other without repeats or gaps.
        let q = "q=author:warga5%20AND%20antrean";
        let all = ids(&search(&a, &format!("{q}&limit=1000")).await);
        assert!(all.len() > 20, "{q}: {} hits", all.len());
        assert_eq!(all, ids(&search(&b, &format!("{q}&limit=1000")).await));
        for limit in [3, 7] {
            assert_eq!(
                page_through(&[&a, &b], q, limit, 100).await,
                all,
                "a/b by {limit}"
            );
            assert_eq!(
                page_through(&[&b, &a], q, limit, 100).await,
                all,
                "b/a by {limit}"
            );
        }
        // The first pages of a query with thousands of hits, cut inside one second.
        let q = "q=banjir";
        let first = ids(&search(&a, &format!("{q}&limit=150")).await);
        assert_eq!(page_through(&[&a, &b], q, 50, 3).await, first);
        assert_eq!(page_through(&[&b, &a], q, 50, 3).await, first);
    });
}
