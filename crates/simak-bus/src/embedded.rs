//! The embedded log: Kafka's model (topics, partitions, offsets, consumer groups) in files on one
//! machine, for running Simak with no broker.
//!
//! # Layout and format
//!
//! `<root>/<topic>/meta.json` holds the partition count, fixed when the topic is created.
//! A partition is a series of **segments**, append-only files of records:
//!
//! ```text
//! len: u32 LE | crc32(body): u32 LE | body = timestamp_ms: i64 LE | key_len: u16 LE | key | value
//! ```
//!
//! An offset is a byte position in the partition as if its segments were one file, so a consumer
//! seeks to any offset in O(1); the offset after a record is its position plus its length
//! (`next_offset`). Offsets grow with every record, as Kafka's do, but are not consecutive.
//!
//! A segment is named by its base offset: `<partition>.log` for the first (base 0, the single
//! file of the releases before segments, which this one reads as it is) and
//! `<partition>.<base, 20 digits>.log` for the others. The writer closes the active segment
//! once it holds `segment_bytes`, or its first record is older than `segment_age`, and starts
//! the next one at base = base + length of the closed one, so the next segment's name follows
//! from the one before.
//!
//! # Guarantees
//!
//! * A batch is acknowledged ([`EmbeddedProducer::send`] returns) only after it was written, and,
//!   with `fsync` on, synced to disk. An acknowledged record survives `kill -9` (and with fsync,
//!   a power cut).
//! * Several processes may append to one log (for example `simak import` while `simak run`
//!   runs): each append holds an exclusive `flock` on the partition's `<partition>.lock`. A
//!   process killed in the middle of an append leaves a torn record at the end; it never
//!   acknowledged it, and the next writer truncates it (before it closes a segment, so a closed
//!   segment ends on a record). Readers treat a record whose checksum does not match as not yet
//!   written, so they never deliver a torn record.
//! * Consumer-group offsets are files replaced atomically (write, fsync, rename). One process at
//!   a time consumes a group (a lock file says so); a second gets a clear error.
//! * **Retention** ([`EmbeddedLog::enforce_retention`]) deletes a closed segment only when every
//!   consumer group of its topic (each has a file under `groups/`, made when it first
//!   consumes) has committed past its end and it was last written longer ago than the
//!   retention; never the active segment. A consumer positioned before the first segment left
//!   (a new group) starts at that segment, as Kafka's `earliest`.

use crate::{BusError, Consumed, Offsets, Record};
use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Notify;

const HEADER: usize = 8;
const BODY_FIXED: usize = 10;
/// Largest record accepted (16 MiB): a length above this is a torn or corrupt header.
const MAX_RECORD: usize = 16 * 1024 * 1024;
const READ_CHUNK: usize = 1024 * 1024;
/// Default size at which a segment is closed.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Held (exclusive `flock`) by retention while it deletes, and by a backup while it copies, so
/// that a backup never misses a segment its consumer offsets still need.
const RETENTION_LOCK: &str = ".retention.lock";

/// Segments and bytes deleted by retention in this process.
static DELETED_SEGMENTS: AtomicU64 = AtomicU64::new(0);
static DELETED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Segments and bytes retention deleted in this process since it started.
pub fn retention_totals() -> RetentionReport {
    RetentionReport {
        segments: DELETED_SEGMENTS.load(Ordering::Relaxed),
        bytes: DELETED_BYTES.load(Ordering::Relaxed),
    }
}

/// What a retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Segment files deleted.
    pub segments: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What one topic of the log holds on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicUsage {
    /// The topic.
    pub topic: String,
    /// Segment files.
    pub segments: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The embedded log rooted at one directory.
pub struct EmbeddedLog {
    root: PathBuf,
    /// This log's identity (see [`EmbeddedLog::id`]).
    id: String,
    default_partitions: u32,
    fsync: bool,
    poll: Duration,
    segment_bytes: u64,
    segment_age: Option<Duration>,
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
    index: u32,
    dir: PathBuf,
    writer: Mutex<Option<Writer>>,
}

impl Partition {
    fn lock_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.index))
    }

    fn segment_path(&self, base: u64) -> PathBuf {
        segment_path(&self.dir, self.index, base)
    }

    fn segments(&self) -> Result<Vec<u64>, BusError> {
        list_segments(&self.dir, self.index)
    }

    /// Opens (creating) the partition's lock file and takes it.
    fn lock(&self) -> Result<File, BusError> {
        let path = self.lock_path();
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        f.lock().map_err(|e| io_err(&path, e))?;
        Ok(f)
    }
}

/// The path of the segment of partition `p` based at `base`.
fn segment_path(dir: &Path, p: u32, base: u64) -> PathBuf {
    if base == 0 {
        dir.join(format!("{p}.log"))
    } else {
        dir.join(format!("{p}.{base:020}.log"))
    }
}

/// The base offsets of partition `p`'s segments, in order.
fn list_segments(dir: &Path, p: u32) -> Result<Vec<u64>, BusError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(dir, e)),
    };
    let part = p.to_string();
    for e in rd {
        let e = e.map_err(|e| io_err(dir, e))?;
        let name = e.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".log")) else {
            continue;
        };
        match stem.split_once('.') {
            None if stem == part => out.push(0),
            Some((q, base)) if q == part && base.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(b) = base.parse::<u64>() {
                    out.push(b);
                }
            }
            _ => {}
        }
    }
    out.sort_unstable();
    Ok(out)
}

struct Writer {
    /// The partition's lock file (`flock`ed during each append).
    lock: File,
    /// The active segment as this process last saw it.
    seg: Option<Segment>,
}

struct Segment {
    base: u64,
    path: PathBuf,
    file: File,
    /// End of the last valid record this process knows of, in the segment.
    end: u64,
    /// Timestamp of the segment's first record, once read.
    first_ms: Option<i64>,
}

fn io_err(path: &Path, e: std::io::Error) -> BusError {
    BusError::Io {
        path: path.to_path_buf(),
        cause: e,
    }
}

fn open_rw(path: &Path) -> Result<File, BusError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_err(path, e))
}

impl EmbeddedLog {
    /// Opens (creating if needed) the log rooted at `root`. New topics get `partitions` partitions.
    /// Segments are closed at [`DEFAULT_SEGMENT_BYTES`] (see [`EmbeddedLog::with_segments`]).
    pub fn open(
        root: &Path,
        partitions: u32,
        fsync: bool,
        poll: Duration,
    ) -> Result<EmbeddedLog, BusError> {
        std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
        let id = log_id(root)?;
        Ok(EmbeddedLog {
            root: root.to_path_buf(),
            id,
            default_partitions: partitions.max(1),
            fsync,
            poll,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            segment_age: None,
            topics: Mutex::new(HashMap::new()),
        })
    }

    /// Closes a segment once it holds `bytes`, or once its first record is older than `age`.
    pub fn with_segments(mut self, bytes: u64, age: Option<Duration>) -> EmbeddedLog {
        self.segment_bytes = bytes.max(1);
        self.segment_age = age;
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This log's identity: made when the log is created (the file `log.id` under the root),
    /// kept by a backup and its restore, new for a log made again from nothing. Offsets saved
    /// elsewhere (the index's commit) name it, so that offsets of a log since deleted are never
    /// read as offsets into a new one: byte offsets of another log would land mid-record, where
    /// a reader waits forever for a record that never becomes whole, or on a record boundary
    /// past records never read.
    pub fn id(&self) -> &str {
        &self.id
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
                index: p,
                dir: dir.clone(),
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
            segment_bytes: self.segment_bytes,
            segment_age: self.segment_age,
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
    /// missing there). Commits go to `group`'s offsets file, for lag reporting. The group is
    /// registered (a file under `groups/`), so retention keeps what it has not committed.
    pub fn assigned_consumer(
        &self,
        topic: &str,
        group: &str,
        start: &Offsets,
    ) -> Result<EmbeddedConsumer, BusError> {
        let t = self.topic(topic)?;
        let marker = t
            .dir
            .join("groups")
            .join(format!("{}.lock", safe_name(group)));
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&marker)
            .map_err(|e| io_err(&marker, e))?;
        let mut parts = Vec::with_capacity(t.parts.len());
        let mut positions = Offsets::new();
        for p in 0..t.parts.len() {
            parts.push(ReadState::default());
            positions.insert(p as i32, (*start.get(&(p as i32)).unwrap_or(&0)).max(0));
        }
        // Lag reporting for an assigned consumer: start from what the group file says.
        let committed = read_group_offsets(&t, group)?;
        Ok(EmbeddedConsumer {
            topic: t,
            group: safe_name(group),
            committed,
            parts,
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
            let end = match part.segments()?.last() {
                None => 0,
                Some(&base) => {
                    // The end of the last whole record: a torn tail (a writer killed or out of
                    // disk mid-append) is skipped by readers until the next append truncates
                    // it, so it is no part of the log. Counting it made `factcheck::read_stream`
                    // wait for bytes no reader could reach, and time out on every start.
                    let path = part.segment_path(base);
                    match File::open(&path) {
                        Ok(f) => base + valid_end(&f, &path, 0)?,
                        Err(e) if e.kind() == ErrorKind::NotFound => base,
                        Err(e) => return Err(io_err(&path, e)),
                    }
                }
            };
            out.insert(p as i32, end as i64);
        }
        Ok(out)
    }

    /// The topics under the root and what their segments hold on disk (read from the
    /// directory, so it sees other processes' writes).
    pub fn usage(&self) -> Result<Vec<TopicUsage>, BusError> {
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err(&self.root, e)),
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("meta.json").is_file())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .collect();
        names.sort();
        for name in names {
            let dir = self.root.join(&name);
            let mut u = TopicUsage {
                topic: name,
                ..Default::default()
            };
            for e in std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))? {
                let Ok(e) = e else { continue };
                if e.file_name().to_str().is_some_and(|n| n.ends_with(".log")) {
                    if let Ok(m) = e.metadata() {
                        u.segments += 1;
                        u.bytes += m.len();
                    }
                }
            }
            out.push(u);
        }
        Ok(out)
    }

    /// Deletes the closed segments of `topic` that every consumer group of the topic has
    /// committed past and that were last written more than `retention` before `now`. A topic no
    /// group consumes keeps everything. Skipped (nothing deleted) while a backup runs.
    pub fn enforce_retention(
        &self,
        topic: &str,
        retention: Duration,
        now: SystemTime,
    ) -> Result<RetentionReport, BusError> {
        let t = self.topic(topic)?;
        let mut report = RetentionReport::default();
        let lock_path = self.root.join(RETENTION_LOCK);
        let pause = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        match pause.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!(topic, "retention skipped: a backup is running");
                return Ok(report);
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, e)),
        }
        let groups = group_names(&t)?;
        if groups.is_empty() {
            return Ok(report);
        }
        let committed: Vec<Offsets> = groups
            .iter()
            .map(|g| read_group_offsets(&t, g))
            .collect::<Result<_, _>>()?;
        for part in &t.parts {
            let p = part.index as i32;
            let floor = committed
                .iter()
                .map(|o| o.get(&p).copied().unwrap_or(0).max(0) as u64)
                .min()
                .unwrap_or(0);
            let _lock = part.lock()?;
            let segs = part.segments()?;
            // A prefix of the closed segments: never the last (active) one.
            for w in segs.windows(2) {
                let (base, next) = (w[0], w[1]);
                if next > floor {
                    break;
                }
                let path = part.segment_path(base);
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(io_err(&path, e)),
                };
                let written = meta.modified().map_err(|e| io_err(&path, e))?;
                if now.duration_since(written).unwrap_or_default() < retention {
                    break;
                }
                std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
                report.segments += 1;
                report.bytes += meta.len();
                tracing::info!(
                    topic,
                    partition = p,
                    base,
                    bytes = meta.len(),
                    "retention deleted a segment"
                );
            }
        }
        DELETED_SEGMENTS.fetch_add(report.segments, Ordering::Relaxed);
        DELETED_BYTES.fetch_add(report.bytes, Ordering::Relaxed);
        Ok(report)
    }

    /// Stops retention (in every process) until the returned guard is dropped: a backup takes
    /// it before it copies the index, so no segment its offsets still need is deleted before
    /// the log is copied.
    pub fn pause_retention(&self) -> Result<RetentionPause, BusError> {
        let lock_path = self.root.join(RETENTION_LOCK);
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        f.lock().map_err(|e| io_err(&lock_path, e))?;
        Ok(RetentionPause { _lock: f })
    }

    /// Copies every topic of the log into `dest` (a new directory): the consumer-group offsets
    /// and the segments as they stood at one moment for the whole log (appends wait for that
    /// moment only), so every committed offset is inside the copy, and so is every record a
    /// stage wrote before it committed its input's offsets (the analyzer commits on the mentions
    /// topic after its output to the enriched topic was acknowledged). Segment modification
    /// times are kept (retention reads them). Returns the bytes of segments copied.
    pub fn snapshot_to(&self, dest: &Path) -> Result<u64, BusError> {
        std::fs::create_dir_all(dest).map_err(|e| io_err(dest, e))?;
        copy_file(&self.root.join(LOG_ID), &dest.join(LOG_ID), None)?;
        let topics: Vec<Arc<Topic>> = self
            .usage()?
            .iter()
            .map(|u| self.topic(&u.topic))
            .collect::<Result<_, _>>()?;
        for t in &topics {
            let tdest = dest.join(&t.name);
            std::fs::create_dir_all(tdest.join("groups")).map_err(|e| io_err(&tdest, e))?;
            copy_file(&t.dir.join("meta.json"), &tdest.join("meta.json"), None)?;
        }
        // Every partition's lock, always in the same order (an append holds one at a time):
        // the group offsets are read, then the segment lengths, with no append in between.
        let locks: Vec<File> = topics
            .iter()
            .flat_map(|t| t.parts.iter())
            .map(|p| p.lock())
            .collect::<Result<_, _>>()?;
        for t in &topics {
            let gdir = t.dir.join("groups");
            for e in std::fs::read_dir(&gdir).map_err(|e| io_err(&gdir, e))? {
                let e = e.map_err(|e| io_err(&gdir, e))?;
                let name = e.file_name();
                let Some(n) = name.to_str() else { continue };
                if n.ends_with(".json") || n.ends_with(".lock") {
                    copy_file(&e.path(), &dest.join(&t.name).join("groups").join(n), None)?;
                }
            }
        }
        let mut open = Vec::new();
        for t in &topics {
            for part in &t.parts {
                for base in part.segments()? {
                    let path = part.segment_path(base);
                    let f = File::open(&path).map_err(|e| io_err(&path, e))?;
                    let m = f.metadata().map_err(|e| io_err(&path, e))?;
                    let to = dest
                        .join(&t.name)
                        .join(path.file_name().expect("segment file name"));
                    open.push((path, to, f, m.len(), m.modified().ok()));
                }
            }
        }
        drop(locks);
        // What was there at that moment never changes (appends go after it).
        let mut bytes = 0;
        let mut buf = vec![0u8; READ_CHUNK];
        for (path, to, f, len, mtime) in open {
            let mut out = File::create(&to).map_err(|e| io_err(&to, e))?;
            let mut pos = 0u64;
            while pos < len {
                let want = ((len - pos) as usize).min(buf.len());
                let n = read_full_at(&f, &mut buf[..want], pos).map_err(|e| io_err(&path, e))?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n]).map_err(|e| io_err(&to, e))?;
                pos += n as u64;
            }
            out.sync_all().map_err(|e| io_err(&to, e))?;
            if let Some(m) = mtime {
                let _ = out.set_modified(m);
            }
            bytes += pos;
        }
        Ok(bytes)
    }
}

/// Keeps retention from deleting while held ([`EmbeddedLog::pause_retention`]).
pub struct RetentionPause {
    _lock: File,
}

/// Copies `from` to `to` (fsynced), keeping `mtime` if given.
/// The file under the root holding the log's identity.
const LOG_ID: &str = "log.id";

/// The identity of the log at `root`, made (16 hex digits from the clock, the process and the
/// path) and written once if the log has none; two processes creating it at once agree, as only
/// one `create_new` succeeds and the other reads what it wrote.
fn log_id(root: &Path) -> Result<String, BusError> {
    let path = root.join(LOG_ID);
    let valid =
        |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    for _ in 0..50 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                use std::hash::{BuildHasher, Hasher};
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u128(
                    SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos()),
                );
                h.write_u32(std::process::id());
                h.write(root.as_os_str().as_encoded_bytes());
                let id = format!("{:016x}", h.finish());
                f.write_all(id.as_bytes()).map_err(|e| io_err(&path, e))?;
                f.sync_all().map_err(|e| io_err(&path, e))?;
                if let Ok(d) = File::open(root) {
                    let _ = d.sync_all();
                }
                return Ok(id);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let s = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
                let s = s.trim();
                if valid(s) {
                    return Ok(s.to_string());
                }
                // Being written by another process (or left empty by a crash just after its
                // creation: the loop below then takes it over).
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(io_err(&path, e)),
        }
    }
    // Still empty or unreadable after half a second: a creator died before writing it. The
    // log has no identity yet, so nothing names it; make one.
    std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
    log_id(root)
}

fn copy_file(from: &Path, to: &Path, mtime: Option<SystemTime>) -> Result<u64, BusError> {
    let n = std::fs::copy(from, to).map_err(|e| io_err(from, e))?;
    let f = OpenOptions::new()
        .write(true)
        .open(to)
        .map_err(|e| io_err(to, e))?;
    f.sync_all().map_err(|e| io_err(to, e))?;
    if let Some(m) = mtime {
        let _ = f.set_modified(m);
    }
    Ok(n)
}

/// The consumer groups of a topic: each has an offsets file or a lock file under `groups/`.
fn group_names(t: &Topic) -> Result<BTreeSet<String>, BusError> {
    let dir = t.dir.join("groups");
    let mut out = BTreeSet::new();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(&dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| io_err(&dir, e))?;
        let name = e.file_name();
        let Some(n) = name.to_str() else { continue };
        if n.starts_with('.') {
            continue;
        }
        if let Some(g) = n.strip_suffix(".json").or_else(|| n.strip_suffix(".lock")) {
            out.insert(g.to_string());
        }
    }
    Ok(out)
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

/// Parses the records in `chunk`, which starts at file position `base` of a segment based at
/// `seg_base`. Stops at the first incomplete or invalid record; returns the records (offsets in
/// the partition) and the file position after the last one.
fn decode(
    chunk: &[u8],
    base: u64,
    seg_base: u64,
    partition: i32,
    out: &mut Vec<Consumed>,
    max: usize,
) -> u64 {
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
        let offset = seg_base + base + at as u64;
        at += HEADER + len;
        out.push(Consumed {
            partition,
            offset: offset as i64,
            next_offset: (seg_base + base + at as u64) as i64,
            key,
            value,
            timestamp_ms: ts,
        });
    }
    base + at as u64
}

/// Reads what is valid in the segment `file` (based at `seg_base`) from file position `pos`:
/// the records (at most `max` in `out`) and the next file position.
fn read_records(
    file: &File,
    path: &Path,
    pos: u64,
    seg_base: u64,
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
        let next = decode(&buf, pos, seg_base, partition, out, max);
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

/// Scans `file` from `from` to its end and returns the end of the last valid record.
fn valid_end(file: &File, path: &Path, from: u64) -> Result<u64, BusError> {
    let mut pos = from;
    let mut scratch = Vec::new();
    loop {
        scratch.clear();
        let next = read_records(file, path, pos, 0, 0, &mut scratch, 4096)?;
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
    segment_bytes: u64,
    segment_age: Option<Duration>,
}

impl EmbeddedProducer {
    /// Appends `records` (partitioned by key) and returns once they are durable.
    pub async fn send(&self, records: Vec<Record>) -> Result<(), BusError> {
        if records.is_empty() {
            return Ok(());
        }
        let p = self.clone();
        tokio::task::spawn_blocking(move || p.append(&records))
            .await
            .map_err(|e| BusError::Io {
                path: PathBuf::from("<append task>"),
                cause: std::io::Error::other(e.to_string()),
            })??;
        self.topic.appended.notify_waiters();
        Ok(())
    }

    /// Number of partitions of the topic.
    pub fn partitions(&self) -> u32 {
        self.topic.parts.len() as u32
    }

    fn append(&self, records: &[Record]) -> Result<(), BusError> {
        let topic = &self.topic;
        let n = topic.parts.len();
        let ts = now_ms();
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
                let path = part.lock_path();
                *guard = Some(Writer {
                    lock: open_rw(&path)?,
                    seg: None,
                });
            }
            let w = guard.as_mut().unwrap();
            w.lock.lock().map_err(|e| io_err(&part.lock_path(), e))?;
            let res = self.append_locked(part, &mut w.seg, buf, ts);
            if res.is_err() {
                // The write may be partial: make the next append re-validate the tail.
                w.seg = None;
            }
            let _ = w.lock.unlock();
            res?;
        }
        Ok(())
    }

    /// Appends `buf` to partition `part`, whose lock this process holds.
    fn append_locked(
        &self,
        part: &Partition,
        cached: &mut Option<Segment>,
        buf: &[u8],
        now: i64,
    ) -> Result<(), BusError> {
        // The active segment is the last one; another process may have started a new one.
        let last = part.segments()?.last().copied().unwrap_or(0);
        if cached.as_ref().is_none_or(|s| s.base != last) {
            let path = part.segment_path(last);
            *cached = Some(Segment {
                base: last,
                file: open_rw(&path)?,
                path,
                end: 0,
                first_ms: None,
            });
        }
        let seg = cached.as_mut().unwrap();
        let len = seg.file.metadata().map_err(|e| io_err(&seg.path, e))?.len();
        if len != seg.end {
            // Another process appended, or this is the first append: validate what is new.
            let from = if len < seg.end { 0 } else { seg.end };
            seg.end = valid_end(&seg.file, &seg.path, from)?;
            if seg.end < len {
                tracing::warn!(
                    topic = %self.topic.name,
                    partition = part.index,
                    torn_bytes = len - seg.end,
                    "truncating a torn record left by a crashed writer"
                );
                seg.file
                    .set_len(seg.end)
                    .map_err(|e| io_err(&seg.path, e))?;
            }
        }
        if seg.end > 0 && self.should_roll(seg, now)? {
            let base = seg.base + seg.end;
            let path = part.segment_path(base);
            let file = open_rw(&path)?;
            if self.fsync {
                if let Ok(d) = File::open(&part.dir) {
                    let _ = d.sync_all();
                }
            }
            tracing::debug!(topic = %self.topic.name, partition = part.index, base, "new segment");
            *cached = Some(Segment {
                base,
                file,
                path,
                end: 0,
                first_ms: None,
            });
        }
        let seg = cached.as_mut().unwrap();
        seg.file
            .write_all_at(buf, seg.end)
            .map_err(|e| io_err(&seg.path, e))?;
        if self.fsync {
            seg.file.sync_data().map_err(|e| io_err(&seg.path, e))?;
        }
        seg.end += buf.len() as u64;
        Ok(())
    }

    /// Whether the (non-empty, validated) active segment is full or old enough to close.
    fn should_roll(&self, seg: &mut Segment, now: i64) -> Result<bool, BusError> {
        if seg.end >= self.segment_bytes {
            return Ok(true);
        }
        let Some(age) = self.segment_age else {
            return Ok(false);
        };
        let first = match seg.first_ms {
            Some(t) => t,
            None => {
                let mut b = [0u8; HEADER + 8];
                let n = read_full_at(&seg.file, &mut b, 0).map_err(|e| io_err(&seg.path, e))?;
                if n < b.len() {
                    return Ok(false);
                }
                let t = i64::from_le_bytes(b[HEADER..].try_into().unwrap());
                seg.first_ms = Some(t);
                t
            }
        };
        Ok(now.saturating_sub(first) >= age.as_millis() as i64)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A consumer's open segment in one partition.
#[derive(Default, Clone)]
struct ReadState {
    seg: Option<(u64, Arc<File>, PathBuf)>,
}

/// Reads partition `p` from `pos` (an offset) into `out` (up to `max` records in all); returns
/// the next offset.
fn read_partition(
    dir: &Path,
    p: u32,
    state: &mut ReadState,
    mut pos: u64,
    out: &mut Vec<Consumed>,
    max: usize,
) -> Result<u64, BusError> {
    loop {
        let stale = match &state.seg {
            None => true,
            Some((base, _, _)) => pos < *base,
        };
        if stale {
            let segs = list_segments(dir, p)?;
            let Some(&first) = segs.first() else {
                state.seg = None;
                return Ok(pos);
            };
            if pos < first {
                tracing::warn!(
                    partition = p,
                    from = pos,
                    to = first,
                    "the records before this offset were deleted by retention; reading from the \
                     oldest kept"
                );
                pos = first;
            }
            let base = segs
                .iter()
                .rev()
                .find(|b| **b <= pos)
                .copied()
                .unwrap_or(first);
            let path = segment_path(dir, p, base);
            let f = match File::open(&path) {
                Ok(f) => f,
                // Deleted between the listing and now: list again.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path, e)),
            };
            state.seg = Some((base, Arc::new(f), path));
        }
        let (base, file, path) = state.seg.clone().expect("segment");
        let before = out.len();
        let next = read_records(&file, &path, pos - base, base, p as i32, out, max)?;
        if out.len() > before {
            return Ok(base + next);
        }
        // Nothing new here: at the end of a closed segment, go on to the next one. An empty
        // segment is the last one (a roll creates the next segment only once this one holds a
        // record; a writer killed, or out of disk, right after creating it leaves it empty):
        // going on from it would open the same file again, forever.
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if next < len || len == 0 {
            return Ok(pos);
        }
        let next_path = segment_path(dir, p, base + len);
        match File::open(&next_path) {
            Ok(f) => {
                pos = base + len;
                state.seg = Some((pos, Arc::new(f), next_path));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(pos),
            Err(e) => return Err(io_err(&next_path, e)),
        }
    }
}

/// Reads every partition of one topic.
pub struct EmbeddedConsumer {
    topic: Arc<Topic>,
    group: String,
    /// What the group file holds: this consumer is its only writer.
    committed: Offsets,
    parts: Vec<ReadState>,
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
        let dir = self.topic.dir.clone();
        let mut parts = std::mem::take(&mut self.parts);
        let positions = self.positions.clone();
        let first = self.next_part;
        let res = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let mut positions = positions;
            let n = parts.len();
            // Round-robin over partitions so one busy partition does not starve the others.
            let share = max.div_ceil(n).max(1);
            let mut res = Ok(());
            for i in 0..n {
                let p = (first + i) % n;
                let budget = share.min(max - out.len());
                if budget == 0 {
                    break;
                }
                let pos = positions[&(p as i32)] as u64;
                let before = out.len();
                match read_partition(
                    &dir,
                    p as u32,
                    &mut parts[p],
                    pos,
                    &mut out,
                    before + budget,
                ) {
                    Ok(next) => {
                        positions.insert(p as i32, next as i64);
                    }
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                }
            }
            (parts, res.map(|()| (out, positions)))
        })
        .await
        .map_err(|e| BusError::Io {
            path: self.topic.dir.clone(),
            cause: std::io::Error::other(e.to_string()),
        })?;
        let (parts, res) = res;
        self.parts = parts;
        let (out, positions) = res?;
        self.positions = positions;
        self.next_part = (first + 1) % self.parts.len().max(1);
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
                cause: std::io::Error::other(e.to_string()),
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advance;

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
            let next = read_records(&f, &path, pos, 0, 0, &mut out, usize::MAX).unwrap();
            if next == pos {
                break;
            }
            pos = next;
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].value.len(), 3 * READ_CHUNK);
        assert_eq!(pos as usize, buf.len());
    }

    fn segment_files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str().map(String::from))
            .filter(|n| n.ends_with(".log"))
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn segments_roll_and_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 2, false, Duration::from_millis(10))
            .unwrap()
            .with_segments(600, None);
        let p = log.producer("t").unwrap();
        for b in 0..20 {
            p.send((b * 50..b * 50 + 50).map(rec).collect())
                .await
                .unwrap();
        }
        let files = segment_files(&dir.path().join("t"));
        assert!(files.len() > 10, "{files:?}");
        assert!(files.contains(&"0.log".to_string()), "{files:?}");
        let mut c = log.group_consumer("t", "g").unwrap();
        let all = drain(&mut c).await;
        assert_eq!(all.len(), 1000);
        // In order per partition, each record starting where the one before ended.
        for part in 0..2 {
            let recs: Vec<_> = all.iter().filter(|r| r.partition == part).collect();
            assert_eq!(recs[0].offset, 0);
            for w in recs.windows(2) {
                assert_eq!(w[0].next_offset, w[1].offset);
            }
            let end = log.end_offsets("t").unwrap()[&part];
            assert_eq!(recs.last().unwrap().next_offset, end);
        }
        // Resume from an offset in the middle of a later segment.
        let p0: Vec<_> = all.iter().filter(|r| r.partition == 0).collect();
        let mid = p0[p0.len() * 2 / 3];
        let mut offs = Offsets::new();
        offs.insert(0, mid.next_offset);
        offs.insert(1, 0);
        c.commit(&offs).await.unwrap();
        drop(c);
        let mut c = log.group_consumer("t", "g").unwrap();
        let again = drain(&mut c).await;
        let p0_again = again.iter().filter(|r| r.partition == 0).count();
        assert_eq!(p0_again, p0.len() - (p0.len() * 2 / 3 + 1));
        assert_eq!(again.len() - p0_again, 1000 - p0.len());
    }

    #[tokio::test]
    async fn old_segments_roll_by_age() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(10))
            .unwrap()
            .with_segments(1 << 30, Some(Duration::from_secs(60)));
        let p = log.producer("t").unwrap();
        p.send((0..5).map(rec).collect()).await.unwrap();
        // A first record written two minutes ago (its timestamp rewritten and re-checksummed).
        let path = dir.path().join("t/0.log");
        let bytes = std::fs::read(&path).unwrap();
        let len = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
        let mut body = bytes[HEADER..HEADER + len].to_vec();
        body[0..8].copy_from_slice(&(now_ms() - 120_000).to_le_bytes());
        let mut fixed = bytes.clone();
        fixed[HEADER..HEADER + len].copy_from_slice(&body);
        fixed[4..8].copy_from_slice(&crc32fast::hash(&body).to_le_bytes());
        std::fs::write(&path, &fixed).unwrap();
        let log = EmbeddedLog::open(dir.path(), 1, false, Duration::from_millis(10))
            .unwrap()
            .with_segments(1 << 30, Some(Duration::from_secs(60)));
        log.producer("t").unwrap().send(vec![rec(9)]).await.unwrap();
        assert_eq!(segment_files(&dir.path().join("t")).len(), 2);
    }

    /// Writes `n` records in batches of 10 to a log with 400-byte segments.
    async fn filled(n: usize) -> (tempfile::TempDir, EmbeddedLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 2, false, Duration::from_millis(10))
            .unwrap()
            .with_segments(400, None);
        let p = log.producer("t").unwrap();
        for b in (0..n).step_by(10) {
            p.send((b..b + 10).map(rec).collect()).await.unwrap();
        }
        (dir, log)
    }

    fn usage(log: &EmbeddedLog) -> TopicUsage {
        log.usage()
            .unwrap()
            .into_iter()
            .find(|u| u.topic == "t")
            .unwrap()
    }

    /// Sets every segment's modification time `ago` back.
    fn age_segments(dir: &Path, ago: Duration) {
        for n in segment_files(dir) {
            let f = OpenOptions::new().write(true).open(dir.join(n)).unwrap();
            f.set_modified(SystemTime::now() - ago).unwrap();
        }
    }

    #[tokio::test]
    async fn retention_deletes_what_every_group_committed_and_is_old() {
        let (dir, log) = filled(600).await;
        let tdir = dir.path().join("t");
        let week = Duration::from_secs(7 * 86_400);
        // Group "done" reads and commits everything; group "slow" has started but committed
        // nothing yet.
        let mut done = log.group_consumer("t", "done").unwrap();
        let all = drain(&mut done).await;
        assert_eq!(all.len(), 600);
        let mut end = Offsets::new();
        advance(&mut end, &all);
        done.commit(&end).await.unwrap();
        let mut slow = log.group_consumer("t", "slow").unwrap();
        let before = usage(&log);
        assert!(before.segments > 20, "{before:?}");

        // Old enough, but "slow" has committed nothing: everything stays.
        age_segments(&tdir, week * 2);
        let r = log.enforce_retention("t", week, SystemTime::now()).unwrap();
        assert_eq!(r, RetentionReport::default());
        assert_eq!(usage(&log), before);

        // "slow" commits a third of each partition.
        let first = drain(&mut slow).await;
        let mut third = Offsets::new();
        for part in 0..2 {
            let recs: Vec<_> = first.iter().filter(|r| r.partition == part).collect();
            third.insert(part, recs[recs.len() / 3].offset);
        }
        slow.commit(&third).await.unwrap();
        drop(slow);

        // Committed past, but written recently: nothing goes.
        age_segments(&tdir, Duration::from_secs(3600));
        let r = log.enforce_retention("t", week, SystemTime::now()).unwrap();
        assert_eq!(r.segments, 0);

        // Committed past and old: the segments wholly before "slow"'s offsets go.
        age_segments(&tdir, week * 2);
        let r = log.enforce_retention("t", week, SystemTime::now()).unwrap();
        let after = usage(&log);
        assert!(r.segments > 0);
        assert_eq!(before.segments - after.segments, r.segments);
        assert_eq!(before.bytes - after.bytes, r.bytes);
        println!(
            "retention: {} segments, {} bytes before; {} segments ({} bytes) deleted; {} segments, {} bytes after",
            before.segments, before.bytes, r.segments, r.bytes, after.segments, after.bytes
        );
        // "slow" still reads everything after its offsets, nothing before was needed.
        let mut slow = log.group_consumer("t", "slow").unwrap();
        let rest = drain(&mut slow).await;
        let expect = all
            .iter()
            .filter(|r| r.offset >= third[&r.partition])
            .count();
        assert_eq!(rest.len(), expect);
        // A new group starts at the oldest record kept.
        let mut fresh = log.group_consumer("t", "fresh").unwrap();
        let kept = drain(&mut fresh).await;
        assert!(kept.len() >= expect && kept.len() < 600, "{}", kept.len());
        let oldest: i64 = kept.iter().map(|r| r.offset).min().unwrap();
        assert!(oldest > 0, "the oldest segments are gone");

        // Everyone committed everything: all closed segments go, the active ones stay.
        let mut c = Offsets::new();
        advance(&mut c, &rest);
        slow.commit(&c).await.unwrap();
        let mut c = Offsets::new();
        advance(&mut c, &kept);
        fresh.commit(&c).await.unwrap();
        log.enforce_retention("t", week, SystemTime::now()).unwrap();
        assert_eq!(usage(&log).segments, 2, "{:?}", segment_files(&tdir));
        // Appends go on after retention.
        log.producer("t")
            .unwrap()
            .send((600..610).map(rec).collect())
            .await
            .unwrap();
        assert_eq!(drain(&mut slow).await.len(), 10);
    }

    #[tokio::test]
    async fn retention_waits_for_a_backup_and_keeps_an_unconsumed_topic() {
        let (dir, log) = filled(200).await;
        age_segments(&dir.path().join("t"), Duration::from_secs(30 * 86_400));
        let week = Duration::from_secs(7 * 86_400);
        // No group at all: kept.
        assert_eq!(
            log.enforce_retention("t", week, SystemTime::now())
                .unwrap()
                .segments,
            0
        );
        let mut g = log.group_consumer("t", "g").unwrap();
        let all = drain(&mut g).await;
        let mut end = Offsets::new();
        advance(&mut end, &all);
        g.commit(&end).await.unwrap();
        // A backup holds retention off.
        let pause = log.pause_retention().unwrap();
        assert_eq!(
            log.enforce_retention("t", week, SystemTime::now())
                .unwrap()
                .segments,
            0
        );
        drop(pause);
        assert!(
            log.enforce_retention("t", week, SystemTime::now())
                .unwrap()
                .segments
                > 0
        );
    }

    #[tokio::test]
    async fn an_assigned_consumer_registers_its_group() {
        let (dir, log) = filled(200).await;
        age_segments(&dir.path().join("t"), Duration::from_secs(30 * 86_400));
        let mut g = log.group_consumer("t", "g").unwrap();
        let all = drain(&mut g).await;
        let mut end = Offsets::new();
        advance(&mut end, &all);
        g.commit(&end).await.unwrap();
        // The indexer reads from offsets it keeps itself and reports them later.
        let _ix = log
            .assigned_consumer("t", "indexer", &Offsets::new())
            .unwrap();
        let week = Duration::from_secs(7 * 86_400);
        assert_eq!(
            log.enforce_retention("t", week, SystemTime::now())
                .unwrap()
                .segments,
            0
        );
    }

    /// A log written by Simak 0.1.0 (one file per partition, before segments): read as it is,
    /// its groups resume where they were, and new appends roll into segments after it.
    #[tokio::test]
    async fn a_log_from_the_previous_release_reads_and_grows() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/log-0.1.0");
        let dir = tempfile::tempdir().unwrap();
        let tdir = dir.path().join("simak.mentions");
        std::fs::create_dir_all(tdir.join("groups")).unwrap();
        for f in ["meta.json", "0.log", "1.log", "groups/simak-analyzer.json"] {
            std::fs::copy(fixture.join("simak.mentions").join(f), tdir.join(f)).unwrap();
        }
        let log = EmbeddedLog::open(dir.path(), 4, false, Duration::from_millis(10))
            .unwrap()
            .with_segments(1200, None);
        assert_eq!(log.ensure_topic("simak.mentions").unwrap(), 2);
        let ends = log.end_offsets("simak.mentions").unwrap();
        assert_eq!(ends.values().sum::<i64>(), 2140);
        // The analyzer's group committed 25 of the 60 records (offsets 460 and 420).
        let mut c = log
            .group_consumer("simak.mentions", "simak-analyzer")
            .unwrap();
        let rest = drain(&mut c).await;
        assert_eq!(rest.len(), 35);
        let mut fresh = log.group_consumer("simak.mentions", "check").unwrap();
        let all = drain(&mut fresh).await;
        let mut keys: Vec<_> = all.iter().map(|r| r.key.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 60);
        assert!(all.iter().all(|r| r.value.starts_with(b"{\"n\":")));
        // New records: the old files are full (1200 bytes reached soon), new segments follow.
        let p = log.producer("simak.mentions").unwrap();
        for b in 0..5 {
            p.send((100 + b * 10..110 + b * 10).map(rec).collect())
                .await
                .unwrap();
        }
        assert!(segment_files(&tdir).len() > 2, "{:?}", segment_files(&tdir));
        assert_eq!(drain(&mut c).await.len(), 50);
        assert_eq!(drain(&mut fresh).await.len(), 50);
    }

    #[tokio::test]
    async fn snapshot_copies_offsets_and_segments() {
        let (dir, log) = filled(300).await;
        let mut g = log.group_consumer("t", "g").unwrap();
        let first = g.poll(120, Duration::from_millis(50)).await.unwrap();
        let mut offs = Offsets::new();
        advance(&mut offs, &first);
        g.commit(&offs).await.unwrap();
        drop(g);
        let dest = dir.path().join("copy");
        let bytes = log.snapshot_to(&dest).unwrap();
        assert_eq!(bytes, usage(&log).bytes);
        let copy = EmbeddedLog::open(&dest, 2, false, Duration::from_millis(10)).unwrap();
        assert_eq!(
            copy.end_offsets("t").unwrap(),
            log.end_offsets("t").unwrap()
        );
        let mut g = copy.group_consumer("t", "g").unwrap();
        assert_eq!(drain(&mut g).await.len(), 300 - first.len());
    }

    /// An analyzer-like stage reads "m", writes each record to "e", then commits its "m"
    /// offsets, while the log is copied again and again: in every copy, what the stage has
    /// committed on "m" is in "e" (a restored stage skips nothing).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_snapshot_is_one_moment_across_topics() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(
            EmbeddedLog::open(&dir.path().join("log"), 2, false, Duration::from_millis(5))
                .unwrap()
                .with_segments(2000, None),
        );
        log.producer("m")
            .unwrap()
            .send((0..3000).map(rec).collect())
            .await
            .unwrap();
        log.ensure_topic("e").unwrap();
        // The stage waits for a copy every 10 batches, so copies land while it runs however
        // loaded the machine is (the copies still race the stage's writes in between).
        let copies = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stage = {
            let log = log.clone();
            let copies = copies.clone();
            tokio::spawn(async move {
                let mut c = log.group_consumer("m", "an").unwrap();
                let out = log.producer("e").unwrap();
                let mut offs = Offsets::new();
                let mut batches = 0usize;
                loop {
                    let got = c.poll(20, Duration::from_millis(50)).await.unwrap();
                    if got.is_empty() {
                        return;
                    }
                    let recs = got
                        .iter()
                        .map(|r| Record {
                            key: r.key.clone(),
                            value: r.value.clone(),
                        })
                        .collect();
                    out.send(recs).await.unwrap();
                    advance(&mut offs, &got);
                    c.commit(&offs).await.unwrap();
                    batches += 1;
                    while copies.load(std::sync::atomic::Ordering::SeqCst) < batches / 10 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            })
        };
        let mut checked = 0;
        let mut i = 0;
        while !stage.is_finished() {
            let dest = dir.path().join(format!("copy{i}"));
            let l = log.clone();
            let d = dest.clone();
            tokio::task::spawn_blocking(move || l.snapshot_to(&d).unwrap())
                .await
                .unwrap();
            let copy = EmbeddedLog::open(&dest, 2, false, Duration::from_millis(5)).unwrap();
            let mut e = copy
                .assigned_consumer("e", "check", &Offsets::new())
                .unwrap();
            let written = drain(&mut e).await.len();
            let mut m = copy.group_consumer("m", "an").unwrap();
            let uncommitted = drain(&mut m).await.len();
            assert!(
                written >= 3000 - uncommitted,
                "copy {i}: {} committed on m, {written} in e",
                3000 - uncommitted
            );
            checked += usize::from(uncommitted < 3000 && uncommitted > 0);
            copies.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(copy);
            std::fs::remove_dir_all(&dest).unwrap();
            i += 1;
        }
        stage.await.unwrap();
        assert!(checked > 3, "copies taken while the stage ran: {checked}");
    }
}
