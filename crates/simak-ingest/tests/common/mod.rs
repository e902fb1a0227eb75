//! Helpers shared by the source tests.
#![allow(dead_code)]

use simak_bus::embedded::EmbeddedLog;
use simak_bus::Producer;
use simak_ingest::cursor::CursorStore;
use simak_ingest::Source;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Every key the sources wrote to topic `m`, in log order.
pub async fn drain(log: &EmbeddedLog) -> Vec<String> {
    let mut c = log.group_consumer("m", "check").unwrap();
    let mut out = Vec::new();
    loop {
        let got = c.poll(1000, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend(got.into_iter().map(|r| r.key));
    }
}

/// Every record on the mention topic of `log`, decoded, in order (a group of its own).
#[allow(dead_code)]
pub async fn drain_mentions(log: &EmbeddedLog) -> Vec<simak_core::Mention> {
    let mut c = log.group_consumer("m", "check-mentions").unwrap();
    let mut out = Vec::new();
    loop {
        let got = c.poll(1000, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend(
            got.into_iter()
                .map(|r| serde_json::from_slice(&r.value).expect("a mention")),
        );
    }
}

/// Serves `app` on a free local port.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A log, a producer on its topic `m` and a cursor store, in a temporary directory.
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub log: EmbeddedLog,
    pub producer: Producer,
    pub store: CursorStore,
}

impl Bench {
    pub fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let log =
            EmbeddedLog::open(&dir.path().join("log"), 2, false, Duration::from_millis(5)).unwrap();
        let producer = Producer::Embedded(log.producer("m").unwrap());
        let store = CursorStore::new(&dir.path().join("sources"), 100_000);
        Bench {
            dir,
            log,
            producer,
            store,
        }
    }

    /// Drives `source` until `done` holds (checked every 50 ms, at most 60 s), then stops it
    /// as a shutdown would.
    pub async fn run(&self, source: Box<dyn Source>, done: impl Fn() -> bool) {
        let token = CancellationToken::new();
        let h = tokio::spawn(simak_ingest::scheduler::drive(
            source,
            self.producer.clone(),
            self.store.clone(),
            Duration::from_secs(1),
            token.clone(),
        ));
        for _ in 0..1200 {
            if done() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        token.cancel();
        h.await.unwrap();
    }

    /// Drives `source` (named `name`) until `requests()` reaches 7 — past the rate limit, the
    /// 503 and the timeout of [`fault`] — and its saved cursor is in the middle of a sweep,
    /// stops it there, and returns that cursor.
    pub async fn run_to_mid_sweep(
        &self,
        source: Box<dyn Source>,
        name: &str,
        requests: impl Fn() -> usize,
    ) -> serde_json::Value {
        let store = self.store.clone();
        self.run(source, || {
            requests() >= 7 && store.load(name).unwrap().cursor.unwrap()["page"].is_string()
        })
        .await;
        self.cursor(name)
    }

    /// Drives `source` (named `name`) until `done()` holds and its saved sweep has reached
    /// `since`.
    pub async fn run_to_since(
        &self,
        source: Box<dyn Source>,
        name: &str,
        since: i64,
        done: impl Fn() -> bool,
    ) {
        let store = self.store.clone();
        self.run(source, || {
            done() && store.load(name).unwrap().cursor.unwrap()["since"] == since
        })
        .await;
    }

    /// The saved cursor of `name`.
    pub fn cursor(&self, name: &str) -> serde_json::Value {
        self.store
            .load(name)
            .unwrap()
            .cursor
            .unwrap_or(serde_json::Value::Null)
    }

    /// The health of `name`.
    pub fn health(&self, name: &str) -> simak_ingest::health::SourceHealth {
        simak_ingest::health::load(&self.store.health_dir(), name)
    }

    /// Asserts the log holds exactly `want`, each once.
    pub async fn assert_exactly_once(&self, want: &BTreeSet<String>) {
        let keys = drain(&self.log).await;
        let n = keys.len();
        let uniq: BTreeSet<String> = keys.into_iter().collect();
        assert_eq!(n, uniq.len(), "no item twice");
        let missing: Vec<_> = want.difference(&uniq).take(5).collect();
        let extra: Vec<_> = uniq.difference(want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "every offered item once: missing {missing:?}, unexpected {extra:?} ({} in the log, {} offered)",
            uniq.len(),
            want.len()
        );
    }
}

/// A failure the replay server answers with instead of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// A rate-limit answer.
    RateLimited,
    /// 503.
    Unavailable,
    /// No answer before the client's timeout.
    Timeout,
    /// A page cut in half.
    Truncated,
    /// A body that is not the platform's format.
    Malformed,
}

/// The faults by request number (1-based), for every replay: a rate limit, a 503, a timeout,
/// a truncated page and a malformed one, between good pages.
pub fn fault(request: usize) -> Option<Fault> {
    match request {
        2 => Some(Fault::RateLimited),
        4 => Some(Fault::Unavailable),
        6 => Some(Fault::Timeout),
        8 => Some(Fault::Truncated),
        10 => Some(Fault::Malformed),
        _ => None,
    }
}

/// A platform that keeps publishing: `published` grows by `step` per request up to `total`.
/// Items are numbered 0.. (newer items have higher numbers); the handler records what it
/// offered in complete answers.
#[derive(Default)]
pub struct Platform {
    pub requests: usize,
    pub published: usize,
    pub offered: BTreeSet<usize>,
    pub params: Vec<HashMap<String, String>>,
}

pub type Shared = Arc<Mutex<Platform>>;

impl Platform {
    /// Counts a request: returns its number and its fault, and publishes more.
    pub fn request(
        &mut self,
        params: &HashMap<String, String>,
        first: usize,
        step: usize,
        total: usize,
    ) -> (usize, Option<Fault>) {
        self.requests += 1;
        self.params.push(params.clone());
        self.published = if self.requests == 1 {
            first
        } else {
            (self.published + step).min(total)
        };
        (self.requests, fault(self.requests))
    }

    /// Items older than `before` (all if None), newest first, at most `limit`.
    pub fn page(&self, before: Option<usize>, limit: usize) -> Vec<usize> {
        (0..before.unwrap_or(self.published).min(self.published))
            .rev()
            .take(limit)
            .collect()
    }
}

/// Answers `fault` for a timeout: sleeps past the client's timeout.
pub async fn stall() {
    tokio::time::sleep(Duration::from_secs(3)).await;
}

/// Half of `body`.
pub fn truncate(mut body: String) -> String {
    body.truncate(body.len() / 2);
    body
}
