//! The indexer: enriched mentions from the log into tantivy, exactly once.
//!
//! # Exactly once
//!
//! Auto-commit is off. The offsets of the records whose documents a tantivy commit holds are
//! written into that same commit's payload (Quickwit's design), so the index and its position in
//! the log change together or not at all. On start the indexer reads the payload and seeks every
//! partition there. A crash loses only uncommitted documents, and they are read again.
//!
//! Each document is keyed by the mention id: adding a mention first deletes any document with
//! the same id, in the same commit. A replay (after a crash, or a mention delivered twice by an
//! at-least-once stage upstream) therefore replaces a document, never duplicates it, and the
//! newest version of a mention wins.
//!
//! The payload also names the log the offsets belong to (a Kafka cluster by the id it reports,
//! so a new broker list for the same cluster keeps the index's place). Pointed at another log
//! (the embedded log after Kafka, another cluster, another topic), the indexer starts that log
//! from the beginning, which is safe because of the unique key.
//!
//! # Horizon
//!
//! With `index.horizon` set, mentions published before `now - horizon` leave the index:
//! [`Indexer::expire`] deletes them by a range query on `published_at` and commits at once with
//! the same checkpoint (the offsets do not move, so the exactly-once position is untouched),
//! and a mention that arrives already past the horizon is not indexed (its offset still moves
//! on). A replay after a crash may bring such a mention back into the batch: it is dropped
//! again, so the horizon holds and nothing is duplicated.

use crate::schema::{build_schema, register_tokenizers, to_document, Fields};
use crate::IndexError;
use serde::{Deserialize, Serialize};
use simak_bus::{Consumed, Offsets};
use simak_core::config::IndexConfig;
use simak_core::Mention;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tantivy::collector::Count;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::LogMergePolicy;
use tantivy::query::RangeQuery;
use tantivy::{Index, IndexWriter, Term};

/// Mentions dropped by the horizon in this process: deleted from the index, or not indexed
/// because they arrived past it.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Mentions the index horizon dropped in this process since it started.
pub fn horizon_dropped_total() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// What a commit's payload records.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    /// Identifies the log and topic the offsets belong to (see [`crate::log_identity`]:
    /// `embedded:<log id>:<topic>`, `kafka-cluster:<id>:<topic>`, `kafka:<brokers>:<topic>`).
    pub log: String,
    /// Next offset to read, per partition.
    pub offsets: Offsets,
}

/// Opens the index at `path`, creating it with Simak's schema if it does not exist. An index
/// of an earlier version is refused with [`IndexError::Outdated`], which names the command that
/// rebuilds it ([`reindex`]).
pub fn open_or_create(path: &Path) -> Result<(Index, Fields), IndexError> {
    let aside = aside_path(path);
    if aside.exists() {
        return Err(IndexError::ReindexInterrupted {
            path: path.to_path_buf(),
            aside,
        });
    }
    std::fs::create_dir_all(path).map_err(|e| IndexError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let dir = MmapDirectory::open(path).map_err(|e| IndexError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let (schema, fields) = build_schema();
    let index = match Index::open_or_create(dir.clone(), schema.clone()) {
        Ok(index) => index,
        Err(e) => {
            if let Some(field) = Index::open(dir)
                .ok()
                .and_then(|old| missing_field(&old, &schema))
            {
                return Err(IndexError::Outdated {
                    path: path.to_path_buf(),
                    field,
                });
            }
            return Err(IndexError::Open {
                path: path.to_path_buf(),
                message: format!(
                    "{e} (an index made by another version of Simak? run `simak reindex` to \
                     rebuild it from the mentions it stores, or move it away to rebuild it from \
                     the log)"
                ),
            });
        }
    };
    register_tokenizers(&index);
    Ok((index, fields))
}

/// The first field of `schema` that the index `old` (one of Simak's: it stores each mention
/// whole) lacks, or None when it has them all or is not Simak's.
fn missing_field(old: &Index, schema: &tantivy::schema::Schema) -> Option<String> {
    let have = old.schema();
    have.get_field("doc").ok()?;
    schema
        .fields()
        .map(|(_, entry)| entry.name())
        .find(|name| have.get_field(name).is_err())
        .map(str::to_string)
}

/// Where [`reindex`] moves the index while it swaps the rebuilt one in.
fn aside_path(path: &Path) -> PathBuf {
    sibling(path, "before-reindex")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// What [`reindex`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reindexed {
    /// Mentions written into the rebuilt index.
    pub mentions: u64,
    /// Stored mentions that did not parse, left out.
    pub skipped: u64,
    /// The index already had this version's schema: nothing was done.
    pub current: bool,
}

/// The merge policy of the mention index: tantivy's log merge policy, with segments of more
/// than `max_docs` mentions left out of merges (0: tantivy's default). Bounds the largest merge,
/// which is what sets the indexer's peak memory on a large index.
pub fn merge_policy(max_docs: usize) -> LogMergePolicy {
    let mut p = LogMergePolicy::default();
    if max_docs > 0 {
        p.set_max_docs_before_merge(max_docs);
    }
    p
}

/// Rebuilds the index at `path` with this version's schema from the mentions it stores (each
/// document keeps the whole mention), with the same log checkpoint, so the indexer resumes
/// where it was and nothing is read again from the log (which may no longer hold it all).
/// Simak must not be running on the index ([`IndexError::Locked`] otherwise). Merges follow
/// [`merge_policy`] with `max_merge_docs` (`index.max_merge_docs`).
///
/// The rebuilt index is written beside the old one (`<index>.reindex`) and swapped in by two
/// renames (the old one goes to `<index>.before-reindex`, then is deleted). Interrupted before
/// the swap, the old index is untouched and a new run starts over; interrupted between the two
/// renames, every open refuses with [`IndexError::ReindexInterrupted`] and a new run puts the
/// old index back and starts over.
pub fn reindex(path: &Path, max_merge_docs: usize) -> Result<Reindexed, IndexError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| IndexError::Io { path: p, source: e }
    };
    let aside = aside_path(path);
    let fresh = sibling(path, "reindex");
    if aside.exists() {
        if path.join("meta.json").exists() {
            // The swap was done; only the old copy was left.
            std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
        } else {
            if path.exists() {
                std::fs::remove_dir_all(path).map_err(io(path))?;
            }
            std::fs::rename(&aside, path).map_err(io(path))?;
            tracing::warn!(index = %path.display(), "an interrupted reindex was undone; starting over");
        }
    }
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(io(&fresh))?;
    }
    let open_err = |p: &Path| {
        let p = p.to_path_buf();
        move |e: tantivy::TantivyError| IndexError::Open {
            path: p,
            message: e.to_string(),
        }
    };
    let old = Index::open_in_dir(path).map_err(open_err(path))?;
    let (schema, fields) = build_schema();
    if old.schema() == schema {
        return Ok(Reindexed {
            mentions: 0,
            skipped: 0,
            current: true,
        });
    }
    let doc_field = old
        .schema()
        .get_field("doc")
        .map_err(|_| IndexError::Open {
            path: path.to_path_buf(),
            message: "this is not a Simak index (it stores no mentions)".into(),
        })?;
    // Held until the swap: no Simak writes the old index meanwhile.
    let old_writer: IndexWriter =
        old.writer_with_num_threads(1, 16 << 20)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked(path.to_path_buf()),
                e => IndexError::Tantivy(e),
            })?;
    let payload = old.load_metas()?.payload;
    let reader = old
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    std::fs::create_dir_all(&fresh).map_err(io(&fresh))?;
    let dir = MmapDirectory::open(&fresh).map_err(|e| IndexError::Open {
        path: fresh.clone(),
        message: e.to_string(),
    })?;
    let index = Index::create(dir, schema, Default::default()).map_err(open_err(&fresh))?;
    register_tokenizers(&index);
    let mut writer: IndexWriter = index.writer_with_num_threads(2, 256 << 20)?;
    writer.set_merge_policy(Box::new(merge_policy(max_merge_docs)));
    let (mut mentions, mut skipped) = (0u64, 0u64);
    let started = Instant::now();
    for seg in searcher.segment_readers() {
        let store = seg.get_store_reader(64).map_err(io(path))?;
        for doc_id in seg.doc_ids_alive() {
            let doc: tantivy::TantivyDocument = store.get(doc_id)?;
            let json = doc.get_first(doc_field).and_then(|v| {
                use tantivy::schema::Value;
                v.as_str()
            });
            match json.map(|j| Mention::from_json(j.as_bytes())) {
                Some(Ok(m)) => {
                    writer.add_document(to_document(&fields, &m))?;
                    mentions += 1;
                    if mentions.is_multiple_of(100_000) {
                        tracing::info!(mentions, "reindexing");
                    }
                }
                _ => skipped += 1,
            }
        }
    }
    let mut prepared = writer.prepare_commit()?;
    if let Some(p) = &payload {
        prepared.set_payload(p);
    }
    prepared.commit()?;
    writer.wait_merging_threads()?;
    drop(reader);
    std::fs::rename(path, &aside).map_err(io(path))?;
    std::fs::rename(&fresh, path).map_err(io(path))?;
    drop(old_writer);
    std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
    tracing::info!(
        index = %path.display(),
        mentions,
        skipped,
        secs = started.elapsed().as_secs_f64(),
        "index rebuilt with this version's schema"
    );
    Ok(Reindexed {
        mentions,
        skipped,
        current: false,
    })
}

/// Writes mentions into the index with offset checkpoints.
pub struct Indexer {
    path: PathBuf,
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    log: String,
    /// Offsets covering every document added so far (committed or not).
    offsets: Offsets,
    pending: usize,
    first_pending: Option<Instant>,
    offsets_dirty: bool,
    commit_docs: usize,
    commit_interval: std::time::Duration,
    /// Records that were not valid mentions, skipped.
    pub rejected: u64,
    /// Documents added since start.
    pub added: u64,
    /// `index.horizon`: mentions published longer ago leave the index.
    horizon: Option<Duration>,
    /// The oldest publication time indexed in the current batch (from the horizon).
    cutoff: Option<chrono::DateTime<chrono::Utc>>,
    /// Mentions dropped by the horizon since start.
    pub expired: u64,
}

impl Indexer {
    /// Opens the index for writing. `log` identifies the log and topic (see [`Checkpoint::log`]).
    pub fn open(path: &Path, cfg: &IndexConfig, log: &str) -> Result<Indexer, IndexError> {
        Indexer::open_as(path, cfg, log, &[])
    }

    /// Like [`Indexer::open`], where a checkpoint naming the log by one of `aliases` (the name
    /// an older Simak gave it) is this log too; the next commit names it `log`.
    pub fn open_as(
        path: &Path,
        cfg: &IndexConfig,
        log: &str,
        aliases: &[String],
    ) -> Result<Indexer, IndexError> {
        let (index, fields) = open_or_create(path)?;
        let threads = if cfg.writer_threads == 0 {
            // Measured on 2 cores (`simak bench pipeline`, 50,000 mentions, paired runs): one
            // thread instead of two took 8% less CPU and indexed 15% more mentions a second,
            // the analyzer being the busier stage.
            (std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                / 4)
            .clamp(1, 4)
        } else {
            cfg.writer_threads
        };
        let memory = (cfg.writer_memory_mb.max(16 * threads)) * 1024 * 1024;
        let writer: IndexWriter = index
            .writer_with_num_threads(threads, memory)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked(path.to_path_buf()),
                e => IndexError::Tantivy(e),
            })?;
        writer.set_merge_policy(Box::new(merge_policy(cfg.max_merge_docs)));
        let checkpoint = read_checkpoint(&index)?;
        let offsets = match checkpoint {
            Some(c) if c.log == log || aliases.contains(&c.log) => c.offsets,
            Some(c) => {
                tracing::warn!(
                    previous = %c.log,
                    current = %log,
                    "the index was built from another log: reading this one from the beginning \
                     (mentions already indexed are replaced, not duplicated)"
                );
                Offsets::new()
            }
            None => Offsets::new(),
        };
        Ok(Indexer {
            path: path.to_path_buf(),
            index,
            writer,
            fields,
            log: log.to_string(),
            offsets,
            pending: 0,
            first_pending: None,
            offsets_dirty: false,
            commit_docs: cfg.commit_docs,
            commit_interval: cfg.commit_interval(),
            rejected: 0,
            added: 0,
            horizon: cfg.horizon(),
            cutoff: None,
            expired: 0,
        })
    }

    /// The configured horizon.
    pub fn horizon(&self) -> Option<Duration> {
        self.horizon
    }

    fn cutoff_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let h = chrono::Duration::from_std(self.horizon?).ok()?;
        now.checked_sub_signed(h)
    }

    /// Deletes every mention published before `now - horizon` and commits that at once, with
    /// the checkpoint of the last commit. Only between commits: documents added and not yet
    /// committed are committed first. Returns how many mentions were deleted.
    pub fn expire(&mut self, now: chrono::DateTime<chrono::Utc>) -> Result<u64, IndexError> {
        let Some(cut) = self.cutoff_at(now) else {
            return Ok(0);
        };
        if self.has_pending() {
            self.commit()?;
        }
        let old = RangeQuery::new(
            Bound::Unbounded,
            Bound::Excluded(Term::from_field_date(
                self.fields.published_at,
                tantivy::DateTime::from_timestamp_secs(cut.timestamp()),
            )),
        );
        let reader = self
            .index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        let n = reader.searcher().search(&old, &Count)? as u64;
        if n == 0 {
            return Ok(0);
        }
        self.writer.delete_query(Box::new(old))?;
        self.commit()?;
        self.expired += n;
        DROPPED.fetch_add(n, Ordering::Relaxed);
        tracing::info!(deleted = n, before = %cut.to_rfc3339(), "index horizon: old mentions deleted");
        Ok(n)
    }

    /// The offsets to resume from: those of the last commit.
    pub fn resume_offsets(&self) -> &Offsets {
        &self.offsets
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Adds or replaces one mention; one published before the horizon is removed instead.
    pub fn add(&mut self, m: &Mention) -> Result<(), IndexError> {
        self.writer
            .delete_term(Term::from_field_text(self.fields.id, &m.id));
        if self.cutoff.is_some_and(|cut| m.published_at < cut) {
            self.expired += 1;
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.writer
            .add_document(to_document(&self.fields, m))
            .map_err(|e| self.write_error(e))?;
        self.pending += 1;
        self.added += 1;
        self.first_pending.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// Adds the mentions in `records` and moves the offsets past them. A record that is not a
    /// valid mention is counted in [`Indexer::rejected`] and skipped.
    pub fn add_records(&mut self, records: &[Consumed]) -> Result<(), IndexError> {
        self.cutoff = self.cutoff_at(chrono::Utc::now());
        for r in records {
            match Mention::from_json(&r.value) {
                Ok(m) => self.add(&m)?,
                Err(e) => {
                    self.rejected += 1;
                    if self.rejected <= 10 || self.rejected.is_power_of_two() {
                        tracing::warn!(
                            key = %r.key,
                            partition = r.partition,
                            offset = r.offset,
                            error = %e,
                            rejected = self.rejected,
                            "skipping a record that is not a valid mention"
                        );
                    }
                }
            }
        }
        if !records.is_empty() {
            simak_bus::advance(&mut self.offsets, records);
            self.offsets_dirty = true;
            self.first_pending.get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    /// Whether the commit policy (count or time) says to commit now.
    pub fn should_commit(&self) -> bool {
        self.pending >= self.commit_docs
            || self
                .first_pending
                .is_some_and(|t| t.elapsed() >= self.commit_interval)
    }

    /// Whether anything is uncommitted.
    pub fn has_pending(&self) -> bool {
        self.pending > 0 || self.offsets_dirty
    }

    /// Commits the documents and the offsets after them, together.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        let payload = serde_json::to_string(&Checkpoint {
            log: self.log.clone(),
            offsets: self.offsets.clone(),
        })
        .expect("checkpoint serializes");
        let path = self.path.clone();
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| write_error(&path, e))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(|e| write_error(&path, e))?;
        self.pending = 0;
        self.first_pending = None;
        self.offsets_dirty = false;
        Ok(())
    }

    fn write_error(&self, e: tantivy::TantivyError) -> IndexError {
        write_error(&self.path, e)
    }

    /// The offsets the last commit holds (None before the first commit).
    pub fn committed_checkpoint(&self) -> Result<Option<Checkpoint>, IndexError> {
        read_checkpoint(&self.index)
    }
}

/// Reads the checkpoint of the last commit of `index`.
pub fn read_checkpoint(index: &Index) -> Result<Option<Checkpoint>, IndexError> {
    let metas = index.load_metas()?;
    match metas.payload {
        None => Ok(None),
        Some(p) => serde_json::from_str(&p)
            .map(Some)
            .map_err(|e| IndexError::Corrupt(format!("commit payload {p:?}: {e}"))),
    }
}

/// Below this many free bytes, a failed write is put down to a full disk.
const NEARLY_FULL: u64 = 8 * 1024 * 1024;

/// A failed write of the index, as [`IndexError::DiskFull`] when the disk is full (tantivy's
/// own "No space left on device", or a writer thread killed while under [`NEARLY_FULL`] bytes
/// were free), else as it came.
fn write_error(path: &Path, e: tantivy::TantivyError) -> IndexError {
    let free = free_bytes(path);
    let enospc = e.to_string().contains("No space left on device");
    match free {
        Some(free) if enospc || free < NEARLY_FULL => IndexError::DiskFull {
            path: path.to_path_buf(),
            free,
            cause: e.to_string(),
        },
        _ => IndexError::Tantivy(e),
    }
}

/// Bytes an unprivileged writer may still use on the file system holding `path`.
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` a buffer statvfs(3) fills on success.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    // The field types differ between platforms (u64 on 64-bit Linux, u32 elsewhere).
    #[allow(clippy::unnecessary_cast)]
    let (blocks, size) = (st.f_bavail as u64, st.f_frsize as u64);
    Some(blocks.saturating_mul(size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use simak_core::{Author, Metrics};

    fn mention(i: usize, text: &str) -> Mention {
        Mention {
            id: format!("import:{i}"),
            source: "import".into(),
            url: None,
            author: Author::default(),
            title: None,
            text: text.into(),
            published_at: "2026-11-20T08:00:00Z".parse().unwrap(),
            fetched_at: "2026-11-20T08:00:00Z".parse().unwrap(),
            lang: Some("id".into()),
            metrics: Metrics::default(),
            in_reply_to: None,
            sentiment: None,
            profiles: Vec::new(),
            complaint: None,
            extra: Default::default(),
        }
    }

    fn record(partition: i32, offset: i64, m: &Mention) -> Consumed {
        Consumed {
            partition,
            offset,
            next_offset: offset + 1,
            key: m.id.clone(),
            value: m.to_json(),
            timestamp_ms: 0,
        }
    }

    fn count(index: &Index) -> u64 {
        let reader = index.reader().unwrap();
        reader.searcher().num_docs()
    }

    /// Segment sizes of an index built from 8 commits of 30 documents then 8 of 10, with
    /// `policy`, once its merges are done.
    fn segments_after_merges(policy: LogMergePolicy) -> Vec<u32> {
        let mut b = tantivy::schema::Schema::builder();
        let f = b.add_u64_field("n", tantivy::schema::INDEXED);
        let index = Index::create_in_ram(b.build());
        let mut w: IndexWriter = index.writer_with_num_threads(1, 15 << 20).unwrap();
        w.set_merge_policy(Box::new(policy));
        for size in [30u64, 10] {
            for _ in 0..8 {
                for n in 0..size {
                    w.add_document(tantivy::doc!(f => n)).unwrap();
                }
                w.commit().unwrap();
            }
        }
        w.wait_merging_threads().unwrap();
        let mut sizes: Vec<u32> = index
            .searchable_segment_metas()
            .unwrap()
            .iter()
            .map(|m| m.num_docs())
            .collect();
        sizes.sort_unstable();
        sizes
    }

    #[test]
    fn segments_over_the_cap_are_not_merged_again() {
        // Capped at 20: the eight segments of 30 stay as they are, the eight of 10 merge.
        let capped = segments_after_merges(merge_policy(20));
        assert_eq!(capped.iter().filter(|&&n| n == 30).count(), 8, "{capped:?}");
        assert_eq!(capped.iter().sum::<u32>(), 320);
        assert!(capped.len() < 16, "the small segments merge: {capped:?}");
        // Uncapped (tantivy's default), the segments of 30 merge too.
        let default = segments_after_merges(merge_policy(0));
        assert!(default.len() < 8, "{default:?}");
        // The indexer uses the configured cap.
        let dir = tempfile::tempdir().unwrap();
        let cfg = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            max_merge_docs: 1234,
            ..Default::default()
        };
        let ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        let policy = format!("{:?}", ix.writer.get_merge_policy());
        assert!(policy.contains("max_docs_before_merge: 1234"), "{policy}");
    }

    #[test]
    fn replay_replaces_and_checkpoint_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            ..Default::default()
        };
        let recs: Vec<_> = (0..10)
            .map(|i| record(0, i as i64, &mention(i, "banjir di kota")))
            .collect();
        {
            let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
            assert!(ix.resume_offsets().is_empty());
            ix.add_records(&recs[..6]).unwrap();
            ix.commit().unwrap();
            // Uncommitted work is lost with the process.
            ix.add_records(&recs[6..]).unwrap();
        }
        let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        assert_eq!(ix.resume_offsets().get(&0), Some(&6));
        assert_eq!(count(ix.index()), 6);
        // The consumer replays from 6, and an upstream duplicate of 0..3 arrives too.
        ix.add_records(&recs[6..]).unwrap();
        ix.add_records(&recs[..3]).unwrap();
        ix.commit().unwrap();
        assert_eq!(count(ix.index()), 10, "no duplicates after replay");
    }

    #[test]
    fn another_log_starts_from_the_beginning() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            ..Default::default()
        };
        {
            let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
            ix.add_records(&[record(0, 41, &mention(1, "x"))]).unwrap();
            ix.commit().unwrap();
        }
        let ix = Indexer::open(dir.path(), &cfg, "kafka:k:9092:t").unwrap();
        assert!(ix.resume_offsets().is_empty());
    }

    #[test]
    fn bad_record_is_skipped_but_offset_advances() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            ..Default::default()
        };
        let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        let bad = Consumed {
            partition: 1,
            offset: 7,
            next_offset: 8,
            key: "x".into(),
            value: b"{not json".to_vec(),
            timestamp_ms: 0,
        };
        ix.add_records(&[bad]).unwrap();
        assert_eq!(ix.rejected, 1);
        ix.commit().unwrap();
        assert_eq!(
            ix.committed_checkpoint().unwrap().unwrap().offsets.get(&1),
            Some(&8)
        );
    }

    #[test]
    fn second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            ..Default::default()
        };
        let _a = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        assert!(matches!(
            Indexer::open(dir.path(), &cfg, "embedded:t"),
            Err(IndexError::Locked(_))
        ));
    }

    #[test]
    fn horizon_drops_old_mentions_and_keeps_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now();
        let aged = |i: usize, days: i64| {
            let mut m = mention(i, "banjir di kota");
            m.published_at = now - chrono::Duration::days(days);
            m
        };
        // 30 mentions: 0..10 are 400 days old, 10..20 200 days, 20..30 10 days.
        let recs: Vec<_> = (0..30)
            .map(|i| record(0, i as i64, &aged(i, [400, 200, 10][i / 10])))
            .collect();
        let plain = IndexConfig {
            writer_threads: 1,
            writer_memory_mb: 16,
            ..Default::default()
        };
        {
            let mut ix = Indexer::open(dir.path(), &plain, "embedded:t").unwrap();
            ix.add_records(&recs).unwrap();
            ix.commit().unwrap();
            assert_eq!(ix.expire(now).unwrap(), 0, "no horizon: nothing goes");
            assert_eq!(count(ix.index()), 30);
        }
        let cfg = IndexConfig {
            horizon: "365d".into(),
            ..plain.clone()
        };
        let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        let before = ix.committed_checkpoint().unwrap().unwrap();
        assert_eq!(ix.expire(now).unwrap(), 10);
        assert_eq!(count(ix.index()), 20);
        // The offsets did not move: the indexer resumes exactly where it was.
        assert_eq!(ix.committed_checkpoint().unwrap().unwrap(), before);
        // A replay of the whole range does not bring the old ones back, nor duplicate.
        ix.add_records(&recs).unwrap();
        ix.commit().unwrap();
        assert_eq!(count(ix.index()), 20);
        assert_eq!(ix.expired, 20, "10 deleted, then 10 dropped on arrival");
        // A shorter horizon later: the 200-day-old ones go too.
        drop(ix);
        let cfg = IndexConfig {
            horizon: "30d".into(),
            ..plain
        };
        let mut ix = Indexer::open(dir.path(), &cfg, "embedded:t").unwrap();
        assert_eq!(ix.expire(now).unwrap(), 10);
        assert_eq!(count(ix.index()), 10);
        assert_eq!(ix.resume_offsets().get(&0), Some(&30));
        assert!(horizon_dropped_total() >= 30);
    }
}
