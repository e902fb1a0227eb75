//! The analyzer stage: reads raw mentions, adds enrichment, writes them to the enriched topic.
//!
//! Delivery is at least once: the stage runtime ([`AnalyzerStage`]) commits offsets only after
//! the enriched batch was acknowledged by the log. A crash re-analyzes the uncommitted batch;
//! the indexer's unique key makes that harmless. A record that is not a valid mention is logged and skipped.
//!
//! Each batch is analyzed on `analyzer.workers` threads (default: one per core) in chunks they
//! take in turn, and its output is written in input order, so one mention's versions (one key)
//! stay in order. Under a backlog the stage is pipelined: the next batch is analyzed while the
//! one before is written and committed (see [`AnalyzerStage`]).
#![warn(missing_docs)]

pub mod claim_eval;
pub mod complaint;
pub mod enrich;
pub mod factcheck;
pub mod hoax;
pub mod hoax_eval;
pub mod matcher;
pub mod profiles;
pub mod sentiment;

use profiles::Profiles;
use sentiment::SentimentModel;
use simak_bus::{Bus, BusError, Offsets, Producer, Record};
use simak_core::{Config, Mention, Sentiment};
use simak_runtime::{Attempt, Done, Input, Stage, StageError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What the analyzer adds to a mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// Language code.
    pub lang: &'static str,
    /// Sentiment.
    pub sentiment: Sentiment,
}

/// Adds enrichment to mentions: the [`enrich::Enricher`]s the configuration lists, in its
/// order. The same code serves the pipeline and `simak classify`.
#[derive(Clone)]
pub struct Analyzer {
    parts: enrich::Parts,
    /// The enrichers' names, in order.
    order: Vec<String>,
    enrichers: Vec<Arc<dyn enrich::Enricher>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Analyzer({:?}, {} profiles, {:?})",
            self.order,
            self.parts.profiles.len(),
            self.parts.factchecks
        )
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// The analyzer with the shipped models, no watch profiles and the default enrichers.
    pub fn new() -> Analyzer {
        Analyzer::with_sentiment(SentimentModel::shipped().clone())
    }

    /// The analyzer with another sentiment model.
    pub fn with_sentiment(model: SentimentModel) -> Analyzer {
        let mut a = Analyzer {
            parts: enrich::Parts {
                sentiment: Arc::new(model),
                profiles: Arc::new(Profiles::default()),
                factchecks: Arc::new(factcheck::LiveBase::default()),
                clusters: Arc::new(hoax::Clusters::default()),
                office: None,
                complaints: complaint::ComplaintModel::shipped_arc().clone(),
                gazetteer: Arc::new(complaint::Gazetteer::default()),
            },
            order: enrich::DEFAULT_ORDER
                .iter()
                .map(|s| s.to_string())
                .collect(),
            enrichers: Vec::new(),
        };
        a.rebuild();
        a
    }

    /// Builds the enrichers again from the parts (the names were checked when they were set).
    fn rebuild(&mut self) {
        self.enrichers = enrich::build_all(&self.order, &self.parts)
            .expect("enricher names are checked when they are set");
    }

    /// The same analyzer running the enrichers `names`, in that order; an error naming an
    /// unknown or repeated one.
    pub fn with_enrichers(mut self, names: &[String]) -> Result<Analyzer, String> {
        self.enrichers = enrich::build_all(names, &self.parts)?;
        self.order = names.to_vec();
        Ok(self)
    }

    /// The same analyzer matching claims against `fcs`.
    pub fn with_factchecks(mut self, fcs: Vec<factcheck::FactCheck>) -> Analyzer {
        self.parts.factchecks = Arc::new(factcheck::LiveBase::new(fcs));
        self.rebuild();
        self
    }

    /// The same analyzer with the office's hoax model (`simak train hoax`).
    pub fn with_office_model(mut self, m: hoax::OfficeModel) -> Analyzer {
        self.parts.office = Some(Arc::new(m));
        self.rebuild();
        self
    }

    /// The knowledge base this analyzer matches against (shared by its clones).
    pub fn factchecks(&self) -> &Arc<factcheck::LiveBase> {
        &self.parts.factchecks
    }

    /// The same analyzer taking places from `g` (the `complaint` analysis).
    pub fn with_gazetteer(mut self, g: complaint::Gazetteer) -> Analyzer {
        self.parts.gazetteer = Arc::new(g);
        self.rebuild();
        self
    }

    /// The same analyzer matching mentions against `profiles`.
    pub fn with_profiles(mut self, profiles: Profiles) -> Analyzer {
        self.parts.profiles = Arc::new(profiles);
        self.rebuild();
        self
    }

    /// The analyzer the configuration describes: shipped models, the configured profiles and
    /// enrichers, and the fact-checks of the log's fact-check stream. Returns the stream
    /// offsets reached, from which [`factcheck::follow`] goes on.
    pub async fn from_config(cfg: &Config, bus: &Bus) -> Result<(Analyzer, Offsets), AnalyzeError> {
        let profiles = Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
        tracing::info!(
            profiles = profiles.len(),
            dir = %cfg.analyzer.profiles_dir.display(),
            "watch profiles loaded"
        );
        bus.ensure_topic(&cfg.bus.topics.factchecks).await?;
        let (fcs, pos, bad) =
            factcheck::read_stream(bus, &cfg.bus.topics.factchecks, &Offsets::new()).await?;
        let gazetteer =
            complaint::Gazetteer::load(&cfg.analyzer.gazetteer).map_err(AnalyzeError::Config)?;
        tracing::info!(
            places = gazetteer.len(),
            file = %cfg.analyzer.gazetteer.display(),
            "gazetteer loaded"
        );
        let mut a = Analyzer::new()
            .with_profiles(profiles)
            .with_gazetteer(gazetteer)
            .with_factchecks(fcs);
        if let Some(m) = office_model(cfg) {
            a = a.with_office_model(m);
        }
        let a = a
            .with_enrichers(&cfg.analyzer.enrichers)
            .map_err(AnalyzeError::Config)?;
        tracing::info!(
            factchecks = a.parts.factchecks.current().len(),
            skipped = bad,
            enrichers = ?a.order,
            "fact-check knowledge base loaded"
        );
        Ok((a, pos))
    }

    /// The watch profiles.
    pub fn profiles(&self) -> &Profiles {
        &self.parts.profiles
    }

    /// Analyzes a text (and its title, which helps tell the language of a short text): its
    /// language and sentiment, whatever the configured enrichers.
    pub fn analyze(&self, title: Option<&str>, text: &str) -> Enrichment {
        Enrichment {
            lang: enrich::language(title, text),
            sentiment: enrich::sentiment(&self.parts.sentiment, text),
        }
    }

    /// Enriches one mention in place: each enricher in order (by default language, sentiment,
    /// matched profiles, hoax verdict).
    pub fn enrich(&self, m: &mut Mention) {
        for e in &self.enrichers {
            e.enrich(m);
        }
    }

    /// Enriches a JSON object that has at least `text` (`simak classify`): adds `lang` and
    /// `sentiment`, keeps every other field as it is.
    pub fn enrich_json(
        &self,
        obj: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let text = match obj.get("text") {
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(_) => return Err("`text` must be a string".into()),
            None => return Err("missing `text`".into()),
        };
        let title = obj
            .get("title")
            .and_then(|t| t.as_str())
            .map(str::to_string);
        // The same enrichment as the pipeline, on a mention built from what the line has.
        let now = chrono::Utc::now();
        let published_at = obj
            .get("published_at")
            .and_then(|v| v.as_str())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map_or(now, |t| t.with_timezone(&chrono::Utc));
        let mut m = Mention {
            id: String::new(),
            source: obj
                .get("source")
                .and_then(|v| v.as_str())
                .unwrap_or("import")
                .to_string(),
            url: None,
            author: obj
                .get("author")
                .and_then(|a| serde_json::from_value(a.clone()).ok())
                .unwrap_or_default(),
            title,
            text,
            published_at,
            fetched_at: now,
            lang: None,
            metrics: Default::default(),
            in_reply_to: None,
            sentiment: None,
            profiles: Vec::new(),
            complaint: None,
            extra: Default::default(),
        };
        self.enrich(&mut m);
        obj.insert("lang".into(), m.lang.unwrap_or_default().into());
        obj.insert(
            "sentiment".into(),
            serde_json::to_value(&m.sentiment).expect("sentiment serializes"),
        );
        obj.insert("profiles".into(), m.profiles.into());
        if let Some(c) = &m.complaint {
            obj.insert(
                "complaint".into(),
                serde_json::to_value(c).expect("complaint serializes"),
            );
        }
        if let Some(h) = m.extra.remove(simak_core::verdict::HOAX_KEY) {
            obj.insert(simak_core::verdict::HOAX_KEY.into(), h);
        }
        Ok(())
    }
}

/// The office's hoax model (`simak train hoax`), if one was trained. A broken model file is
/// logged and left out: the rules alone still work.
pub fn office_model(cfg: &Config) -> Option<hoax::OfficeModel> {
    let path = cfg.hoax_model_path();
    if !path.exists() {
        return None;
    }
    match hoax::OfficeModel::load(&path) {
        Ok(m) => {
            tracing::info!(path = %path.display(), hoax = m.trained_on.0,
                not_hoax = m.trained_on.1, "office hoax model loaded");
            Some(m)
        }
        Err(e) => {
            tracing::error!(error = %e, "office hoax model not used");
            None
        }
    }
}

/// Why the analyzer stage stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The log failed.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// A watch profile is wrong.
    #[error(transparent)]
    Profiles(#[from] profiles::ProfileError),
    /// The fact-check store could not be read.
    #[error(transparent)]
    FactChecks(#[from] factcheck::FactCheckError),
    /// The configuration names something the analyzer does not have.
    #[error("{0}")]
    Config(String),
}

/// Counters of one analyzer run.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnalyzeStats {
    /// Mentions enriched and forwarded.
    pub forwarded: u64,
    /// Records that were not valid mentions.
    pub rejected: u64,
}

/// Enriches a batch of raw records: the records to forward (in input order) and the number
/// rejected. Large batches are split across the machine's cores (one pool of [`Workers`] for
/// the process; the stage keeps its own, sized by `analyzer.workers`).
pub fn analyze_batch(analyzer: &Analyzer, records: &[simak_bus::Consumed]) -> (Vec<Record>, u64) {
    static SHARED: std::sync::OnceLock<Workers> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| Workers::new(0))
        .analyze(analyzer, records)
}

/// Records a worker takes at a time: small enough that the workers finish a batch together,
/// large enough that taking one costs nothing next to analyzing it.
const CHUNK: usize = 32;

/// The analyzer's worker threads: a batch is cut into chunks of [`CHUNK`] records that the
/// workers take in turn (a worker that drew short texts takes more), and the outputs are put
/// back in input order. The threads live as long as the pool, so their scratch space
/// (thread-local tables of the fact-check matcher) is kept from one batch to the next.
#[derive(Clone)]
pub struct Workers {
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Workers {
    /// `n` worker threads; 0 means one per core. One worker analyzes on the calling thread.
    pub fn new(n: usize) -> Workers {
        let n = if n == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            n
        };
        if n < 2 {
            return Workers { pool: None };
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("analyzer-{i}"))
            .build()
            .map_err(|e| tracing::warn!(error = %e, "analyzer worker threads not started; analyzing on one"))
            .ok()
            .map(Arc::new);
        Workers { pool }
    }

    /// How many threads analyze.
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    /// Enriches `records` on the workers: the records to forward, in input order, and the
    /// number rejected. Blocks the calling thread until the batch is done.
    pub fn analyze(
        &self,
        analyzer: &Analyzer,
        records: &[simak_bus::Consumed],
    ) -> (Vec<Record>, u64) {
        let Some(pool) = self.pool.as_ref().filter(|_| records.len() > CHUNK) else {
            return analyze_chunk(analyzer, records);
        };
        use rayon::prelude::*;
        let parts: Vec<(Vec<Record>, u64)> = pool.install(|| {
            records
                .par_chunks(CHUNK)
                .map(|c| analyze_chunk(analyzer, c))
                .collect()
        });
        let mut out = Vec::with_capacity(records.len());
        let mut rejected = 0;
        for (recs, r) in parts {
            out.extend(recs);
            rejected += r;
        }
        (out, rejected)
    }
}

fn analyze_chunk(analyzer: &Analyzer, records: &[simak_bus::Consumed]) -> (Vec<Record>, u64) {
    let mut out = Vec::with_capacity(records.len());
    let mut rejected = 0;
    for r in records {
        match Mention::from_json(&r.value) {
            Ok(mut m) => {
                analyzer.enrich(&mut m);
                out.push(Record {
                    key: m.id.clone(),
                    value: m.to_json(),
                });
            }
            Err(e) => {
                rejected += 1;
                tracing::warn!(key = %r.key, partition = r.partition, offset = r.offset, error = %e,
                    "analyzer: skipping a record that is not a valid mention");
            }
        }
    }
    (out, rejected)
}

/// For the supervisor: the log or the fact-check stream may come back, a wrong profile or
/// configuration does not.
impl From<AnalyzeError> for StageError {
    fn from(e: AnalyzeError) -> Self {
        match e {
            AnalyzeError::Bus(e) => e.into(),
            AnalyzeError::FactChecks(_) => StageError::transient(e),
            AnalyzeError::Profiles(_) | AnalyzeError::Config(_) => StageError::fatal(e),
        }
    }
}

/// The analyzer as a stage of the runtime: reads raw mentions in the analyzer group, enriches
/// each batch and writes it to the enriched topic; the runtime commits once the log
/// acknowledged the enriched batch. While it runs, a task follows the fact-check stream into
/// the live knowledge base; it stops with the stage.
pub struct AnalyzerStage {
    analyzer: Analyzer,
    producer: Producer,
    topic: String,
    group: String,
    batch: usize,
    workers: Workers,
    /// Offsets after every record read so far.
    read: Offsets,
    /// The batch being analyzed while the one before it is written (only under a backlog).
    pending: Option<Pending>,
    /// What this run forwarded and rejected.
    pub stats: AnalyzeStats,
    _follower: tokio_util::sync::DropGuard,
}

/// A batch handed to the workers and not written yet.
struct Pending {
    task: tokio::task::JoinHandle<(Vec<Record>, u64)>,
    /// Offsets after the batch (and every one before it).
    after: Offsets,
}

impl AnalyzerStage {
    /// Loads the analyzer ([`Analyzer::from_config`]) and starts following the fact-check stream
    /// until `token` is cancelled or the stage is dropped.
    pub async fn open(
        cfg: &Config,
        bus: &Bus,
        token: &CancellationToken,
    ) -> Result<AnalyzerStage, AnalyzeError> {
        let (input, output) = (&cfg.bus.topics.mentions, &cfg.bus.topics.enriched);
        bus.ensure_topic(input).await?;
        bus.ensure_topic(output).await?;
        let (analyzer, fc_pos) = Analyzer::from_config(cfg, bus).await?;
        let follower = token.child_token();
        tokio::spawn(factcheck::follow(
            bus.clone(),
            cfg.bus.topics.factchecks.clone(),
            analyzer.factchecks().clone(),
            fc_pos,
            follower.clone(),
        ));
        Ok(AnalyzerStage {
            analyzer,
            producer: bus.producer(output)?,
            topic: input.clone(),
            group: cfg.bus.groups.analyzer.clone(),
            batch: cfg.analyzer.batch.max(1),
            workers: Workers::new(cfg.analyzer.workers),
            read: Offsets::new(),
            pending: None,
            stats: AnalyzeStats::default(),
            _follower: follower.drop_guard(),
        })
    }

    /// Hands `batch` to the workers.
    fn start(
        &self,
        batch: Vec<simak_bus::Consumed>,
    ) -> tokio::task::JoinHandle<(Vec<Record>, u64)> {
        let (a, w) = (self.analyzer.clone(), self.workers.clone());
        tokio::task::spawn_blocking(move || w.analyze(&a, &batch))
    }

    /// Waits for an analyzed batch and writes it to the enriched topic. A batch the log did not
    /// take fails the stage: nothing after the last durable batch is committed, and the batch
    /// is analyzed again after the restart.
    async fn write(
        &mut self,
        task: tokio::task::JoinHandle<(Vec<Record>, u64)>,
    ) -> Result<(), StageError> {
        let (out, rejected) = task.await.expect("analyze task");
        self.stats.rejected += rejected;
        let n = out.len() as u64;
        self.producer.send(out).await?;
        self.stats.forwarded += n;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Stage for AnalyzerStage {
    fn name(&self) -> &'static str {
        "analyzer"
    }

    fn input(&self) -> Input {
        Input::from_group(&self.topic, &self.group).max_records(self.batch)
    }

    /// Under a backlog (a full batch), the batch is handed to the workers and the one before it
    /// (analyzed meanwhile) is written, so analysis goes on while the log writes and commits;
    /// the runtime then commits the offsets after the batch written. A short batch (the stage
    /// caught up) is written at once, with the one before, so a quiet stream waits for nothing.
    /// Output is written in the order it was read, and offsets are committed only after the
    /// output of every record before them is in the log: a crash re-analyzes, never skips.
    async fn apply(&mut self, batch: Vec<simak_bus::Consumed>) -> Result<Done, StageError> {
        let full = batch.len() >= self.batch;
        simak_bus::advance(&mut self.read, &batch);
        let after = self.read.clone();
        let task = self.start(batch);
        let mut durable = None;
        if let Some(prev) = self.pending.take() {
            self.write(prev.task).await?;
            durable = Some(prev.after);
        }
        if full {
            self.pending = Some(Pending { task, after });
            return Ok(durable.map_or(Done::Hold, Done::CommitTo));
        }
        self.write(task).await?;
        Ok(Done::CommitTo(after))
    }

    async fn idle(&mut self) -> Result<Done, StageError> {
        match self.pending.take() {
            Some(prev) => {
                self.write(prev.task).await?;
                Ok(Done::CommitTo(prev.after))
            }
            None => Ok(Done::Hold),
        }
    }

    /// A batch still being analyzed is dropped unwritten: its offsets were not committed, so
    /// the next run reads it again.
    async fn finish(&mut self) -> Result<(), StageError> {
        self.pending = None;
        tracing::info!(
            forwarded = self.stats.forwarded,
            rejected = self.stats.rejected,
            "analyzer stopped"
        );
        Ok(())
    }
}

/// Runs the analyzer for one attempt ([`AnalyzerStage`]): until the attempt's token is
/// cancelled, or a failure the supervisor restarts it after.
pub async fn run_analyzer(
    cfg: &Config,
    bus: &Bus,
    attempt: &Attempt,
) -> Result<AnalyzeStats, StageError> {
    let mut stage = AnalyzerStage::open(cfg, bus, &attempt.token).await?;
    tracing::info!(log = %bus.describe(), input = %stage.topic, output = %cfg.bus.topics.enriched, "analyzer started");
    attempt.run(&mut stage, bus).await?;
    Ok(stage.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_json_keeps_fields_and_reports_bad_input() {
        let a = Analyzer::new();
        let mut obj =
            serde_json::json!({"text": "Pelayanannya buruk sekali, petugas tidak ramah", "x": 1});
        a.enrich_json(obj.as_object_mut().unwrap()).unwrap();
        assert_eq!(obj["x"], 1);
        assert_eq!(obj["lang"], "id");
        assert_eq!(obj["sentiment"]["label"], "negative");
        let mut bad = serde_json::json!({"title": "t"});
        assert_eq!(
            a.enrich_json(bad.as_object_mut().unwrap()).unwrap_err(),
            "missing `text`"
        );
    }

    #[test]
    fn enrich_sets_language() {
        let mut m: Mention = serde_json::from_value(serde_json::json!({
            "id": "import:1", "source": "import",
            "text": "Warga kecewa, jalan rusak di depan kantor kecamatan belum juga diperbaiki",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        }))
        .unwrap();
        Analyzer::new().enrich(&mut m);
        assert_eq!(m.lang.as_deref(), Some("id"));
        assert_eq!(m.sentiment.unwrap().label, "negative");
    }

    #[test]
    fn enrich_writes_a_verdict_the_other_stages_read() {
        let fc = factcheck::FactCheck {
            id: "tbh-1".into(),
            claim: "Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp".into(),
            verdict: "hoaks".into(),
            explanation: String::new(),
            url: None,
            published_at: None,
            source: "pemkab".into(),
        };
        let a = Analyzer::new().with_factchecks(vec![fc]);
        let mut m: Mention = serde_json::from_value(serde_json::json!({
            "id": "import:2", "source": "import",
            "text": "SEBARKAN!! Pemkab Sukamaju bagi bantuan tunai 5 juta buat setiap warga yg daftar lewat link WhatsApp",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        }))
        .unwrap();
        a.enrich(&mut m);
        let back = Mention::from_json(&m.to_json()).unwrap();
        let v = back.try_hoax().unwrap().unwrap();
        assert_eq!(v.label, simak_core::HoaxLabel::KnownHoax, "{v:?}");
        assert_eq!(v.matches[0].id, "tbh-1");
        let c = v.cluster.expect("the analyzer always sets the cluster");
        assert!(c.id.len() == 16 && c.id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!((c.size, c.last_hour), (1, 1));
        // The wire JSON: no scorer internals, no empty explanation, a null url.
        let h = &serde_json::to_value(&back).unwrap()["hoax"];
        let keys: Vec<&String> = h.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cluster", "label", "matches", "reasons", "score"]);
        let mk: Vec<&String> = h["matches"][0].as_object().unwrap().keys().collect();
        assert_eq!(mk, ["claim", "id", "similarity", "url", "verdict"]);
        assert!(h["matches"][0]["url"].is_null());
    }

    #[test]
    fn large_batches_keep_their_order() {
        let recs: Vec<simak_bus::Consumed> = (0..1000)
            .map(|i| {
                let m = serde_json::json!({
                    "id": format!("import:{i}"), "source": "import", "text": format!("laporan warga nomor {i}"),
                    "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
                });
                simak_bus::Consumed { partition: 0, offset: i, next_offset: i + 1, key: format!("import:{i}"),
                    value: serde_json::to_vec(&m).unwrap(), timestamp_ms: 0 }
            })
            .collect();
        let (out, rejected) = analyze_batch(&Analyzer::new(), &recs);
        assert_eq!(rejected, 0);
        let keys: Vec<String> = out.iter().map(|r| r.key.clone()).collect();
        let want: Vec<String> = (0..1000).map(|i| format!("import:{i}")).collect();
        assert_eq!(keys, want);
    }

    #[test]
    fn bad_records_are_counted_not_forwarded() {
        let good = serde_json::json!({
            "id": "import:1", "source": "import", "text": "halo",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        });
        let recs = vec![
            simak_bus::Consumed {
                partition: 0,
                offset: 0,
                next_offset: 1,
                key: "a".into(),
                value: b"garbage".to_vec(),
                timestamp_ms: 0,
            },
            simak_bus::Consumed {
                partition: 0,
                offset: 1,
                next_offset: 2,
                key: "import:1".into(),
                value: serde_json::to_vec(&good).unwrap(),
                timestamp_ms: 0,
            },
        ];
        let (out, rejected) = analyze_batch(&Analyzer::new(), &recs);
        assert_eq!((out.len(), rejected), (1, 1));
        assert_eq!(out[0].key, "import:1");
    }
}
