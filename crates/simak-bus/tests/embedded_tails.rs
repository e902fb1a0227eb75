//! The embedded log after a writer died mid-way (kill -9, or a full disk): a torn last record
//! and an empty last segment must neither stall readers nor count as part of the log, and
//! records must come once each across tiny segments with torn tails in between.

use simak_bus::embedded::EmbeddedLog;
use simak_bus::{advance, Offsets, Record};
use std::io::Write;
use std::time::Duration;

fn rec(i: usize) -> Record {
    Record {
        key: format!("k{i}"),
        value: format!("{{\"n\":{i}}}").into_bytes(),
    }
}

/// Half a record at the end of the active segment (a writer killed mid-append).
fn tear(path: &std::path::Path) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3, 4, 5, 6]).unwrap();
}

/// `end_offsets` is where a reader that has read every whole record stands; before, it counted
/// the torn tail, so `factcheck::read_stream` waited for bytes no reader could reach.
#[tokio::test]
async fn end_offsets_leave_out_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 1, true, Duration::from_millis(10)).unwrap();
    log.producer("f")
        .unwrap()
        .send((0..5).map(rec).collect())
        .await
        .unwrap();
    tear(&dir.path().join("f/0.log"));
    let mut c = log
        .assigned_consumer("f", "reader", &Offsets::new())
        .unwrap();
    let (mut pos, mut n) = (Offsets::new(), 0);
    loop {
        let got = c.poll(100, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            break;
        }
        n += got.len();
        advance(&mut pos, &got);
    }
    assert_eq!(n, 5);
    assert_eq!(
        pos,
        log.end_offsets("f").unwrap(),
        "a reader that has read every record is not at end_offsets"
    );
}

/// A roll created the next segment and the writer died before writing into it: a reader that
/// has caught up went on to "the next segment", the same empty file, forever.
#[test]
fn an_empty_last_segment_does_not_make_a_caught_up_reader_spin() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let log = EmbeddedLog::open(&root, 1, false, Duration::from_millis(10))
        .unwrap()
        .with_segments(100, None);
    rt.block_on(log.producer("t").unwrap().send((0..5).map(rec).collect()))
        .unwrap();
    let len = std::fs::metadata(root.join("t/0.log")).unwrap().len();
    std::fs::File::create(root.join(format!("t/0.{len:020}.log"))).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_root = root.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let log = EmbeddedLog::open(&reader_root, 1, false, Duration::from_millis(10)).unwrap();
            let mut c = log.group_consumer("t", "g").unwrap();
            let first = c.poll(100, Duration::from_millis(100)).await.unwrap();
            let _ = tx.send(first.len());
            let second = c.poll(100, Duration::from_millis(100)).await.unwrap();
            let _ = tx.send(second.len());
        });
    });
    let first = rx.recv_timeout(Duration::from_secs(10));
    let second = rx.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        (first, second),
        (Ok(5), Ok(0)),
        "the reader must get the 5 records, then an empty poll"
    );
    // And the next append goes into the empty segment, where the reader finds it.
    rt.block_on(log.producer("t").unwrap().send((5..8).map(rec).collect()))
        .unwrap();
    let log = EmbeddedLog::open(&root, 1, false, Duration::from_millis(10)).unwrap();
    let mut c = log.group_consumer("t", "h").unwrap();
    let mut keys = Vec::new();
    rt.block_on(async {
        loop {
            let got = c.poll(100, Duration::from_millis(50)).await.unwrap();
            if got.is_empty() {
                break;
            }
            keys.extend(got.into_iter().map(|r| r.key));
        }
    });
    assert_eq!(keys, (0..8).map(|i| format!("k{i}")).collect::<Vec<_>>());
}

/// Two writers (as two processes), 300-byte segments, torn tails left under the partition lock
/// as a killed append leaves them, and a reader following: every record once, each writer's
/// in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_tiny_segments_and_torn_tails_read_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        std::sync::Arc::new(
            EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(2))
                .unwrap()
                .with_segments(300, None),
        )
    };
    let (a, b, r) = (open(), open(), open());
    a.ensure_topic("t").unwrap();
    let reader = tokio::spawn(async move {
        let mut c = r.group_consumer("t", "g").unwrap();
        let (mut got, mut idle) = (Vec::new(), 0);
        while idle < 40 {
            let recs = c.poll(7, Duration::from_millis(25)).await.unwrap();
            idle = if recs.is_empty() { idle + 1 } else { 0 };
            got.extend(recs.into_iter().map(|r| r.key));
        }
        got
    });
    let write = |log: std::sync::Arc<EmbeddedLog>, who: &'static str| {
        tokio::spawn(async move {
            let p = log.producer("t").unwrap();
            for i in 0..200 {
                p.send(vec![Record {
                    key: format!("{who}{i:04}"),
                    value: vec![b'x'; (i % 5) * 7],
                }])
                .await
                .unwrap();
                if i % 50 == 25 && who == "a" {
                    // A third writer dies mid-append, holding the partition lock as an append does.
                    let tdir = log.root().join("t");
                    let lock = std::fs::OpenOptions::new()
                        .write(true)
                        .open(tdir.join("0.lock"))
                        .unwrap();
                    lock.lock().unwrap();
                    let last = std::fs::read_dir(&tdir)
                        .unwrap()
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().into_string().unwrap())
                        .filter_map(|n| {
                            let stem = n.strip_suffix(".log")?.to_string();
                            let base = match stem.split_once('.') {
                                None => 0u64,
                                Some((_, b)) => b.parse().ok()?,
                            };
                            Some((base, n))
                        })
                        .max()
                        .unwrap()
                        .1;
                    tear(&tdir.join(last));
                    lock.unlock().unwrap();
                }
            }
        })
    };
    let (wa, wb) = (write(a.clone(), "a"), write(b.clone(), "b"));
    wa.await.unwrap();
    wb.await.unwrap();
    let got = reader.await.unwrap();
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((sorted.len(), got.len()), (400, 400));
    for who in ["a", "b"] {
        let mine: Vec<_> = got.iter().filter(|k| k.starts_with(who)).collect();
        let mut ordered = mine.clone();
        ordered.sort();
        assert_eq!(mine, ordered);
    }
}
