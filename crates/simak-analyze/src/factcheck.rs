//! The fact-check knowledge base and claim matching.
//!
//! Entries (claim, verdict, explanation, url, published_at, source) are stored in their own
//! tantivy index, keyed by id, with the Indonesian analyzer on the claim. Matching a mention runs
//! in memory over postings built from that index, in three steps:
//!
//! 1. **First pass** (cheap): the mention's informative stemmed terms are looked up in the
//!    postings; a candidate must share at least two of them. Most mentions stop here.
//! 2. **BM25** over the surviving candidates (k1 = 1.2, b = 0.75) keeps the best few.
//! 3. **Re-ranking** by a similarity that survives slang, paraphrase and truncation: character
//!    trigrams of the slang-normalized words, as the share of the claim's trigrams found in the
//!    mention (a post that quotes the claim inside more text still matches) blended with Dice
//!    overlap (so a long rambling post does not match everything).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simak_bus::{Bus, BusError, Offsets};
use simak_text::{analyze, Options, TokenKind};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::{Index, TantivyDocument, Term};
use tokio_util::sync::CancellationToken;

/// A fact-check store problem.
#[derive(Debug, thiserror::Error)]
#[error("fact-check store: {0}")]
pub struct FactCheckError(pub String);

impl From<String> for FactCheckError {
    fn from(s: String) -> Self {
        FactCheckError(s)
    }
}

/// One fact-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactCheck {
    /// Id as imported: the key of the knowledge base and of matches.
    pub id: String,
    /// The claim that was checked, as it circulates.
    pub claim: String,
    /// The verdict (`hoaks`, `salah`, `menyesatkan`, `benar`, ...).
    #[serde(default)]
    pub verdict: String,
    /// The explanation or clarification.
    #[serde(default)]
    pub explanation: String,
    /// Link to the fact-check article or the agency's clarification.
    #[serde(default)]
    pub url: Option<String>,
    /// When it was published.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// Who checked it (`turnbackhoax`, `cekfakta`, or the agency itself).
    #[serde(default)]
    pub source: String,
}

impl FactCheck {
    /// Parses and checks one fact-check (JSON): `id` and `claim` must not be empty.
    pub fn parse(json: &[u8]) -> Result<FactCheck, String> {
        let fc: FactCheck = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        if fc.id.trim().is_empty() {
            return Err("`id` is empty".into());
        }
        if fc.claim.trim().is_empty() {
            return Err("`claim` is empty".into());
        }
        Ok(fc)
    }

    /// The log record of this fact-check (keyed by id, so a newer version replaces it).
    pub fn to_record(&self) -> simak_bus::Record {
        simak_bus::Record {
            key: self.id.clone(),
            value: serde_json::to_vec(self).expect("fact-check serializes"),
        }
    }

    /// Whether the verdict says the claim is false or misleading.
    pub fn is_debunk(&self) -> bool {
        verdict_is_debunk(&self.verdict)
    }
}

/// Whether a verdict (`hoaks`, `salah`, `tidak benar`, ...) says the claim is false or
/// misleading. An empty verdict, `benar` or `fakta` does not.
pub fn verdict_is_debunk(verdict: &str) -> bool {
    let v = verdict.to_lowercase();
    !(v.is_empty() || v.contains("benar") && !v.contains("tidak benar") || v == "fakta")
}

/// One candidate match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimMatch {
    /// The fact-check's id.
    pub id: String,
    /// Its claim.
    pub claim: String,
    /// Its link.
    pub url: Option<String>,
    /// Its verdict.
    pub verdict: String,
    /// Similarity in [0, 1].
    #[serde(serialize_with = "round3")]
    pub similarity: f32,
}

/// Writes an f32 in [0, 1] as a decimal with three places (not as its binary expansion).
pub fn round3<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*x) * 1000.0).round() / 1000.0)
}

struct Entry {
    fc: FactCheck,
    /// Sorted, distinct trigram hashes of the claim.
    grams: Vec<u32>,
}

/// Terms and trigram sets of a text, as matching sees it.
pub struct TextView {
    terms: Vec<String>,
    /// Sorted, distinct trigram hashes.
    grams: Vec<u32>,
    words: Vec<String>,
}

impl TextView {
    /// The slang-normalized words (for near-duplicate hashing).
    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// Analyzes a text for matching: one analysis gives the normalized words (trigrams and
/// near-duplicate hashing); their stems, stop words left out, are the matching terms.
pub fn view(text: &str) -> TextView {
    let mut terms = Vec::new();
    let mut grams = Vec::new();
    let mut words = Vec::new();
    for t in analyze(text, Options::FEATURES) {
        if t.kind != TokenKind::Word {
            continue;
        }
        let mut w = [' '; 3];
        for c in t.text.chars().chain(std::iter::once(' ')) {
            w = [w[1], w[2], c];
            if w[1] == ' ' && w[0] == ' ' {
                continue;
            }
            let mut h: u32 = 0x811c_9dc5;
            for c in w {
                h ^= c as u32;
                h = h.wrapping_mul(0x0100_0193);
            }
            grams.push(h);
        }
        if !simak_text::analyzer::is_stopword(&t.text) {
            let stem = simak_text::analyzer::stem(&t.text);
            if stem.chars().count() > 2 {
                terms.push(stem);
            }
        }
        words.push(t.text);
    }
    grams.sort_unstable();
    grams.dedup();
    TextView {
        terms,
        grams,
        words,
    }
}

/// Similarity of a mention's and a claim's trigram sets, both sorted and distinct (see the
/// module docs).
pub fn similarity(mention: &[u32], claim: &[u32]) -> f32 {
    if claim.is_empty() || mention.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < mention.len() && j < claim.len() {
        match mention[i].cmp(&claim[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let inter = inter as f32;
    let containment = inter / claim.len() as f32;
    let dice = 2.0 * inter / (mention.len() + claim.len()) as f32;
    0.7 * containment + 0.3 * dice
}

/// The knowledge base in memory, ready for matching.
#[derive(Default)]
pub struct FactCheckBase {
    entries: Vec<Entry>,
    vocab: HashMap<String, u32>,
    /// Per term: (entry, BM25 weight of the term in that entry).
    postings: Vec<Vec<(u32, f32)>>,
}

impl std::fmt::Debug for FactCheckBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FactCheckBase({} entries)", self.entries.len())
    }
}

/// Most candidates kept for re-ranking.
const CANDIDATES: usize = 8;

/// Per-thread scratch of the first pass, sized to the base, reset after each use.
#[derive(Default)]
struct Scratch {
    shared: Vec<u8>,
    score: Vec<f32>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl FactCheckBase {
    /// Builds the in-memory base from fact-checks.
    pub fn new(fcs: Vec<FactCheck>) -> FactCheckBase {
        let mut base = FactCheckBase::default();
        let mut total = 0f32;
        let mut raw: Vec<Vec<(u32, u16)>> = Vec::new();
        let mut lens = Vec::new();
        for fc in fcs {
            let v = view(&fc.claim);
            let mut tf: HashMap<u32, u16> = HashMap::new();
            for t in &v.terms {
                let next = base.vocab.len() as u32;
                let id = *base.vocab.entry(t.clone()).or_insert(next);
                if id as usize == raw.len() {
                    raw.push(Vec::new());
                }
                *tf.entry(id).or_default() += 1;
            }
            let idx = base.entries.len() as u32;
            for (id, n) in tf {
                raw[id as usize].push((idx, n));
            }
            total += v.terms.len() as f32;
            lens.push(v.terms.len() as f32);
            base.entries.push(Entry { fc, grams: v.grams });
        }
        let n = base.entries.len() as f32;
        let avg_len = if base.entries.is_empty() {
            1.0
        } else {
            total / n
        };
        // BM25 (k1 = 1.2, b = 0.75), the term's weight in each entry computed once here.
        base.postings = raw
            .into_iter()
            .map(|post| {
                let df = post.len() as f32;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                post.into_iter()
                    .map(|(e, tf)| {
                        let tf = f32::from(tf);
                        let norm = 1.2 * (0.25 + 0.75 * lens[e as usize] / avg_len);
                        (e, idf * tf * 2.2 / (tf + norm))
                    })
                    .collect()
            })
            .collect();
        base
    }

    /// Number of fact-checks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best-matching fact-checks for a mention, most similar first (at most `k`).
    pub fn matches(&self, mention: &TextView, k: usize) -> Vec<ClaimMatch> {
        if self.entries.is_empty() || mention.terms.is_empty() {
            return Vec::new();
        }
        // 1. First pass over the postings of the mention's informative terms (a term in more
        //    than 1% of the claims, and at least 50, says little about which claim it is),
        //    counting shared terms and summing BM25 at once, in per-thread arrays.
        let max_df = (self.entries.len() / 100).max(50);
        let mut top: Vec<(f32, u32)> = SCRATCH.with(|cell| {
            let mut sc = cell.borrow_mut();
            let sc = &mut *sc;
            if sc.shared.len() < self.entries.len() {
                sc.shared.resize(self.entries.len(), 0);
                sc.score.resize(self.entries.len(), 0.0);
            }
            let mut seen: Vec<u32> = Vec::with_capacity(mention.terms.len());
            for t in &mention.terms {
                let Some(&id) = self.vocab.get(t) else {
                    continue;
                };
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let post = &self.postings[id as usize];
                if post.len() > max_df {
                    continue;
                }
                for &(e, w) in post {
                    let i = e as usize;
                    if sc.shared[i] == 0 {
                        sc.touched.push(e);
                    }
                    sc.shared[i] = sc.shared[i].saturating_add(1);
                    sc.score[i] += w;
                }
            }
            // 2. BM25: keep the best candidates sharing at least two terms.
            let mut best: Vec<(f32, u32)> = Vec::with_capacity(CANDIDATES + 1);
            for &e in &sc.touched {
                let i = e as usize;
                if sc.shared[i] >= 2 {
                    let s = sc.score[i];
                    if best.len() < CANDIDATES || s > best[best.len() - 1].0 {
                        let at = best
                            .iter()
                            .position(|b| s > b.0 || s == b.0 && e < b.1)
                            .unwrap_or(best.len());
                        best.insert(at, (s, e));
                        best.truncate(CANDIDATES);
                    }
                }
                sc.shared[i] = 0;
                sc.score[i] = 0.0;
            }
            sc.touched.clear();
            best
        });
        if top.is_empty() {
            return Vec::new();
        }
        // 3. Re-rank by similarity.
        let mut out: Vec<ClaimMatch> = top
            .drain(..)
            .map(|(_, e)| {
                let entry = &self.entries[e as usize];
                ClaimMatch {
                    id: entry.fc.id.clone(),
                    claim: entry.fc.claim.clone(),
                    url: entry.fc.url.clone(),
                    verdict: entry.fc.verdict.clone(),
                    similarity: (similarity(&mention.grams, &entry.grams) * 1000.0).round()
                        / 1000.0,
                }
            })
            .collect();
        out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
        out.truncate(k);
        out
    }
}

/// Reads the fact-check stream (which must exist: see [`Bus::ensure_topic`]) from `start`
/// (the beginning where absent) to its current end:
/// the valid fact-checks in log order (a later version of an id replaces an earlier one when
/// applied in order), the offsets reached, and the number of invalid records skipped.
pub async fn read_stream(
    bus: &Bus,
    topic: &str,
    start: &Offsets,
) -> Result<(Vec<FactCheck>, Offsets, u64), BusError> {
    let end = bus.end_offsets(topic).await?;
    let mut pos = start.clone();
    let behind = |pos: &Offsets| {
        end.iter()
            .any(|(p, e)| pos.get(p).copied().unwrap_or(0) < *e)
    };
    let mut out = Vec::new();
    let mut bad = 0;
    if !behind(&pos) {
        return Ok((out, pos, bad));
    }
    let mut c = bus
        .assigned_consumer(topic, "simak-factcheck-reader", start)
        .await?;
    let mut idle = 0;
    while behind(&pos) {
        let recs = c.poll(4096, Duration::from_millis(200)).await?;
        if recs.is_empty() {
            idle += 1;
            if idle > 150 {
                return Err(BusError::Timeout(format!(
                    "reading {topic}: no progress for 30 s before reaching its end"
                )));
            }
            continue;
        }
        idle = 0;
        simak_bus::advance(&mut pos, &recs);
        for r in recs {
            match FactCheck::parse(&r.value) {
                Ok(fc) => out.push(fc),
                Err(e) => {
                    bad += 1;
                    tracing::warn!(topic, partition = r.partition, offset = r.offset, error = %e,
                        "skipping an invalid fact-check record");
                }
            }
        }
    }
    Ok((out, pos, bad))
}

/// The knowledge base an analyzer matches against, replaced as the fact-check stream grows.
#[derive(Default)]
pub struct LiveBase {
    entries: Mutex<BTreeMap<String, FactCheck>>,
    base: RwLock<Arc<FactCheckBase>>,
}

impl std::fmt::Debug for LiveBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveBase({} entries)", self.current().len())
    }
}

impl LiveBase {
    /// A live base holding `fcs`.
    pub fn new(fcs: Vec<FactCheck>) -> LiveBase {
        let live = LiveBase::default();
        live.apply(fcs);
        live
    }

    /// The base to match against now.
    pub fn current(&self) -> Arc<FactCheckBase> {
        self.base.read().expect("base lock").clone()
    }

    /// Adds or replaces fact-checks (by id) and rebuilds the base.
    pub fn apply(&self, fcs: Vec<FactCheck>) {
        if fcs.is_empty() {
            return;
        }
        let all: Vec<FactCheck> = {
            let mut e = self.entries.lock().expect("entries lock");
            for fc in fcs {
                e.insert(fc.id.clone(), fc);
            }
            e.values().cloned().collect()
        };
        let base = Arc::new(FactCheckBase::new(all));
        *self.base.write().expect("base lock") = base;
    }
}

/// Follows the fact-check stream from `from` until `shutdown`, applying new fact-checks to
/// `live`. Errors of the log are retried.
pub async fn follow(
    bus: Bus,
    topic: String,
    live: Arc<LiveBase>,
    from: Offsets,
    shutdown: CancellationToken,
) {
    let mut consumer = loop {
        match bus
            .assigned_consumer(&topic, "simak-factcheck-reader", &from)
            .await
        {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, "fact-checks: cannot follow the stream; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    };
    loop {
        let recs = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = consumer.poll(4096, Duration::from_millis(500)) => r,
        };
        let recs = match recs {
            Ok(r) if r.is_empty() => continue,
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "fact-checks: reading the stream failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let fcs: Vec<FactCheck> = recs
            .iter()
            .filter_map(|r| match FactCheck::parse(&r.value) {
                Ok(fc) => Some(fc),
                Err(e) => {
                    tracing::warn!(partition = r.partition, offset = r.offset, error = %e,
                        "skipping an invalid fact-check record");
                    None
                }
            })
            .collect();
        let n = fcs.len();
        let l = live.clone();
        let _ = tokio::task::spawn_blocking(move || l.apply(fcs)).await;
        tracing::info!(
            added = n,
            total = live.current().len(),
            "fact-check knowledge base updated"
        );
    }
}

/// Brings the on-disk store up to date with the fact-check stream: reads from the offsets saved
/// in the store's last commit to the end of the stream, upserts, and saves the new offsets in
/// the same commit. Returns how many fact-checks were applied. Fails fast (without waiting) if
/// another process is writing the store.
pub async fn sync_store(
    store: &FactCheckStore,
    bus: &Bus,
    topic: &str,
) -> Result<usize, FactCheckError> {
    let start = store.checkpoint()?;
    let (fcs, pos, _) = read_stream(bus, topic, &start)
        .await
        .map_err(|e| FactCheckError(e.to_string()))?;
    if pos == start {
        return Ok(0);
    }
    store.upsert_at(&fcs, Some(&pos))?;
    Ok(fcs.len())
}

/// The fact-check index on disk.
pub struct FactCheckStore {
    index: Index,
    id: Field,
    claim: Field,
    doc: Field,
}

impl FactCheckStore {
    /// Opens or creates the store at `dir`.
    pub fn open(dir: &Path) -> Result<FactCheckStore, FactCheckError> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let claim = b.add_text_field(
            "claim",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(simak_text::TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let doc = b.add_text_field("doc", STORED);
        let d = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let index =
            Index::open_or_create(d, b.build()).map_err(|e| format!("{}: {e}", dir.display()))?;
        simak_text::register_tokenizers(&index);
        Ok(FactCheckStore {
            index,
            id,
            claim,
            doc,
        })
    }

    /// Adds or replaces fact-checks (by id) and commits.
    pub fn upsert(&self, fcs: &[FactCheck]) -> Result<(), FactCheckError> {
        self.upsert_at(fcs, None)
    }

    /// The stream offsets saved with the last commit (empty if none).
    pub fn checkpoint(&self) -> Result<Offsets, FactCheckError> {
        let metas = self.index.load_metas().map_err(|e| e.to_string())?;
        Ok(match metas.payload {
            Some(p) => serde_json::from_str::<Vec<(i32, i64)>>(&p)
                .map_err(|e| format!("fact-check store commit payload {p:?}: {e}"))?
                .into_iter()
                .collect(),
            None => Offsets::new(),
        })
    }

    /// Adds or replaces fact-checks (by id) and commits, saving `offsets` with the commit.
    pub fn upsert_at(
        &self,
        fcs: &[FactCheck],
        offsets: Option<&Offsets>,
    ) -> Result<(), FactCheckError> {
        let mut w: tantivy::IndexWriter = self
            .index
            .writer_with_num_threads(1, 32 << 20)
            .map_err(|e| format!("the fact-check index is busy or broken: {e}"))?;
        for fc in fcs {
            w.delete_term(Term::from_field_text(self.id, &fc.id));
            let mut d = TantivyDocument::default();
            d.add_text(self.id, &fc.id);
            d.add_text(self.claim, &fc.claim);
            d.add_text(self.doc, serde_json::to_string(fc).expect("serializes"));
            w.add_document(d).map_err(|e| e.to_string())?;
        }
        let mut prepared = w.prepare_commit().map_err(|e| e.to_string())?;
        let payload = match offsets {
            Some(o) => serde_json::to_string(&o.iter().map(|(p, n)| (*p, *n)).collect::<Vec<_>>())
                .expect("offsets serialize"),
            None => serde_json::to_string(
                &self
                    .checkpoint()?
                    .iter()
                    .map(|(p, n)| (*p, *n))
                    .collect::<Vec<_>>(),
            )
            .expect("offsets serialize"),
        };
        prepared.set_payload(&payload);
        prepared.commit().map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Every stored fact-check.
    pub fn all(&self) -> Result<Vec<FactCheck>, FactCheckError> {
        let reader = self.index.reader().map_err(|e| e.to_string())?;
        let searcher = reader.searcher();
        let mut out = Vec::new();
        for seg in searcher.segment_readers() {
            let store = seg.get_store_reader(16).map_err(|e| e.to_string())?;
            for d in 0..seg.max_doc() {
                if seg.alive_bitset().is_some_and(|a| !a.is_alive(d)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(d).map_err(|e| e.to_string())?;
                if let Some(j) = doc.get_first(self.doc).and_then(|v| v.as_str()) {
                    if let Ok(fc) = serde_json::from_str(j) {
                        out.push(fc);
                    }
                }
            }
        }
        out.sort_by(|a: &FactCheck, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(id: &str, claim: &str) -> FactCheck {
        FactCheck {
            id: id.into(),
            claim: claim.into(),
            verdict: "hoaks".into(),
            explanation: String::new(),
            url: Some(format!("https://cekfakta.example/{id}")),
            published_at: None,
            source: "test".into(),
        }
    }

    fn base() -> FactCheckBase {
        FactCheckBase::new(vec![
            fc("fc-1", "Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp"),
            fc("fc-2", "Air PDAM Sukamaju tercemar limbah beracun dan tidak boleh diminum selama seminggu"),
            fc("fc-3", "Vaksin di puskesmas Sukamaju mengandung chip pelacak"),
        ])
    }

    #[test]
    fn paraphrase_slang_and_truncation_match_the_right_claim() {
        let b = base();
        for (text, want) in [
            ("pemkab sukamaju bagi2 bantuan tunai 5 juta buat tiap warga yg daftar lewat link whatsapp!!", "fc-1"),
            ("AWAS air pdam sukamaju tercemar limbah beracun, jangan diminum seminggu", "fc-2"),
            ("katanya vaksin di puskesmas sukamaju ada chip pelacaknya", "fc-3"),
            ("Air PDAM Sukamaju tercemar limbah beracun dan tidak boleh", "fc-2"),
        ] {
            let m = b.matches(&view(text), 3);
            assert_eq!(m.first().map(|m| m.id.as_str()), Some(want), "{text}: {m:?}");
            assert!(m[0].similarity > 0.5, "{text}: {m:?}");
        }
    }

    #[test]
    fn unrelated_posts_do_not_match() {
        let b = base();
        for text in [
            "Jalan di depan pasar rusak parah",
            "Sukamaju juara lomba kebersihan",
            "terima kasih pak bupati",
        ] {
            let m = b.matches(&view(text), 3);
            assert!(m.iter().all(|m| m.similarity < 0.5), "{text}: {m:?}");
        }
    }

    #[test]
    fn store_upserts_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let s = FactCheckStore::open(dir.path()).unwrap();
        s.upsert(&[fc("a", "satu"), fc("b", "dua")]).unwrap();
        s.upsert(&[fc("a", "satu lagi")]).unwrap();
        let all = s.all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].claim, "satu lagi");
    }
}
