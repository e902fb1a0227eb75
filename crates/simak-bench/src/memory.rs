//! `simak bench memory`: how the resident memory of `simak run` grows with the mentions it holds.
//!
//! Starts `simak run` (every stage and the server, the example watch profiles, a knowledge base
//! of `--factchecks` synthetic fact-checks) in a child process on a fresh data directory, then
//! imports `n` mentions into its embedded log from this process, as `simak import` does, a
//! batch of 1000 at a time and never more than [`LEAD`] ahead of what the index holds, so the
//! log, the analyzer and the indexer all work throughout. The mentions are generated one at a
//! time (nothing keeps them); one in ten names a watch profile, so profile matching,
//! complaints, the review queue and the alert rules see traffic.
//!
//! Every second it reads the child's `/proc/PID/status`: `RssAnon` (the heap and stacks: memory
//! the process itself holds), `RssFile` (pages of files it maps: the index segments tantivy
//! reads through mmap, and the binary; page cache the kernel may take back), and `VmHWM`, the
//! kernel's peak of the two together. Every `--every` mentions indexed it prints a row: the
//! rate over the interval, those figures now and at their peak, the machine's load, the log
//! and index on disk, and the latency of the search bench's 35 queries over HTTP (searching
//! is part of the run: it maps the segments it reads). At the end it lets the service idle a
//! minute (commits, merges), searches again, and prints the last row.

use crate::data::{corpus_texts, mention_lines};
use anyhow::{bail, Context, Result};
use simak_bus::{Bus, Record};
use simak_core::Config;
use simak_index::MentionSearcher;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most mentions imported and not yet indexed.
const LEAD: usize = 100_000;
/// One in this many mentions names a watch profile.
const OFFICE_EVERY: usize = 10;
/// Give up when the index has not grown for this long.
const STALL: Duration = Duration::from_secs(600);

/// What `simak bench memory` was asked.
pub struct MemoryArgs {
    /// `text<TAB>label` corpus the mentions are built from.
    pub corpus: PathBuf,
    /// Mentions to import.
    pub n: usize,
    /// A row every this many indexed.
    pub every: usize,
    /// The data directory (made; must not exist or be empty).
    pub dir: Option<PathBuf>,
    /// Keep the data directory at the end.
    pub keep: bool,
    /// Fact-checks in the knowledge base.
    pub factchecks: usize,
}

/// One reading of `/proc/PID/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Status {
    /// Resident, all kinds.
    pub rss: u64,
    /// Peak resident, all kinds (the kernel's high-water mark).
    pub hwm: u64,
    /// Resident anonymous memory.
    pub anon: u64,
    /// Resident pages of mapped files.
    pub file: u64,
    /// Resident shared memory.
    pub shmem: u64,
}

impl Status {
    /// Reads `/proc/<pid>/status` (None once the process is gone).
    pub fn read(pid: u32) -> Option<Status> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(Status::parse(&text))
    }

    /// Parses the text of a `/proc/PID/status` file.
    pub fn parse(text: &str) -> Status {
        let mut s = Status::default();
        for line in text.lines() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let kb = || -> u64 {
                rest.split_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            match key {
                "VmRSS" => s.rss = kb(),
                "VmHWM" => s.hwm = kb(),
                "RssAnon" => s.anon = kb(),
                "RssFile" => s.file = kb(),
                "RssShmem" => s.shmem = kb(),
                _ => {}
            }
        }
        s
    }
}

/// The readings so far: the last one and the peak of each figure.
#[derive(Debug, Clone, Copy, Default)]
struct Readings {
    last: Status,
    peak_anon: u64,
    peak_file: u64,
    samples: u64,
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Bytes of the files under `dir`.
fn du(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => du(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// Stops the child (SIGTERM, then SIGKILL after 60 s) when dropped.
struct Child(std::process::Child);

impl Child {
    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        if let Ok(Some(st)) = self.0.try_wait() {
            return Some(st);
        }
        // SAFETY: kill(2) on the pid of our own child, which we have not reaped yet.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(st)) = self.0.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        self.0.wait().ok()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The search bench's queries, once each over HTTP: (p50, p99) in ms.
async fn search_round(client: &reqwest::Client, base: &str) -> Result<(f64, f64)> {
    let mut ms = Vec::new();
    for (_, api, _) in crate::search::queries() {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/search?{api}"))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("search {api}: {}", r.status());
        }
        r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok((
        crate::search::pct(&mut ms, 0.5),
        crate::search::pct(&mut ms, 0.99),
    ))
}

fn tail(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Runs the bench (see the module docs).
pub async fn run(a: MemoryArgs) -> Result<ExitCode> {
    let texts = corpus_texts(&a.corpus)?;
    let (dir, made) = match &a.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d)?.next().is_some() {
                bail!("{} is not empty: give a new directory", d.display());
            }
            std::fs::create_dir_all(d)?;
            (d.clone(), None)
        }
        None => {
            let base = std::env::var_os("TMPDIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/var/tmp"));
            let t = tempfile::Builder::new()
                .prefix("simak-bench-memory")
                .tempdir_in(base)?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let result = measure(&a, &texts, &dir).await;
    if a.keep {
        if let Some(t) = made {
            let _ = t.keep();
        }
        eprintln!("kept {}", dir.display());
    } else {
        drop(made);
        if a.dir.is_some() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
    }
    result
}

async fn measure(a: &MemoryArgs, texts: &[String], dir: &Path) -> Result<ExitCode> {
    let data = dir.join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut toml = format!(
        "data_dir = {:?}\n[server]\naddr = \"127.0.0.1:{port}\"\n",
        data
    );
    // The example profiles and gazetteer, when run from the repository root.
    let profiles = std::fs::canonicalize("config/profiles").ok();
    let gazetteer = std::fs::canonicalize("config/gazetteer.toml").ok();
    toml.push_str("[analyzer]\n");
    if let Some(p) = &profiles {
        toml.push_str(&format!("profiles_dir = {p:?}\n"));
    } else {
        eprintln!("no config/profiles here (run from the repository root): no watch profiles");
    }
    if let Some(g) = &gazetteer {
        toml.push_str(&format!("gazetteer = {g:?}\n"));
    }
    let cfg_path = dir.join("simak.toml");
    std::fs::write(&cfg_path, &toml)?;
    let cfg = Config::load(Some(&cfg_path), None)?;

    // An account for the searches.
    let token = crate::search::bench_token(&cfg.accounts_db_path())?;

    let bus = Bus::open(&cfg)?;
    if a.factchecks > 0 {
        let topic = &cfg.bus.topics.factchecks;
        bus.ensure_topic(topic).await?;
        let p = bus.producer(topic)?;
        let fcs = crate::pipeline::synthetic_factchecks(texts, a.factchecks);
        for chunk in fcs.chunks(1000) {
            p.send(chunk.iter().map(|f| f.to_record()).collect())
                .await?;
        }
        eprintln!("published {} fact-checks", fcs.len());
    }
    let topic = &cfg.bus.topics.mentions;
    bus.ensure_topic(topic).await?;
    let producer = bus.producer(topic)?;
    simak_index::indexer::open_or_create(&cfg.index_path())?;

    let log = std::fs::File::create(dir.join("run.log"))?;
    let mut child = Child(
        std::process::Command::new(std::env::current_exe()?)
            .arg("--config")
            .arg(&cfg_path)
            .arg("run")
            .env("SIMAK_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting simak run")?,
    );
    let pid = child.0.id();
    let readings = Arc::new(Mutex::new(Readings::default()));
    let sampler = {
        let readings = readings.clone();
        tokio::spawn(async move {
            while let Some(s) = Status::read(pid) {
                {
                    let mut r = readings.lock().expect("readings");
                    r.last = s;
                    r.peak_anon = r.peak_anon.max(s.anon);
                    r.peak_file = r.peak_file.max(s.file);
                    r.samples += 1;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
        reqwest::Client::builder()
            .default_headers(h)
            .timeout(Duration::from_secs(120))
            .build()?
    };
    let t_up = Instant::now();
    loop {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        if let Ok(Some(st)) = child.0.try_wait() {
            bail!("simak run stopped ({st}):\n{}", tail(&dir.join("run.log")));
        }
        if t_up.elapsed() > Duration::from_secs(300) {
            bail!("simak run did not answer in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = *readings.lock().expect("readings");
    println!(
        "memory bench: simak run (pid {pid}) with {} watch profiles dir, {} fact-checks; {} mentions imported from this process; data in {}",
        if profiles.is_some() { "the example" } else { "no" },
        a.factchecks,
        a.n,
        dir.display()
    );
    println!(
        "started: RssAnon {:.0} MiB, RssFile {:.0} MiB, VmHWM {:.0} MiB",
        mib(idle.last.anon),
        mib(idle.last.file),
        mib(idle.last.hwm)
    );
    println!(
        "{:>6} {:>10} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>7} {:>7} {:>15}",
        "",
        "indexed",
        "secs",
        "ment/s",
        "anon MiB",
        "anon pk",
        "file MiB",
        "file pk",
        "VmHWM",
        "load",
        "log GB",
        "idx GB",
        "search p50/p99"
    );
    let searcher = MentionSearcher::open(&cfg.index_path())?;
    let mut lines = mention_lines(texts, a.n, Some(OFFICE_EVERY));
    let now = chrono::Utc::now();
    let t0 = Instant::now();
    let (mut sent, mut indexed) = (0usize, 0usize);
    let mut next_row = a.every.max(1);
    let (mut prev_n, mut prev_t) = (0usize, 0.0f64);
    let mut last_reload = Instant::now() - Duration::from_secs(1);
    let mut last_growth = Instant::now();
    let row = |label: &str, indexed: usize, secs: f64, rate: f64, search: (f64, f64)| {
        let r = *readings.lock().expect("readings");
        println!(
            "{:>6} {:>10} {:>7.0} {:>7.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>6.1} {:>7.2} {:>7.2} {:>7.1}/{:<7.1}",
            label,
            indexed,
            secs,
            rate,
            mib(r.last.anon),
            mib(r.peak_anon),
            mib(r.last.file),
            mib(r.peak_file),
            mib(r.last.hwm),
            load1(),
            du(&cfg.log_path()) as f64 / 1e9,
            du(&cfg.index_path()) as f64 / 1e9,
            search.0,
            search.1
        );
    };
    loop {
        if last_reload.elapsed() >= Duration::from_millis(250) {
            searcher.reload()?;
            let now_indexed = searcher.num_docs() as usize;
            if now_indexed > indexed {
                last_growth = Instant::now();
            }
            indexed = now_indexed;
            last_reload = Instant::now();
            while indexed >= next_row && next_row <= a.n {
                let secs = t0.elapsed().as_secs_f64();
                let rate = (indexed - prev_n) as f64 / (secs - prev_t).max(1e-9);
                let search = search_round(&client, &base).await?;
                row("", indexed, secs, rate, search);
                (prev_n, prev_t) = (indexed, secs);
                next_row += a.every.max(1);
            }
        }
        if indexed >= a.n {
            break;
        }
        if sent < a.n && sent < indexed + LEAD {
            let k = (a.n - sent).min(1000);
            let mut batch = Vec::with_capacity(k);
            for line in lines.by_ref().take(k) {
                let m = simak_ingest::jsonl::parse_line(&line, now).map_err(anyhow::Error::msg)?;
                batch.push(Record {
                    key: m.id.clone(),
                    value: m.to_json(),
                });
            }
            producer.send(batch).await?;
            sent += k;
            continue;
        }
        if let Ok(Some(st)) = child.0.try_wait() {
            bail!(
                "simak run stopped ({st}) at {indexed} mentions:\n{}",
                tail(&dir.join("run.log"))
            );
        }
        if last_growth.elapsed() > STALL {
            bail!(
                "the index stayed at {indexed} of {} mentions for {} s; see {}",
                a.n,
                STALL.as_secs(),
                dir.join("run.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "all {} mentions indexed in {secs:.0} s ({:.0}/s); idling 60 s, then searching again",
        a.n,
        a.n as f64 / secs
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let mut worst = (0.0f64, 0.0f64);
    for _ in 0..3 {
        let s = search_round(&client, &base).await?;
        worst = (worst.0.max(s.0), worst.1.max(s.1));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    row("idle", indexed, t0.elapsed().as_secs_f64(), 0.0, worst);
    let r = *readings.lock().expect("readings");
    let status = child.terminate();
    sampler.abort();
    println!(
        "peaks over {} samples: RssAnon {:.0} MiB, RssFile {:.0} MiB, VmHWM (both) {:.0} MiB; {} mentions in {secs:.0} s ({:.0}/s); simak run exited: {}",
        r.samples,
        mib(r.peak_anon),
        mib(r.peak_file),
        mib(r.last.hwm),
        a.n,
        a.n as f64 / secs,
        status.map_or("?".into(), |s| s.to_string())
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_figures_of_proc_status() {
        let s = Status::parse(
            "Name:\tsimak\nVmPeak:\t 2000 kB\nVmHWM:\t  900 kB\nVmRSS:\t  800 kB\n\
             RssAnon:\t  500 kB\nRssFile:\t  290 kB\nRssShmem:\t  10 kB\nThreads:\t9\n",
        );
        assert_eq!(
            (s.hwm, s.rss, s.anon, s.file, s.shmem),
            (900, 800, 500, 290, 10)
        );
    }

    #[test]
    fn reads_this_process() {
        let s = Status::read(std::process::id()).expect("own status");
        assert!(s.rss > 0 && s.hwm >= s.rss && s.anon > 0);
    }

    #[test]
    fn generated_mentions_are_streamed_and_name_offices() {
        let texts = vec![
            "jalan rusak parah".to_string(),
            "pelayanan cepat".to_string(),
        ];
        let lines: Vec<String> = mention_lines(&texts, 25, Some(10)).collect();
        assert_eq!(lines.len(), 25);
        let office = lines.iter().filter(|l| l.contains("Sukamaju")).count();
        assert_eq!(office, 3, "mentions 0, 10 and 20");
        let plain: Vec<String> = mention_lines(&texts, 25, None).collect();
        assert!(plain.iter().all(|l| !l.contains("Sukamaju")));
        let now = chrono::Utc::now();
        for l in &lines {
            simak_ingest::jsonl::parse_line(l, now).expect("a valid mention");
        }
    }
}
