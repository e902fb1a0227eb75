//! The runtime against the embedded log, and the supervisor on tokio's paused clock.

use simak_bus::embedded::EmbeddedLog;
use simak_bus::{Bus, Consumed, Record};
use simak_runtime::{run_stage, Attempt, Backoff, Done, Input, Stage, StageError, Supervisor};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn embedded(dir: &std::path::Path) -> Bus {
    Bus::Embedded(Arc::new(
        EmbeddedLog::open(dir, 2, false, Duration::from_millis(5)).unwrap(),
    ))
}

async fn produce(bus: &Bus, keys: &[&str]) {
    bus.ensure_topic("t").await.unwrap();
    let records = keys
        .iter()
        .map(|k| Record {
            key: k.to_string(),
            value: k.as_bytes().to_vec(),
        })
        .collect();
    bus.producer("t").unwrap().send(records).await.unwrap();
}

/// Keys a fresh member of group `g` would read now.
async fn unread(bus: &Bus) -> Vec<String> {
    let mut c = bus.group_consumer("t", "g").unwrap();
    let mut keys = Vec::new();
    loop {
        let got = c.poll(100, Duration::from_millis(30)).await.unwrap();
        if got.is_empty() {
            keys.sort();
            return keys;
        }
        keys.extend(got.into_iter().map(|r| r.key));
    }
}

/// Records what it is given; fails its first `fail` applies; answers `done`.
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    fail: usize,
    done: Done,
}

#[async_trait::async_trait]
impl Stage for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn input(&self) -> Input {
        Input::from_group("t", "g")
            .max_records(100)
            .max_wait(Duration::from_millis(20))
    }

    async fn apply(&mut self, batch: Vec<Consumed>) -> Result<Done, StageError> {
        self.seen
            .lock()
            .unwrap()
            .extend(batch.iter().map(|r| r.key.clone()));
        if self.fail > 0 {
            self.fail -= 1;
            return Err(StageError::transient("the side effect failed"));
        }
        Ok(self.done.clone())
    }
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn quick() -> Backoff {
    Backoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(1),
        reset_after: Duration::from_secs(60),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_apply_commits_nothing_and_the_batch_is_read_again_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bus = embedded(dir.path());
    produce(&bus, &["a", "b", "c", "d", "e"]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let supervisor = Supervisor::new("recorder").with_backoff(quick());
    let metrics = supervisor.metrics();
    let shutdown = CancellationToken::new();
    let task = {
        let (bus, seen, attempts, shutdown) = (
            bus.clone(),
            seen.clone(),
            attempts.clone(),
            shutdown.clone(),
        );
        tokio::spawn(supervisor.run(
            move |attempt: Attempt| {
                let (bus, seen) = (bus.clone(), seen.clone());
                attempts.lock().unwrap().push(attempt.number);
                // The first attempt fails on its first batch; the next one does not.
                let fail = usize::from(attempt.number == 1);
                async move {
                    let mut stage = Recorder {
                        seen,
                        fail,
                        done: Done::Commit,
                    };
                    attempt.run(&mut stage, &bus).await
                }
            },
            shutdown,
        ))
    };
    wait_until("the batch to be applied twice", || {
        seen.lock().unwrap().len() >= 10
    })
    .await;
    // Let the commit after the second apply land, then stop.
    wait_until("the commit", || metrics.snapshot().batches >= 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    shutdown.cancel();
    task.await.unwrap().unwrap();

    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]);
    assert_eq!(*attempts.lock().unwrap(), [1, 2]);
    let m = metrics.snapshot();
    assert_eq!((m.restarts, m.failures, m.records), (1, 1, 5));
    assert!(m.last_batch_ms > 0);
    assert!(unread(&bus).await.is_empty(), "committed after the apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_batches_are_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let bus = embedded(dir.path());
    produce(&bus, &["a", "b", "c"]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut stage = Recorder {
        seen: seen.clone(),
        fail: 0,
        done: Done::Hold,
    };
    let shutdown = CancellationToken::new();
    let attempt = Attempt::new(shutdown.clone());
    let run = run_stage(&mut stage, &bus, &attempt);
    let stop = async {
        wait_until("the batch", || seen.lock().unwrap().len() == 3).await;
        shutdown.cancel();
    };
    let (r, ()) = tokio::join!(run, stop);
    r.unwrap();
    assert_eq!(unread(&bus).await, ["a", "b", "c"]);
}

/// Keeps each batch in flight until the next one arrives, as the pipelined analyzer does:
/// answers [`Done::CommitTo`] with the offsets before the batch just read.
struct OneBehind {
    seen: Arc<Mutex<Vec<String>>>,
    read: simak_bus::Offsets,
}

#[async_trait::async_trait]
impl Stage for OneBehind {
    fn name(&self) -> &'static str {
        "one-behind"
    }

    fn input(&self) -> Input {
        Input::from_group("t", "g")
            .max_records(2)
            .max_wait(Duration::from_millis(20))
    }

    async fn apply(&mut self, batch: Vec<Consumed>) -> Result<Done, StageError> {
        self.seen
            .lock()
            .unwrap()
            .extend(batch.iter().map(|r| r.key.clone()));
        let before = self.read.clone();
        simak_bus::advance(&mut self.read, &batch);
        Ok(Done::CommitTo(before))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_to_commits_exactly_the_offsets_given() {
    let dir = tempfile::tempdir().unwrap();
    // One partition, so the batches come in the order produced.
    let bus = Bus::Embedded(Arc::new(
        EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(5)).unwrap(),
    ));
    produce(&bus, &["a", "b", "c", "d", "e"]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut stage = OneBehind {
        seen: seen.clone(),
        read: Default::default(),
    };
    let shutdown = CancellationToken::new();
    let attempt = Attempt::new(shutdown.clone());
    let run = run_stage(&mut stage, &bus, &attempt);
    let stop = async {
        wait_until("every batch", || seen.lock().unwrap().len() == 5).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        shutdown.cancel();
    };
    let (r, ()) = tokio::join!(run, stop);
    r.unwrap();
    // Batches [a b] [c d] [e]: the commit after [e] covers [c d] only.
    assert_eq!(unread(&bus).await, ["e"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_stops_a_running_stage_and_its_supervisor() {
    let dir = tempfile::tempdir().unwrap();
    let bus = embedded(dir.path());
    produce(&bus, &["a"]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let task = {
        let (bus, seen, shutdown) = (bus.clone(), seen.clone(), shutdown.clone());
        tokio::spawn(simak_runtime::supervise(
            "recorder",
            move |attempt: Attempt| {
                let (bus, seen) = (bus.clone(), seen.clone());
                async move {
                    let mut stage = Recorder {
                        seen,
                        fail: 0,
                        done: Done::Commit,
                    };
                    attempt.run(&mut stage, &bus).await
                }
            },
            shutdown,
        ))
    };
    wait_until("the batch", || seen.lock().unwrap().len() == 1).await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops promptly")
        .unwrap()
        .unwrap();
}

#[test]
fn backoff_doubles_from_one_second_to_a_minute() {
    let b = Backoff::default();
    let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(b.delay(1000).as_secs(), 60);
}

/// Starts of each attempt, on the paused clock, of a stage whose attempts run `runs[i]` and
/// then fail (transiently), until `attempts` attempts were made.
async fn attempt_starts(runs: Vec<Duration>) -> (Vec<Duration>, u64) {
    let t0 = Instant::now();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let supervisor = Supervisor::new("flaky");
    let metrics = supervisor.metrics();
    let r = {
        let (starts, stop) = (starts.clone(), shutdown.clone());
        let total = runs.len();
        supervisor
            .run(
                move |_attempt: Attempt| {
                    let (starts, stop) = (starts.clone(), stop.clone());
                    let n = {
                        let mut s = starts.lock().unwrap();
                        s.push(t0.elapsed());
                        s.len()
                    };
                    let run = runs[n - 1];
                    async move {
                        tokio::time::sleep(run).await;
                        if n == total {
                            stop.cancel();
                            return Ok(());
                        }
                        Err(StageError::transient("broker unreachable"))
                    }
                },
                shutdown.clone(),
            )
            .await
    };
    r.unwrap();
    let starts = starts.lock().unwrap().clone();
    (starts, metrics.snapshot().restarts)
}

#[tokio::test(start_paused = true)]
async fn the_supervisor_restarts_a_failed_stage_with_exponential_backoff() {
    let (starts, restarts) = attempt_starts(vec![Duration::ZERO; 6]).await;
    let secs: Vec<u64> = starts.iter().map(|d| d.as_secs()).collect();
    // Waits of 1, 2, 4, 8, 16 s between the attempts.
    assert_eq!(secs, [0, 1, 3, 7, 15, 31]);
    assert_eq!(restarts, 5);
}

#[tokio::test(start_paused = true)]
async fn the_backoff_starts_over_after_a_healthy_run() {
    let s = Duration::from_secs;
    // Fails at once twice (waits 1 s, 2 s), then runs 90 s before failing: the next wait is
    // 1 s again, not 4 s.
    let (starts, _) = attempt_starts(vec![s(0), s(0), s(90), s(0), s(0)]).await;
    let secs: Vec<u64> = starts.iter().map(|d| d.as_secs()).collect();
    assert_eq!(secs, [0, 1, 3, 94, 96]);
}

#[tokio::test(start_paused = true)]
async fn a_fatal_error_is_returned_without_a_restart() {
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    let r = simak_runtime::supervise(
        "misconfigured",
        move |_attempt: Attempt| {
            *c.lock().unwrap() += 1;
            async { Err(StageError::fatal("alerts.summary_time must be HH:MM")) }
        },
        CancellationToken::new(),
    )
    .await;
    let e = r.unwrap_err();
    assert!(e.is_fatal());
    assert_eq!(e.to_string(), "alerts.summary_time must be HH:MM");
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_the_backoff_stops_the_supervisor() {
    let shutdown = CancellationToken::new();
    let t0 = Instant::now();
    let s = shutdown.clone();
    let task = tokio::spawn(simak_runtime::supervise(
        "flaky",
        move |_attempt: Attempt| async { Err(StageError::transient("broker unreachable")) },
        shutdown.clone(),
    ));
    // Fails at 0, 1, 3, 7 s; the wait after the fourth failure ends at 15 s.
    tokio::time::sleep(Duration::from_secs(10)).await;
    s.cancel();
    task.await.unwrap().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(11));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_token_is_cancelled_when_the_attempt_ends() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let t = tokens.clone();
    let shutdown = CancellationToken::new();
    let s = shutdown.clone();
    simak_runtime::supervise(
        "sidecar",
        move |attempt: Attempt| {
            t.lock().unwrap().push(attempt.token.clone());
            let s = s.clone();
            let n = attempt.number;
            async move {
                if n == 2 {
                    s.cancel();
                    return Ok(());
                }
                Err(StageError::transient("failed"))
            }
        },
        shutdown,
    )
    .await
    .unwrap();
    let tokens = tokens.lock().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().all(|t| t.is_cancelled()));
}

#[test]
fn supervised_stages_are_listed_for_metrics_once_per_name() {
    let first = Supervisor::new("listed for metrics");
    let second = Supervisor::new("listed for metrics");
    let listed: Vec<_> = simak_runtime::stages()
        .into_iter()
        .filter(|(n, _)| *n == "listed for metrics")
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].1, second.metrics().snapshot());
    drop(first);
}
