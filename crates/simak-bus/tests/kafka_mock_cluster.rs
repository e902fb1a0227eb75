//! The Kafka side of the bus against librdkafka's mock cluster (`rdkafka::mocking`): three
//! brokers on loopback whose partition leaders the test moves, and one of which it takes down
//! and brings back, while a producer streams batches and a consumer group reads and commits.
//! Every record arrives; the log holds each once (the idempotent producer's retries add no
//! copy); and a consumer resuming from the committed offsets reads nothing again.

use rdkafka::mocking::MockCluster;
use simak_bus::{advance, Bus, Offsets, Record};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TOPIC: &str = "simak.mentions";
const BATCHES: usize = 20;
const PER_BATCH: usize = 100;

fn bus(bootstrap: &str) -> Bus {
    let mut cfg = simak_core::Config::default();
    cfg.bus.brokers = bootstrap.to_string();
    cfg.bus.partitions = 3;
    cfg.bus.replication_factor = 3;
    Bus::open(&cfg).unwrap()
}

/// Reads `topic` as `group` until `want` records came or `timeout` passed, committing after each
/// batch; returns how many times each key was read, and the offsets last committed.
async fn read_all(
    bus: &Bus,
    group: &str,
    want: usize,
    timeout: Duration,
) -> (HashMap<String, usize>, Offsets) {
    let mut c = bus.group_consumer(TOPIC, group).unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let deadline = Instant::now() + timeout;
    let mut read = 0;
    let mut committed = Offsets::new();
    while read < want && Instant::now() < deadline {
        let batch = match c.poll(500, Duration::from_millis(200)).await {
            Ok(b) => b,
            // A leader moving or a broker down: the stage runtime restarts on this; here,
            // poll again.
            Err(e) => {
                eprintln!("poll: {e}");
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        read += batch.len();
        for r in &batch {
            *seen.entry(r.key.clone()).or_default() += 1;
        }
        let mut offs = Offsets::new();
        advance(&mut offs, &batch);
        // A failed commit only means a re-read later: note it, do not stop.
        match c.commit(&offs).await {
            Ok(()) => committed.extend(offs),
            Err(e) => eprintln!("commit: {e}"),
        }
    }
    (seen, committed)
}

#[tokio::test(flavor = "multi_thread")]
async fn leader_changes_and_a_broker_down_lose_and_duplicate_nothing() {
    let cluster = MockCluster::new(3).unwrap();
    cluster.create_topic(TOPIC, 3, 3).unwrap();
    let bus = bus(&cluster.bootstrap_servers());
    let producer = bus.producer(TOPIC).unwrap();
    let total = BATCHES * PER_BATCH;
    let reader = {
        let bus = bus.clone();
        tokio::spawn(async move { read_all(&bus, "stage", total, Duration::from_secs(120)).await })
    };
    let mut moves = 0;
    for b in 0..BATCHES {
        let records = (0..PER_BATCH)
            .map(|i| Record {
                key: format!("m:{b}:{i}"),
                value: format!("{{\"n\":{}}}", b * PER_BATCH + i).into_bytes(),
            })
            .collect();
        producer.send(records).await.unwrap();
        // Every partition's leader moves to another broker after each batch (to a live one, as
        // a cluster's controller would: a leader on a broker that is down makes its partition
        // unavailable, and the records time out).
        let down = (8..13).contains(&b);
        for p in 0..3 {
            let k = b + p as usize;
            let leader = if down {
                [1, 3][k % 2]
            } else {
                (k % 3 + 1) as i32
            };
            cluster.partition_leader(TOPIC, p, Some(leader)).unwrap();
            moves += 1;
        }
        // Broker 2 goes away for a stretch of the stream (its partitions led elsewhere), then
        // comes back.
        if b == 8 {
            cluster.broker_down(2).unwrap();
        }
        if b == 13 {
            cluster.broker_up(2).unwrap();
        }
    }
    let (seen, committed) = reader.await.unwrap();
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    let missing = (0..BATCHES)
        .flat_map(|b| (0..PER_BATCH).map(move |i| format!("m:{b}:{i}")))
        .filter(|k| !seen.contains_key(k))
        .count();
    eprintln!(
        "mock cluster: {total} sent, {} read, {} read twice, {missing} missing; {moves} leader moves, broker 2 down for 5 batches",
        seen.values().sum::<usize>(),
        twice.len()
    );
    assert_eq!(missing, 0, "records lost");
    assert!(twice.is_empty(), "records read twice: {twice:?}");
    // The group's committed offsets are the end of every partition: a restart reads nothing
    // again.
    let end = bus.end_offsets(TOPIC).await.unwrap();
    assert_eq!(
        committed, end,
        "committed offsets are not the end of the log"
    );
    // The log itself holds each record once: a new group reads exactly `total`, each once.
    let (fresh, _) = read_all(&bus, "check", total + 1, Duration::from_secs(10)).await;
    assert_eq!(fresh.len(), total);
    assert!(fresh.values().all(|n| *n == 1), "the log holds copies");
}
