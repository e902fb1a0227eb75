//! The mention index: schema, the exactly-once indexer stage, and search.
#![warn(missing_docs)]

pub mod backend;
mod exclude;
pub mod indexer;
pub mod order;
pub mod query;
pub mod schema;
pub mod search;

pub use backend::Searcher;
pub use indexer::{Checkpoint, Indexer};
pub use search::{
    Bucket, Hit, Interval, MentionSearcher, SearchError, SearchRequest, SearchResponse, Sort,
};

use simak_bus::{Bus, Offsets};
use simak_core::Config;
use simak_runtime::{Attempt, Done, Input, Stage, StageError, Start};
use std::path::PathBuf;
use std::time::Duration;

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
    /// The index was written by an earlier version of Simak, without a field this version needs.
    #[error(
        "the index at {path} was written by an earlier version of Simak (it lacks the `{field}` \
         field): stop Simak and run `simak reindex` to rebuild it from the mentions it stores \
         (nothing is read again from the log), then start Simak again"
    )]
    Outdated {
        /// The directory.
        path: PathBuf,
        /// The first field it lacks.
        field: String,
    },
    /// A `simak reindex` stopped halfway: the index was moved aside and not yet replaced.
    #[error(
        "a `simak reindex` of the index at {path} was interrupted (the index is at {aside}): \
         run `simak reindex` again to finish it"
    )]
    ReindexInterrupted {
        /// The index directory.
        path: PathBuf,
        /// Where the index was moved aside.
        aside: PathBuf,
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
    /// tantivy failed to write while the disk holding the index was (nearly) full. tantivy's
    /// writer threads do not pass their io error on ("An index writer was killed"), so the
    /// free space is looked up when a write fails.
    #[error(
        "the disk holding the index at {path} is full ({free} bytes free; free some space, \
         indexing resumes by itself): {cause}"
    )]
    DiskFull {
        /// The index directory.
        path: PathBuf,
        /// Bytes available to Simak on that disk when the write failed.
        free: u64,
        /// tantivy's own message.
        cause: String,
    },
    /// tantivy failed.
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The log failed.
    #[error(transparent)]
    Bus(#[from] simak_bus::BusError),
}

/// Names the log and topic the indexer reads, for its checkpoints: `embedded:<log id>:<topic>`
/// (see [`simak_bus::embedded::EmbeddedLog::id`]; `embedded:<topic>` before), or
/// `kafka-cluster:<cluster id>:<topic>` for a Kafka cluster that reports its id (the same
/// cluster under another broker list or address is the same log), else
/// `kafka:<brokers>:<topic>`. The second value is the names an older Simak gave the same log,
/// which a checkpoint may still carry.
pub async fn log_identity(bus: &Bus, topic: &str) -> (String, Vec<String>) {
    match bus {
        Bus::Embedded(e) => (
            format!("embedded:{}:{topic}", e.id()),
            vec![format!("embedded:{topic}")],
        ),
        Bus::Kafka(k) => {
            let by_brokers = format!("kafka:{}:{topic}", k.brokers());
            match k.cluster_id().await {
                Some(id) => (format!("kafka-cluster:{id}:{topic}"), vec![by_brokers]),
                None => (by_brokers, Vec::new()),
            }
        }
    }
}

/// For the supervisor: the log or tantivy may recover, an index held by another process, corrupt
/// or not openable does not.
impl From<IndexError> for StageError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Bus(e) => e.into(),
            IndexError::Tantivy(_) | IndexError::DiskFull { .. } => StageError::transient(e),
            IndexError::Io { .. }
            | IndexError::Open { .. }
            | IndexError::Outdated { .. }
            | IndexError::ReindexInterrupted { .. }
            | IndexError::Locked(_)
            | IndexError::Corrupt(_) => StageError::fatal(e),
        }
    }
}

/// The indexer as a stage of the runtime: reads the enriched topic from the offsets in the
/// index's last commit ([`Start::At`]) and indexes it exactly once (see [`indexer`]). It commits
/// documents and offsets together, every `index.commit_docs` documents or
/// `index.commit_interval`, and on shutdown; the runtime only reports the committed offsets to
/// the indexer's consumer group, for lag tools. A failure drops what was not committed; the
/// restarted stage resumes from the last commit.
pub struct IndexerStage {
    /// Taken while a batch is applied on a blocking thread; missing only after a failure.
    ix: Option<Indexer>,
    topic: String,
    group: String,
    start: Offsets,
    batch: usize,
    wait: Duration,
    /// The offsets last reported to the group.
    reported: Offsets,
    /// When the horizon was last applied (None: not yet).
    expired_at: Option<std::time::Instant>,
}

/// How often the indexer stage applies `index.horizon`.
const HORIZON_EVERY: Duration = Duration::from_secs(300);

impl IndexerStage {
    /// Opens the index for writing and reads its checkpoint.
    pub async fn open(cfg: &Config, bus: &Bus) -> Result<IndexerStage, IndexError> {
        let topic = cfg.bus.topics.enriched.clone();
        bus.ensure_topic(&topic).await?;
        let path = cfg.index_path();
        let (log, aliases) = log_identity(bus, &topic).await;
        let identity = log.clone();
        let icfg = cfg.index.clone();
        let ix = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || Indexer::open_as(&path, &icfg, &log, &aliases))
                .await
                .expect("index open task")?
        };
        let start = ix.resume_offsets().clone();
        tracing::info!(index = %path.display(), log = %bus.describe(), checkpoint = %identity, topic, offsets = ?start, "indexer started");
        Ok(IndexerStage {
            ix: Some(ix),
            topic,
            group: cfg.bus.groups.indexer.clone(),
            start,
            batch: cfg.index.commit_docs.clamp(1, 5000),
            wait: cfg.index.commit_interval().min(Duration::from_millis(200)),
            reported: Offsets::new(),
            expired_at: None,
        })
    }

    /// Adds `records` (none: only the timer) and commits when it is time.
    async fn step(&mut self, records: Vec<simak_bus::Consumed>) -> Result<Done, StageError> {
        let mut ix = self
            .ix
            .take()
            .ok_or_else(|| StageError::transient("the indexer failed before"))?;
        let expire =
            ix.horizon().is_some() && self.expired_at.is_none_or(|t| t.elapsed() >= HORIZON_EVERY);
        if expire {
            self.expired_at = Some(std::time::Instant::now());
        }
        let ix = tokio::task::spawn_blocking(move || -> Result<Indexer, IndexError> {
            ix.add_records(&records)?;
            if ix.should_commit() {
                ix.commit()?;
            }
            // Committed alone, with the checkpoint of the batch: see `indexer`, "Horizon".
            if expire {
                ix.expire(chrono::Utc::now())?;
            }
            Ok(ix)
        })
        .await
        .expect("index task")?;
        let done = if ix.has_pending() || *ix.resume_offsets() == self.reported {
            Done::Hold
        } else {
            self.reported = ix.resume_offsets().clone();
            Done::Stored(self.reported.clone())
        };
        self.ix = Some(ix);
        Ok(done)
    }
}

#[async_trait::async_trait]
impl Stage for IndexerStage {
    fn name(&self) -> &'static str {
        "indexer"
    }

    fn input(&self) -> Input {
        Input {
            topic: self.topic.clone(),
            group: self.group.clone(),
            start: Start::At(self.start.clone()),
            max_records: self.batch,
            max_wait: self.wait,
        }
    }

    async fn apply(&mut self, batch: Vec<simak_bus::Consumed>) -> Result<Done, StageError> {
        self.step(batch).await
    }

    async fn idle(&mut self) -> Result<Done, StageError> {
        self.step(Vec::new()).await
    }

    async fn finish(&mut self) -> Result<(), StageError> {
        let Some(mut ix) = self.ix.take() else {
            return Ok(());
        };
        if ix.has_pending() {
            ix = tokio::task::spawn_blocking(move || -> Result<Indexer, IndexError> {
                ix.commit()?;
                Ok(ix)
            })
            .await
            .expect("index task")?;
        }
        tracing::info!(added = ix.added, rejected = ix.rejected, "indexer stopped");
        self.ix = Some(ix);
        Ok(())
    }
}

/// Runs the indexer for one attempt ([`IndexerStage`]): until the attempt's token is cancelled
/// (then it commits what it has), or a failure the supervisor restarts it after.
pub async fn run_indexer(cfg: &Config, bus: &Bus, attempt: &Attempt) -> Result<(), StageError> {
    let mut stage = IndexerStage::open(cfg, bus).await?;
    attempt.run(&mut stage, bus).await
}
