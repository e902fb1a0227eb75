//! The embedded log: Kafka's model (topics, partitions, offsets, consumer groups) in files on one
//! machine, for running Simak with no broker.
//!
//! # Layout and format
//!
//! `<root>/<topic>/meta.json` holds the partition count, fixed when the topic is created.
//! `<root>/<topic>/<partition>.log` is an append-only sequence of records:
//!
//! ```text
//! len: u32 LE | crc32(body): u32 LE | body = timestamp_ms: i64 LE | key_len: u16 LE | key | value
//! ```
//!
//! An offset is the byte position of a record in its partition file, so a consumer seeks to any
//! offset in O(1); the offset after a record is its position plus its length (`next_offset`).
//! Offsets grow with every record, as Kafka's do, but are not consecutive.
//!
//! # Guarantees
//!
//! * A batch is acknowledged ([`EmbeddedProducer::send`] returns) only after it was written, and,
//!   with `fsync` on, synced to disk. An acknowledged record survives `kill -9` (and with fsync,
//!   a power cut).
//! * Several processes may append to one log (for example `simak import` while `simak run`
//!   runs): each append holds an exclusive `flock` on the partition file. A process killed in the
//!   middle of an append leaves a torn record at the end; it never acknowledged it, and the next
//!   writer (or the next open) truncates it. Readers treat a record whose checksum does not match
//!   as not yet written, so they never deliver a torn record.
//! * Consumer-group offsets are files replaced atomically (write, fsync, rename). One process at
//!   a time consumes a group (a lock file says so); a second gets a clear error.

use crate::{BusError, Consumed, Offsets, Record};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const HEADER: usize = 8;
const BODY_FIXED: usize = 10;
/// Largest record accepted (16 MiB): a length above this is a torn or corrupt header.
const MAX_RECORD: usize = 16 * 1024 * 1024;
const READ_CHUNK: usize = 1024 * 1024;

/// The embedded log rooted at one directory.
pub struct EmbeddedLog {
    root: PathBuf,
    default_partitions: u32,
    fsync: bool,
    poll: Duration,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
}

struct Topic {
    name: String,
    dir: PathBuf,
    parts: Vec<Partition>,
    /// Woken after every append by this process; other processes' appends are found by polling.
    appended: Notify,
}

struct Partition {
    path: PathBuf,
    writer: Mutex<Option<Writer>>,
}

struct Writer {
    file: File,
    /// End of the last valid record this process knows of.
    end: u64,
}

fn io_err(path: &Path, e: std::io::Error) -> BusError {
    BusError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

impl EmbeddedLog {
    /// Opens (creating if needed) the log rooted at `root`. New topics get `partitions` partitions.
    pub fn open(
        root: &Path,
        partitions: u32,
        fsync: bool,
        poll: Duration,
    ) -> Result<EmbeddedLog, BusError> {
        std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
        Ok(EmbeddedLog {
            root: root.to_path_buf(),
            default_partitions: partitions.max(1),
            fsync,
            poll,
            topics: Mutex::new(HashMap::new()),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn topic(&self, name: &str) -> Result<Arc<Topic>, BusError> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(BusError::Config(format!(
                "topic name {name:?} must be letters, digits, '.', '-' or '_'"
            )));
        }
        let mut topics = self.topics.lock().expect("topics lock");
        if let Some(t) = topics.get(name) {
            return Ok(t.clone());
        }
        let dir = self.root.join(name);
        std::fs::create_dir_all(dir.join("groups")).map_err(|e| io_err(&dir, e))?;
        let count = read_or_create_meta(&dir, self.default_partitions)?;
        if count != self.default_partitions {
            tracing::debug!(
                topic = name,
                partitions = count,
                configured = self.default_partitions,
                "embedded topic keeps the partition count it was created with"
            );
        }
        let parts = (0..count)
            .map(|p| Partition {
                path: dir.join(format!("{p}.log")),
                writer: Mutex::new(None),
            })
            .collect();
        let t = Arc::new(Topic {
            name: name.to_string(),
            dir,
            parts,
            appended: Notify::new(),
        });
        topics.insert(name.to_string(), t.clone());
        Ok(t)
    }

    /// Creates the topic if it does not exist.
    pub fn ensure_topic(&self, name: &str) -> Result<u32, BusError> {
        Ok(self.topic(name)?.parts.len() as u32)
    }

    /// A producer for `topic`.
    pub fn producer(&self, topic: &str) -> Result<EmbeddedProducer, BusError> {
        Ok(EmbeddedProducer {
            topic: self.topic(topic)?,
            fsync: self.fsync,
        })
    }

    /// A consumer of every partition of `topic` that starts at the offsets committed for
    /// `group` (the beginning where none were) and commits to it. Holds the group's lock.
    pub fn group_consumer(&self, topic: &str, group: &str) -> Result<EmbeddedConsumer, BusError> {
        let t = self.topic(topic)?;
        let lock_path = t
            .dir
            .join("groups")
            .join(format!("{}.lock", safe_name(group)));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(BusError::Busy(format!(
                    "consumer group {group:?} of topic {topic:?} is in use by another process \
                     (the embedded log serves one consumer per group; use Kafka to run several)"
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, e)),
        }
        let start = read_group_offsets(&t, group)?;
        let mut c = self.assigned_consumer(topic, group, &start)?;
        c.committed = start;
        c.group_lock = Some(lock);
        Ok(c)
    }

    /// A consumer of every partition of `topic` starting at `start` (the beginning of a partition
    /// missing there). Commits go to `group`'s offsets file, for lag reporting.
    pub fn assigned_consumer(
        &self,
        topic: &str,
        group: &str,
        start: &Offsets,
    ) -> Result<EmbeddedConsumer, BusError> {
        let t = self.topic(topic)?;
        let mut files = Vec::with_capacity(t.parts.len());
        let mut positions = Offsets::new();
        for (p, part) in t.parts.iter().enumerate() {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&part.path)
                .map_err(|e| io_err(&part.path, e))?;
            files.push(Arc::new(f));
            positions.insert(p as i32, *start.get(&(p as i32)).unwrap_or(&0));
        }
        // Lag reporting for an assigned consumer: start from what the group file says.
        let committed = read_group_offsets(&t, group)?;
        Ok(EmbeddedConsumer {
            topic: t,
            group: safe_name(group),
            committed,
            files,
            positions,
            poll: self.poll,
            next_part: 0,
            group_lock: None,
        })
    }

    /// End offsets of every partition of `topic` (for lag).
    pub fn end_offsets(&self, topic: &str) -> Result<Offsets, BusError> {
        let t = self.topic(topic)?;
        let mut out = Offsets::new();
        for (p, part) in t.parts.iter().enumerate() {
            let len = match std::fs::metadata(&part.path) {
                Ok(m) => m.len() as i64,
                Err(e) if e.kind() == ErrorKind::NotFound => 0,
                Err(e) => return Err(io_err(&part.path, e)),
            };
            out.insert(p as i32, len);
        }
        Ok(out)
    }
}

fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn read_or_create_meta(dir: &Path, partitions: u32) -> Result<u32, BusError> {
    let meta = dir.join("meta.json");
    let parse = |bytes: &[u8]| -> Result<u32, BusError> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| BusError::Corrupt(format!("{}: {e}", meta.display())))?;
        v["partitions"]
            .as_u64()
            .filter(|n| *n >= 1)
            .map(|n| n as u32)
            .ok_or_else(|| BusError::Corrupt(format!("{}: no partitions", meta.display())))
    };
    match std::fs::read(&meta) {
        Ok(b) => return parse(&b),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&meta, e)),
    }
    let body = serde_json::to_vec(&serde_json::json!({ "partitions": partitions })).unwrap();
    write_atomic(&meta, &body, true)?;
    // Another process may have created it at the same moment with another count: read back.
    let b = std::fs::read(&meta).map_err(|e| io_err(&meta, e))?;
    parse(&b)
}

/// Writes `path` atomically: a temporary file, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8], sync: bool) -> Result<(), BusError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("f"),
        std::process::id()
    ));
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
    if sync {
        f.sync_all().map_err(|e| io_err(&tmp, e))?;
    }
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    if sync {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn group_path(t: &Topic, group: &str) -> PathBuf {
    t.dir
        .join("groups")
        .join(format!("{}.json", safe_name(group)))
}

fn read_group_offsets(t: &Topic, group: &str) -> Result<Offsets, BusError> {
    let path = group_path(t, group);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice::<Offsets>(&b)
            .map_err(|e| BusError::Corrupt(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Offsets::new()),
        Err(e) => Err(io_err(&path, e)),
    }
}

fn encode(buf: &mut Vec<u8>, rec: &Record, ts: i64) -> Result<(), BusError> {
    let key = rec.key.as_bytes();
    if key.len() > u16::MAX as usize {
        return Err(BusError::TooLarge(format!(
            "key of {} bytes (at most {})",
            key.len(),
            u16::MAX
        )));
    }
    let body_len = BODY_FIXED + key.len() + rec.value.len();
    if body_len > MAX_RECORD {
        return Err(BusError::TooLarge(format!(
            "record {} of {body_len} bytes (at most {MAX_RECORD})",
            rec.key
        )));
    }
    let start = buf.len();
    buf.extend_from_slice(&(body_len as u32).to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(&ts.to_le_bytes());
    buf.extend_from_slice(&(key.len() as u16).to_le_bytes());
    buf.extend_from_slice(key);
    buf.extend_from_slice(&rec.value);
    let crc = crc32fast::hash(&buf[start + HEADER..]);
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Parses the records in `chunk`, which starts at file position `base`. Stops at the first
/// incomplete or invalid record; returns the records and the position after the last one.
fn decode(chunk: &[u8], base: u64, partition: i32, out: &mut Vec<Consumed>, max: usize) -> u64 {
    let mut at = 0usize;
    while out.len() < max && chunk.len() - at >= HEADER {
        let len = u32::from_le_bytes(chunk[at..at + 4].try_into().unwrap()) as usize;
        let crc = u32::from_le_bytes(chunk[at + 4..at + 8].try_into().unwrap());
        if !(BODY_FIXED..=MAX_RECORD).contains(&len) || chunk.len() - at - HEADER < len {
            break;
        }
        let body = &chunk[at + HEADER..at + HEADER + len];
        if crc32fast::hash(body) != crc {
            break;
        }
        let ts = i64::from_le_bytes(body[0..8].try_into().unwrap());
        let klen = u16::from_le_bytes(body[8..10].try_into().unwrap()) as usize;
        if BODY_FIXED + klen > len {
            break;
        }
        let key = String::from_utf8_lossy(&body[BODY_FIXED..BODY_FIXED + klen]).into_owned();
        let value = body[BODY_FIXED + klen..].to_vec();
        let offset = base + at as u64;
        at += HEADER + len;
        out.push(Consumed {
            partition,
            offset: offset as i64,
            next_offset: (base + at as u64) as i64,
            key,
            value,
            timestamp_ms: ts,
        });
    }
    base + at as u64
}

/// Reads what is valid in `file` from `pos`: the records (at most `max`) and the next position.
fn read_records(
    file: &File,
    path: &Path,
    pos: u64,
    partition: i32,
    out: &mut Vec<Consumed>,
    max: usize,
) -> Result<u64, BusError> {
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    if len <= pos {
        return Ok(pos);
    }
    let mut want = ((len - pos) as usize).min(READ_CHUNK);
    loop {
        let mut buf = vec![0u8; want];
        let n = read_full_at(file, &mut buf, pos).map_err(|e| io_err(path, e))?;
        buf.truncate(n);
        let before = out.len();
        let next = decode(&buf, pos, partition, out, max);
        if out.len() > before || n < want || want >= (len - pos) as usize {
            return Ok(next);
        }
        // A record larger than the chunk: read enough for it.
        if buf.len() >= 4 {
            let rec = u32::from_le_bytes(buf[0..4].try_into().unwrap()) as usize + HEADER;
            if rec <= want || rec > MAX_RECORD + HEADER {
                return Ok(next);
            }
            want = rec.min((len - pos) as usize);
        } else {
            return Ok(next);
        }
    }
}

fn read_full_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Scans `file` from `from` to `len` and returns the end of the last valid record.
fn valid_end(file: &File, path: &Path, from: u64) -> Result<u64, BusError> {
    let mut pos = from;
    let mut scratch = Vec::new();
    loop {
        scratch.clear();
        let next = read_records(file, path, pos, 0, &mut scratch, usize::MAX)?;
        if next == pos {
            return Ok(pos);
        }
        pos = next;
    }
}

/// Appends batches to one topic.
#[derive(Clone)]
pub struct EmbeddedProducer {
    topic: Arc<Topic>,
    fsync: bool,
}

impl EmbeddedProducer {
    /// Appends `records` (partitioned by key) and returns once they are durable.
    pub async fn send(&self, records: Vec<Record>) -> Result<(), BusError> {
        if records.is_empty() {
            return Ok(());
        }
        let topic = self.topic.clone();
        let fsync = self.fsync;
        tokio::task::spawn_blocking(move || append(&topic, &records, fsync))
            .await
            .map_err(|e| BusError::Io {
                path: PathBuf::from("<append task>"),
                source: std::io::Error::other(e.to_string()),
            })??;
        self.topic.appended.notify_waiters();
        Ok(())
    }

    /// Number of partitions of the topic.
    pub fn partitions(&self) -> u32 {
        self.topic.parts.len() as u32
    }
}

fn append(topic: &Topic, records: &[Record], fsync: bool) -> Result<(), BusError> {
    let n = topic.parts.len();
    let ts = chrono_now_ms();
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); n];
    for r in records {
        let p = crate::partition_for(&r.key, n as u32) as usize;
        encode(&mut bufs[p], r, ts)?;
    }
    for (p, buf) in bufs.iter().enumerate() {
        if buf.is_empty() {
            continue;
        }
        let part = &topic.parts[p];
        let mut guard = part.writer.lock().expect("writer lock");
        if guard.is_none() {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&part.path)
                .map_err(|e| io_err(&part.path, e))?;
            *guard = Some(Writer { file, end: 0 });
        }
        let w = guard.as_mut().unwrap();
        w.file.lock().map_err(|e| io_err(&part.path, e))?;
        let res = (|| {
            let len = w.file.metadata().map_err(|e| io_err(&part.path, e))?.len();
            if len != w.end {
                // Another process appended, or this is the first append: validate what is new.
                let from = if len < w.end { 0 } else { w.end };
                w.end = valid_end(&w.file, &part.path, from)?;
                if w.end < len {
                    tracing::warn!(
                        topic = %topic.name,
                        partition = p,
                        torn_bytes = len - w.end,
                        "truncating a torn record left by a crashed writer"
                    );
                    w.file.set_len(w.end).map_err(|e| io_err(&part.path, e))?;
                }
            }
            w.file
                .write_all_at(buf, w.end)
                .map_err(|e| io_err(&part.path, e))?;
            if fsync {
                w.file.sync_data().map_err(|e| io_err(&part.path, e))?;
            }
            w.end += buf.len() as u64;
            Ok(())
        })();
        if res.is_err() {
            // The write may be partial: make the next append re-validate the tail.
            w.end = u64::MAX;
        }
        let _ = w.file.unlock();
        res?;
    }
    Ok(())
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reads every partition of one topic.
pub struct EmbeddedConsumer {
    topic: Arc<Topic>,
    group: String,
    /// What the group file holds: this consumer is its only writer.
    committed: Offsets,
    files: Vec<Arc<File>>,
    positions: Offsets,
    poll: Duration,
    next_part: usize,
    group_lock: Option<File>,
}

impl EmbeddedConsumer {
    /// Returns up to `max` records, waiting at most `wait` for the first one.
    pub async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Consumed>, BusError> {
        let deadline = Instant::now() + wait;
        let topic = self.topic.clone();
        loop {
            let notified = topic.appended.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let out = self.read_now(max).await?;
            if !out.is_empty() {
                return Ok(out);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(out);
            }
            let nap = self.poll.min(deadline - now);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn read_now(&mut self, max: usize) -> Result<Vec<Consumed>, BusError> {
        let files = self.files.clone();
        let paths: Vec<PathBuf> = self.topic.parts.iter().map(|p| p.path.clone()).collect();
        let positions = self.positions.clone();
        let first = self.next_part;
        let (out, positions) = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let mut positions = positions;
            let n = files.len();
            // Round-robin over partitions so one busy partition does not starve the others.
            let share = max.div_ceil(n).max(1);
            for i in 0..n {
                let p = (first + i) % n;
                let budget = share.min(max - out.len());
                if budget == 0 {
                    break;
                }
                let pos = positions[&(p as i32)] as u64;
                let before = out.len();
                let next = read_records(
                    &files[p],
                    &paths[p],
                    pos,
                    p as i32,
                    &mut out,
                    before + budget,
                )?;
                positions.insert(p as i32, next as i64);
            }
            Ok::<_, BusError>((out, positions))
        })
        .await
        .map_err(|e| BusError::Io {
            path: self.topic.dir.clone(),
            source: std::io::Error::other(e.to_string()),
        })??;
        self.positions = positions;
        self.next_part = (first + 1) % self.files.len().max(1);
        Ok(out)
    }

    /// Stores `offsets` (next offset to read per partition) as the group's committed offsets.
    pub async fn commit(&mut self, offsets: &Offsets) -> Result<(), BusError> {
        self.committed.extend(offsets.iter().map(|(p, o)| (*p, *o)));
        let path = group_path(&self.topic, &self.group);
        let body = serde_json::to_vec(&self.committed).unwrap();
        tokio::task::spawn_blocking(move || write_atomic(&path, &body, true))
            .await
            .map_err(|e| BusError::Io {
                path: self.topic.dir.clone(),
                source: std::io::Error::other(e.to_string()),
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: usize) -> Record {
        Record {
            key: format!("k{i}"),
            value: format!("value {i}").into_bytes(),
        }
    }

    async fn drain(c: &mut EmbeddedConsumer) -> Vec<Consumed> {
        let mut all = Vec::new();
        loop {
            let got = c.poll(500, Duration::from_millis(20)).await.unwrap();
            if got.is_empty() {
                return all;
            }
            all.extend(got);
        }
    }

    #[tokio::test]
    async fn produce_consume_commit_resume() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 3, false, Duration::from_millis(10)).unwrap();
        let p = log.producer("t").unwrap();
        p.send((0..1000).map(rec).collect()).await.unwrap();
        let mut c = log.group_consumer("t", "g").unwrap();
        let first = drain(&mut c).await;
        assert_eq!(first.len(), 1000);
        let mut keys: Vec<_> = first.iter().map(|r| r.key.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 1000);
        // Commit half of what partition 0 gave, then resume.
        let p0: Vec<_> = first.iter().filter(|r| r.partition == 0).collect();
        let mid = p0[p0.len() / 2];
        let mut offs = Offsets::new();
        offs.insert(0, mid.next_offset);
        c.commit(&offs).await.unwrap();
        drop(c);
        let mut c = log.group_consumer("t", "g").unwrap();
        let again = drain(&mut c).await;
        let expect = first.len() - (p0.len() / 2 + 1);
        assert_eq!(again.len(), expect);
    }

    #[tokio::test]
    async fn second_consumer_of_a_group_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(10)).unwrap();
        let _c = log.group_consumer("t", "g").unwrap();
        let log2 = EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(10)).unwrap();
        match log2.group_consumer("t", "g") {
            Err(BusError::Busy(m)) => assert!(m.contains("\"g\""), "{m}"),
            other => panic!("expected Busy, got {:?}", other.map(|_| ())),
        }
    }

    #[tokio::test]
    async fn torn_tail_is_skipped_then_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 1, true, Duration::from_millis(10)).unwrap();
        log.producer("t")
            .unwrap()
            .send((0..10).map(rec).collect())
            .await
            .unwrap();
        // A writer killed mid-append leaves half a record.
        let path = dir.path().join("t/0.log");
        let mut half = Vec::new();
        encode(&mut half, &rec(99), 0).unwrap();
        half.truncate(half.len() / 2);
        let f = OpenOptions::new().append(true).open(&path).unwrap();
        (&f).write_all(&half).unwrap();
        let mut c = log.group_consumer("t", "g").unwrap();
        assert_eq!(
            drain(&mut c).await.len(),
            10,
            "torn record is not delivered"
        );
        // A new process appends: the torn bytes go, the new records follow the valid ones.
        let log2 = EmbeddedLog::open(dir.path(), 1, true, Duration::from_millis(10)).unwrap();
        log2.producer("t")
            .unwrap()
            .send((10..15).map(rec).collect())
            .await
            .unwrap();
        let rest = drain(&mut c).await;
        let keys: Vec<_> = rest.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["k10", "k11", "k12", "k13", "k14"]);
    }

    #[tokio::test]
    async fn waiting_consumer_wakes_on_append() {
        let dir = tempfile::tempdir().unwrap();
        let log =
            Arc::new(EmbeddedLog::open(dir.path(), 2, false, Duration::from_secs(10)).unwrap());
        let mut c = log.group_consumer("t", "g").unwrap();
        let p = log.producer("t").unwrap();
        let h = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            p.send(vec![rec(1)]).await.unwrap();
        });
        let t0 = Instant::now();
        let got = c.poll(10, Duration::from_secs(5)).await.unwrap();
        assert_eq!(got.len(), 1);
        assert!(t0.elapsed() < Duration::from_secs(5));
        h.await.unwrap();
    }

    #[test]
    fn large_record_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let big = Record {
            key: "big".into(),
            value: vec![7u8; 3 * READ_CHUNK],
        };
        let mut buf = Vec::new();
        encode(&mut buf, &rec(1), 0).unwrap();
        encode(&mut buf, &big, 0).unwrap();
        std::fs::write(&path, &buf).unwrap();
        let f = File::open(&path).unwrap();
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let next = read_records(&f, &path, pos, 0, &mut out, usize::MAX).unwrap();
            if next == pos {
                break;
            }
            pos = next;
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].value.len(), 3 * READ_CHUNK);
        assert_eq!(pos as usize, buf.len());
    }
}
