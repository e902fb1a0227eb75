//! The scheduler's contract: dedupe by id, cursor saved only after the log acknowledged the
//! batch, resume from the saved cursor after a restart.

mod common;
use common::drain;

use simak_bus::embedded::EmbeddedLog;
use simak_bus::Producer;
use simak_core::{Author, Mention, Metrics};
use simak_ingest::cursor::CursorStore;
use simak_ingest::{Fetched, Source, SourceError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOTAL: usize = 300;

/// A platform that pages through 0..total, 3 at a time, overlapping one item each page (as
/// real APIs do around a cursor), and records the cursors it was asked with.
struct Paging {
    total: usize,
    asked: Arc<Mutex<Vec<Option<u64>>>>,
}

fn mention(i: usize) -> Mention {
    Mention {
        id: format!("fake:{i}"),
        source: "fake".into(),
        url: None,
        author: Author::default(),
        title: None,
        text: format!("item {i}"),
        published_at: chrono::Utc::now(),
        fetched_at: chrono::Utc::now(),
        lang: None,
        metrics: Metrics::default(),
        in_reply_to: None,
        sentiment: None,
        profiles: Vec::new(),
        complaint: None,
        extra: Default::default(),
    }
}

#[async_trait::async_trait]
impl Source for Paging {
    fn name(&self) -> &str {
        "fake:paging"
    }
    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let at = cursor.and_then(|c| c["next"].as_u64());
        self.asked.lock().unwrap().push(at);
        let start = at.unwrap_or(0) as usize;
        let from = start.saturating_sub(1);
        let end = (start + 3).min(self.total);
        Ok(Fetched {
            mentions: (from..end).map(mention).collect(),
            cursor: Some(serde_json::json!({ "next": end })),
            next_poll: Duration::from_millis(1),
            ..Default::default()
        })
    }
}

/// Drives a fresh source until its saved cursor satisfies `done` (or about 10 s pass), then
/// stops it.
async fn run_until(
    producer: &Producer,
    store: &CursorStore,
    asked: &Arc<Mutex<Vec<Option<u64>>>>,
    done: impl Fn(Option<u64>) -> bool,
) {
    let token = CancellationToken::new();
    let src = Box::new(Paging {
        total: TOTAL,
        asked: asked.clone(),
    });
    let h = tokio::spawn(simak_ingest::scheduler::drive(
        src,
        producer.clone(),
        store.clone(),
        Duration::from_secs(1),
        token.clone(),
    ));
    for _ in 0..5000 {
        let at = store
            .load("fake:paging")
            .unwrap()
            .cursor
            .map(|c| c["next"].as_u64().unwrap());
        if done(at) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    token.cancel();
    h.await.unwrap();
}

#[tokio::test]
async fn dedupes_and_resumes_from_the_saved_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let log =
        EmbeddedLog::open(&dir.path().join("log"), 2, false, Duration::from_millis(5)).unwrap();
    let producer = Producer::Embedded(log.producer("m").unwrap());
    let store = CursorStore::new(&dir.path().join("sources"), 1000);
    let asked = Arc::new(Mutex::new(Vec::new()));

    // First run: stop it once a few pages are in.
    run_until(&producer, &store, &asked, |at| at.is_some_and(|n| n >= 9)).await;
    let saved = store.load("fake:paging").unwrap().cursor.unwrap()["next"]
        .as_u64()
        .unwrap();
    assert!(
        saved >= 9 && saved < TOTAL as u64,
        "stopped mid-way at {saved}"
    );

    // Second run: resumes from the saved cursor, not from the start.
    let before = asked.lock().unwrap().len();
    run_until(&producer, &store, &asked, |at| at == Some(TOTAL as u64)).await;
    assert_eq!(asked.lock().unwrap()[before], Some(saved));

    let mut keys = drain(&log).await;
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(n, keys.len(), "the overlap between pages was dropped");
    assert_eq!(keys.len(), TOTAL, "every item once");
}
