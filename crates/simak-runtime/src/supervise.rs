//! The supervisor: runs a stage, and restarts it with backoff when it fails.

use crate::{run_stage, Stage, StageError, StageMetrics};
use simak_bus::Bus;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long the supervisor waits before a restart: `initial`, doubled after every failure up to
/// `max`, back to `initial` once an attempt ran `reset_after` without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How long an attempt must run to count as healthy.
    pub reset_after: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 60 s; healthy after 60 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (counted from 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1u32 << doublings).min(self.max)
    }
}

/// One run of a supervised stage: what the supervisor hands the stage's factory.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Cancelled on shutdown, and when this attempt ends (so what it spawned stops with it).
    pub token: CancellationToken,
    /// The stage's counters, kept across attempts.
    pub metrics: Arc<StageMetrics>,
    /// 1 for the first attempt, n + 1 after the n-th failure in a row.
    pub number: u32,
}

impl Attempt {
    /// A single, unsupervised run that stops when `token` is cancelled.
    pub fn new(token: CancellationToken) -> Attempt {
        Attempt {
            token,
            metrics: Arc::default(),
            number: 1,
        }
    }

    /// Runs `stage` on `bus` for this attempt ([`run_stage`]).
    pub async fn run<S: Stage + ?Sized>(&self, stage: &mut S, bus: &Bus) -> Result<(), StageError> {
        run_stage(stage, bus, self).await
    }
}

/// Supervises one stage: see [`Supervisor::run`].
#[derive(Debug)]
pub struct Supervisor {
    name: &'static str,
    backoff: Backoff,
    metrics: Arc<StageMetrics>,
}

impl Supervisor {
    /// A supervisor for the stage `name` with the default [`Backoff`]. Its counters are listed
    /// by [`crate::stages`] (for `/metrics`) under that name, replacing those of an earlier
    /// supervisor of the same name.
    pub fn new(name: &'static str) -> Supervisor {
        let metrics = Arc::<StageMetrics>::default();
        crate::metrics::register(name, metrics.clone());
        Supervisor {
            name,
            backoff: Backoff::default(),
            metrics,
        }
    }

    /// Uses `backoff` between restarts.
    pub fn with_backoff(mut self, backoff: Backoff) -> Supervisor {
        self.backoff = backoff;
        self
    }

    /// The stage's counters, for whoever reports them.
    pub fn metrics(&self) -> Arc<StageMetrics> {
        self.metrics.clone()
    }

    /// Runs `attempt(..)` (which opens the stage and runs it) until `shutdown`. An attempt that
    /// fails with a transient error is started again after the backoff, with a warning that
    /// names the stage, the attempt and the error; a fatal error, or any error after shutdown
    /// began, is returned. An attempt that returns `Ok` ends supervision with `Ok` (a stage run
    /// by [`run_stage`] does so only on shutdown).
    pub async fn run<F, Fut>(
        self,
        mut attempt: F,
        shutdown: CancellationToken,
    ) -> Result<(), StageError>
    where
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<(), StageError>>,
    {
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let token = shutdown.child_token();
            let started = tokio::time::Instant::now();
            let result = attempt(Attempt {
                token: token.clone(),
                metrics: self.metrics.clone(),
                number: failures + 1,
            })
            .await;
            token.cancel();
            let e = match result {
                Ok(()) => return Ok(()),
                Err(e) if e.is_fatal() || shutdown.is_cancelled() => return Err(e),
                Err(e) => e,
            };
            if started.elapsed() >= self.backoff.reset_after {
                failures = 0;
            }
            failures += 1;
            self.metrics.restarted();
            let delay = self.backoff.delay(failures);
            tracing::warn!(stage = self.name, attempt = failures, error = %e,
                retry_in_ms = delay.as_millis() as u64, "stage failed; restarting");
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}

/// Runs the stage `name` under a [`Supervisor`] with the default [`Backoff`] until `shutdown`:
/// `attempt` opens the stage and runs it, and is called again after each transient failure.
pub async fn supervise<F, Fut>(
    name: &'static str,
    attempt: F,
    shutdown: CancellationToken,
) -> Result<(), StageError>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<(), StageError>>,
{
    Supervisor::new(name).run(attempt, shutdown).await
}
