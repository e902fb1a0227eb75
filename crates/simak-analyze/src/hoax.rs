//! The hoax score: claim matching first, then hoax-style cues, then spread.
//!
//! What works in practice (Full Fact, Meedan Check) is matching posts against claims that were
//! already fact-checked, with a person confirming the uncertain middle. So:
//!
//! * a post whose match score to a debunked claim (the learned matcher's probability, see
//!   [`crate::matcher`]) reaches the *known* threshold is `known_hoax`
//!   (never for a post under [`MIN_AUTO_WORDS`] words: too little text to be sure);
//! * a post in the *suggested* band, or carrying hoax-style cues (calls to spread, urgency, all
//!   caps, chain-message form, unverifiable official claims, giveaway/scam form), or spreading as
//!   near-identical copies, gets a score from those signals and is `suspected` above
//!   [`SUSPECT_AT`];
//! * otherwise `none`.
//!
//! Every point of the score comes with a reason, in Indonesian, for the officer who decides.
//! The cues alone describe *style*: they say "looks like a chain message", never "is false".
//! The *known* and *suggested* thresholds are the matcher's, chosen by target false-flag rates on
//! real data ([`crate::claim_eval`]); the cue score at which a post is `suspected` was calibrated
//! on the development half of the shipped test set ([`crate::hoax_eval`]).
//!
//! [`HoaxVerdict`] here is the scorer's own result, with what evaluation and training need
//! (the office model's features, the words a match shares); what travels to the other stages is
//! [`simak_core::HoaxVerdict`], made by [`HoaxVerdict::to_wire`].

use crate::factcheck::{verdict_is_debunk, view, ClaimMatch, FactCheckBase, Ranker};
use crate::matcher::MatcherModel;
use serde::Serialize;
use simak_core::HoaxLabel;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Score at which a mention is `suspected`.
pub const SUSPECT_AT: f32 = 0.35;
/// Posts shorter than this never auto-match.
pub const MIN_AUTO_WORDS: usize = 8;

/// The three thresholds of the score. [`Thresholds::shipped`] holds the matcher's two
/// thresholds, chosen by target false-flag rates when it was trained (`simak train matcher`),
/// and the cue score at which a post is `suspected`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Match score at which a post spreading a debunked claim is `known_hoax` (alert).
    pub known: f32,
    /// Match score at which a match is shown, suggested for review, and adds to the score.
    pub suggest: f32,
    /// Score at which a post is `suspected`.
    pub suspect: f32,
}

impl Thresholds {
    /// The thresholds of the trigram matcher this version replaced (calibrated on the
    /// development half of the shipped test set); kept to compare against in `simak eval hoax`.
    pub const TRIGRAM: Thresholds = Thresholds {
        known: 0.64,
        suggest: 0.5,
        suspect: SUSPECT_AT,
    };

    /// The shipped thresholds: the shipped matcher's alert and suggest thresholds.
    pub fn shipped() -> Thresholds {
        let m = MatcherModel::shipped();
        Thresholds {
            known: m.alert,
            suggest: m.suggest,
            suspect: SUSPECT_AT,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::shipped()
    }
}

/// The verdict on one mention, as the scorer made it. [`HoaxVerdict::to_wire`] gives what the
/// analyzer writes into the mention.
#[derive(Debug, Clone, PartialEq)]
pub struct HoaxVerdict {
    /// In [0, 1].
    pub score: f32,
    /// `known_hoax`, `suspected` or `none`.
    pub label: &'static str,
    /// Why, in Indonesian.
    pub reasons: Vec<String>,
    /// Matched fact-checks, most similar first.
    pub matches: Vec<ClaimMatch>,
    /// The near-duplicate cluster this post belongs to.
    pub cluster: Cluster,
    /// The features the office model sees (not part of the output).
    pub features: [f32; NF],
}

impl HoaxVerdict {
    /// The verdict as it travels to the other stages (in the mention, under `hoax`): score,
    /// label, reasons, matches and cluster, without the scorer's working (features, shared
    /// words).
    pub fn to_wire(&self) -> simak_core::HoaxVerdict {
        let label = HoaxLabel::parse(self.label);
        debug_assert!(label.is_some(), "unknown hoax label {:?}", self.label);
        simak_core::HoaxVerdict::new(
            self.score,
            label.unwrap_or_default(),
            self.reasons.clone(),
            self.matches.iter().map(wire_match).collect(),
            Some(simak_core::Cluster {
                id: self.cluster.id.to_string(),
                size: self.cluster.size,
                last_hour: self.cluster.last_hour,
            }),
        )
    }
}

fn wire_match(m: &ClaimMatch) -> simak_core::ClaimMatch {
    simak_core::ClaimMatch {
        id: m.id.clone(),
        claim: m.claim.clone(),
        url: m.url.clone(),
        verdict: m.verdict.clone(),
        explanation: m.explanation.clone(),
        similarity: m.similarity,
    }
}

/// A 64-bit id written as 16 hex digits (JSON numbers lose precision past 2^53).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexId(pub u64);

impl std::fmt::Display for HexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A near-duplicate cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    /// Stable id: the SimHash of the first post seen, 16 hex digits.
    pub id: HexId,
    /// Posts seen in the cluster (this one included), within the window.
    pub size: u32,
    /// Posts in the last hour.
    pub last_hour: u32,
}

struct Cue {
    reason: &'static str,
    weight: f32,
    phrases: &'static [&'static str],
}

const CUES: &[Cue] = &[
    Cue {
        reason: "ajakan menyebarkan (\"sebarkan\", \"viralkan\")",
        weight: 0.2,
        phrases: &[
            "sebarkan",
            "sebar luaskan",
            "sebarluaskan",
            "viralkan",
            "bagikan ke",
            "teruskan ke",
            "share ke",
            "forward ke",
            "jangan berhenti di anda",
            "jangan berhenti di kamu",
            "kirim ke 10",
            "kirimkan ke",
            "bantu share",
            "tolong share",
            "tolong sebarkan",
        ],
    },
    Cue {
        reason: "nada mendesak (\"segera\", \"darurat\", \"awas\")",
        weight: 0.1,
        phrases: &[
            "segera",
            "darurat",
            "awas",
            "waspada",
            "mendesak",
            "penting!!",
            "breaking news",
            "hati-hati",
            "hati hati",
        ],
    },
    Cue {
        reason: "bentuk pesan berantai (\"dari grup sebelah\", \"copas\")",
        weight: 0.2,
        phrases: &[
            "grup sebelah",
            "group sebelah",
            "copas",
            "copy paste",
            "pesan berantai",
            "info dari grup",
            "dapat kiriman",
            "dapat info dari",
            "diteruskan dari",
            "forwarded",
        ],
    },
    Cue {
        reason:
            "klaim resmi yang tidak dapat diverifikasi (\"sumber terpercaya\", \"orang dalam\")",
        weight: 0.15,
        phrases: &[
            "sumber terpercaya",
            "orang dalam",
            "info a1",
            "info valid",
            "kata teman saya yang kerja",
            "teman saya yang bekerja di",
            "bocoran dari",
            "100% valid",
            "sudah dikonfirmasi",
        ],
    },
    Cue {
        reason: "pola hadiah atau penipuan (\"klik link\", \"transfer\", \"hadiah\")",
        weight: 0.2,
        phrases: &[
            "klik link",
            "klik tautan",
            "daftar di link",
            "daftar lewat link",
            "bit.ly",
            "hadiah",
            "undian",
            "pemenang",
            "transfer biaya",
            "biaya admin",
            "kode otp",
            "bantuan tunai",
            "dana bantuan",
            "cair hari ini",
            "isi data diri",
        ],
    },
];

/// The hoax-style cues in `text`: (reason, weight).
pub fn cues(text: &str) -> Vec<(String, f32)> {
    cues_lower(text, &simak_text::analyzer::normalize(text))
        .into_iter()
        .map(|(_, r, w)| (r, w))
        .collect()
}

/// The cues as (feature index, reason, weight): the [`CUES`] in order, then all caps (5) and
/// exclamation marks (6).
fn cues_lower(text: &str, lower: &str) -> Vec<(usize, String, f32)> {
    let mut out: Vec<(usize, String, f32)> = CUES
        .iter()
        .enumerate()
        .filter(|(_, c)| c.phrases.iter().any(|p| lower.contains(p)))
        .map(|(i, c)| (i, c.reason.to_string(), c.weight))
        .collect();
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if letters.len() >= 20 && upper * 10 >= letters.len() * 6 {
        out.push((5, "ditulis dengan huruf kapital semua".to_string(), 0.1));
    }
    if text.contains("!!!") {
        out.push((6, "tanda seru berlebihan".to_string(), 0.05));
    }
    out
}

/// Names of the features the office model learns from, in order.
pub const FEATURES: [&str; NF] = [
    "bias",
    "claim_similarity",
    "cue_spread",
    "cue_urgency",
    "cue_chain",
    "cue_unverifiable",
    "cue_scam",
    "all_caps",
    "exclamations",
    "vouching",
    "correction",
    "short",
];
/// Number of features.
pub const NF: usize = 12;

/// A logistic model of P(hoax) over [`FEATURES`], learned from the office's decisions by
/// `simak train hoax`. Where it is present the hoax score of a post that is neither a known
/// hoax nor a correction is the mean of the rule score and this probability.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OfficeModel {
    /// Feature names (checked against [`FEATURES`] on load).
    pub features: Vec<String>,
    /// One weight per feature.
    pub weights: Vec<f32>,
    /// Labels it was trained on: hoax, not hoax.
    pub trained_on: (usize, usize),
}

impl OfficeModel {
    /// Loads a model file, checking it fits this version's features.
    pub fn load(path: &std::path::Path) -> Result<OfficeModel, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let m: OfficeModel =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        if m.features != FEATURES || m.weights.len() != NF {
            return Err(format!(
                "{}: made for other features; run `simak train hoax` again",
                path.display()
            ));
        }
        Ok(m)
    }

    /// P(hoax | x).
    pub fn prob(&self, x: &[f32; NF]) -> f32 {
        let z: f32 = self.weights.iter().zip(x).map(|(w, v)| w * v).sum();
        1.0 / (1.0 + (-z).exp())
    }

    /// Trains by gradient descent on the log loss with L2 (λ = 0.01), classes weighted to
    /// balance; deterministic.
    pub fn train(examples: &[([f32; NF], bool)]) -> OfficeModel {
        let pos = examples.iter().filter(|e| e.1).count().max(1) as f32;
        let neg = examples.iter().filter(|e| !e.1).count().max(1) as f32;
        let n = examples.len().max(1) as f32;
        let (wp, wn) = (n / (2.0 * pos), n / (2.0 * neg));
        let mut w = [0f32; NF];
        for _ in 0..2000 {
            let mut g = [0f32; NF];
            for (x, y) in examples {
                let z: f32 = w.iter().zip(x).map(|(a, b)| a * b).sum();
                let p = 1.0 / (1.0 + (-z).exp());
                let (t, cw) = if *y { (1.0, wp) } else { (0.0, wn) };
                for k in 0..NF {
                    g[k] += cw * (p - t) * x[k];
                }
            }
            for k in 0..NF {
                let reg = if k == 0 { 0.0 } else { 0.01 * w[k] };
                w[k] -= 0.5 * (g[k] / n + reg);
            }
        }
        OfficeModel {
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            weights: w.to_vec(),
            trained_on: (pos as usize, neg as usize),
        }
    }
}

/// 64-bit SimHash of the slang-normalized words of `text` (word 2-shingles).
pub fn simhash(text: &str) -> u64 {
    simhash_words(view(text).words())
}

/// 64-bit SimHash of already-normalized words (word 2-shingles).
pub fn simhash_words(words: &[String]) -> u64 {
    let mut acc = [0i32; 64];
    let mut add = |a: &str, b: Option<&str>| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |s: &[u8]| {
            for &x in s {
                h ^= u64::from(x);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(a.as_bytes());
        if let Some(b) = b {
            eat(b" ");
            eat(b.as_bytes());
        }
        for (i, a) in acc.iter_mut().enumerate() {
            *a += if h >> i & 1 == 1 { 1 } else { -1 };
        }
    };
    if words.len() < 2 {
        words.iter().for_each(|w| add(w, None));
    }
    for w in words.windows(2) {
        add(&w[0], Some(&w[1]));
    }
    acc.iter()
        .enumerate()
        .fold(0u64, |h, (i, a)| if *a > 0 { h | 1 << i } else { h })
}

struct ClusterState {
    id: u64,
    times: VecDeque<i64>,
}

/// Near-duplicate clusters over a sliding window, by SimHash with LSH bands (4 × 16 bits) and a
/// Hamming distance of at most 6. A post joins a cluster of posts published within the window
/// of it (before or after). Every [`SWEEP_EVERY`] additions, the posts that no later post can
/// join any more are dropped: those outside the window of the post just added and older than
/// the window before the newest post seen. So memory follows the window, not the history,
/// whatever order posts arrive in: oldest first (a live stream), newest first (an export or a
/// search API's pages imported as they come), shuffled, or an old backfill beside a live
/// stream (both windows are kept). In memory: a restart starts the window afresh.
pub struct Clusters {
    window_s: i64,
    inner: Mutex<ClusterInner>,
}

/// Additions between two sweeps of expired posts.
pub const SWEEP_EVERY: usize = 4096;

#[derive(Default)]
struct ClusterInner {
    /// Index into `members` by each 16-bit band of the hash.
    bands: [HashMap<u16, Vec<usize>>; 4],
    /// (hash, cluster key, seen at) of each post in the window.
    members: Vec<(u64, usize, i64)>,
    states: HashMap<usize, ClusterState>,
    next_key: usize,
    since_sweep: usize,
    /// The newest publication time seen.
    newest: Option<i64>,
}

fn band(hash: u64, i: usize) -> u16 {
    (hash >> (16 * i)) as u16
}

impl ClusterInner {
    /// Keeps the posts published within `window` of `ts` or at most `window` before the newest
    /// post, and the clusters left with one; rebuilds the band index.
    fn sweep(&mut self, ts: i64, window: i64) {
        let newest = self.newest.unwrap_or(ts);
        let keep = |t: i64| t.abs_diff(ts) <= window as u64 || t >= newest.saturating_sub(window);
        self.members.retain(|m| keep(m.2));
        self.states.retain(|_, st| {
            st.times.retain(|t| keep(*t));
            !st.times.is_empty()
        });
        self.bands = Default::default();
        for (k, m) in self.members.iter().enumerate() {
            for i in 0..4 {
                self.bands[i].entry(band(m.0, i)).or_default().push(k);
            }
        }
        self.since_sweep = 0;
    }
}

impl Default for Clusters {
    fn default() -> Self {
        Clusters::new(24 * 3600)
    }
}

impl Clusters {
    /// Clusters over a window of `window_s` seconds.
    pub fn new(window_s: i64) -> Clusters {
        Clusters {
            window_s,
            inner: Mutex::new(ClusterInner::default()),
        }
    }

    /// Adds a post seen at `ts` (seconds) and returns its cluster.
    pub fn add(&self, hash: u64, ts: i64) -> Cluster {
        let mut g = self.inner.lock().expect("clusters lock");
        let cutoff = ts - self.window_s;
        g.newest = Some(g.newest.map_or(ts, |n| n.max(ts)));
        g.since_sweep += 1;
        if g.since_sweep >= SWEEP_EVERY {
            g.sweep(ts, self.window_s);
        }
        let mut found = None;
        'bands: for i in 0..4 {
            if let Some(list) = g.bands[i].get(&band(hash, i)) {
                for &k in list {
                    let (h, key, seen) = g.members[k];
                    if seen.abs_diff(ts) <= self.window_s as u64 && (h ^ hash).count_ones() <= 6 {
                        found = Some(key);
                        break 'bands;
                    }
                }
            }
        }
        let key = match found {
            Some(key) if g.states.contains_key(&key) => key,
            _ => {
                let key = g.next_key;
                g.next_key += 1;
                g.states.insert(
                    key,
                    ClusterState {
                        id: hash,
                        times: VecDeque::new(),
                    },
                );
                key
            }
        };
        let k = g.members.len();
        g.members.push((hash, key, ts));
        for i in 0..4 {
            g.bands[i].entry(band(hash, i)).or_default().push(k);
        }
        let st = g.states.get_mut(&key).expect("cluster exists");
        st.times.push_back(ts);
        while st.times.front().is_some_and(|t| *t < cutoff) {
            st.times.pop_front();
        }
        let last_hour = st.times.iter().filter(|t| **t >= ts - 3600).count() as u32;
        Cluster {
            id: HexId(st.id),
            size: st.times.len() as u32,
            last_hour,
        }
    }

    /// Posts held in the window (for tests and metrics).
    pub fn held(&self) -> usize {
        self.inner.lock().expect("clusters lock").members.len()
    }
}

/// Words that mark a post as correcting a claim rather than spreading it.
const COUNTER: &[&str] = &[
    "hoaks",
    "hoax",
    "tidak benar",
    "klarifikasi",
    "cek fakta",
    "faktanya",
    "dibantah",
    "membantah",
    "disinformasi",
    "berita bohong",
    "jangan percaya",
    "jangan mudah percaya",
];

/// Phrases with which a spreader vouches for a message ("ini bukan hoaks").
const VOUCHING: &[&str] = &[
    "bukan hoaks",
    "bukan hoax",
    "bukan berita bohong",
    "ini nyata",
    "benar adanya",
];

/// Whether the post vouches for itself ("bukan hoaks"), and whether it otherwise reads as a
/// correction ("hoaks", "klarifikasi", "tidak benar").
pub(crate) fn counter_and_vouching(lower: &str) -> (bool, bool) {
    let vouching = VOUCHING.iter().any(|p| lower.contains(p));
    let counter = !vouching && COUNTER.iter().any(|p| lower.contains(p));
    (counter, vouching)
}

/// Scores one mention with the shipped thresholds.
pub fn score(kb: &FactCheckBase, clusters: &Clusters, text: &str, ts: i64) -> HoaxVerdict {
    score_with(kb, clusters, text, ts, &Thresholds::shipped())
}

/// Scores one mention.
pub fn score_with(
    kb: &FactCheckBase,
    clusters: &Clusters,
    text: &str,
    ts: i64,
    th: &Thresholds,
) -> HoaxVerdict {
    score_full(kb, clusters, text, ts, th, None)
}

/// Scores one mention, with the office's model where there is one.
pub fn score_full(
    kb: &FactCheckBase,
    clusters: &Clusters,
    text: &str,
    ts: i64,
    th: &Thresholds,
    model: Option<&OfficeModel>,
) -> HoaxVerdict {
    score_ranked(
        kb,
        clusters,
        text,
        ts,
        th,
        model,
        Ranker::Learned(MatcherModel::shipped()),
        &[],
    )
}

/// Scores one mention with a given ranker, leaving the fact-check entries `exclude` out of the
/// base (evaluation: a post whose own fact-check is not known yet).
#[allow(clippy::too_many_arguments)]
pub fn score_ranked(
    kb: &FactCheckBase,
    clusters: &Clusters,
    text: &str,
    ts: i64,
    th: &Thresholds,
    model: Option<&OfficeModel>,
    ranker: Ranker<'_>,
    exclude: &[u32],
) -> HoaxVerdict {
    let v = crate::factcheck::view_from_tokens(
        text,
        &simak_text::analyzed(text, simak_text::Options::FEATURES),
    );
    let words = v.words().len();
    let matches: Vec<ClaimMatch> = kb
        .rank(&v, 3, ranker, exclude)
        .into_iter()
        .filter(|m| m.similarity >= th.suggest && verdict_is_debunk(&m.verdict))
        .collect();
    let cluster = clusters.add(simhash_words(v.words()), ts);
    let mut reasons = Vec::new();
    let best = matches.first().map_or(0.0, |m| m.similarity);
    if let Some(m) = matches.first() {
        let verdict = if m.verdict.trim().is_empty() {
            "tidak dicantumkan"
        } else {
            m.verdict.as_str()
        };
        reasons.push(format!(
            "mirip klaim yang sudah diperiksa \"{}\" (keyakinan pencocokan {:.0}%, putusan: {verdict})",
            m.claim,
            m.similarity * 100.0,
        ));
        if !m.shared.is_empty() {
            reasons.push(format!(
                "kata yang sama selain nama: {}",
                m.shared.join(", ")
            ));
        }
    }
    let lower = simak_text::analyzer::normalize(text);
    let (counter, vouching) = counter_and_vouching(&lower);
    let mut x = [0f32; NF];
    x[0] = 1.0;
    // `matches` holds only those at or above `suggest`, so `best` is 0 or in the band.
    x[1] = best;
    x[9] = f32::from(u8::from(vouching));
    x[10] = f32::from(u8::from(counter));
    x[11] = f32::from(u8::from(words < MIN_AUTO_WORDS));
    if counter {
        // Quoting a debunked claim to correct it is what the office wants to see, not to flag.
        reasons.push(
            "tampaknya meluruskan atau membantah klaim (menyebut hoaks/klarifikasi)".to_string(),
        );
        reasons.extend(spread_reasons(&cluster));
        return HoaxVerdict {
            score: if best >= th.suggest { 0.2 } else { 0.0 },
            label: "none",
            reasons,
            matches,
            cluster,
            features: x,
        };
    }
    if best >= th.known && words >= MIN_AUTO_WORDS {
        reasons.extend(spread_reasons(&cluster));
        return HoaxVerdict {
            score: best.max(0.9),
            label: "known_hoax",
            reasons,
            matches,
            cluster,
            features: x,
        };
    }
    if best >= th.known {
        reasons.push(format!(
            "teks terlalu pendek ({words} kata) untuk dipastikan otomatis"
        ));
    }
    let mut s = if best >= th.suggest {
        0.3 + 0.4 * best
    } else {
        0.0
    };
    let mut cue_sum = 0.0;
    for (i, reason, w) in cues_lower(text, &lower) {
        cue_sum += w;
        x[2 + i] = 1.0;
        reasons.push(reason);
    }
    if vouching {
        cue_sum += 0.15;
        reasons.push("mengaku \"bukan hoaks\" tanpa menyebut sumber".to_string());
    }
    // Style alone can reach review only when several cues come together (about three).
    s += cue_sum.min(0.6);
    let spread = spread_reasons(&cluster);
    if cluster.size >= 20 {
        s += 0.2;
    } else if cluster.size >= 5 {
        s += 0.1;
    }
    reasons.extend(spread);
    let mut s = s.min(0.89);
    if let Some(m) = model {
        let p = m.prob(&x);
        s = (s + p.min(0.89)) / 2.0;
        reasons.push(format!(
            "model dari keputusan kantor: peluang hoaks {:.0}%",
            p * 100.0
        ));
    }
    let s = (s * 1000.0).round() / 1000.0;
    let label = if s >= th.suspect { "suspected" } else { "none" };
    HoaxVerdict {
        score: s,
        label,
        reasons,
        matches,
        cluster,
        features: x,
    }
}

fn spread_reasons(c: &Cluster) -> Vec<String> {
    if c.size >= 5 {
        vec![format!(
            "menyebar sebagai salinan hampir identik: {} unggahan, {} dalam satu jam terakhir",
            c.size, c.last_hour
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factcheck::FactCheck;

    fn kb() -> FactCheckBase {
        FactCheckBase::new(vec![kb_entry()])
    }

    fn kb_entry() -> FactCheck {
        FactCheck {
            id: "tbh-1".into(),
            claim: "Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp".into(),
            verdict: "hoaks".into(),
            explanation: "Pemkab tidak pernah membuka pendaftaran lewat WhatsApp".into(),
            url: Some("https://sukamajukab.go.id/klarifikasi/1".into()),
            published_at: None,
            source: "pemkab-sukamaju".into(),
        }
    }

    #[test]
    fn known_hoax_with_reasons() {
        let c = Clusters::default();
        let v = score(&kb(), &c, "SEBARKAN!! Pemkab Sukamaju bagi bantuan tunai 5 juta buat setiap warga yg daftar lewat link WhatsApp", 0);
        assert_eq!(v.label, "known_hoax", "{v:?}");
        assert!(v.score >= 0.9);
        assert_eq!(v.matches[0].id, "tbh-1");
        assert!(v.reasons[0].contains("mirip klaim"), "{v:?}");
    }

    #[test]
    fn bad_input_gets_a_verdict() {
        let c = Clusters::default();
        let long = "Pemkab Sukamaju membagikan bantuan tunai lewat WhatsApp. ".repeat(1800);
        assert!(long.len() > 100_000);
        let emoji = "\u{1f600}\u{1f602}\u{1f525}\u{1f525}\u{1f64f}";
        for text in [
            "",
            "   ",
            emoji,
            long.as_str(),
            "The regent handed out cash to every resident who signed up on WhatsApp",
            "\u{5e02}\u{653f}\u{5e9c}\u{5411}\u{6bcf}\u{4f4d}\u{5c45}\u{6c11}\u{53d1}\u{653e}\u{73b0}\u{91d1}",
            "\u{0645}\u{0631}\u{062d}\u{0628}\u{0627} \u{0628}\u{0643}\u{0645}",
            "1 2 3 4 5 6 7 8 9 10 11 12",
            "\u{0000}\u{ffff}\u{200b}",
        ] {
            let v = score(&kb(), &c, text, 0);
            assert!(["known_hoax", "suspected", "none"].contains(&v.label), "{v:?}");
            assert!((0.0..=1.0).contains(&v.score), "{v:?}");
        }
        for text in ["", emoji] {
            assert_eq!(score(&kb(), &c, text, 0).label, "none");
        }
        // A whole article quoting the claim is still recognised.
        let v = score(&kb(), &c, &long, 0);
        assert_eq!(
            v.matches.first().map(|m| m.id.as_str()),
            Some("tbh-1"),
            "{v:?}"
        );
    }

    #[test]
    fn an_empty_verdict_is_matched_as_a_debunk() {
        let mut fc = kb_entry();
        fc.verdict = String::new();
        let kb = FactCheckBase::new(vec![fc]);
        let v = score(&kb, &Clusters::default(), "SEBARKAN!! Pemkab Sukamaju bagi bantuan tunai 5 juta buat setiap warga yg daftar lewat link WhatsApp", 0);
        assert_eq!(v.label, "known_hoax", "{v:?}");
        assert!(v.reasons[0].contains("tidak dicantumkan"), "{v:?}");
        let mut fc = kb_entry();
        fc.verdict = "benar".into();
        let kb = FactCheckBase::new(vec![fc]);
        let v = score(&kb, &Clusters::default(), "Pemkab Sukamaju bagi bantuan tunai 5 juta buat setiap warga yg daftar lewat link WhatsApp", 0);
        assert_ne!(v.label, "known_hoax", "a confirmed claim is no hoax: {v:?}");
    }

    #[test]
    fn short_posts_never_auto_match() {
        let c = Clusters::default();
        let v = score(&kb(), &c, "bantuan tunai 5 juta lewat WhatsApp", 0);
        assert_ne!(v.label, "known_hoax", "{v:?}");
    }

    #[test]
    fn cues_without_a_match_can_make_suspected() {
        let c = Clusters::default();
        let v = score(
            &kb(),
            &c,
            "AWAS!!! Info dari grup sebelah, air sumur di Sukamaju beracun. SEBARKAN ke keluarga!",
            0,
        );
        assert_eq!(v.label, "suspected", "{v:?}");
        assert!(v.reasons.iter().any(|r| r.contains("ajakan menyebarkan")));
        let one_cue = score(
            &kb(),
            &c,
            "Segera perbaiki jalan di depan pasar, sudah rusak parah",
            0,
        );
        assert_eq!(one_cue.label, "none", "one cue is not enough: {one_cue:?}");
        let plain = score(&kb(), &c, "Jalan di depan pasar rusak, mohon diperbaiki", 0);
        assert_eq!(plain.label, "none", "{plain:?}");
        assert!(plain.reasons.is_empty());
    }

    #[test]
    fn office_model_learns_and_refuses_other_features() {
        // Hoax when the scam cue is on, whatever else.
        let data: Vec<([f32; NF], bool)> = (0..200)
            .map(|i| {
                let mut x = [0f32; NF];
                x[0] = 1.0;
                x[6] = (i % 2) as f32;
                x[3] = (i % 3 == 0) as u8 as f32;
                (x, i % 2 == 1)
            })
            .collect();
        let m = OfficeModel::train(&data);
        assert_eq!(m, OfficeModel::train(&data), "deterministic");
        for (x, y) in &data {
            assert_eq!(m.prob(x) >= 0.5, *y);
        }
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("hoax.json");
        std::fs::write(&p, serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(OfficeModel::load(&p).unwrap(), m);
        let mut other = m.clone();
        other.features.pop();
        std::fs::write(&p, serde_json::to_vec(&other).unwrap()).unwrap();
        assert!(OfficeModel::load(&p).unwrap_err().contains("train hoax"));
    }

    #[test]
    fn corrections_are_not_flagged_and_vouching_is_a_cue() {
        let c = Clusters::default();
        let v = score(&kb(), &c, "HOAKS: pesan bantuan tunai Rp5 juta dari Pemkab Sukamaju untuk setiap warga yang mendaftar lewat tautan WhatsApp tidak benar", 0);
        assert_eq!(v.label, "none", "{v:?}");
        assert!(
            !v.matches.is_empty(),
            "the related fact-check is still shown"
        );
        let v = score(&kb(), &c, "Ini bukan hoaks! Pemkab Sukamaju bagi bantuan tunai 5 juta buat setiap warga yg daftar lewat link WhatsApp", 0);
        assert_eq!(v.label, "known_hoax", "{v:?}");
    }

    #[test]
    fn old_posts_expire() {
        let c = Clusters::new(3600);
        for i in 0..(2 * SWEEP_EVERY) {
            c.add(
                (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                i as i64 * 10,
            );
        }
        // The window holds 360 posts of 10 s; a sweep keeps at most the window plus a batch.
        assert!(c.held() <= 360 + SWEEP_EVERY, "held {}", c.held());
    }

    /// Posts `0..n` of 10 s each, in the order `order` gives; the most posts held at once.
    fn most_held(order: impl Iterator<Item = usize>) -> usize {
        let c = Clusters::new(3600);
        let mut most = 0;
        for i in order {
            c.add(
                (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                i as i64 * 10,
            );
            most = most.max(c.held());
        }
        most
    }

    #[test]
    fn memory_follows_the_window_in_any_order() {
        let n = 20 * SWEEP_EVERY;
        // Oldest first, newest first (an export, a search API's pages), and shuffled: each
        // sweep keeps the hour on both sides of the post and the hour before the newest (at most
        // 3 × 361 posts), plus the batch since the last sweep.
        let bound = 3 * 361 + SWEEP_EVERY;
        let oldest_first = most_held(0..n);
        let newest_first = most_held((0..n).rev());
        let mut next = simak_core::xorshift::xorshift();
        let mut shuffled: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            shuffled.swap(i, next() as usize % (i + 1));
        }
        let shuffled = most_held(shuffled.into_iter());
        for (what, held) in [
            ("oldest first", oldest_first),
            ("newest first", newest_first),
            ("shuffled", shuffled),
        ] {
            assert!(held <= bound, "{what}: held {held} of {n}");
        }
    }

    #[test]
    fn newest_first_still_clusters() {
        let c = Clusters::default();
        let base = "Besok pemadaman listrik total se-Kabupaten Sukamaju selama tiga hari, siapkan lilin dan air";
        let mut last = None;
        // Six copies over an hour, newest first, among enough other posts to sweep twice.
        for i in 0..(2 * SWEEP_EVERY + 6) {
            let ts = 100_000 - i as i64 * 10;
            if i % SWEEP_EVERY == 0 || i < 6 {
                last = Some(c.add(simhash(&format!("{base} {}", "!".repeat(i % 7))), ts));
            } else {
                c.add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15), ts);
            }
        }
        // The copies 0..6 and 4096, 8192 are within a day of each other: one cluster.
        assert_eq!(last.map(|c| c.size), Some(8));
    }

    #[test]
    fn a_backfill_beside_a_live_stream_keeps_both_windows() {
        let c = Clusters::new(3600);
        let live = "Besok pemadaman listrik total se-Kabupaten Sukamaju selama tiga hari, siapkan lilin dan air";
        let old = "Festival budaya Sukamaju ramai dikunjungi wisatawan dari luar kota tahun lalu";
        let now = 10_000_000;
        c.add(simhash(live), now);
        // A month-old archive imported while the live stream runs: its posts expire around
        // their own time, the live post stays for the live stream.
        for i in 0..(3 * SWEEP_EVERY) {
            let ts = now - 30 * 86_400 + i as i64;
            if i % 1000 == 0 {
                c.add(simhash(old), ts);
            } else {
                c.add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15), ts);
            }
        }
        assert_eq!(c.add(simhash(live), now + 60).size, 2);
        // The archive's copies are 1000 s apart: four within the hour before the last, and it.
        let last = c.add(simhash(old), now - 30 * 86_400 + 3 * SWEEP_EVERY as i64);
        assert_eq!(last.size, 5);
        assert!(c.held() <= 2 * 3601 + SWEEP_EVERY, "held {}", c.held());
    }

    #[test]
    fn near_duplicates_cluster() {
        let c = Clusters::default();
        let base = "Besok pemadaman listrik total se-Kabupaten Sukamaju selama tiga hari, siapkan lilin dan air";
        let first = c.add(simhash(base), 0);
        let mut last = first;
        for i in 1..6 {
            last = c.add(simhash(&format!("{base} {}", "!".repeat(i))), i as i64 * 60);
        }
        assert_eq!(last.id, first.id);
        assert_eq!(last.size, 6);
        let other = c.add(
            simhash("Festival budaya Sukamaju ramai dikunjungi wisatawan dari luar kota"),
            400,
        );
        assert_ne!(other.id, first.id);
        assert_eq!(other.size, 1);
    }
}
