//! Runs sources: fetch, dedupe, hand to the log, save the cursor, wait, again.

use crate::cursor::CursorStore;
use crate::{Source, SourceError};
use simak_bus::{Producer, Record};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Backoff after `failures` consecutive failures: 2s, 4s, 8s, ... up to `max`.
pub fn backoff(failures: u32, max: Duration) -> Duration {
    let secs = 2u64.saturating_pow(failures.clamp(1, 20));
    Duration::from_secs(secs).min(max)
}

/// Sends `records` to the log, retrying until it acknowledges them. Returns false if
/// `shutdown` came first (nothing is then known to be stored).
pub async fn send_until_acked(
    producer: &Producer,
    records: Vec<Record>,
    what: &str,
    shutdown: &CancellationToken,
) -> bool {
    let mut attempt = 0u32;
    loop {
        match producer.send(records.clone()).await {
            Ok(()) => return true,
            Err(e) => {
                attempt += 1;
                tracing::warn!(source = what, error = %e, attempt, "the log did not take the batch; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return false,
                    _ = tokio::time::sleep(backoff(attempt, Duration::from_secs(30))) => {}
                }
            }
        }
    }
}

/// Drives one source until `shutdown`.
pub async fn drive(
    mut source: Box<dyn Source>,
    producer: Producer,
    store: CursorStore,
    max_backoff: Duration,
    shutdown: CancellationToken,
) {
    let name = source.name().to_string();
    let mut state = match store.load(&name) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(source = %name, error = %e, "cannot read the source's saved state; the source is stopped (move the file away to start it afresh)");
            return;
        }
    };
    let health_dir = store.health_dir();
    let mut health = crate::health::load(&health_dir, &name);
    let mut failures = 0u32;
    loop {
        let fetched = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = source.fetch(state.cursor.as_ref()) => r,
        };
        let wait = match fetched {
            Ok(f) => {
                failures = 0;
                let total = f.mentions.len();
                let had_cursor = state.cursor.is_some();
                // Repeats of earlier batches, and repeats within this one.
                let mut batch_ids = std::collections::HashSet::new();
                let fresh: Vec<_> = f
                    .mentions
                    .into_iter()
                    .filter(|m| !state.seen(&m.id) && batch_ids.insert(m.id.clone()))
                    .collect();
                let mut gaps = f.gaps;
                if f.window && had_cursor && total > 1 && fresh.len() == total {
                    // A whole window of new items, all newer than the last hand-over: what
                    // was published between the two is gone from the feed.
                    let oldest = fresh.iter().map(|m| m.published_at).min();
                    if let (Some(last), Some(oldest)) = (health.newest_published_at, oldest) {
                        if oldest > last {
                            gaps.push(crate::health::Gap::new(
                                last,
                                oldest,
                                format!("all {total} items in the feed were new: the feed no longer offers what was published between the last collected item and its oldest item"),
                            ));
                        }
                    }
                }
                let newest = fresh.iter().map(|m| m.published_at).max();
                let records: Vec<Record> = fresh.iter().map(|m| source.record(m)).collect();
                if !records.is_empty()
                    && !send_until_acked(&producer, records, &name, &shutdown).await
                {
                    return;
                }
                for m in &fresh {
                    state.remember(&m.id);
                }
                if f.cursor.is_some() {
                    state.cursor = f.cursor;
                }
                if let Err(e) = store.save(&name, &state) {
                    tracing::error!(source = %name, error = %e, "saving the cursor failed; the next fetch repeats this one");
                }
                tracing::info!(source = %name, fetched = total, new = fresh.len(), "fetched");
                health.success(chrono::Utc::now(), fresh.len() as u64, newest, gaps);
                Some(f.next_poll)
            }
            Err(SourceError::RateLimited {
                retry_after,
                message,
            }) => {
                tracing::warn!(source = %name, retry_after_s = retry_after.as_secs(), %message, "rate limited");
                let now = chrono::Utc::now();
                health.rate_limited(now, now + retry_after, &message);
                Some(retry_after)
            }
            Err(SourceError::Transient(message)) => {
                failures += 1;
                let wait = backoff(failures, max_backoff);
                tracing::warn!(source = %name, failures, retry_in_s = wait.as_secs(), %message, "fetch failed");
                health.failure(chrono::Utc::now(), &message, false);
                Some(wait)
            }
            Err(SourceError::Gone(message)) => {
                tracing::error!(source = %name, %message, "the source is stopped until Simak restarts; fix its configuration");
                health.failure(chrono::Utc::now(), &message, true);
                None
            }
            Err(SourceError::Permanent(message)) => {
                failures += 1;
                tracing::error!(source = %name, retry_in_s = max_backoff.as_secs(), %message, "fetch failed and needs attention");
                health.failure(chrono::Utc::now(), &message, true);
                Some(max_backoff)
            }
        };
        // None: the source is stopped.
        health.next_fetch_at = wait.map(|w| chrono::Utc::now() + w);
        if let Err(e) = crate::health::save(&health_dir, &health) {
            tracing::warn!(source = %name, error = %e, "writing the source's health failed");
        }
        let Some(wait) = wait else { return };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let max = Duration::from_secs(60);
        assert_eq!(backoff(1, max), Duration::from_secs(2));
        assert_eq!(backoff(3, max), Duration::from_secs(8));
        assert_eq!(backoff(30, max), max);
    }
}
