//! The loop that runs one stage: read a batch, apply it, commit.

use crate::{Attempt, Done, Stage, StageError, Start};
use simak_bus::{advance, Bus, Offsets};
use std::time::Duration;

/// Consecutive failed reads retried in place before the stage fails (and is restarted with a
/// new consumer).
const MAX_READ_FAILURES: u32 = 10;

/// Runs `stage` on `bus` until `attempt.token` is cancelled (then `Ok`) or the stage fails (then
/// its error, with nothing committed after the last durable batch). See the crate docs for when
/// offsets are committed.
pub async fn run_stage<S: Stage + ?Sized>(
    stage: &mut S,
    bus: &Bus,
    attempt: &Attempt,
) -> Result<(), StageError> {
    let name = stage.name();
    let input = stage.input();
    let metrics = &attempt.metrics;
    let shutdown = &attempt.token;
    bus.ensure_topic(&input.topic).await?;
    let mut consumer = match &input.start {
        Start::Group => bus.group_consumer(&input.topic, &input.group)?,
        Start::At(offsets) => {
            bus.assigned_consumer(&input.topic, &input.group, offsets)
                .await?
        }
    };
    tracing::info!(stage = name, topic = %input.topic, group = %input.group, attempt = attempt.number, "stage started");
    // Offsets after every record applied since the last commit to the group.
    let mut uncommitted = Offsets::new();
    let mut read_failures = 0u32;
    loop {
        let polled = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            r = consumer.poll(input.max_records.max(1), input.max_wait) => r,
        };
        let done = match polled {
            Ok(batch) if batch.is_empty() => {
                read_failures = 0;
                stage.idle().await.inspect_err(|_| metrics.failed())?
            }
            Ok(batch) => {
                read_failures = 0;
                let n = batch.len();
                let mut after = uncommitted.clone();
                advance(&mut after, &batch);
                let done = stage.apply(batch).await.inspect_err(|_| metrics.failed())?;
                uncommitted = after;
                metrics.applied(n);
                done
            }
            Err(e) => {
                metrics.failed();
                read_failures += 1;
                if read_failures >= MAX_READ_FAILURES {
                    return Err(e.into());
                }
                tracing::warn!(stage = name, error = %e, failures = read_failures, "reading the log failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(200 * u64::from(read_failures))) => {}
                }
                continue;
            }
        };
        match done {
            Done::Hold => {}
            Done::Commit => {
                if uncommitted.is_empty() {
                    continue;
                }
                match consumer.commit(&uncommitted).await {
                    Ok(()) => uncommitted.clear(),
                    Err(e) => {
                        metrics.failed();
                        tracing::warn!(stage = name, error = %e,
                            "committing offsets failed; the batch will be read (and applied) again");
                    }
                }
            }
            Done::CommitTo(offsets) => {
                if offsets.is_empty() {
                    continue;
                }
                if let Err(e) = consumer.commit(&offsets).await {
                    metrics.failed();
                    tracing::warn!(stage = name, error = %e,
                        "committing offsets failed; the batches after the last commit will be read (and applied) again");
                }
            }
            Done::Stored(offsets) => {
                // Best effort: lets Kafka tools show the stage's lag. The stage holds the truth.
                if let Err(e) = consumer.commit(&offsets).await {
                    tracing::debug!(stage = name, error = %e, "reporting offsets to the group failed");
                }
            }
        }
    }
    stage.finish().await.inspect_err(|_| metrics.failed())?;
    let m = metrics.snapshot();
    tracing::info!(
        stage = name,
        records = m.records,
        batches = m.batches,
        failures = m.failures,
        "stage stopped"
    );
    Ok(())
}
