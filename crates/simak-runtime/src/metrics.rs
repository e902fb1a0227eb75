//! What a stage did, counted the same way for every stage.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// The supervised stages of this process and their counters, in the order they started.
static STAGES: Mutex<Vec<(&'static str, Arc<StageMetrics>)>> = Mutex::new(Vec::new());

/// Lists a stage's counters under `name` (a later registration of the name replaces it).
pub(crate) fn register(name: &'static str, metrics: Arc<StageMetrics>) {
    let mut list = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    match list.iter_mut().find(|(n, _)| *n == name) {
        Some(entry) => entry.1 = metrics,
        None => list.push((name, metrics)),
    }
}

/// The counters of every stage supervised in this process (`simak run` runs them all, a
/// single-stage command only its own), by name.
pub fn stages() -> Vec<(&'static str, MetricsSnapshot)> {
    STAGES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(n, m)| (*n, m.snapshot()))
        .collect()
}

/// Counters of one supervised stage, across its restarts. Shared (`Arc`) between the stage's
/// runs and whoever reports them.
#[derive(Debug, Default)]
pub struct StageMetrics {
    records: AtomicU64,
    batches: AtomicU64,
    failures: AtomicU64,
    restarts: AtomicU64,
    last_batch_ms: AtomicI64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Records read and applied.
    pub records: u64,
    /// Batches applied.
    pub batches: u64,
    /// Failed reads, applies and commits (each failed attempt counts once).
    pub failures: u64,
    /// Times the supervisor restarted the stage.
    pub restarts: u64,
    /// When the last batch was applied, in milliseconds since the epoch (0: never).
    pub last_batch_ms: i64,
}

impl StageMetrics {
    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            records: self.records.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            last_batch_ms: self.last_batch_ms.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn applied(&self, records: usize) {
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.last_batch_ms.store(now, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }
}
