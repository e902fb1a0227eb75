//! A fact-check import killed mid-append leaves half a record at the end of the fact-check
//! topic; the analyzer's start (`read_stream` to the end of the topic) must not wait for it.
//! Before, it timed out after 30 s on every start, and the analyzer restarted forever.

use simak_bus::embedded::EmbeddedLog;
use simak_bus::{Bus, Offsets, Record};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_torn_factcheck_tail_does_not_stall_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EmbeddedLog::open(dir.path(), 1, true, Duration::from_millis(10)).unwrap());
    let bus = Bus::Embedded(log.clone());
    let recs = (0..3)
        .map(|i| Record {
            key: format!("fc{i}"),
            value: format!("{{\"id\":\"fc{i}\",\"claim\":\"bendungan jebol nomor {i}\"}}")
                .into_bytes(),
        })
        .collect();
    log.producer("fc").unwrap().send(recs).await.unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("fc/0.log"))
        .unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3, 4, 5, 6]).unwrap();
    drop(f);
    let t0 = Instant::now();
    let r = simak_analyze::factcheck::read_stream(&bus, "fc", &Offsets::new()).await;
    assert!(
        r.is_ok(),
        "read_stream failed after {:?}: {:?}",
        t0.elapsed(),
        r.err()
    );
}
