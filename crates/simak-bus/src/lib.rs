//! The log between Simak's stages: Kafka, or the embedded log when no broker is configured.
//!
//! # Contract
//!
//! Both implementations offer the same model: named topics split into partitions; a record has a
//! key (the mention id) that picks its partition, so one mention's versions stay in order; an
//! offset names a position in a partition, and "the offset" a stage stores is always the *next*
//! offset to read ([`Consumed::next_offset`]).
//!
//! * [`Producer::send`] returns only when the whole batch is durable in the log (acknowledged by
//!   the brokers, or written and synced by the embedded log). A source saves its cursor only
//!   after that, so a crash between the two re-sends a batch, it never loses one.
//! * A stage commits offsets ([`Consumer::commit`]) only after its own side effect succeeded, so
//!   delivery is at least once; side effects are idempotent (the index is keyed by mention id).
//!   The stages' read-apply-commit loop is the stage runtime's (`simak-runtime`), not this crate's.
//! * The indexer keeps its offsets inside its index commit instead ([`Bus::assigned_consumer`]),
//!   which makes indexing exactly once.

#![warn(missing_docs)]

pub mod embedded;
pub mod kafka;

use simak_core::Config;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Next offset to read, per partition.
pub type Offsets = BTreeMap<i32, i64>;

/// A record to produce.
#[derive(Debug, Clone)]
pub struct Record {
    /// The key: the mention id.
    pub key: String,
    /// The payload: a JSON mention.
    pub value: Vec<u8>,
}

/// The mentions in `recs`, in order, and how many records were not mentions. Each record that
/// is not is logged (stage, key, partition, offset, error) and skipped, never silently: the
/// first ten of a batch, then a count.
pub fn decode_mentions(recs: &[Consumed], stage: &str) -> (Vec<simak_core::Mention>, usize) {
    let mut out = Vec::with_capacity(recs.len());
    let mut rejected = 0usize;
    for r in recs {
        match simak_core::Mention::from_json(&r.value) {
            Ok(m) => out.push(m),
            Err(e) => {
                rejected += 1;
                if rejected <= 10 {
                    tracing::warn!(stage, key = %r.key, partition = r.partition, offset = r.offset,
                        error = %e, "skipping a record that is not a valid mention");
                }
            }
        }
    }
    if rejected > 10 {
        tracing::warn!(
            stage,
            rejected,
            "skipped records that are not valid mentions in one batch"
        );
    }
    (out, rejected)
}

/// A consumed record.
#[derive(Debug, Clone)]
pub struct Consumed {
    /// Partition it came from.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The offset to resume from after it.
    pub next_offset: i64,
    /// Its key.
    pub key: String,
    /// Its payload.
    pub value: Vec<u8>,
    /// When it was appended, in milliseconds since the epoch.
    pub timestamp_ms: i64,
}

/// Errors of the log.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// A file of the embedded log could not be read or written.
    ///
    /// The cause is part of the message and deliberately not the error's `source()`, so an
    /// error chain (`{:#}`) names it once, not twice ("No space left on device" printed twice).
    #[error("embedded log file {path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A file of the embedded log is not in the expected format.
    #[error("embedded log is corrupt: {0}")]
    Corrupt(String),
    /// A record is too large to store.
    #[error("record too large: {0}")]
    TooLarge(String),
    /// A resource is held by another process.
    #[error("{0}")]
    Busy(String),
    /// A configuration value is not usable.
    #[error("bus configuration: {0}")]
    Config(String),
    /// Kafka reported an error.
    #[error("kafka: {0}")]
    Kafka(String),
    /// The log made no progress in time.
    #[error("{0}")]
    Timeout(String),
}

/// Picks the partition for `key` with a stable hash (the embedded log; Kafka uses its own
/// partitioner).
pub fn partition_for(key: &str, partitions: u32) -> u32 {
    crc32fast::hash(key.as_bytes()) % partitions.max(1)
}

/// The log: one interface, two implementations.
#[derive(Clone)]
pub enum Bus {
    /// Files under the data directory, for one machine.
    Embedded(Arc<embedded::EmbeddedLog>),
    /// A Kafka cluster.
    Kafka(kafka::KafkaBus),
}

impl Bus {
    /// Opens the log the configuration names: Kafka if `bus.brokers` is set, else embedded.
    pub fn open(cfg: &Config) -> Result<Bus, BusError> {
        if cfg.bus.is_kafka() {
            Ok(Bus::Kafka(kafka::KafkaBus::new(&cfg.bus)))
        } else {
            Ok(Bus::Embedded(Arc::new(
                embedded::EmbeddedLog::open(
                    &cfg.log_path(),
                    cfg.bus.partitions,
                    cfg.bus.embedded.fsync,
                    Duration::from_millis(cfg.bus.embedded.poll_ms.max(1)),
                )?
                .with_segments(
                    cfg.bus.embedded.segment_bytes(),
                    cfg.bus.embedded.segment_age(),
                ),
            )))
        }
    }

    /// A short description for logs.
    pub fn describe(&self) -> String {
        match self {
            Bus::Embedded(e) => format!("embedded log at {}", e.root().display()),
            Bus::Kafka(k) => format!("kafka at {}", k.brokers()),
        }
    }

    /// Creates `topic` if it does not exist.
    pub async fn ensure_topic(&self, topic: &str) -> Result<(), BusError> {
        match self {
            Bus::Embedded(e) => e.ensure_topic(topic).map(|_| ()),
            Bus::Kafka(k) => k.ensure_topic(topic).await,
        }
    }

    /// A producer for `topic`.
    pub fn producer(&self, topic: &str) -> Result<Producer, BusError> {
        Ok(match self {
            Bus::Embedded(e) => Producer::Embedded(e.producer(topic)?),
            Bus::Kafka(k) => Producer::Kafka(k.producer(topic)?),
        })
    }

    /// A member of consumer group `group` on `topic`, resuming from the group's offsets.
    pub fn group_consumer(&self, topic: &str, group: &str) -> Result<Consumer, BusError> {
        Ok(match self {
            Bus::Embedded(e) => Consumer::Embedded(e.group_consumer(topic, group)?),
            Bus::Kafka(k) => Consumer::Kafka(k.group_consumer(topic, group)?),
        })
    }

    /// A consumer of all partitions of `topic` from `start` (the beginning where absent).
    pub async fn assigned_consumer(
        &self,
        topic: &str,
        group: &str,
        start: &Offsets,
    ) -> Result<Consumer, BusError> {
        Ok(match self {
            Bus::Embedded(e) => Consumer::Embedded(e.assigned_consumer(topic, group, start)?),
            Bus::Kafka(k) => Consumer::Kafka(k.assigned_consumer(topic, group, start).await?),
        })
    }

    /// Runs the embedded log's retention ([`embedded::EmbeddedLog::enforce_retention`]) on the
    /// mentions and enriched topics every five minutes (the first pass after one) until `token`
    /// is cancelled. The fact-check topic is kept whole: every analyzer reads it from the start.
    /// Nothing to do on Kafka (its brokers keep their own retention) or with no retention set.
    pub async fn retention_loop(self, cfg: Config, token: tokio_util::sync::CancellationToken) {
        let (Bus::Embedded(log), Some(retention)) = (self, cfg.bus.embedded.retention()) else {
            return;
        };
        let topics = [cfg.bus.topics.mentions, cfg.bus.topics.enriched];
        let mut wait = Duration::from_secs(60);
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = Duration::from_secs(300);
            for topic in &topics {
                let (log, topic) = (log.clone(), topic.clone());
                let r = tokio::task::spawn_blocking(move || {
                    log.enforce_retention(&topic, retention, std::time::SystemTime::now())
                })
                .await;
                match r {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "log retention failed; next pass in 5 minutes")
                    }
                    Err(e) => tracing::warn!(error = %e, "log retention task failed"),
                }
            }
        }
    }

    /// End offsets of every partition of `topic`.
    pub async fn end_offsets(&self, topic: &str) -> Result<Offsets, BusError> {
        match self {
            Bus::Embedded(e) => e.end_offsets(topic),
            Bus::Kafka(k) => k.end_offsets(topic).await,
        }
    }
}

/// Produces to one topic.
#[derive(Clone)]
pub enum Producer {
    /// Embedded log.
    Embedded(embedded::EmbeddedProducer),
    /// Kafka.
    Kafka(kafka::KafkaProducer),
}

impl Producer {
    /// Sends a batch; returns once every record is durable in the log.
    pub async fn send(&self, records: Vec<Record>) -> Result<(), BusError> {
        match self {
            Producer::Embedded(p) => p.send(records).await,
            Producer::Kafka(p) => p.send(records).await,
        }
    }
}

/// Consumes one topic.
pub enum Consumer {
    /// Embedded log.
    Embedded(embedded::EmbeddedConsumer),
    /// Kafka.
    Kafka(kafka::KafkaConsumer),
}

impl Consumer {
    /// Up to `max` records, waiting at most `wait` for the first.
    pub async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Consumed>, BusError> {
        match self {
            Consumer::Embedded(c) => c.poll(max, wait).await,
            Consumer::Kafka(c) => c.poll(max, wait).await,
        }
    }

    /// Commits `offsets` for the consumer's group.
    pub async fn commit(&mut self, offsets: &Offsets) -> Result<(), BusError> {
        match self {
            Consumer::Embedded(c) => c.commit(offsets).await,
            Consumer::Kafka(c) => c.commit(offsets).await,
        }
    }
}

/// Folds consumed records into the offsets to commit after them.
pub fn advance(offsets: &mut Offsets, records: &[Consumed]) {
    for r in records {
        let e = offsets.entry(r.partition).or_insert(r.next_offset);
        *e = (*e).max(r.next_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_records_are_counted_not_dropped_silently() {
        let rec = |offset: i64, value: &[u8]| Consumed {
            partition: 0,
            offset,
            next_offset: offset + 1,
            key: format!("k{offset}"),
            value: value.to_vec(),
            timestamp_ms: 0,
        };
        let good = br#"{"id":"x:1","source":"x","text":"t","published_at":"2026-11-20T08:00:00Z","fetched_at":"2026-11-20T08:00:00Z"}"#;
        let recs = [
            rec(0, good),
            rec(1, b"{not json"),
            rec(2, br#"{"id":1}"#),
            rec(3, good),
        ];
        let (ms, rejected) = decode_mentions(&recs, "test");
        assert_eq!((ms.len(), rejected), (2, 2));
        assert_eq!(ms[0].id, "x:1");
    }
}
