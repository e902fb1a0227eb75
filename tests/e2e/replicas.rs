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
/// the total, the facet counts, the order of the hits' dates and, when the page holds every
/// match, the set of ids. Hits with the same date may come in another order and a page may cut
/// such a tie elsewhere: ties follow each index's own layout.
fn answer(v: &Value) -> (u64, Value, Vec<String>, Vec<String>) {
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    let total = v["total"].as_u64().unwrap_or(u64::MAX);
    let mut ids: Vec<String> = if total as usize <= hits.len() {
        hits.iter()
            .map(|h| h["id"].as_str().unwrap_or("").to_string())
            .collect()
    } else {
        Vec::new()
    };
    ids.sort();
    let dates = hits
        .iter()
        .map(|h| h["published_at"].as_str().unwrap_or("").to_string())
        .collect();
    (total, v["facets"].clone(), ids, dates)
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
                let r = http_get(format!("{}/api/search?{q}", app.base_url()))
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{q}: {}", r.status());
                got.push(answer(&r.json::<Value>().await.unwrap()));
            }
            assert!(got[0].0 > 0 && got[0].0 != u64::MAX, "{q}: no hits");
            if q.contains("laporan") || q.contains("warga5") {
                assert!(
                    !got[0].2.is_empty(),
                    "{q}: the page should hold every match"
                );
            }
            assert_eq!(got[0], got[1], "the replicas answer {q} differently");
        }
    });
}
