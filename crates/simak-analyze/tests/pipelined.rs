//! The analyzer stage on the embedded log with small batches, so that it runs pipelined (a
//! batch analyzed while the one before is written) on several workers: every mention comes out
//! once, each key's versions in the order they were read, and the group's offsets end at the end
//! of the input once the stream is quiet.

use simak_bus::{Bus, Record};
use simak_core::{Config, Mention};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn mention(id: &str, text: &str) -> Record {
    let m = serde_json::json!({
        "id": id, "source": "import", "text": text,
        "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
    });
    Record {
        key: id.to_string(),
        value: serde_json::to_vec(&m).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_workers_keep_each_keys_order_and_commit_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        data_dir: dir.path().join("data"),
        ..Default::default()
    };
    cfg.bus.brokers.clear();
    cfg.bus.partitions = 2;
    cfg.bus.embedded.fsync = false;
    cfg.analyzer.batch = 100;
    cfg.analyzer.workers = 3;
    cfg.analyzer.profiles_dir = dir.path().join("no-profiles");
    cfg.analyzer.gazetteer = dir.path().join("no-gazetteer.toml");
    let bus = Bus::open(&cfg).unwrap();
    bus.ensure_topic(&cfg.bus.topics.mentions).await.unwrap();
    // 8 keys, each in 50 versions (v0 … v49) produced in order, interleaved with each other:
    // a batch holds several versions of a key, and a key's versions span many batches.
    let producer = bus.producer(&cfg.bus.topics.mentions).unwrap();
    for v in 0..50 {
        let recs = (0..8)
            .map(|k| {
                mention(
                    &format!("import:{k}"),
                    &format!("laporan warga {k} versi v{v} jalan rusak belum diperbaiki"),
                )
            })
            .collect();
        producer.send(recs).await.unwrap();
    }
    let token = CancellationToken::new();
    let stage = {
        let (cfg, bus, token) = (cfg.clone(), bus.clone(), token.clone());
        tokio::spawn(async move {
            simak_analyze::run_analyzer(&cfg, &bus, &simak_runtime::Attempt::new(token)).await
        })
    };
    // Read the enriched topic until all 400 came, then wait for the group's commit.
    let mut out = bus
        .group_consumer(&cfg.bus.topics.enriched, "test-reader")
        .unwrap();
    let mut got: Vec<Mention> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < 400 {
        assert!(Instant::now() < deadline, "only {} enriched", got.len());
        for r in out.poll(500, Duration::from_millis(100)).await.unwrap() {
            got.push(Mention::from_json(&r.value).unwrap());
        }
    }
    // The runtime commits right after a write, before it looks at the token again.
    token.cancel();
    let stats = stage.await.unwrap().unwrap();
    assert_eq!((stats.forwarded, stats.rejected), (400, 0));
    // Nothing more than the 400.
    assert!(out
        .poll(500, Duration::from_millis(200))
        .await
        .unwrap()
        .is_empty());
    // The analyzer's group committed to the end of the input.
    let mut group = bus
        .group_consumer(&cfg.bus.topics.mentions, &cfg.bus.groups.analyzer)
        .unwrap();
    let left = group.poll(500, Duration::from_millis(200)).await.unwrap();
    assert!(left.is_empty(), "{} mentions left uncommitted", left.len());
    let mut versions: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for m in &got {
        assert_eq!(m.lang.as_deref(), Some("id"), "enriched: {m:?}");
        let v = m.text.split("versi v").nth(1).unwrap();
        let v = v.split(' ').next().unwrap().parse().unwrap();
        versions.entry(m.id.clone()).or_default().push(v);
    }
    assert_eq!(versions.len(), 8);
    for (id, vs) in versions {
        assert_eq!(
            vs,
            (0..50).collect::<Vec<_>>(),
            "versions of {id} out of order"
        );
    }
}
