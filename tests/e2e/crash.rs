//! kill -9 the indexer in the middle of a stream of 20,000 mentions, restart it: the index
//! holds exactly the mentions produced, none lost, none twice. On Kafka and on the embedded log.

use crate::harness::*;
use std::collections::HashSet;
use std::time::Duration;

const TOTAL: usize = 20_000;
const CHUNK: usize = 1_000;
/// 1 MiB segments on the embedded log: the stream rolls several while `simak run` is killed.
const SMALL_SEGMENTS: (&str, &str) = ("SIMAK_BUS__EMBEDDED__SEGMENT_MB", "1");

/// Feeds TOTAL mentions in chunks from a background thread, so the stream is still running
/// when the indexer is killed.
pub(crate) fn stream_in_background(app: &App, prefix: &'static str) -> std::thread::JoinHandle<()> {
    let config = app.config.clone();
    std::thread::spawn(move || {
        for start in (0..TOTAL).step_by(CHUNK) {
            let input = mentions_jsonl(prefix, start..start + CHUNK);
            let mut cmd = std::process::Command::new(SIMAK);
            cmd.arg("--config")
                .arg(&config)
                .args(["import", "-"])
                .env("SIMAK_LOG", "warn")
                .env(SMALL_SEGMENTS.0, SMALL_SEGMENTS.1);
            let out = with_stdin(cmd, &input);
            assert!(
                out.status.success(),
                "import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Pacing, not waiting: the stream must still be flowing when the kill comes.
            std::thread::sleep(Duration::from_millis(150));
        }
    })
}

pub(crate) fn assert_exactly_once(app: &App, prefix: &str) {
    let (n, ids) = wait_for(
        "the index to hold every mention",
        Duration::from_secs(180),
        || {
            let (n, ids) = index_ids(&app.index_path());
            (n as usize >= TOTAL).then_some((n, ids))
        },
    );
    // Let any late duplicate land before judging (waiting for something not to happen:
    // no signal says a duplicate will never come).
    std::thread::sleep(Duration::from_millis(800));
    let (n2, ids2) = index_ids(&app.index_path());
    assert_eq!((n, ids.len()), (n2, ids2.len()), "index still changing");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in the index");
    let expected: HashSet<String> = (0..TOTAL).map(|i| format!("{prefix}:{i}")).collect();
    let got: HashSet<String> = ids.into_iter().collect();
    assert_eq!(got.len(), TOTAL, "{}", app.logs());
    assert!(got == expected, "the index holds other ids than produced");
}

/// Waits until the indexer has committed part of the stream, and checks it is mid-stream.
pub(crate) fn wait_mid_stream(app: &App) -> u64 {
    let n = wait_for(
        "the indexer to commit part of the stream",
        Duration::from_secs(120),
        || {
            let (n, _) = index_ids(&app.index_path());
            (n >= 3_000).then_some(n)
        },
    );
    assert!(
        (n as usize) < TOTAL,
        "the stream was over before the kill ({n} indexed): the test would prove nothing"
    );
    n
}

#[test]
fn kafka_indexer_killed_mid_stream_loses_and_duplicates_nothing() {
    let broker = Broker::start();
    let app = App::new(Some(&broker.addr), "");
    let _analyzer = app.spawn(&["analyze"]);
    let mut indexer = app.spawn(&["index"]);
    let feeder = stream_in_background(&app, "crashk");
    let at_kill = wait_mid_stream(&app);
    indexer.kill9();
    eprintln!("killed the indexer at {at_kill} indexed mentions");
    // Down for a while on purpose: mentions keep arriving while no indexer runs.
    std::thread::sleep(Duration::from_millis(500));
    let _indexer = app.spawn(&["index"]);
    feeder.join().unwrap();
    assert_exactly_once(&app, "crashk");
}

#[test]
fn embedded_run_killed_mid_stream_loses_and_duplicates_nothing() {
    let app = App::new(None, "");
    let mut run = app.spawn_with(&["run"], &[SMALL_SEGMENTS]);
    let feeder = stream_in_background(&app, "crashe");
    let at_kill = wait_mid_stream(&app);
    run.kill9();
    eprintln!("killed `simak run` at {at_kill} indexed mentions");
    // Down for a while on purpose: the feeder keeps importing while nothing consumes.
    std::thread::sleep(Duration::from_millis(300));
    let _run = app.spawn_with(&["run"], &[SMALL_SEGMENTS]);
    feeder.join().unwrap();
    assert_exactly_once(&app, "crashe");
    let segments = std::fs::read_dir(app.dir.path().join("data/log/simak.enriched"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".log"))
        })
        .count();
    assert!(segments > 3, "the log rolled segments: {segments} files");
}
