//! `simak backup DIR` and `simak restore DIR`: a consistent copy of a data directory, taken
//! while `simak run` runs, and its restoration into a fresh one.
//!
//! # What a backup holds, and why it is consistent
//!
//! Each part is copied as it stood at one moment, and the parts are taken in an order that
//! makes the restored Simak re-read, never skip:
//!
//! 1. Retention of the embedded log is paused (in every process) until the log is copied, so
//!    no segment an offset below still points into is deleted meanwhile.
//! 2. `sources/`: the cursors. Taken first, they are at or behind the log copied later, so a
//!    restored source fetches again what the log may miss (the index is keyed by mention id).
//! 3. The index and the fact-check store (tantivy): the files of the last commit's `meta.json`,
//!    each opened before the commit could change (if it did, they are opened again), so the
//!    copy is one commit with its checkpoint (the log offsets it holds). Segment files never
//!    change once written.
//! 4. The embedded log: per topic, the consumer-group offsets and the segments at one moment
//!    (appends wait for that moment only). The indexer resumes from the index's checkpoint,
//!    which is behind the log copied after it: the records in between are indexed again.
//! 5. The SQLite databases (accounts, review queue, alerts and outbox state) through
//!    `VACUUM INTO`, a transactionally consistent copy taken while others write. Taken after the
//!    log, they hold at least what their stages committed offsets for: a restored stage re-reads
//!    a little, which the stages already tolerate (delivery is at least once, applies are
//!    idempotent).
//! 6. `outbox/` (alert e-mails written as files) and `models/` (the office's hoax model).
//!
//! `simak-backup.json`, written last, lists what was copied; a directory without it is not a
//! (complete) backup and is refused by restore.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use simak_core::Config;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The manifest's file name.
pub const MANIFEST: &str = "simak-backup.json";
/// The format of the backups this build writes and reads.
pub const FORMAT: u32 = 1;
/// The SQLite databases of a data directory.
pub const DATABASES: [&str; 3] = ["accounts.sqlite", "review.sqlite", "alerts.sqlite"];

/// Errors of backup and restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The operator asked for something this refuses to do.
    #[error("{0}")]
    Refused(String),
    /// tantivy failed.
    #[error("index {path}: {message}")]
    Index {
        /// The index directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// SQLite failed.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The embedded log failed.
    #[error(transparent)]
    Log(#[from] simak_bus::BusError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One part of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Part {
    /// Its path in the backup (`index`, `log`, `accounts.sqlite`…).
    pub name: String,
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
}

/// What a backup holds (`simak-backup.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The backup format ([`FORMAT`]).
    pub format: u32,
    /// The Simak version that wrote it.
    pub simak_version: String,
    /// When it was taken.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `embedded` (the log is in the backup) or `kafka` (it is not: the brokers keep it, and
    /// the index's checkpoint names their offsets).
    pub log: String,
    /// Mentions in the index copy.
    pub index_docs: u64,
    /// The index copy's checkpoint (the log offsets it holds), as committed.
    pub index_checkpoint: Option<String>,
    /// The parts.
    pub parts: Vec<Part>,
}

impl Manifest {
    /// Bytes in all parts.
    pub fn bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// Files in all parts.
    pub fn files(&self) -> u64 {
        self.parts.iter().map(|p| p.files).sum()
    }
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// Its manifest.
    pub manifest: Manifest,
    /// How long it took.
    pub elapsed: Duration,
}

/// Whether `dir` is missing or an empty directory.
fn empty_or_missing(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut rd) => Ok(rd.next().is_none()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io(dir)(e)),
    }
}

/// Takes a backup of the data directory `cfg` names into `dest`, which must not exist or be
/// empty. Safe while `simak run` (or any stage) runs on it; see the crate docs.
pub fn backup(cfg: &Config, dest: &Path) -> Result<BackupReport, BackupError> {
    let t0 = Instant::now();
    if !empty_or_missing(dest)? {
        return Err(BackupError::Refused(format!(
            "{} is not empty: back up into a new directory",
            dest.display()
        )));
    }
    simak_core::private::private_dir(dest).map_err(io(dest))?;
    let mut parts = Vec::new();
    let embedded = !cfg.bus.is_kafka();
    let log = if embedded && cfg.log_path().is_dir() {
        match simak_bus::Bus::open(cfg)? {
            simak_bus::Bus::Embedded(log) => Some(log),
            simak_bus::Bus::Kafka(_) => None,
        }
    } else {
        None
    };
    // 1. No segment goes until the log is copied.
    let pause = log.as_ref().map(|l| l.pause_retention()).transpose()?;
    // 2. Cursors before the log.
    let sources = cfg.cursor_path();
    if sources.is_dir() {
        parts.push(copy_tree(&sources, &dest.join("sources"), "sources")?);
    }
    // 3. The index and the fact-check store, each one commit.
    let mut index_docs = 0;
    let mut index_checkpoint = None;
    if cfg.index_path().join("meta.json").is_file() {
        let (part, docs, payload) = snapshot_index(&cfg.index_path(), &dest.join("index"))?;
        parts.push(part);
        index_docs = docs;
        index_checkpoint = payload;
    }
    let fc = cfg.factcheck_path();
    if fc.join("meta.json").is_file() {
        let (mut part, _, _) = snapshot_index(&fc, &dest.join("factchecks"))?;
        part.name = "factchecks".into();
        parts.push(part);
    }
    // 4. The log: offsets and segments at one moment per topic.
    if let Some(log) = &log {
        log.snapshot_to(&dest.join("log"))?;
        parts.push(tree_part(&dest.join("log"), "log")?);
    }
    drop(pause);
    // 5. The databases.
    for name in DATABASES {
        let src = cfg.data_dir.join(name);
        if src.is_file() {
            let to = dest.join(name);
            vacuum_into(&src, &to)?;
            let bytes = std::fs::metadata(&to).map_err(io(&to))?.len();
            parts.push(Part {
                name: name.into(),
                files: 1,
                bytes,
            });
        }
    }
    // 6. Files.
    for name in ["outbox", "models"] {
        let src = cfg.data_dir.join(name);
        if src.is_dir() {
            parts.push(copy_tree(&src, &dest.join(name), name)?);
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        simak_version: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now(),
        log: if embedded { "embedded" } else { "kafka" }.into(),
        index_docs,
        index_checkpoint,
        parts,
    };
    let body = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    simak_bus::embedded::write_atomic(&dest.join(MANIFEST), &body, true)?;
    Ok(BackupReport {
        manifest,
        elapsed: t0.elapsed(),
    })
}

/// Reads the manifest of the backup in `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(BackupError::Refused(format!(
                "{} is not a Simak backup, or an incomplete one (no {MANIFEST})",
                dir.display()
            )))
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        BackupError::Refused(format!(
            "{}: not a Simak backup manifest: {e}",
            path.display()
        ))
    })?;
    if m.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "{} is a backup of format {} (Simak {}); this Simak reads format {FORMAT}",
            dir.display(),
            m.format,
            m.simak_version
        )));
    }
    Ok(m)
}

/// A finished restore.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Mentions in the restored index (the manifest's count, checked).
    pub index_docs: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Restores the backup in `src` into the data directory (and index path) `cfg` names. Refuses
/// a data directory that is not empty unless `force`, and one a running Simak holds in any
/// case; with `force` the existing data is removed first.
pub fn restore(cfg: &Config, src: &Path, force: bool) -> Result<RestoreReport, BackupError> {
    let t0 = Instant::now();
    let manifest = read_manifest(src)?;
    let data = &cfg.data_dir;
    let index = cfg.index_path();
    if let Some(what) = in_use(cfg)? {
        return Err(BackupError::Refused(format!(
            "{} is in use by a running Simak ({what}): stop it before restoring",
            data.display()
        )));
    }
    for dir in [data.as_path(), index.as_path()] {
        if !empty_or_missing(dir)? && !force {
            return Err(BackupError::Refused(format!(
                "{} is not empty: restore into a new data directory, or add --force to replace \
                 what it holds",
                dir.display()
            )));
        }
    }
    if force {
        for name in ["index", "factchecks", "log", "sources", "outbox", "models"] {
            remove_tree(&data.join(name))?;
        }
        remove_tree(&index)?;
        for name in DATABASES {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let p = data.join(format!("{name}{suffix}"));
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&p)(e)),
                }
            }
        }
    }
    simak_core::private::private_dir(data).map_err(io(data))?;
    for part in &manifest.parts {
        let from = src.join(&part.name);
        let to = if part.name == "index" {
            index.clone()
        } else {
            data.join(&part.name)
        };
        if from.is_dir() {
            copy_tree(&from, &to, &part.name)?;
        } else {
            copy_file(&from, &to)?;
            if part.name.ends_with(".sqlite") {
                simak_core::private::private_database(&to).map_err(io(&to))?;
            }
        }
    }
    let index_docs = if index.join("meta.json").is_file() {
        let ix = tantivy::Index::open_in_dir(&index).map_err(|e| BackupError::Index {
            path: index.clone(),
            message: e.to_string(),
        })?;
        let metas = ix.load_metas().map_err(|e| BackupError::Index {
            path: index.clone(),
            message: e.to_string(),
        })?;
        metas.segments.iter().map(|s| u64::from(s.num_docs())).sum()
    } else {
        0
    };
    if index_docs != manifest.index_docs {
        return Err(BackupError::Refused(format!(
            "the restored index holds {index_docs} mentions, the backup says {}: the backup is damaged",
            manifest.index_docs
        )));
    }
    for name in DATABASES {
        let p = data.join(name);
        if p.is_file() {
            let conn = rusqlite::Connection::open(&p).map_err(|e| sqlite(&p, e))?;
            let ok: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| sqlite(&p, e))?;
            if ok != "ok" {
                return Err(BackupError::Refused(format!(
                    "{}: the restored database fails its check ({ok})",
                    p.display()
                )));
            }
        }
    }
    Ok(RestoreReport {
        manifest,
        index_docs,
        elapsed: t0.elapsed(),
    })
}

fn sqlite(path: &Path, source: rusqlite::Error) -> BackupError {
    BackupError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// What of `cfg`'s data a running Simak holds (the index writer, a consumer group), if any.
fn in_use(cfg: &Config) -> Result<Option<String>, BackupError> {
    let held = |path: &Path| -> Result<bool, BackupError> {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(path)(e)),
        };
        Ok(matches!(
            f.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ))
    };
    let writer = cfg.index_path().join(".tantivy-writer.lock");
    if held(&writer)? {
        return Ok(Some("the index writer".into()));
    }
    let log = cfg.log_path();
    if let Ok(topics) = std::fs::read_dir(&log) {
        for t in topics.flatten() {
            if let Ok(groups) = std::fs::read_dir(t.path().join("groups")) {
                for g in groups.flatten() {
                    let p = g.path();
                    if p.extension().is_some_and(|x| x == "lock") && held(&p)? {
                        return Ok(Some(format!("consumer group {}", p.display())));
                    }
                }
            }
        }
    }
    Ok(None)
}

fn remove_tree(p: &Path) -> Result<(), BackupError> {
    match std::fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(p)(e)),
    }
}

/// `VACUUM INTO`: a consistent copy of a live SQLite database (WAL included).
fn vacuum_into(src: &Path, to: &Path) -> Result<(), BackupError> {
    let conn = rusqlite::Connection::open_with_flags(
        src,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite(src, e))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| sqlite(src, e))?;
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Refused(format!("{} is not UTF-8", to.display())))?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| sqlite(src, e))?;
    simak_core::private::private_database(to).map_err(io(to))?;
    Ok(())
}

/// Copies one commit of the tantivy index at `src` into `dest`: the part, the number of
/// documents and the commit's payload.
fn snapshot_index(src: &Path, dest: &Path) -> Result<(Part, u64, Option<String>), BackupError> {
    let ierr = |e: tantivy::TantivyError| BackupError::Index {
        path: src.to_path_buf(),
        message: e.to_string(),
    };
    let index = tantivy::Index::open_in_dir(src).map_err(ierr)?;
    for _ in 0..50 {
        let metas = index.load_metas().map_err(ierr)?;
        let before = serde_json::to_string(&metas).expect("metas serialize");
        // Open every file of this commit. Once open, a file stays readable even if the writer's
        // garbage collection removes it; a file missing now was either never written (not every
        // component exists) or removed by a newer commit: then the commit changed, and we retry.
        let mut open = Vec::new();
        for f in metas.list_segment_files() {
            let p = src.join(&f);
            match File::open(&p) {
                Ok(h) => open.push((f, h)),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io(&p)(e)),
            }
        }
        let after = serde_json::to_string(&index.load_metas().map_err(ierr)?).expect("metas");
        if after != before {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        simak_core::private::private_dir(dest).map_err(io(dest))?;
        let mut part = Part {
            name: "index".into(),
            files: 0,
            bytes: 0,
        };
        let mut managed = Vec::new();
        for (name, mut h) in open {
            let to = dest.join(&name);
            let mut out = File::create(&to).map_err(io(&to))?;
            part.bytes += std::io::copy(&mut h, &mut out).map_err(io(&to))?;
            out.sync_all().map_err(io(&to))?;
            part.files += 1;
            managed.push(name);
        }
        // meta.json as tantivy writes it, and the list of files its garbage collection manages.
        let mut meta = serde_json::to_vec_pretty(&metas).expect("metas serialize");
        meta.push(b'\n');
        managed.push(PathBuf::from("meta.json"));
        let managed = serde_json::to_vec(&managed).expect("paths serialize");
        for (name, body) in [(".managed.json", &managed), ("meta.json", &meta)] {
            simak_bus::embedded::write_atomic(&dest.join(name), body, true)?;
            part.files += 1;
            part.bytes += body.len() as u64;
        }
        let docs = metas.segments.iter().map(|s| u64::from(s.num_docs())).sum();
        return Ok((part, docs, metas.payload.clone()));
    }
    Err(BackupError::Index {
        path: src.to_path_buf(),
        message: "the index changed under every one of 50 attempts to copy a commit".into(),
    })
}

/// Copies `from` to `to` (fsynced), keeping its modification time (the log's retention reads
/// it).
fn copy_file(from: &Path, to: &Path) -> Result<u64, BackupError> {
    if let Some(d) = to.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    let n = std::fs::copy(from, to).map_err(io(from))?;
    let mtime = std::fs::metadata(from).and_then(|m| m.modified()).ok();
    let f = OpenOptions::new().write(true).open(to).map_err(io(to))?;
    if let Some(m) = mtime {
        let _ = f.set_modified(m);
    }
    f.sync_all().map_err(io(to))?;
    Ok(n)
}

/// Copies the regular files under `from` into `to` (lock and temporary files left out).
fn copy_tree(from: &Path, to: &Path, name: &str) -> Result<Part, BackupError> {
    let mut part = Part {
        name: name.into(),
        files: 0,
        bytes: 0,
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        for e in std::fs::read_dir(&src).map_err(io(&src))? {
            let e = e.map_err(io(&src))?;
            let p = e.path();
            let ty = e.file_type().map_err(io(&p))?;
            let fname = e.file_name();
            let n = fname.to_string_lossy();
            if ty.is_dir() {
                let d = dst.join(&fname);
                std::fs::create_dir_all(&d).map_err(io(&d))?;
                stack.push((p, d));
            } else if ty.is_file() && !n.ends_with(".tmp") && n != ".tantivy-writer.lock" {
                match copy_file(&p, &dst.join(&fname)) {
                    Ok(b) => {
                        part.files += 1;
                        part.bytes += b;
                    }
                    // Replaced (a cursor renamed over) or removed meanwhile: not needed.
                    Err(BackupError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(part)
}

/// The files and bytes under `dir`.
fn tree_part(dir: &Path, name: &str) -> Result<Part, BackupError> {
    let mut part = Part {
        name: name.into(),
        files: 0,
        bytes: 0,
    };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d))? {
            let e = e.map_err(io(&d))?;
            let m = e.metadata().map_err(io(&e.path()))?;
            if m.is_dir() {
                stack.push(e.path());
            } else {
                part.files += 1;
                part.bytes += m.len();
            }
        }
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STORED, STRING};
    use tantivy::{doc, Index};

    fn config(root: &Path) -> Config {
        Config {
            data_dir: root.join("data"),
            ..Config::default()
        }
    }

    fn docs_and_payload(path: &Path) -> (u64, u64) {
        let ix = Index::open_in_dir(path).unwrap();
        let metas = ix.load_metas().unwrap();
        let docs = ix.reader().unwrap().searcher().num_docs();
        (docs, metas.payload.unwrap().parse().unwrap())
    }

    /// A writer commits all the time (merges and garbage collection included) while backups
    /// are taken: every copy is one whole commit, its documents matching its payload.
    #[test]
    fn an_index_copied_while_written_is_one_commit() {
        let d = tempfile::tempdir().unwrap();
        let cfg = config(d.path());
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let path = cfg.index_path();
        std::fs::create_dir_all(&path).unwrap();
        let index = Index::create_in_dir(&path, b.build()).unwrap();
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut p = w.prepare_commit().unwrap();
        p.set_payload("0");
        p.commit().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for _ in 0..50 {
                        w.add_document(doc!(id => format!("m{n}"))).unwrap();
                        n += 1;
                    }
                    let mut p = w.prepare_commit().unwrap();
                    p.set_payload(&n.to_string());
                    p.commit().unwrap();
                }
                w.wait_merging_threads().unwrap();
                n
            })
        };
        let mut seen = Vec::new();
        for i in 0..15 {
            let dest = d.path().join(format!("b{i}"));
            let r = backup(&cfg, &dest).unwrap();
            let (docs, payload) = docs_and_payload(&dest.join("index"));
            assert_eq!(docs, payload, "copy {i}");
            assert_eq!(r.manifest.index_docs, docs);
            seen.push(docs);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let written = writer.join().unwrap();
        assert!(written > 0);
        seen.dedup();
        assert!(seen.len() > 1, "copies of several commits: {seen:?}");
    }

    #[test]
    fn databases_log_and_files_round_trip_and_restore_refuses_to_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let cfg = config(d.path());
        std::fs::create_dir_all(&cfg.data_dir).unwrap();
        // A database in WAL mode with a write not yet checkpointed.
        let db = cfg.data_dir.join("accounts.sqlite");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE a (name TEXT); INSERT INTO a VALUES ('humas-1');")
            .unwrap();
        std::fs::create_dir_all(cfg.outbox_path()).unwrap();
        std::fs::write(cfg.outbox_path().join("1.eml"), "Subject: x\r\n\r\nisi").unwrap();
        std::fs::create_dir_all(cfg.cursor_path()).unwrap();
        std::fs::write(cfg.cursor_path().join("rss-a.json"), "{}").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let log = match simak_bus::Bus::open(&cfg).unwrap() {
            simak_bus::Bus::Embedded(l) => l,
            _ => unreachable!(),
        };
        rt.block_on(async {
            let p = log.producer("simak.mentions").unwrap();
            let recs = (0..100)
                .map(|i| simak_bus::Record {
                    key: format!("k{i}"),
                    value: b"{}".to_vec(),
                })
                .collect();
            p.send(recs).await.unwrap();
            let mut c = log
                .group_consumer("simak.mentions", "simak-analyzer")
                .unwrap();
            let got = c.poll(40, Duration::from_millis(100)).await.unwrap();
            let mut o = simak_bus::Offsets::new();
            simak_bus::advance(&mut o, &got);
            c.commit(&o).await.unwrap();
        });
        let dest = d.path().join("backup");
        let r = backup(&cfg, &dest).unwrap();
        let names: Vec<&str> = r.manifest.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["sources", "log", "accounts.sqlite", "outbox"]);
        // Backing up into a non-empty directory is refused.
        assert!(matches!(backup(&cfg, &dest), Err(BackupError::Refused(_))));

        // Restore into a fresh data directory.
        let fresh = config(&d.path().join("restored"));
        let rr = restore(&fresh, &dest, false).unwrap();
        assert_eq!(rr.manifest, r.manifest);
        let conn = rusqlite::Connection::open(fresh.data_dir.join("accounts.sqlite")).unwrap();
        let name: String = conn
            .query_row("SELECT name FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "humas-1");
        assert_eq!(
            simak_core::private::mode(&fresh.data_dir.join("accounts.sqlite")).unwrap(),
            0o600
        );
        assert!(fresh.outbox_path().join("1.eml").is_file());
        assert!(fresh.cursor_path().join("rss-a.json").is_file());
        let log2 = match simak_bus::Bus::open(&fresh).unwrap() {
            simak_bus::Bus::Embedded(l) => l,
            _ => unreachable!(),
        };
        rt.block_on(async {
            let mut c = log2
                .group_consumer("simak.mentions", "simak-analyzer")
                .unwrap();
            let mut n = 0;
            loop {
                let got = c.poll(100, Duration::from_millis(50)).await.unwrap();
                if got.is_empty() {
                    break;
                }
                n += got.len();
            }
            assert_eq!(n, 60, "the group resumes where it was");
        });
        // Again into the same, now not empty, directory: refused without --force.
        match restore(&fresh, &dest, false) {
            Err(BackupError::Refused(m)) => assert!(m.contains("--force"), "{m}"),
            other => panic!("{other:?}"),
        }
        restore(&fresh, &dest, true).unwrap();
        // Not a backup.
        assert!(matches!(
            restore(&config(&d.path().join("x")), d.path(), false),
            Err(BackupError::Refused(_))
        ));
    }
}
