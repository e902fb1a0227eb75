//! The stage runtime: every stage that reads the log (analyzer, indexer, alert rules, review
//! feeder) is one [`Stage`] impl run by [`run_stage`], under a [`supervise`] loop that restarts it
//! when it fails.
//!
//! # Contract
//!
//! [`run_stage`] reads a batch from the stage's [`Input`], hands it to [`Stage::apply`], and only
//! then moves the stage's offsets, as the stage's answer ([`Done`]) says:
//!
//! * [`Done::Commit`]: the batch's effects are durable (rows committed, output acknowledged by
//!   the log), so the runtime commits the offsets after everything read so far to the consumer
//!   group. Delivery is at least once: a crash or a failure between the effect and the commit
//!   applies the batch again, so `apply` must be idempotent.
//! * [`Done::Hold`]: nothing read since the last commit is durable yet; the runtime commits
//!   nothing.
//! * [`Done::CommitTo`]: the effects of the records before these offsets are durable, those
//!   after them are still in flight in the stage (a pipelined stage that analyzes one batch
//!   while it writes the one before); the runtime commits exactly these offsets to the group.
//!   Delivery is at least once, as with [`Done::Commit`].
//! * [`Done::Stored`]: the stage keeps its own offsets, stored atomically with its effects (the
//!   indexer writes them into the index commit, which makes it exactly once, and starts from them
//!   with [`Start::At`]). The runtime only reports them to the consumer group, best effort, so
//!   Kafka tools show the stage's lag; the stage's store holds the truth.
//!
//! A failed `apply` is never skipped and never retried in place: [`run_stage`] returns the error
//! without committing, the supervisor restarts the stage with backoff, and the new consumer
//! starts from the last commit, so the batch is read again. A read that fails is retried in
//! place a few times (the Kafka client reconnects by itself), then fails the stage the same way.
//!
//! Backpressure is the loop itself: the next batch is read only after the current one was applied
//! and committed, so a slow stage slows its reads and its consumer group's lag grows in the log,
//! never in memory.
//!
//! Shutdown: when the token is cancelled, the runtime stops reading, lets a batch being applied
//! finish (an apply is never cut in the middle), calls [`Stage::finish`] and returns `Ok`.
//!
//! # A new stage
//!
//! One type with `impl Stage` (its name, its [`Input`], `apply`), opened in a function the
//! binary passes to [`supervise`]. [`StageMetrics`] counts what every stage does, the same way.
#![warn(missing_docs)]

mod metrics;
mod run;
mod supervise;

pub use metrics::{stages, MetricsSnapshot, StageMetrics};
pub use run::run_stage;
pub use supervise::{supervise, Attempt, Backoff, Supervisor};

use simak_bus::{BusError, Consumed, Offsets};
use std::time::Duration;

/// One stage of the pipeline: reads one topic in batches and applies each batch.
#[async_trait::async_trait]
pub trait Stage: Send {
    /// The stage's name in logs and metrics ("analyzer", "indexer", ...).
    fn name(&self) -> &'static str;

    /// What the stage reads and where it starts.
    fn input(&self) -> Input;

    /// Applies one batch (never empty) and says what became durable ([`Done`]). An error fails
    /// the stage: nothing is committed and the batch is read again after the restart.
    async fn apply(&mut self, batch: Vec<Consumed>) -> Result<Done, StageError>;

    /// Called when a read found nothing, for stages that make effects durable on a timer (the
    /// indexer commits every `index.commit_interval`). By default nothing happens.
    async fn idle(&mut self) -> Result<Done, StageError> {
        Ok(Done::Hold)
    }

    /// Called once on shutdown, after the last batch: makes what is pending durable where the
    /// stage can (the indexer commits). By default nothing happens.
    async fn finish(&mut self) -> Result<(), StageError> {
        Ok(())
    }
}

/// What a stage reads.
#[derive(Debug, Clone)]
pub struct Input {
    /// The topic.
    pub topic: String,
    /// The consumer group (also where [`Done::Stored`] offsets are reported).
    pub group: String,
    /// Where reading starts.
    pub start: Start,
    /// The most records in one batch.
    pub max_records: usize,
    /// How long a read waits for the first record of a batch.
    pub max_wait: Duration,
}

impl Input {
    /// Reading `topic` as the consumer group `group` from its committed offsets, in batches of
    /// at most 1000 records, waiting up to 500 ms for the first one.
    pub fn from_group(topic: &str, group: &str) -> Input {
        Input {
            topic: topic.to_string(),
            group: group.to_string(),
            start: Start::Group,
            max_records: 1000,
            max_wait: Duration::from_millis(500),
        }
    }

    /// The same with batches of at most `n` records.
    pub fn max_records(mut self, n: usize) -> Input {
        self.max_records = n;
        self
    }

    /// The same waiting up to `wait` for a batch's first record.
    pub fn max_wait(mut self, wait: Duration) -> Input {
        self.max_wait = wait;
        self
    }
}

/// Where a stage starts reading.
#[derive(Debug, Clone)]
pub enum Start {
    /// From the consumer group's committed offsets: the runtime commits ([`Done::Commit`]).
    Group,
    /// From offsets the stage keeps itself (the beginning of a partition missing here): the
    /// stage commits, with its effects ([`Done::Stored`]).
    At(Offsets),
}

/// What became durable after a call to the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Every effect of what was read so far is durable: commit its offsets to the group.
    Commit,
    /// Nothing new is durable yet: commit nothing.
    Hold,
    /// The effects of every record before these offsets (next offset to read, per partition)
    /// are durable, later ones are not yet: commit these offsets to the group.
    CommitTo(Offsets),
    /// The stage stored these offsets with its effects; report them to the group.
    Stored(Offsets),
}

/// Why a stage stopped.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct StageError {
    fatal: bool,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StageError {
    /// An error another attempt may not meet (the log or a database unavailable): the
    /// supervisor restarts the stage.
    pub fn transient(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StageError {
        StageError {
            fatal: false,
            source: e.into(),
        }
    }

    /// An error a restart cannot fix (a wrong configuration, a store held by another process):
    /// the supervisor gives up and returns it.
    pub fn fatal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StageError {
        StageError {
            fatal: true,
            source: e.into(),
        }
    }

    /// Whether a restart cannot fix it.
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }
}

/// Errors of the log are worth a restart, except those that name a configuration or a resource
/// held elsewhere, or a log that is corrupt.
impl From<BusError> for StageError {
    fn from(e: BusError) -> StageError {
        match e {
            BusError::Config(_) | BusError::Busy(_) | BusError::Corrupt(_) => StageError::fatal(e),
            BusError::Io { .. }
            | BusError::TooLarge(_)
            | BusError::Kafka(_)
            | BusError::Timeout(_) => StageError::transient(e),
        }
    }
}
