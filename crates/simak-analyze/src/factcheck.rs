//! The fact-check knowledge base and claim matching.
//!
//! Entries (claim, verdict, explanation, url, published_at, source) are stored in their own
//! tantivy index, keyed by id, with the Indonesian analyzer on the claim. Matching a mention runs
//! in memory over postings built from that index, in three steps:
//!
//! 1. **First pass** (cheap): the mention's informative stemmed terms are looked up in the
//!    postings, which hold BM25 weights (k1 = 1.2, b = 0.75) of the claim plus, at
//!    [`BODY_WEIGHT`], of the fact-check's own text (its explanation, which in TurnBackHoax
//!    articles quotes the hoax after "NARASI"). A term in more than 1% of the claims (and at
//!    least 50) is skipped; one shared term is enough to be a candidate.
//! 2. **Features** for the best [`DECISION_POOL`] candidates (within [`MIN_BM25_SHARE`] of the
//!    best): character 4-gram cosine (the claim's TF-IDF vector, or that of its quoted
//!    narrative, against the post's 4-gram frequencies), trigram similarity, coverage of the
//!    claim's terms and of its predicate beyond names and topic words, entity-only overlap,
//!    number agreement and more ([`crate::matcher::FEATURES`]).
//! 3. **Decision**: the learned matcher ([`crate::matcher`]) turns the features into the
//!    probability that the post spreads the claim; candidates are ranked by it and it is the
//!    `similarity` of a match.
//!
//! [`Ranker::Trigram`] (the matcher this one replaced) and [`Ranker::CharTfIdf`] (a baseline)
//! are kept for `simak eval hoax --data`.

use crate::matcher::{MatcherModel, NFM};
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
/// misleading. `benar` or `fakta` does not. An empty verdict does: the knowledge base holds
/// debunked claims, and a feed or import that gives titles only (TurnBackHoax's titles name
/// the hoax) must still be matched against; a fact-check that confirms a claim says so.
pub fn verdict_is_debunk(verdict: &str) -> bool {
    let v = verdict.trim().to_lowercase();
    v.is_empty() || !(v.contains("benar") && !v.contains("tidak benar") || v == "fakta")
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
    /// The start of its explanation (what is true instead), for the clarification draft in
    /// alert e-mails; absent when the fact-check has none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// Match score in [0, 1]: with the learned matcher (the default) the calibrated probability
    /// that the post spreads this claim; with the evaluation baselines their similarity.
    #[serde(serialize_with = "round3")]
    pub similarity: f32,
    /// Words the post shares with the claim beyond names and topic words (stems; for reasons).
    #[serde(skip)]
    pub shared: Vec<String>,
}

/// The first 400 characters of what an explanation says is true, cut at a word. A fact-check
/// article that quotes the hoax ("NARASI: …") gives its fact after "PENJELASAN"; with a quoted
/// hoax and no such mark, nothing (the quote must never pass for the fact).
pub fn explanation_start(e: &str) -> String {
    let e = match e.find("PENJELASAN") {
        Some(at) => e[at + "PENJELASAN".len()..].trim_start_matches([':', ' ', '\n', '\t', '=']),
        None if e.contains("NARASI") => "",
        None => e,
    };
    let e = e.trim();
    match e.char_indices().nth(400) {
        None => e.to_string(),
        Some((i, _)) => {
            let cut = e[..i].rfind(char::is_whitespace).unwrap_or(i);
            format!("{}…", e[..cut].trim_end())
        }
    }
}

/// Writes an f32 in [0, 1] as a decimal with three places (not as its binary expansion).
pub fn round3<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*x) * 1000.0).round() / 1000.0)
}

struct Entry {
    fc: FactCheck,
    /// Sorted, distinct trigram hashes of the claim (the similarity of the trigram ranker).
    grams: Vec<u32>,
    /// The claim's character 4-grams as an L2-normalized TF-IDF vector, sorted by hash.
    quads: Vec<(u32, f32)>,
    /// The same for the narrative the fact-check quotes (see [`quoted_narrative`]), if any.
    narrative: Vec<(u32, f32)>,
    /// The claim's distinct terms (vocabulary ids), sorted.
    terms: Vec<u32>,
    /// Numbers in the claim.
    numbers: Vec<String>,
    /// Terms in the claim, repeats counted.
    len: usize,
    /// What the explanation says is true ([`explanation_start`]), made once per entry.
    fact: String,
}

impl Entry {
    /// This entry as a match of score `s`.
    fn to_match(&self, s: f32, shared: Vec<String>) -> ClaimMatch {
        ClaimMatch {
            id: self.fc.id.clone(),
            claim: self.fc.claim.clone(),
            url: self.fc.url.clone(),
            verdict: self.fc.verdict.clone(),
            explanation: self.fact.clone(),
            similarity: (s.min(1.0) * 1000.0).round() / 1000.0,
            shared,
        }
    }
}

/// Terms, trigram sets and character 4-grams of a text, as matching sees it.
pub struct TextView {
    terms: Vec<String>,
    /// Per term: the index in `words` of the word it was made from (normalized: lowercase,
    /// slang resolved), for reasons an officer reads (a stem such as `bendung` is not a word).
    surface: Vec<u32>,
    /// Per term: whether the text writes it as a name (capitalized inside a sentence, in a text
    /// that is neither all capitals nor title case).
    names: Vec<bool>,
    /// Sorted, distinct trigram hashes.
    grams: Vec<u32>,
    /// Character 4-grams with their sublinear frequency (1 + ln tf), sorted by hash.
    quads: Vec<(u32, f32)>,
    numbers: Vec<String>,
    words: Vec<String>,
    stopwords: usize,
}

impl TextView {
    /// The slang-normalized words (for near-duplicate hashing).
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The word the text writes for a matching term (a stem), as it first appears; the stem
    /// itself if the text does not hold it.
    pub fn surface_of(&self, stem: &str) -> String {
        self.terms
            .iter()
            .position(|t| t == stem)
            .and_then(|i| self.words.get(self.surface[i] as usize))
            .map_or_else(|| stem.to_string(), String::clone)
    }
}

fn fnv(chars: &[char]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &c in chars {
        h ^= c as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Analyzes a text for matching: one analysis gives the normalized words (trigrams, 4-grams
/// and near-duplicate hashing); their stems, stop words left out, are the matching terms.
pub fn view(text: &str) -> TextView {
    view_from_tokens(text, &analyze(text, Options::FEATURES))
}

/// [`view`] of `text` from its tokens ([`simak_text::analyze`] with [`Options::FEATURES`]),
/// for a caller that has them already.
pub fn view_from_tokens(text: &str, tokens: &[simak_text::Token]) -> TextView {
    // Capitals mark names only in ordinarily written text: not in all capitals, not in title case.
    let first_char = |from: usize, to: usize| text.get(from..to).and_then(|s| s.chars().next());
    let (mut cap, mut alpha) = (0usize, 0usize);
    for t in tokens {
        if t.kind == TokenKind::Word {
            if let Some(c) = first_char(t.offset_from, t.offset_to) {
                if c.is_alphabetic() {
                    alpha += 1;
                    cap += usize::from(c.is_uppercase());
                }
            }
        }
    }
    let cased = alpha >= 4 && cap * 10 <= alpha * 4;
    let mut terms = Vec::new();
    let mut surface = Vec::new();
    let mut names = Vec::new();
    let mut grams = Vec::new();
    let mut quads = Vec::new();
    let mut numbers = Vec::new();
    let mut words = Vec::new();
    let mut stopwords = 0;
    for t in tokens {
        match t.kind {
            TokenKind::Word => {}
            TokenKind::Number => {
                let n: String = t.text.chars().filter(char::is_ascii_digit).collect();
                if !n.is_empty() && numbers.len() < 64 {
                    numbers.push(n.trim_start_matches('0').to_string());
                }
                continue;
            }
            _ => continue,
        }
        let mut w = [' '; 4];
        for c in t.text.chars().chain(std::iter::once(' ')) {
            w = [w[1], w[2], w[3], c];
            if w[2] != ' ' || w[1] != ' ' {
                grams.push(fnv(&w[1..]));
            }
            if w[1] != ' ' {
                quads.push(fnv(&w));
            }
        }
        if simak_text::analyzer::is_stopword(&t.text) {
            stopwords += 1;
        } else {
            let stem = simak_text::analyzer::stem(&t.text);
            if stem.chars().count() > 2 {
                let name = cased
                    && first_char(t.offset_from, t.offset_to).is_some_and(char::is_uppercase)
                    && text
                        .get(..t.offset_from)
                        .and_then(|s| s.trim_end().chars().next_back())
                        .is_some_and(|p| !matches!(p, '.' | '!' | '?' | '"' | '\u{201c}'));
                terms.push(stem);
                surface.push(words.len() as u32);
                names.push(name);
            }
        }
        words.push(t.text.clone());
    }
    grams.sort_unstable();
    grams.dedup();
    quads.sort_unstable();
    let mut tf: Vec<(u32, f32)> = Vec::with_capacity(quads.len());
    for q in quads {
        match tf.last_mut() {
            Some((h, n)) if *h == q => *n += 1.0,
            _ => tf.push((q, 1.0)),
        }
    }
    for (_, n) in &mut tf {
        *n = 1.0 + n.ln();
    }
    TextView {
        terms,
        surface,
        names,
        grams,
        quads: tf,
        numbers,
        words,
        stopwords,
    }
}

/// The narrative a fact-check article quotes: the text after "NARASI" (TurnBackHoax quotes the
/// hoax there) up to the explanation ("PENJELASAN"), or nothing.
pub fn quoted_narrative(explanation: &str) -> Option<&str> {
    let at = explanation.find("NARASI")?;
    let rest = &explanation[at + "NARASI".len()..];
    let rest = rest.trim_start_matches([':', ' ', '\n', '\t', '=']);
    let end = rest.find("PENJELASAN").unwrap_or(rest.len());
    let n = rest[..end].trim();
    (!n.is_empty()).then_some(n)
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

fn normalize_l2(v: &mut [(u32, f32)]) {
    let n = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| x.1 /= n);
    }
}

/// An open-addressing table of a mention's hashed grams (per thread, reused): looking each
/// candidate's grams up in it is cheaper than merging sorted lists once there are several
/// candidates. Key 0 marks an empty slot, so a gram hashing to 0 is stored as 1 (on both sides).
#[derive(Default)]
struct GramTable {
    slots: Vec<(u32, f32)>,
    mask: usize,
}

impl GramTable {
    fn fill(&mut self, items: impl Iterator<Item = (u32, f32)>, n: usize) {
        let cap = (n * 2).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(cap, (0, 0.0));
        self.mask = cap - 1;
        for (k, v) in items {
            let k = k.max(1);
            let mut i = (k.wrapping_mul(0x9E37_79B1) >> 7) as usize & self.mask;
            loop {
                let slot = &mut self.slots[i];
                if slot.0 == 0 || slot.0 == k {
                    *slot = (k, v);
                    break;
                }
                i = (i + 1) & self.mask;
            }
        }
    }

    fn get(&self, k: u32) -> Option<f32> {
        let k = k.max(1);
        let mut i = (k.wrapping_mul(0x9E37_79B1) >> 7) as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot.0 == k {
                return Some(slot.1);
            }
            if slot.0 == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Dot product of the table (a sparse vector) with `v`.
    fn dot(&self, v: &[(u32, f32)]) -> f32 {
        v.iter()
            .filter_map(|(k, w)| self.get(*k).map(|x| x * w))
            .sum()
    }

    /// [`similarity`] of the table (a gram set of `len` grams) and a sorted, distinct gram set.
    fn similarity(&self, len: usize, claim: &[u32]) -> f32 {
        if claim.is_empty() || len == 0 {
            return 0.0;
        }
        let inter = claim.iter().filter(|g| self.get(**g).is_some()).count() as f32;
        0.7 * inter / claim.len() as f32 + 0.3 * 2.0 * inter / (len + claim.len()) as f32
    }
}

thread_local! {
    static TABLES: std::cell::RefCell<(GramTable, GramTable)> = std::cell::RefCell::new(Default::default());
}

/// Hashing for 4-gram keys, which are already FNV hashes: one multiply instead of SipHash
/// (the keys come from the fact-checks and posts, but a collision only costs time).
#[derive(Default, Clone, Copy)]
pub struct QuadHash;

/// The hasher of [`QuadHash`].
#[derive(Default)]
pub struct QuadHasher(u64);

impl std::hash::Hasher for QuadHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl std::hash::BuildHasher for QuadHash {
    type Hasher = QuadHasher;
    fn build_hasher(&self) -> QuadHasher {
        QuadHasher::default()
    }
}

/// How candidates are ranked and scored.
#[derive(Clone, Copy, Debug)]
pub enum Ranker<'a> {
    /// The matcher before the learned one: BM25 over claims, candidates sharing two terms,
    /// re-ranked by trigram similarity (kept for comparison in `simak eval hoax`).
    Trigram,
    /// Character 4-gram TF-IDF cosine against every claim (a baseline for evaluation; slow
    /// on large bases).
    CharTfIdf,
    /// Hybrid retrieval (BM25 over claim and fact-check text) re-ranked by a learned model;
    /// the score is the model's probability that the post spreads the claim.
    Learned(&'a MatcherModel),
}

/// The knowledge base in memory, ready for matching.
#[derive(Default)]
pub struct FactCheckBase {
    entries: Vec<Entry>,
    vocab: HashMap<String, u32>,
    /// The terms by vocabulary id.
    terms: Vec<String>,
    /// Per term: (entry, BM25 weight of the term in that entry: claim, plus fact-check text at
    /// [`BODY_WEIGHT`]).
    postings: Vec<Vec<(u32, f32)>>,
    /// Per term: the number of claims that hold it.
    df: Vec<u32>,
    /// Per term: its IDF over the claims, ln((n + 1) / (df + 1)) + 1.
    idf: Vec<f32>,
    /// IDF of each character 4-gram of the claims.
    quad_idf: HashMap<u32, f32, QuadHash>,
    by_id: HashMap<String, u32>,
    /// A term in at least this many claims is a topic word (the names of the people and
    /// institutions the fact-checks are about, "video", "akun"): sharing only those says little.
    topic_df: u32,
    /// 4-gram postings, built on first use by the [`Ranker::CharTfIdf`] baseline.
    quad_index: std::sync::OnceLock<HashMap<u32, Vec<(u32, f32)>>>,
}

impl std::fmt::Debug for FactCheckBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FactCheckBase({} entries)", self.entries.len())
    }
}

/// Most candidates kept for re-ranking by the trigram ranker.
const CANDIDATES: usize = 8;
/// Most candidates kept for re-ranking by the learned ranker when a long list is asked for
/// (evaluation of recall@20).
const LEARNED_CANDIDATES: usize = 32;
/// Candidates the learned ranker re-ranks to decide on a post (and is trained on).
pub const DECISION_POOL: usize = 8;
/// Share of the best first-pass score a candidate needs to be re-ranked.
pub const MIN_BM25_SHARE: f32 = 0.25;
/// Weight of the fact-check's own text (explanation, quoted narrative) against its claim in
/// the first pass.
pub const BODY_WEIGHT: f32 = 0.4;

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

/// BM25 weights (k1 = 1.2, b = 0.75) of raw (entry, tf) postings.
fn bm25(raw: Vec<Vec<(u32, u16)>>, lens: &[f32], n: f32) -> Vec<Vec<(u32, f32)>> {
    let avg_len = (lens.iter().sum::<f32>() / n.max(1.0)).max(1.0);
    raw.into_iter()
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
        .collect()
}

/// One candidate of the learned ranker: the entry, its first-pass score and its features.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index of the entry.
    pub entry: u32,
    /// The features the matcher model reads ([`crate::matcher::FEATURES`]).
    pub features: [f32; NFM],
    /// Shared terms that are neither topic words nor names (vocabulary ids, at most six; for
    /// the reasons).
    pub shared: Vec<u32>,
}

impl FactCheckBase {
    /// Builds the in-memory base from fact-checks.
    pub fn new(fcs: Vec<FactCheck>) -> FactCheckBase {
        let mut base = FactCheckBase::default();
        let mut raw: Vec<Vec<(u32, u16)>> = Vec::new();
        let mut raw_body: Vec<Vec<(u32, u16)>> = Vec::new();
        let mut lens = Vec::new();
        let mut body_lens = Vec::new();
        let mut views = Vec::with_capacity(fcs.len());
        let mut quad_df: HashMap<u32, u32> = HashMap::new();
        fn intern(
            base: &mut FactCheckBase,
            raw: &mut Vec<Vec<(u32, u16)>>,
            raw_body: &mut Vec<Vec<(u32, u16)>>,
            t: &str,
        ) -> u32 {
            let next = base.vocab.len() as u32;
            let id = *base.vocab.entry(t.to_string()).or_insert(next);
            if id as usize == raw.len() {
                raw.push(Vec::new());
                raw_body.push(Vec::new());
                base.df.push(0);
                base.terms.push(t.to_string());
            }
            id
        }
        for fc in fcs {
            let v = view(&fc.claim);
            let idx = base.entries.len() as u32;
            let mut tf: BTreeMap<u32, u16> = BTreeMap::new();
            for t in &v.terms {
                let id = intern(&mut base, &mut raw, &mut raw_body, t);
                *tf.entry(id).or_default() += 1;
            }
            for (&id, &n) in &tf {
                raw[id as usize].push((idx, n));
                base.df[id as usize] += 1;
            }
            let body = if fc.explanation.trim().is_empty() {
                None
            } else {
                Some(view(&fc.explanation))
            };
            let mut btf: BTreeMap<u32, u16> = BTreeMap::new();
            if let Some(b) = &body {
                for t in &b.terms {
                    let id = intern(&mut base, &mut raw, &mut raw_body, t);
                    let n = btf.entry(id).or_default();
                    *n = n.saturating_add(1);
                }
            }
            for (&id, &n) in &btf {
                raw_body[id as usize].push((idx, n));
            }
            lens.push(v.terms.len() as f32);
            body_lens.push(body.as_ref().map_or(0.0, |b| b.terms.len() as f32));
            for (q, _) in &v.quads {
                *quad_df.entry(*q).or_default() += 1;
            }
            let narrative = quoted_narrative(&fc.explanation).map(view);
            base.by_id.insert(fc.id.clone(), idx);
            base.entries.push(Entry {
                fact: explanation_start(&fc.explanation),
                fc,
                grams: Vec::new(),
                quads: Vec::new(),
                narrative: Vec::new(),
                terms: tf.keys().copied().collect(),
                numbers: v.numbers.clone(),
                len: v.terms.len(),
            });
            views.push((v, narrative));
        }
        let n = base.entries.len() as f32;
        base.quad_idf = quad_df
            .into_iter()
            .map(|(q, df)| (q, ((1.0 + n) / (1.0 + df as f32)).ln() + 1.0))
            .collect();
        for (e, (v, narrative)) in base.entries.iter_mut().zip(views) {
            e.quads = tfidf(&base.quad_idf, &v.quads);
            e.narrative = narrative.map_or(Vec::new(), |nv| tfidf(&base.quad_idf, &nv.quads));
            e.grams = v.grams;
        }
        base.topic_df = ((0.004 * n).ceil() as u32).max(3);
        base.idf = base
            .df
            .iter()
            .map(|df| ((n + 1.0) / (*df as f32 + 1.0)).ln() + 1.0)
            .collect();
        let claim = bm25(raw, &lens, n);
        let body = if body_lens.iter().any(|l| *l > 0.0) {
            bm25(raw_body, &body_lens, n)
        } else {
            vec![Vec::new(); claim.len()]
        };
        // Both fields in one posting list per term, sorted by entry.
        base.postings = claim
            .into_iter()
            .zip(body)
            .map(|(c, b)| {
                if b.is_empty() {
                    return c;
                }
                let mut out = Vec::with_capacity(c.len() + b.len());
                let (mut i, mut j) = (0, 0);
                while i < c.len() || j < b.len() {
                    if j == b.len() || i < c.len() && c[i].0 < b[j].0 {
                        out.push(c[i]);
                        i += 1;
                    } else if i == c.len() || b[j].0 < c[i].0 {
                        out.push((b[j].0, BODY_WEIGHT * b[j].1));
                        j += 1;
                    } else {
                        out.push((c[i].0, c[i].1 + BODY_WEIGHT * b[j].1));
                        i += 1;
                        j += 1;
                    }
                }
                out
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

    /// The fact-check of an entry index.
    pub fn get(&self, entry: u32) -> Option<&FactCheck> {
        self.entries.get(entry as usize).map(|e| &e.fc)
    }

    /// The entry index of a fact-check id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The best-matching fact-checks for a mention, most likely first (at most `k`), by the
    /// shipped learned matcher.
    pub fn matches(&self, mention: &TextView, k: usize) -> Vec<ClaimMatch> {
        self.rank(mention, k, Ranker::Learned(MatcherModel::shipped()), &[])
    }

    /// The best `k` fact-checks for a mention by `ranker`, leaving out the entries `exclude`
    /// (evaluation: a post whose own fact-check, and any other fact-check of the same hoax, is
    /// not in the base yet).
    pub fn rank(
        &self,
        mention: &TextView,
        k: usize,
        ranker: Ranker<'_>,
        exclude: &[u32],
    ) -> Vec<ClaimMatch> {
        let mk = |e: u32, s: f32, shared: Vec<String>| self.entries[e as usize].to_match(s, shared);
        let mut out: Vec<ClaimMatch> = match ranker {
            Ranker::Trigram => self
                .first_pass(mention, 2, 100, CANDIDATES, exclude)
                .into_iter()
                .map(|(_, e)| {
                    mk(
                        e,
                        similarity(&mention.grams, &self.entries[e as usize].grams),
                        Vec::new(),
                    )
                })
                .collect(),
            Ranker::CharTfIdf => self.tfidf_rank(mention, k, exclude),
            Ranker::Learned(model) => {
                let pool = if k > DECISION_POOL {
                    LEARNED_CANDIDATES
                } else {
                    DECISION_POOL
                };
                let mut scored: Vec<(f32, Candidate)> = self
                    .candidates(mention, exclude, pool)
                    .into_iter()
                    .map(|c| ((model.prob(&c.features) * 1000.0).round() / 1000.0, c))
                    .collect();
                let id = |c: &Candidate| &self.entries[c.entry as usize].fc.id;
                scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| id(&a.1).cmp(id(&b.1))));
                scored.truncate(k);
                scored
                    .into_iter()
                    .map(|(p, c)| {
                        let words = c
                            .shared
                            .iter()
                            .map(|t| mention.surface_of(&self.terms[*t as usize]))
                            .collect();
                        mk(c.entry, p, words)
                    })
                    .collect()
            }
        };
        out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
        out.truncate(k);
        out
    }

    /// The first pass: over the postings of the mention's informative terms (a term in more
    /// than `1/max_df_div` of the claims, and at least 50, says little about which claim it
    /// is), counting shared terms and summing BM25 at once, in per-thread arrays; the best
    /// `keep` entries sharing at least `min_shared` terms, as (BM25, entry), best first.
    fn first_pass(
        &self,
        mention: &TextView,
        min_shared: u8,
        max_df_div: usize,
        keep: usize,
        exclude: &[u32],
    ) -> Vec<(f32, u32)> {
        if self.entries.is_empty() || mention.terms.is_empty() {
            return Vec::new();
        }
        let max_df = (self.entries.len() / max_df_div).max(50);
        SCRATCH.with(|cell| {
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
            let mut best: Vec<(f32, u32)> = Vec::with_capacity(keep + 1);
            for &e in &sc.touched {
                let i = e as usize;
                if sc.shared[i] >= min_shared && !exclude.contains(&e) {
                    let s = sc.score[i];
                    if best.len() < keep || s > best[best.len() - 1].0 {
                        let at = best
                            .iter()
                            .position(|b| s > b.0 || s == b.0 && e < b.1)
                            .unwrap_or(best.len());
                        best.insert(at, (s, e));
                        best.truncate(keep);
                    }
                }
                sc.shared[i] = 0;
                sc.score[i] = 0.0;
            }
            sc.touched.clear();
            best
        })
    }

    /// The mention's 4-grams as an L2-normalized TF-IDF vector over the claims' 4-grams.
    fn mention_quads(&self, mention: &TextView) -> Vec<(u32, f32)> {
        tfidf(&self.quad_idf, &mention.quads)
    }

    /// The best `pool` candidates of the first pass with their features, in first-pass order.
    pub fn candidates(&self, mention: &TextView, exclude: &[u32], pool: usize) -> Vec<Candidate> {
        let mut top = self.first_pass(mention, 1, 100, pool, exclude);
        if top.is_empty() {
            return Vec::new();
        }
        // Candidates far behind the best on BM25 are not worth their features.
        let floor = top[0].0 * MIN_BM25_SHARE;
        top.retain(|(s, _)| *s >= floor);
        // The post's 4-grams, L2-normalized sublinear frequencies: the cosine against the
        // claim's TF-IDF vector weighs rare shared grams through the claim side, without an IDF
        // lookup per 4-gram of the post (a cache miss each in a large base).
        let mut mq = mention.quads.clone();
        normalize_l2(&mut mq);
        // The mention's distinct known terms, with whether it writes them as names.
        let mut mterms: Vec<(u32, bool)> = Vec::with_capacity(mention.terms.len());
        for (t, name) in mention.terms.iter().zip(&mention.names) {
            if let Some(&id) = self.vocab.get(t) {
                match mterms.iter_mut().find(|x| x.0 == id) {
                    Some(x) => x.1 |= *name,
                    None => mterms.push((id, *name)),
                }
            }
        }
        mterms.sort_unstable();
        let idf = |t: u32| self.idf[t as usize];
        let words = mention.words.len();
        let mention_weight: f32 = mterms.iter().map(|(t, _)| idf(*t)).sum();
        let mut tables = TABLES.with(|t| std::mem::take(&mut *t.borrow_mut()));
        let (qt, gt) = &mut tables;
        qt.fill(mq.iter().copied(), mq.len());
        gt.fill(mention.grams.iter().map(|g| (*g, 1.0)), mention.grams.len());
        let cosines: Vec<f32> = top
            .iter()
            .map(|(_, e)| {
                let entry = &self.entries[*e as usize];
                qt.dot(&entry.quads).max(qt.dot(&entry.narrative))
            })
            .collect();
        let best_bm25 = top[0].0.max(1e-6);
        let mut out = Vec::with_capacity(top.len());
        for (i, (bm, e)) in top.iter().enumerate() {
            let entry = &self.entries[*e as usize];
            let cos = cosines[i];
            let other = cosines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .fold(0.0f32, f32::max);
            let (mut all, mut hit, mut pred_all, mut pred_hit) = (0.0, 0.0, 0.0, 0.0);
            let mut shared_any = 0usize;
            let mut mention_hit = 0.0;
            let mut shared = Vec::new();
            for &t in &entry.terms {
                let w = idf(t);
                let topic = self.df[t as usize] >= self.topic_df;
                all += w;
                if !topic {
                    pred_all += w;
                }
                if let Ok(at) = mterms.binary_search_by_key(&t, |x| x.0) {
                    hit += w;
                    mention_hit += w;
                    shared_any += 1;
                    if !topic && !mterms[at].1 {
                        pred_hit += w;
                        if shared.len() < 6 {
                            shared.push(t);
                        }
                    }
                }
            }
            let cov = if all > 0.0 { hit / all } else { 0.0 };
            let pred_cov = if pred_all > 0.0 {
                pred_hit / pred_all
            } else {
                0.0
            };
            let entity_only = shared_any > 0 && pred_hit == 0.0;
            let numbers = if entry.numbers.is_empty() {
                0.0
            } else if entry.numbers.iter().any(|x| mention.numbers.contains(x)) {
                1.0
            } else if mention.numbers.is_empty() {
                0.0
            } else {
                -1.0
            };
            let len_ratio = (((mention.terms.len() + 1) as f32 / (entry.len + 1) as f32).ln())
                .clamp(-3.0, 3.0)
                / 3.0;
            let features = [
                1.0,
                cos,
                gt.similarity(mention.grams.len(), &entry.grams),
                cov,
                pred_cov,
                f32::from(u8::from(entity_only)),
                shared.len().min(5) as f32 / 5.0,
                bm / best_bm25,
                numbers,
                len_ratio,
                f32::from(u8::from(words < crate::hoax::MIN_AUTO_WORDS)),
                if words == 0 {
                    0.0
                } else {
                    mention.stopwords as f32 / words as f32
                },
                cos - other,
                cos * pred_cov,
                if mention_weight > 0.0 {
                    (mention_hit / mention_weight).min(1.0)
                } else {
                    0.0
                },
                shared_any.min(8) as f32 / 8.0,
            ];
            out.push(Candidate {
                entry: *e,
                features,
                shared,
            });
        }
        TABLES.with(|t| *t.borrow_mut() = tables);
        out
    }

    /// The baseline: cosine of character 4-gram TF-IDF vectors against every claim.
    fn tfidf_rank(&self, mention: &TextView, k: usize, exclude: &[u32]) -> Vec<ClaimMatch> {
        let index = self.quad_index.get_or_init(|| {
            let mut idx: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
            for (e, entry) in self.entries.iter().enumerate() {
                for (q, w) in &entry.quads {
                    idx.entry(*q).or_default().push((e as u32, *w));
                }
            }
            idx
        });
        let mq = self.mention_quads(mention);
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for (q, w) in &mq {
            if let Some(post) = index.get(q) {
                for (e, v) in post {
                    *acc.entry(*e).or_default() += w * v;
                }
            }
        }
        let mut all: Vec<(u32, f32)> = acc
            .into_iter()
            .filter(|(e, _)| !exclude.contains(e))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all.into_iter()
            .map(|(e, s)| self.entries[e as usize].to_match(s, Vec::new()))
            .collect()
    }
}

/// L2-normalized TF-IDF of sublinear 4-gram frequencies; 4-grams the claims never hold are
/// left out (they cannot match).
fn tfidf(idf: &HashMap<u32, f32, QuadHash>, quads: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = quads
        .iter()
        .filter_map(|(q, tf)| idf.get(q).map(|w| (*q, tf * w)))
        .collect();
    normalize_l2(&mut v);
    v
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
///
/// Readers do not decode the stored documents on every call: [`FactCheckStore::get`] looks an
/// id up in the index, and [`FactCheckStore::search`] and [`FactCheckStore::all`] read a list
/// decoded once per commit (a read first checks the commit's opstamp, one small file).
pub struct FactCheckStore {
    index: Index,
    /// Reloaded by hand, when a read sees a newer commit.
    reader: tantivy::IndexReader,
    id: Field,
    claim: Field,
    doc: Field,
    /// The commit the reader is at, and the entries decoded at it (if any read needed them).
    seen: Mutex<Seen>,
}

/// What a [`FactCheckStore`] has read of its last commit.
#[derive(Default)]
struct Seen {
    opstamp: Option<u64>,
    entries: Option<Arc<Vec<StoredEntry>>>,
}

/// A stored fact-check with its searchable fields lower-cased once, for
/// [`FactCheckStore::search`].
struct StoredEntry {
    fc: FactCheck,
    /// claim, explanation, id and source, lower-cased.
    lower: [String; 4],
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
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(FactCheckStore {
            index,
            reader,
            id,
            claim,
            doc,
            seen: Mutex::new(Seen::default()),
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

    /// Every stored fact-check, by id.
    pub fn all(&self) -> Result<Vec<FactCheck>, FactCheckError> {
        let entries = self.entries()?;
        let mut out: Vec<FactCheck> = entries.iter().map(|e| e.fc.clone()).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The fact-check with this id, looked up in the index (no other document is read).
    pub fn get(&self, id: &str) -> Result<Option<FactCheck>, FactCheckError> {
        let searcher = self.searcher()?;
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(self.id, id),
            IndexRecordOption::Basic,
        );
        let found = searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .map_err(|e| e.to_string())?;
        // Upserts delete the old version first: at most one is alive.
        for addr in found {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| e.to_string())?;
            if let Some(j) = doc.get_first(self.doc).and_then(|v| v.as_str()) {
                let fc: FactCheck = serde_json::from_str(j)
                    .map_err(|e| format!("fact-check {id:?} in the store: {e}"))?;
                return Ok(Some(fc));
            }
        }
        Ok(None)
    }

    /// A page of the fact-checks whose claim, explanation, id or source contains `q` (any
    /// case; an empty or blank `q` keeps all), newest first (then by id): how many match in
    /// all, and the `limit` of them after skipping `offset`.
    pub fn search(
        &self,
        q: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<FactCheck>), FactCheckError> {
        let entries = self.entries()?;
        let q = q.trim().to_lowercase();
        let mut total = 0;
        let mut page = Vec::new();
        for e in entries.iter() {
            if q.is_empty() || e.lower.iter().any(|s| s.contains(&q)) {
                if total >= offset && page.len() < limit {
                    page.push(e.fc.clone());
                }
                total += 1;
            }
        }
        Ok((total, page))
    }

    /// The searcher at the latest commit: the reader is reloaded (and the decoded entries
    /// dropped) only when the commit's opstamp has changed since the last read.
    fn searcher(&self) -> Result<tantivy::Searcher, FactCheckError> {
        let mut seen = self.seen.lock().expect("fact-check store lock");
        self.catch_up(&mut seen)?;
        Ok(self.reader.searcher())
    }

    fn catch_up(&self, seen: &mut Seen) -> Result<(), FactCheckError> {
        let opstamp = self.index.load_metas().map_err(|e| e.to_string())?.opstamp;
        if seen.opstamp != Some(opstamp) {
            // Reloading sees this commit or a newer one: never older data under this opstamp.
            self.reader.reload().map_err(|e| e.to_string())?;
            seen.opstamp = Some(opstamp);
            seen.entries = None;
        }
        Ok(())
    }

    /// Every stored fact-check, newest first (then by id), decoded once per commit.
    fn entries(&self) -> Result<Arc<Vec<StoredEntry>>, FactCheckError> {
        let mut seen = self.seen.lock().expect("fact-check store lock");
        self.catch_up(&mut seen)?;
        if let Some(e) = &seen.entries {
            return Ok(e.clone());
        }
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for seg in searcher.segment_readers() {
            let store = seg.get_store_reader(16).map_err(|e| e.to_string())?;
            for d in 0..seg.max_doc() {
                if seg.alive_bitset().is_some_and(|a| !a.is_alive(d)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(d).map_err(|e| e.to_string())?;
                if let Some(j) = doc.get_first(self.doc).and_then(|v| v.as_str()) {
                    if let Ok(fc) = serde_json::from_str::<FactCheck>(j) {
                        let lower = [&fc.claim, &fc.explanation, &fc.id, &fc.source]
                            .map(|s| s.to_lowercase());
                        out.push(StoredEntry { fc, lower });
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            (b.fc.published_at.cmp(&a.fc.published_at)).then_with(|| a.fc.id.cmp(&b.fc.id))
        });
        let out = Arc::new(out);
        seen.entries = Some(out.clone());
        Ok(out)
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;

    fn entry(i: usize) -> FactCheck {
        FactCheck {
            id: format!("fc-{i:03}"),
            claim: format!(
                "Klaim nomor {i}: Pemkab Sukamaju membagikan bantuan {}",
                i % 7
            ),
            verdict: "hoaks".into(),
            explanation: if i.is_multiple_of(10) {
                format!("Penjelasan Dinas Pendidikan untuk SEKOLAH negeri {i}")
            } else {
                format!("Penjelasan umum {i}")
            },
            url: None,
            // Some without a date (last), others spread over days, with ties.
            published_at: (!i.is_multiple_of(9)).then(|| {
                DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                    .unwrap()
                    .to_utc()
                    + chrono::Duration::hours((i % 50) as i64)
            }),
            source: if i.is_multiple_of(3) {
                "TurnBackHoax"
            } else {
                "cekfakta"
            }
            .into(),
        }
    }

    /// What `GET /api/factchecks` answered before the store could search: every entry
    /// decoded, filtered by substring, sorted newest first.
    fn reference(all: &[FactCheck], q: &str) -> Vec<FactCheck> {
        let q = q.trim().to_lowercase();
        let mut hits: Vec<FactCheck> = all
            .iter()
            .filter(|f| {
                q.is_empty()
                    || [&f.claim, &f.explanation, &f.id, &f.source]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&q))
            })
            .cloned()
            .collect();
        hits.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.id.cmp(&b.id)));
        hits
    }

    #[test]
    fn get_and_search_on_a_few_hundred_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = FactCheckStore::open(dir.path()).unwrap();
        let mut all: Vec<FactCheck> = (0..400).map(entry).collect();
        // Two commits, so the reader spans segments.
        store.upsert(&all[..250]).unwrap();
        store.upsert(&all[250..]).unwrap();

        assert_eq!(store.get("fc-123").unwrap().as_ref(), Some(&all[123]));
        assert_eq!(store.get("fc-399").unwrap().as_ref(), Some(&all[399]));
        assert_eq!(store.get("fc-400").unwrap(), None);
        assert_eq!(store.get("fc-12").unwrap(), None, "an id, not a prefix");

        for q in [
            "",
            "  ",
            "sekolah NEGERI",
            "turnbackhoax",
            "fc-01",
            "bantuan 3",
            "nope",
        ] {
            let want = reference(&all, q);
            let (total, page) = store.search(q, 1000, 0).unwrap();
            assert_eq!(total, want.len(), "{q:?}");
            assert_eq!(page, want, "{q:?}");
            // Pages of 7 put together are the whole list.
            let mut paged = Vec::new();
            for offset in (0..want.len()).step_by(7) {
                let (t, p) = store.search(q, 7, offset).unwrap();
                assert_eq!(t, want.len());
                assert!(p.len() <= 7);
                paged.extend(p);
            }
            assert_eq!(paged, want, "{q:?} paged");
        }
        assert_eq!(store.search("", 5, 398).unwrap().1.len(), 2);
        assert!(store.search("", 5, 500).unwrap().1.is_empty());

        // No commit in between: the decoded list is reused, not read again.
        let before = store.entries().unwrap();
        store.search("sekolah", 10, 0).unwrap();
        store.get("fc-001").unwrap();
        assert!(Arc::ptr_eq(&before, &store.entries().unwrap()));

        // A replaced entry: the next read sees the new version only.
        all[5].explanation = "Diperbarui: sekolah negeri libur".into();
        store.upsert(&all[5..6]).unwrap();
        assert!(!Arc::ptr_eq(&before, &store.entries().unwrap()));
        assert_eq!(store.get("fc-005").unwrap().as_ref(), Some(&all[5]));
        let (total, page) = store.search("sekolah negeri", 1000, 0).unwrap();
        assert_eq!(page, reference(&all, "sekolah negeri"));
        assert_eq!(total, 41);
        assert_eq!(store.all().unwrap().len(), 400);

        // Another handle (another process) sees this one's commits.
        let other = FactCheckStore::open(dir.path()).unwrap();
        assert_eq!(other.search("", 1, 0).unwrap().0, 400);
        other.upsert(&[entry(400)]).unwrap();
        assert_eq!(store.get("fc-400").unwrap(), Some(entry(400)));
        assert_eq!(store.search("", 1, 0).unwrap().0, 401);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_carried_with_a_match_is_never_the_quoted_hoax() {
        assert_eq!(
            explanation_start("Bendungan dalam kondisi aman."),
            "Bendungan dalam kondisi aman."
        );
        assert_eq!(
            explanation_start(
                "NARASI: \"Bendungan jebol, mengungsi!\" PENJELASAN: BBWS memastikan bendungan aman."
            ),
            "BBWS memastikan bendungan aman."
        );
        assert_eq!(
            explanation_start("NARASI: \"Bendungan jebol, mengungsi!\""),
            ""
        );
        let long = "kata ".repeat(200);
        let cut = explanation_start(&long);
        assert!(cut.chars().count() <= 401 && cut.ends_with('…'), "{cut}");
    }

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
    fn shared_words_are_the_posts_words_not_stems() {
        let b = base();
        let m = b.matches(
            &view("Awas, air PDAM Sukamaju tercemar limbah beracun, jangan diminum seminggu"),
            1,
        );
        assert_eq!(m[0].id, "fc-2", "{m:?}");
        // The stems are `cemar`, `racun` and `minum`: an officer reads the post's words.
        assert!(m[0].shared.contains(&"tercemar".to_string()), "{m:?}");
        assert!(m[0].shared.contains(&"beracun".to_string()), "{m:?}");
        assert!(
            !m[0].shared.iter().any(|w| w == "cemar" || w == "racun"),
            "{m:?}"
        );
        let v = view("Pelayanan cepat");
        assert_eq!(
            v.surface_of(&simak_text::analyzer::stem("pelayanan")),
            "pelayanan"
        );
        assert_eq!(v.surface_of("tidakada"), "tidakada");
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
