//! `simak bench pipeline` (and `classify`, `hoax`, `alerts`): mentions through import → log → analyze → index, against bare
//! tantivy indexing of the same documents, measured in the same run.
//!
//! Each measured phase runs in its own child process, so each one's peak RSS is its own.

use crate::data::{corpus_texts, mention_lines};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use simak_bus::Bus;
use simak_core::{Config, Mention};
use simak_index::MentionSearcher;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    what: BenchWhat,
    /// Number of mentions.
    #[arg(long, default_value_t = 200_000)]
    n: usize,
    /// Kafka bootstrap servers: also run the pipeline over Kafka.
    #[arg(long)]
    brokers: Option<String>,
    /// Indonesian texts to build mentions from (`text<TAB>label` lines).
    #[arg(
        long,
        default_value = "../shared/data/sentiment/smsa/train_preprocess.tsv"
    )]
    corpus: PathBuf,
    /// Internal: run one phase in this process and print its figures as JSON.
    #[arg(long, hide = true)]
    phase: Option<String>,
    /// Internal: the generated JSONL file.
    #[arg(long, hide = true)]
    input: Option<PathBuf>,
    /// Internal: the phase's working directory.
    #[arg(long, hide = true)]
    work: Option<PathBuf>,
    /// Alerts per second handed over (bench alerts).
    #[arg(long, default_value_t = 25.0)]
    rate: f64,
    /// Fact-checks in the knowledge base (bench hoax).
    #[arg(long, default_value_t = 50_000)]
    factchecks: usize,
    /// Python with scikit-learn, for the classify baseline.
    #[arg(long, default_value = "/opt/simak-venv/bin/python")]
    python: PathBuf,
    /// Where `bench memory` keeps the run's data (log and index: about 1.4 GB per million
    /// mentions); a new directory under $TMPDIR or /var/tmp if not given. Deleted at the end
    /// unless --keep.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep `bench memory`'s data directory.
    #[arg(long)]
    keep: bool,
    /// `bench memory`: print a row every this many mentions indexed (default: n / 10).
    #[arg(long)]
    every: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchWhat {
    /// import → log → analyze → index, embedded (and Kafka with --brokers), vs bare tantivy.
    Pipeline,
    /// Language + sentiment per core, vs scikit-learn TF-IDF + logistic regression.
    Classify,
    /// The full analyzer with hoax scoring against a large fact-check base, per core.
    Hoax,
    /// Alert latency: from the source's handover to the SMTP server's acceptance.
    Alerts,
    /// Per-source collection throughput against replay servers, vs bare HTTP (use --n 20000).
    Sources,
    /// Search latency over HTTP on a large index (use --n 1000000), vs the searcher in-process.
    Search,
    /// Resident memory of `simak run` (a child process) while `n` mentions are imported into
    /// it, indexed and searched: peak and current RssAnon, RssFile and VmHWM every --every
    /// mentions (use --n 10000000 --dir /var/tmp/...).
    Memory,
}

pub async fn run(cfg: Config, a: BenchArgs) -> Result<ExitCode> {
    if let Some(phase) = &a.phase {
        let input = a.input.clone().context("--input")?;
        if phase == "generate" {
            // For profiling one phase alone: write the input the phases read, then run
            // `--phase embedded --input FILE --work DIR` under a profiler.
            generate(&a.corpus, &input, a.n)?;
            return Ok(ExitCode::SUCCESS);
        }
        let work = a.work.clone().context("--work")?;
        let figures = match phase.as_str() {
            "baseline" => baseline(&input, &work, a.n)?,
            "embedded" => pipeline(&cfg, &input, &work, a.n, None).await?,
            "kafka" => pipeline(&cfg, &input, &work, a.n, a.brokers.as_deref()).await?,
            other => bail!("unknown phase {other}"),
        };
        println!("{}", serde_json::to_string(&figures)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let BenchWhat::Classify = a.what {
        return classify_bench(&a);
    }
    if let BenchWhat::Hoax = a.what {
        return hoax_bench(&a);
    }
    if let BenchWhat::Alerts = a.what {
        return alerts_bench(&a).await;
    }
    if let BenchWhat::Sources = a.what {
        return crate::sources::run(a.n).await;
    }
    if let BenchWhat::Search = a.what {
        return crate::search::run(&a.corpus, a.n, 20, cfg.index.max_merge_docs).await;
    }
    if let BenchWhat::Memory = a.what {
        return crate::memory::run(crate::memory::MemoryArgs {
            corpus: a.corpus.clone(),
            n: a.n,
            every: a.every.unwrap_or((a.n / 10).max(1)),
            dir: a.dir.clone(),
            keep: a.keep,
            factchecks: a.factchecks,
        })
        .await;
    }
    let tmp = tempfile::Builder::new().prefix("simak-bench").tempdir()?;
    let input = tmp.path().join("mentions.jsonl");
    let bytes = generate(&a.corpus, &input, a.n)?;
    eprintln!(
        "generated {} mentions ({:.1} MB) from {}",
        a.n,
        bytes as f64 / 1e6,
        a.corpus.display()
    );
    let mut phases = vec!["baseline", "embedded"];
    if a.brokers.is_some() {
        phases.push("kafka");
    }
    let mut results = Vec::new();
    for phase in phases {
        let work = tmp.path().join(phase);
        std::fs::create_dir_all(&work)?;
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.args([
            "bench",
            "pipeline",
            "--phase",
            phase,
            "--n",
            &a.n.to_string(),
        ])
        .arg("--input")
        .arg(&input)
        .arg("--work")
        .arg(&work)
        .arg("--data-dir")
        .arg(work.join("data"));
        if let Some(b) = &a.brokers {
            cmd.args(["--brokers", b]);
        }
        eprintln!("running {phase} ...");
        let out = cmd.stderr(std::process::Stdio::inherit()).output()?;
        if !out.status.success() {
            bail!("phase {phase} failed ({})", out.status);
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "phase {phase} printed {:?}",
                String::from_utf8_lossy(&out.stdout)
            )
        })?;
        results.push((phase, v));
    }
    let base_rate = results[0].1["mentions_per_s"].as_f64().unwrap_or(f64::NAN);
    println!(
        "{:<10} {:>10} {:>12} {:>9} {:>11} {:>14}",
        "phase", "seconds", "mentions/s", "MB/s", "peak RSS", "vs bare tantivy"
    );
    for (phase, v) in &results {
        let rate = v["mentions_per_s"].as_f64().unwrap_or(0.0);
        println!(
            "{:<10} {:>10.2} {:>12.0} {:>9.1} {:>8} MB {:>13.2}x",
            phase,
            v["seconds"].as_f64().unwrap_or(0.0),
            rate,
            rate * bytes as f64 / a.n as f64 / 1e6,
            v["peak_rss_kb"].as_u64().unwrap_or(0) / 1024,
            rate / base_rate
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `n` mentions built from the corpus texts; returns the file size.
fn generate(corpus: &Path, out: &Path, n: usize) -> Result<u64> {
    let texts = corpus_texts(corpus)?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in mention_lines(&texts, n, None) {
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(std::fs::metadata(out)?.len())
}

fn peak_rss_kb() -> u64 {
    // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF is always valid.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u.ru_maxrss as u64
    }
}

fn figures(n: usize, secs: f64) -> serde_json::Value {
    serde_json::json!({
        "mentions": n,
        "seconds": secs,
        "mentions_per_s": n as f64 / secs,
        "peak_rss_kb": peak_rss_kb(),
    })
}

/// Bare tantivy: parse each line, build the same document, add, one commit.
fn baseline(input: &Path, work: &Path, n: usize) -> Result<serde_json::Value> {
    let t0 = Instant::now();
    let (index, fields) = simak_index::indexer::open_or_create(&work.join("index"))?;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(2, 256 << 20)?;
    let f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(input)?);
    let now = chrono::Utc::now();
    let mut count = 0;
    for line in f.lines() {
        let m: Mention =
            simak_ingest::jsonl::parse_line(&line?, now).map_err(anyhow::Error::msg)?;
        writer.add_document(simak_index::schema::to_document(&fields, &m))?;
        count += 1;
    }
    writer.commit()?;
    if count != n {
        bail!("baseline indexed {count} of {n}");
    }
    Ok(figures(n, t0.elapsed().as_secs_f64()))
}

/// The real stages in this process: import → log → analyzer → log → indexer, until the index
/// holds all `n` mentions.
async fn pipeline(
    cfg: &Config,
    input: &Path,
    work: &Path,
    n: usize,
    brokers: Option<&str>,
) -> Result<serde_json::Value> {
    let mut cfg = cfg.clone();
    cfg.data_dir = work.join("data");
    cfg.index.path = None;
    cfg.index.commit_docs = 50_000;
    cfg.index.commit_ms = 1000;
    if let Some(b) = brokers {
        let run = format!("bench{}", std::process::id());
        cfg.bus.brokers = b.to_string();
        cfg.bus.topics.mentions = format!("{run}.mentions");
        cfg.bus.topics.enriched = format!("{run}.enriched");
        cfg.bus.groups.analyzer = format!("{run}-analyzer");
        cfg.bus.groups.indexer = format!("{run}-indexer");
    } else {
        cfg.bus.brokers.clear();
    }
    let bus = Bus::open(&cfg)?;
    bus.ensure_topic(&cfg.bus.topics.mentions).await?;
    bus.ensure_topic(&cfg.bus.topics.enriched).await?;
    simak_index::indexer::open_or_create(&cfg.index_path())?;
    let searcher = MentionSearcher::open(&cfg.index_path())?;
    let token = CancellationToken::new();
    let t0 = Instant::now();
    let analyzer = {
        let (cfg, bus, token) = (cfg.clone(), bus.clone(), token.clone());
        tokio::spawn(async move {
            simak_analyze::run_analyzer(&cfg, &bus, &simak_runtime::Attempt::new(token)).await
        })
    };
    let indexer = {
        let (cfg, bus, token) = (cfg.clone(), bus.clone(), token.clone());
        tokio::spawn(async move {
            simak_index::run_indexer(&cfg, &bus, &simak_runtime::Attempt::new(token)).await
        })
    };
    let producer = bus.producer(&cfg.bus.topics.mentions)?;
    let f = tokio::io::BufReader::with_capacity(1 << 20, tokio::fs::File::open(input).await?);
    let report = simak_ingest::jsonl::import(f, &producer, 1000, |_| {}).await?;
    let imported = t0.elapsed().as_secs_f64();
    eprintln!("  imported {} in {imported:.2}s", report.accepted);
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        searcher.reload()?;
        if searcher.num_docs() as usize >= n {
            break;
        }
        if Instant::now() > deadline || analyzer.is_finished() || indexer.is_finished() {
            bail!(
                "the pipeline stopped at {} of {n} mentions",
                searcher.num_docs()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    token.cancel();
    analyzer.await??;
    indexer.await??;
    let mut v = figures(n, secs);
    v["import_seconds"] = serde_json::json!(imported);
    Ok(v)
}

fn rate(n: usize, t0: Instant) -> f64 {
    n as f64 / t0.elapsed().as_secs_f64()
}

/// Language + sentiment on one core, against scikit-learn on the same texts in the same run.
fn classify_bench(a: &BenchArgs) -> Result<ExitCode> {
    let texts = corpus_texts(&a.corpus)?;
    let n = a.n;
    let t0 = Instant::now();
    let analyzer = simak_analyze::Analyzer::new();
    let load_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let pick = |i: usize| texts[i % texts.len()].as_str();
    // Warm up caches and lazy tables.
    for i in 0..1000 {
        std::hint::black_box(analyzer.analyze(None, pick(i)));
    }
    let t0 = Instant::now();
    for i in 0..n {
        std::hint::black_box(simak_text::detect_language(pick(i)));
    }
    let lang_rate = rate(n, t0);
    let model = simak_analyze::sentiment::SentimentModel::shipped();
    let t0 = Instant::now();
    for i in 0..n {
        std::hint::black_box(model.predict(pick(i)));
    }
    let sent_rate = rate(n, t0);
    let t0 = Instant::now();
    for i in 0..n {
        std::hint::black_box(analyzer.analyze(None, pick(i)));
    }
    let both_rate = rate(n, t0);
    let lines: Vec<String> = (0..n)
        .map(|i| serde_json::json!({ "id": format!("b:{i}"), "text": pick(i) }).to_string())
        .collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let t0 = Instant::now();
    let mut out = Vec::with_capacity(bytes * 2);
    for l in &lines {
        let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(l)?;
        analyzer.enrich_json(&mut v).map_err(anyhow::Error::msg)?;
        serde_json::to_writer(&mut out, &v)?;
        out.push(b'\n');
    }
    let json_rate = rate(n, t0);
    let json_mb = bytes as f64 / 1e6 / t0.elapsed().as_secs_f64();

    let tmp = tempfile::tempdir()?;
    let script = tmp.path().join("sklearn_baseline.py");
    std::fs::write(&script, include_str!("../scripts/sklearn_baseline.py"))?;
    let test = tmp.path().join("test.tsv");
    std::fs::write(&test, simak_analyze::sentiment::SMSA_TEST)?;
    let sample = tmp.path().join("texts.txt");
    let sample_n = n.min(50_000);
    std::fs::write(
        &sample,
        (0..sample_n)
            .map(|i| format!("{}\n", pick(i)))
            .collect::<String>(),
    )?;
    eprintln!(
        "running the scikit-learn baseline with {} ...",
        a.python.display()
    );
    let out = std::process::Command::new(&a.python)
        .arg(&script)
        .arg(&a.corpus)
        .arg(&test)
        .arg(&sample)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| {
            format!(
                "running {} (install scikit-learn there, or pass --python)",
                a.python.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "the scikit-learn baseline failed ({}); is scikit-learn installed for {}?",
            out.status,
            a.python.display()
        );
    }
    let sk: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let sk_one = sk["one_at_a_time_per_s"].as_f64().unwrap_or(f64::NAN);
    let sk_batch = sk["batch_per_s"].as_f64().unwrap_or(f64::NAN);
    println!("classify bench: {n} SmSA texts, one thread (model loaded in {load_ms:.1} ms)");
    println!("{:<42} {:>12}", "", "mentions/s");
    println!("{:<42} {:>12.0}", "language only", lang_rate);
    println!("{:<42} {:>12.0}", "sentiment only", sent_rate);
    println!("{:<42} {:>12.0}", "language + sentiment", both_rate);
    println!(
        "{:<42} {:>12.0}   ({json_mb:.1} MB/s)",
        "classify JSONL (parse + enrich + write)", json_rate
    );
    println!(
        "{:<42} {:>12.0}",
        "scikit-learn TF-IDF+LR, one at a time", sk_one
    );
    println!(
        "{:<42} {:>12.0}",
        "scikit-learn TF-IDF+LR, one batch", sk_batch
    );
    println!(
        "ratio language+sentiment / scikit-learn: {:.1}x one at a time, {:.1}x batch (scikit-learn macro-F1 on SmSA test {:.4})",
        both_rate / sk_one,
        both_rate / sk_batch,
        sk["macro_f1"].as_f64().unwrap_or(f64::NAN)
    );
    Ok(ExitCode::SUCCESS)
}

/// A knowledge base of `n` fact-checks: the hoax test set's 36 claims, then claims built from
/// the corpus (one sentence, or the first half of one joined to the second half of another,
/// so the vocabulary and lengths are those of real Indonesian posts).
pub(crate) fn synthetic_factchecks(
    texts: &[String],
    n: usize,
) -> Vec<simak_analyze::factcheck::FactCheck> {
    use simak_analyze::factcheck::FactCheck;
    let mut out = simak_analyze::hoax_eval::TestSet::shipped().factchecks;
    let mut seen: std::collections::HashSet<String> = out.iter().map(|f| f.claim.clone()).collect();
    let half = |t: &str, first: bool| -> String {
        let w: Vec<&str> = t.split_whitespace().collect();
        let m = w.len() / 2;
        if first {
            w[..m].join(" ")
        } else {
            w[m..].join(" ")
        }
    };
    let mut i = 0usize;
    while out.len() < n {
        let a = &texts[i % texts.len()];
        let claim = if i < texts.len() {
            a.clone()
        } else {
            let b = &texts[(i.wrapping_mul(7919) + i / texts.len()) % texts.len()];
            format!("{} {}", half(a, true), half(b, false))
        };
        i += 1;
        if claim.split_whitespace().count() < 5 || !seen.insert(claim.clone()) {
            continue;
        }
        out.push(FactCheck {
            id: format!("bench-{i}"),
            claim,
            verdict: "hoaks".into(),
            explanation: String::new(),
            url: None,
            published_at: None,
            source: "bench".into(),
        });
    }
    out
}

/// The analyzer with hoax scoring, one thread, against an empty and a 50,000-entry base.
fn hoax_bench(a: &BenchArgs) -> Result<ExitCode> {
    use simak_analyze::factcheck::{view, FactCheckBase};
    use simak_analyze::hoax::{score, Clusters};
    let texts = corpus_texts(&a.corpus)?;
    let set = simak_analyze::hoax_eval::TestSet::shipped();
    // Mentions: SmSA test texts and the hoax test posts (a tenth of them spread a known claim).
    let mut mentions: Vec<String> = simak_analyze::sentiment::SMSA_TEST
        .lines()
        .filter_map(|l| l.rsplit_once('\t').map(|(t, _)| t.to_string()))
        .collect();
    mentions.extend(set.posts.iter().map(|p| p.text.clone()));
    let n = a.n;
    let t0 = Instant::now();
    let fcs = synthetic_factchecks(&texts, a.factchecks);
    let gen_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let kb = FactCheckBase::new(fcs.clone());
    let build_s = t0.elapsed().as_secs_f64();
    let profiles = simak_analyze::profiles::Profiles::load_dir(Path::new("config/profiles"))
        .unwrap_or_default();
    let mk = |m: usize| -> Mention {
        serde_json::from_value(serde_json::json!({
            "id": format!("b:{m}"), "source": "bench", "text": mentions[m % mentions.len()],
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        }))
        .expect("mention")
    };
    let batch: Vec<Mention> = (0..n).map(mk).collect();
    let run = |an: &simak_analyze::Analyzer| -> f64 {
        for m in batch.iter().take(1000) {
            let mut m = m.clone();
            an.enrich(&mut m);
        }
        let mut ms = batch.clone();
        let t0 = Instant::now();
        for m in ms.iter_mut() {
            an.enrich(m);
        }
        rate(n, t0)
    };
    let empty = simak_analyze::Analyzer::new().with_profiles(profiles.clone());
    let base_rate = run(&empty);
    let full = simak_analyze::Analyzer::new()
        .with_profiles(profiles.clone())
        .with_factchecks(fcs);
    let full_rate = run(&full);
    // Matching alone, and the whole hoax score alone.
    let t0 = Instant::now();
    let mut matched = 0usize;
    for i in 0..n {
        let v = view(&mentions[i % mentions.len()]);
        matched += usize::from(!kb.matches(&v, 3).is_empty());
    }
    let match_rate = rate(n, t0);
    let clusters = Clusters::default();
    let t0 = Instant::now();
    for i in 0..n {
        std::hint::black_box(score(
            &kb,
            &clusters,
            &mentions[i % mentions.len()],
            i as i64,
        ));
    }
    let score_rate = rate(n, t0);
    println!(
        "hoax bench: {n} mentions ({} distinct: SmSA test + hoax test posts), one thread, {} profiles",
        mentions.len(),
        profiles.len()
    );
    println!(
        "knowledge base: {} fact-checks (generated in {gen_s:.1} s, built in memory in {build_s:.2} s)",
        kb.len()
    );
    println!("{:<52} {:>12}", "", "mentions/s");
    println!(
        "{:<52} {:>12.0}",
        "analyzer, no fact-checks (baseline)", base_rate
    );
    println!(
        "{:<52} {:>12.0}",
        format!("analyzer with hoax scoring, {} fact-checks", kb.len()),
        full_rate
    );
    println!("{:<52} {:>12.0}", "claim matching alone", match_rate);
    println!(
        "{:<52} {:>12.0}",
        "hoax score alone (matching, cues, clusters)", score_rate
    );
    println!(
        "ratio with / without the knowledge base: {:.2}; mentions with a candidate match: {:.1}%",
        full_rate / base_rate,
        100.0 * matched as f64 / n as f64
    );
    Ok(ExitCode::SUCCESS)
}

/// Alert latency on the embedded log and, with --brokers, on Kafka: `simak run` in a child
/// process delivering to a real SMTP server (aiosmtpd) that records when it accepted each e-mail.
async fn alerts_bench(a: &BenchArgs) -> Result<ExitCode> {
    let texts = corpus_texts(&a.corpus)?;
    let mut modes = vec![None];
    if let Some(b) = &a.brokers {
        modes.push(Some(b.clone()));
    }
    let mut rows = Vec::new();
    for brokers in modes {
        let name = if brokers.is_some() {
            "kafka"
        } else {
            "embedded"
        };
        eprintln!(
            "alerts bench on the {name} log: {} mentions at {}/s ...",
            a.n, a.rate
        );
        let r = alerts_run(a, &texts, brokers.as_deref()).await?;
        rows.push((name, r));
    }
    println!("alert latency: source handover -> SMTP server accepted (aiosmtpd on loopback)");
    println!(
        "{:<10} {:>8} {:>8} {:>10} {:>10} {:>10}",
        "log", "handed", "alerts", "p50 ms", "p95 ms", "max ms"
    );
    for (name, (handed, lat)) in &rows {
        let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{:<10} {:>8} {:>8} {:>10.0} {:>10.0} {:>10.0}",
            name,
            handed,
            lat.len(),
            q(0.5),
            q(0.95),
            lat[lat.len() - 1]
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn epoch_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One run: (mentions handed over, sorted latencies in ms of the alerts received).
async fn alerts_run(
    a: &BenchArgs,
    texts: &[String],
    brokers: Option<&str>,
) -> Result<(usize, Vec<f64>)> {
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix("simak-bench-alerts")
        .tempdir()?;
    let port = || -> Result<u16> {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port())
    };
    let (smtp_port, http_port) = (port()?, port()?);
    let script = tmp.path().join("smtp_sink.py");
    std::fs::write(&script, include_str!("../scripts/smtp_sink.py"))?;
    let accepted = tmp.path().join("accepted.tsv");
    let mut sink = std::process::Command::new(&a.python)
        .arg(&script)
        .arg(smtp_port.to_string())
        .arg(&accepted)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "starting aiosmtpd with {} (pip install aiosmtpd)",
                a.python.display()
            )
        })?;
    {
        let mut line = String::new();
        std::io::BufReader::new(sink.stdout.take().context("sink stdout")?).read_line(&mut line)?;
        if !line.starts_with("ready") {
            bail!(
                "the SMTP sink did not start (is aiosmtpd installed for {}?)",
                a.python.display()
            );
        }
    }
    let _sink = Kill(sink);
    let run = tmp
        .path()
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let profiles = std::fs::canonicalize("config/profiles")
        .context("run from the repository root (config/profiles)")?;
    let mut toml = format!(
        "data_dir = {:?}\n[server]\naddr = \"127.0.0.1:{http_port}\"\n[analyzer]\nprofiles_dir = {:?}\n[alerts]\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\nper_recipient_per_hour = 1000000\n",
        tmp.path().join("data"),
        profiles
    );
    if let Some(b) = brokers {
        toml.push_str(&format!(
            "[bus]\nbrokers = \"{b}\"\n[bus.topics]\nmentions = \"{run}.mentions\"\nenriched = \"{run}.enriched\"\nfactchecks = \"{run}.factchecks\"\n[bus.groups]\nanalyzer = \"{run}-a\"\nindexer = \"{run}-i\"\nreview = \"{run}-r\"\nalerts = \"{run}-al\"\n"
        ));
    }
    let cfg_path = tmp.path().join("simak.toml");
    std::fs::write(&cfg_path, toml)?;
    let cfg = Config::load(Some(&cfg_path), None)?;
    let bus = Bus::open(&cfg)?;
    bus.ensure_topic(&cfg.bus.topics.mentions).await?;
    let producer = bus.producer(&cfg.bus.topics.mentions)?;
    let log = std::fs::File::create(tmp.path().join("run.log"))?;
    let child = std::process::Command::new(std::env::current_exe()?)
        .arg("--config")
        .arg(&cfg_path)
        .arg("run")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()?;
    let _child = Kill(child);
    let received = |path: &Path| -> HashMap<String, f64> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (id, t) = l.split_once('\t')?;
                Some((id.to_string(), t.parse().ok()?))
            })
            .collect()
    };
    let mention = |id: &str, i: usize| -> Mention {
        let body = &texts[(i * 7919) % texts.len()];
        let now = chrono::Utc::now();
        serde_json::from_value(serde_json::json!({
            "id": id, "source": "bench",
            "text": format!("SEBARKAN!!! Info dari grup sebelah, sumber terpercaya: Pemkab Sukamaju {body} Teruskan ke semua grup"),
            "published_at": now, "fetched_at": now
        }))
        .expect("mention")
    };
    // Warm up: the first alert through proves every stage (and Kafka group) is ready.
    let t0 = Instant::now();
    let mut w = 0usize;
    loop {
        let id = format!("warm:{w}");
        let m = mention(&id, 1_000_000 + w);
        producer
            .send(vec![simak_bus::Record {
                key: id.clone(),
                value: m.to_json(),
            }])
            .await?;
        w += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
        if received(&accepted).keys().any(|k| k.starts_with("warm:")) {
            break;
        }
        if t0.elapsed() > Duration::from_secs(120) {
            bail!(
                "no alert arrived in 120 s; see {}",
                tmp.path().join("run.log").display()
            );
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let gap = Duration::from_secs_f64(1.0 / a.rate.max(0.1));
    let mut handed: HashMap<String, f64> = HashMap::new();
    let start = Instant::now();
    for i in 0..a.n {
        let id = format!("b:{i}");
        let m = mention(&id, i);
        handed.insert(id.clone(), epoch_s());
        producer
            .send(vec![simak_bus::Record {
                key: id,
                value: m.to_json(),
            }])
            .await?;
        let next = gap.mul_f64((i + 1) as f64);
        if let Some(wait) = next.checked_sub(start.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    // Wait for the stragglers: until nothing new arrives for 10 s.
    let mut last = 0;
    let mut still = Instant::now();
    loop {
        let n = received(&accepted)
            .keys()
            .filter(|k| k.starts_with("b:"))
            .count();
        if n != last {
            last = n;
            still = Instant::now();
        }
        if n >= a.n || still.elapsed() > Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = received(&accepted);
    let mut lat: Vec<f64> = handed
        .iter()
        .filter_map(|(id, t)| got.get(id).map(|a| (a - t) * 1000.0))
        .collect();
    if lat.is_empty() {
        bail!(
            "no alert arrived; see {}",
            tmp.path().join("run.log").display()
        );
    }
    lat.sort_by(f64::total_cmp);
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!("kept {}", tmp.keep().display());
    }
    Ok((a.n, lat))
}
