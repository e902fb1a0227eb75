//! The index's commit names the embedded log it read by the log's identity, not by topic alone:
//! after the log was deleted and made again (to free a full disk, or a data dir rebuilt while the
//! index lives elsewhere), the old byte offsets are not read as offsets into the new log, which
//! left the indexer waiting forever mid-record or skipping records, without an error.

use simak_bus::embedded::EmbeddedLog;
use simak_bus::{Bus, Offsets, Record};
use simak_core::config::IndexConfig;
use simak_index::{log_identity, Indexer, MentionSearcher};
use std::sync::Arc;
use std::time::Duration;

fn mention(id: &str) -> Record {
    Record {
        key: id.to_string(),
        value: serde_json::to_vec(&serde_json::json!({
            "id": id, "source": "x", "text": format!("laporan warga {id}"), "lang": "id",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        }))
        .unwrap(),
    }
}

/// Indexes everything `bus` holds on `topic` from where the index's commit says, as the
/// indexer stage does; returns the offsets it started from.
async fn index_all(bus: &Bus, index: &std::path::Path, topic: &str) -> Offsets {
    let (log, aliases) = log_identity(bus, topic).await;
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open_as(index, &cfg, &log, &aliases).unwrap();
    let start = ix.resume_offsets().clone();
    let Bus::Embedded(e) = bus else {
        unreachable!()
    };
    let mut c = e.assigned_consumer(topic, "indexer", &start).unwrap();
    loop {
        let got = c.poll(500, Duration::from_millis(100)).await.unwrap();
        if got.is_empty() {
            break;
        }
        ix.add_records(&got).unwrap();
    }
    ix.commit().unwrap();
    start
}

#[tokio::test]
async fn a_log_made_again_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let (root, index) = (dir.path().join("log"), dir.path().join("index"));
    let open = || Arc::new(EmbeddedLog::open(&root, 1, false, Duration::from_millis(5)).unwrap());

    let first = open();
    first
        .producer("e")
        .unwrap()
        .send((0..300).map(|i| mention(&format!("a{i}"))).collect())
        .await
        .unwrap();
    let bus = Bus::Embedded(first.clone());
    assert!(index_all(&bus, &index, "e").await.is_empty());
    // Reopened, the same log keeps its identity and the index goes on where it was.
    let again = Bus::Embedded(open());
    assert_eq!(
        log_identity(&again, "e").await,
        log_identity(&bus, "e").await
    );
    assert!(!index_all(&again, &index, "e").await.is_empty());
    drop((bus, again, first));

    // The log is deleted and made again: 120 new mentions, fewer bytes than the old offsets.
    std::fs::remove_dir_all(&root).unwrap();
    let second = open();
    second
        .producer("e")
        .unwrap()
        .send((0..120).map(|i| mention(&format!("b{i}"))).collect())
        .await
        .unwrap();
    let bus = Bus::Embedded(second);
    let started = index_all(&bus, &index, "e").await;
    assert!(started.is_empty(), "resumed a new log at {started:?}");
    let s = MentionSearcher::open(&index).unwrap();
    s.reload().unwrap();
    assert_eq!(s.num_docs(), 420, "every mention of both logs, once");
}

#[tokio::test]
async fn a_checkpoint_of_the_older_name_is_still_this_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(5)).unwrap());
    let (name, aliases) = log_identity(&Bus::Embedded(log.clone()), "e").await;
    assert_eq!(name, format!("embedded:{}:e", log.id()));
    assert_eq!(aliases, ["embedded:e"]);
    // A backup's copy of the log carries its identity.
    let copy = tempfile::tempdir().unwrap();
    log.snapshot_to(&copy.path().join("log")).unwrap();
    let restored =
        EmbeddedLog::open(&copy.path().join("log"), 1, false, Duration::from_millis(5)).unwrap();
    assert_eq!(restored.id(), log.id());
    let other = tempfile::tempdir().unwrap();
    let other = EmbeddedLog::open(other.path(), 1, false, Duration::from_millis(5)).unwrap();
    assert_ne!(other.id(), log.id());
}
