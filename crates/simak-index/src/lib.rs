//! The mention index: schema, the exactly-once indexer stage, and search.
#![warn(missing_docs)]

pub mod indexer;
pub mod query;
pub mod schema;
pub mod search;

pub use indexer::{Checkpoint, Indexer};
pub use search::{
    Bucket, Hit, Interval, MentionSearcher, SearchError, SearchRequest, SearchResponse, Sort,
};

use simak_bus::Bus;
use simak_core::Config;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory could not be created or read.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index could not be opened.
    #[error("cannot open the index at {path}: {message}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Another process writes this index.
    #[error(
        "the index at {0} is being written by another process (is `simak run` or `simak index` \
         already running with this data directory?)"
    )]
    Locked(PathBuf),
    /// The commit payload is not Simak's.
    #[error("index is corrupt: {0}")]
    Corrupt(String),
    /// tantivy failed.
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The log failed.
    #[error(transparent)]
    Bus(#[from] simak_bus::BusError),
}

/// Names the log and topic the indexer reads, for its checkpoints: `embedded:<topic>`, or
/// `kafka-cluster:<cluster id>:<topic>` for a Kafka cluster that reports its id (the same
/// cluster under another broker list or address is the same log), else
/// `kafka:<brokers>:<topic>`. The second value is the names an older Simak gave the same log,
/// which a checkpoint may still carry.
pub async fn log_identity(bus: &Bus, topic: &str) -> (String, Vec<String>) {
    match bus {
        Bus::Embedded(_) => (format!("embedded:{topic}"), Vec::new()),
        Bus::Kafka(k) => {
            let by_brokers = format!("kafka:{}:{topic}", k.brokers());
            match k.cluster_id().await {
                Some(id) => (format!("kafka-cluster:{id}:{topic}"), vec![by_brokers]),
                None => (by_brokers, Vec::new()),
            }
        }
    }
}

/// Runs the indexer stage until `shutdown`: reads the enriched topic and indexes it exactly once
/// (see [`indexer`]). Commits what it has before returning.
pub async fn run_indexer(
    cfg: &Config,
    bus: &Bus,
    shutdown: CancellationToken,
) -> Result<(), IndexError> {
    let topic = cfg.bus.topics.enriched.clone();
    bus.ensure_topic(&topic).await?;
    let path = cfg.index_path();
    let (log, aliases) = log_identity(bus, &topic).await;
    let identity = log.clone();
    let icfg = cfg.index.clone();
    let mut ix = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || Indexer::open_as(&path, &icfg, &log, &aliases))
            .await
            .expect("index open task")?
    };
    let start = ix.resume_offsets().clone();
    tracing::info!(index = %path.display(), log = %bus.describe(), checkpoint = %identity, topic, offsets = ?start, "indexer started");
    let mut consumer = bus
        .assigned_consumer(&topic, &cfg.bus.groups.indexer, &start)
        .await?;
    let batch = cfg.index.commit_docs.clamp(1, 5000);
    let wait = cfg.index.commit_interval().min(Duration::from_millis(200));
    let mut poll_failures = 0u32;
    loop {
        let records = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = consumer.poll(batch, wait) => r,
        };
        let records = match records {
            Ok(r) => {
                poll_failures = 0;
                r
            }
            Err(e) => {
                poll_failures += 1;
                tracing::warn!(error = %e, failures = poll_failures, "indexer: reading the log failed; retrying");
                tokio::time::sleep(Duration::from_millis(
                    200 * u64::from(poll_failures.min(25)),
                ))
                .await;
                continue;
            }
        };
        ix = tokio::task::spawn_blocking(move || -> Result<Indexer, IndexError> {
            ix.add_records(&records)?;
            if ix.should_commit() {
                ix.commit()?;
            }
            Ok(ix)
        })
        .await
        .expect("index task")?;
        if !ix.has_pending() {
            // Best effort: lets Kafka tools show the indexer's lag. The index holds the truth.
            if let Err(e) = consumer.commit(ix.resume_offsets()).await {
                tracing::debug!(error = %e, "indexer: reporting offsets to the group failed");
            }
        }
    }
    if ix.has_pending() {
        ix = tokio::task::spawn_blocking(move || -> Result<Indexer, IndexError> {
            ix.commit()?;
            Ok(ix)
        })
        .await
        .expect("index task")?;
    }
    tracing::info!(added = ix.added, rejected = ix.rejected, "indexer stopped");
    Ok(())
}
