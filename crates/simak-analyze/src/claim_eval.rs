//! Claim matching measured on real labelled data, split in time (`simak eval hoax --data`), and
//! the training data of `simak train matcher`.
//!
//! The input is JSONL, one fact-check a line: `id`, `date` (`2 Jan 2024`, or ISO `2024-01-02`),
//! `claim` (the fact-check's title) and `narrative` (the hoax as it spread; a trailing
//! explanation after `PENJELASAN` or after a `= = =` separator, which a real post does not
//! have, is cut; a fact-checker's note that the narrative is not shown, such as
//! `(Narasi tidak ditampilkan)`, is no post: that fact-check is in the base only, see
//! [`is_placeholder`]). The knowledge base
//! holds every claim, titles only; the queries are the narratives. Months are split in time:
//! the earlier ones train the matcher, the next ones calibrate its thresholds, the later ones
//! are reported (by default a third each). `simak train matcher` cross-fits the first two
//! parts: a matcher fitted on each scores the other's negatives for the thresholds, and the
//! shipped one is fitted on both; the reported months are never seen.
//!
//! Negative sets, each split in three parts by a hash of the text (train, calibrate, report):
//!
//! * ordinary posts from files given on the command line (`text<TAB>label` TSV, or JSONL with
//!   `text`), e.g. SmSA and IndoLEM;
//! * **hard: other fact-checks' narratives**: a narrative with its own fact-check left out of
//!   the base, kept when it names an entity that another claim names and neither its claim nor
//!   its narrative is a near-duplicate of another fact-check's (TurnBackHoax debunks some
//!   hoaxes several times; matching the other copy is right, not a false flag). Any flag on it is a false flag: it simulates a
//!   new hoax about the same people before it is fact-checked;
//! * **hard: other fact-checks' claims**: the claim of a fact-check under the same rules (its
//!   own fact-check and the judged same-hoax ones left out, no near-duplicate): a
//!   headline-length text naming the people of other fact-checks and saying something else of
//!   them, the shape of a tweet about a candidate, which long narratives lack;
//! * **hard: ordinary posts naming a fact-check entity**: the ordinary posts that name an
//!   entity of the claims (election posts naming the same candidates, posts naming the same
//!   ministry).
//!
//! Entities are found in the data, not listed by hand: a word is a name when the narratives
//! that are written in ordinary case capitalize it inside sentences at least 80% of the times
//! it appears (and at least three times).
//!
//! Reported per ranker: recall@1/5/20 and MRR of the ranking (no threshold), the share with no
//! candidate, recall@1 with a `known_hoax` label and with any flag, and per negative set the
//! false-flag rate of `known_hoax`, of any flag, and of cue-only suspicion.

use crate::factcheck::{view, FactCheck, FactCheckBase, Ranker, DECISION_POOL};
use crate::hoax::{counter_and_vouching, score_ranked, Clusters, Thresholds, MIN_AUTO_WORDS};
use crate::matcher::{threshold_at_rate, NFM};
use std::collections::{HashMap, HashSet};

/// One labelled fact-check with its narrative.
#[derive(Debug, Clone)]
pub struct Row {
    /// Fact-check id.
    pub id: String,
    /// Month as `year * 12 + month - 1`.
    pub month: u32,
    /// The claim (title).
    pub claim: String,
    /// The narrative as it spread, explanation cut.
    pub narrative: String,
    /// Link, if given.
    pub url: Option<String>,
    /// Ids of other fact-checks judged to debunk the same hoax (`same_as` in the JSONL, or a
    /// `--same-hoax` file; see [`add_same_hoax`]).
    pub same_as: Vec<String>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const BULAN: [&str; 12] = [
    "jan", "feb", "mar", "apr", "mei", "jun", "jul", "agu", "sep", "okt", "nov", "des",
];

/// The month of `2 Jan 2024`, `2 Januari 2024` or `2024-01-02...`, as `year * 12 + month - 1`.
pub fn parse_month(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some((y, rest)) = s.split_once('-') {
        if let (Ok(y), Some(Ok(m))) = (y.parse::<u32>(), rest.get(..2).map(str::parse::<u32>)) {
            if (1..=12).contains(&m) {
                return Some(y * 12 + m - 1);
            }
        }
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, year] = parts.as_slice() else {
        return None;
    };
    let mon = mon.to_lowercase();
    let m = MONTHS
        .iter()
        .position(|p| mon.starts_with(p))
        .or_else(|| BULAN.iter().position(|p| mon.starts_with(p)))?;
    Some(year.parse::<u32>().ok()? * 12 + m as u32)
}

/// Writes a month back as `YYYY-MM`.
pub fn month_name(m: u32) -> String {
    format!("{}-{:02}", m / 12, m % 12 + 1)
}

/// The narrative as a post would carry it: the fact-checker's explanation cut (after
/// `PENJELASAN`, or after the `= = =` separator TurnBackHoax puts before it), separators and
/// quotes around it trimmed.
pub fn cut_explanation(narrative: &str) -> String {
    let mut end = narrative.find("PENJELASAN").unwrap_or(narrative.len());
    // The first run of three or more '=' (spaces between allowed).
    let b = narrative.as_bytes();
    let mut i = 0;
    while i < end {
        if b[i] == b'=' {
            let (mut j, mut n) = (i, 0);
            while j < b.len() && (b[j] == b'=' || b[j] == b' ') {
                n += usize::from(b[j] == b'=');
                j += 1;
            }
            if n >= 3 {
                end = i;
                break;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    narrative[..end]
        .trim()
        .trim_matches(|c: char| {
            c == '=' || c == '"' || c == '\u{201c}' || c == '\u{201d}' || c.is_whitespace()
        })
        .to_string()
}

/// Whether a narrative is a fact-checker's note that the hoax is not shown ("(Narasi tidak
/// ditampilkan)", "(Tidak terdapat narasi)", "Narasi tidak tersedia"): a short text, in
/// parentheses or dashes or bare, made only of the words such notes use. No post reads like
/// that, and no matcher can find a fact-check from it.
pub fn is_placeholder(narrative: &str) -> bool {
    const NOTE: [&str; 9] = [
        "narasi",
        "pesan",
        "tidak",
        "ditampilkan",
        "terdapat",
        "tersedia",
        "dipublikasikan",
        "ada",
        "tanpa",
    ];
    let words: Vec<String> = narrative
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    !words.is_empty()
        && words.len() <= 5
        && words.iter().all(|w| NOTE.contains(&w.as_str()))
        && words.iter().any(|w| w == "tidak" || w == "tanpa")
}

/// Parses the labelled JSONL (see the module docs); a line without a narrative is a knowledge
/// base entry only.
pub fn parse_rows(text: &str) -> Result<Vec<Row>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let id = field("id").ok_or_else(|| format!("line {}: `id` missing", i + 1))?;
        let claim = field("claim").ok_or_else(|| format!("line {}: `claim` missing", i + 1))?;
        let date = field("date")
            .or_else(|| field("published_at"))
            .ok_or_else(|| format!("line {}: `date` missing", i + 1))?;
        let month = parse_month(&date)
            .ok_or_else(|| format!("line {}: cannot read the date {date:?}", i + 1))?;
        out.push(Row {
            id,
            month,
            claim,
            narrative: Some(cut_explanation(&field("narrative").unwrap_or_default()))
                .filter(|n| !is_placeholder(n))
                .unwrap_or_default(),
            url: field("url"),
            same_as: v
                .get("same_as")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Adds judged same-hoax pairs to the rows: one pair of fact-check ids a line, separated by a
/// tab or spaces (`#` starts a comment). Two fact-checks of one hoax are both right for its
/// posts, so a narrative of one is no hard negative against the other. Returns the number of
/// pairs; a pair naming an id the rows do not have is an error.
pub fn add_same_hoax(rows: &mut [Row], pairs: &str) -> Result<usize, String> {
    let at: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let mut found = Vec::new();
    for (i, line) in pairs.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let ids: Vec<&str> = l.split_whitespace().collect();
        let [a, b] = ids[..] else {
            return Err(format!("line {}: want two fact-check ids", i + 1));
        };
        let (Some(&ia), Some(&ib)) = (at.get(a), at.get(b)) else {
            return Err(format!("line {}: an id the data does not have", i + 1));
        };
        found.push((ia, ib));
    }
    for &(ia, ib) in &found {
        for (x, y) in [(ia, ib), (ib, ia)] {
            let id = rows[y].id.clone();
            if !rows[x].same_as.contains(&id) {
                rows[x].same_as.push(id);
            }
        }
    }
    Ok(found.len())
}

/// Reads posts: JSONL with `text`, or TSV with the text before the last tab (a `text` header
/// line is skipped), or one text a line.
pub fn read_posts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if l.starts_with('{') {
            if let Some(t) = serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
            {
                out.push(t);
            }
            continue;
        }
        let t = line.rsplit_once('\t').map_or(line, |(t, _)| t).trim();
        if t == "text" || t.is_empty() {
            continue;
        }
        out.push(t.to_string());
    }
    out
}

/// Which part of the data a post belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Fits the matcher.
    Train,
    /// Chooses the thresholds.
    Calibrate,
    /// Reported.
    Report,
}

impl Part {
    /// Parses `train`, `calibrate` or `report`.
    pub fn parse(s: &str) -> Option<Part> {
        match s {
            "train" => Some(Part::Train),
            "calibrate" => Some(Part::Calibrate),
            "report" => Some(Part::Report),
            _ => None,
        }
    }
}

/// The time split: months up to `train_until` train, up to `calibrate_until` calibrate, the
/// rest are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Last training month.
    pub train_until: u32,
    /// Last calibration month.
    pub calibrate_until: u32,
}

impl Plan {
    /// The first third of the months (at least one) train, the next third calibrates, the rest
    /// are reported: for January to June, January–February, March–April, May–June. Needs at
    /// least three months.
    pub fn auto(rows: &[Row]) -> Result<Plan, String> {
        let mut months: Vec<u32> = rows.iter().map(|r| r.month).collect();
        months.sort_unstable();
        months.dedup();
        if months.len() < 3 {
            return Err(format!(
                "a time split needs at least three months of data, got {}",
                months.len()
            ));
        }
        let third = (months.len() / 3).max(1);
        Ok(Plan {
            train_until: months[third - 1],
            calibrate_until: months[(2 * third - 1).min(months.len() - 2)],
        })
    }

    /// The part of a month.
    pub fn part(&self, month: u32) -> Part {
        if month <= self.train_until {
            Part::Train
        } else if month <= self.calibrate_until {
            Part::Calibrate
        } else {
            Part::Report
        }
    }
}

/// The part of an ordinary post, by a hash of its text: a third each.
pub fn fold(text: &str) -> Part {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    match h % 3 {
        0 => Part::Train,
        1 => Part::Calibrate,
        _ => Part::Report,
    }
}

/// A post to score.
#[derive(Debug, Clone)]
pub struct Post {
    /// The text.
    pub text: String,
    /// Its part.
    pub part: Part,
    /// The entry it spreads (queries), none for negatives.
    pub gold: Option<u32>,
    /// The entries left out of the base while scoring it (its own fact-check and those judged
    /// to debunk the same hoax, for hard negatives made of other fact-checks' narratives).
    pub exclude: Vec<u32>,
}

/// A set of posts none of which should be flagged.
#[derive(Debug, Clone)]
pub struct NegSet {
    /// Its name.
    pub name: String,
    /// Whether it is a hard set.
    pub hard: bool,
    /// Whether it is drawn from other sets (not used again for training).
    pub derived: bool,
    /// The posts.
    pub posts: Vec<Post>,
}

/// Everything an evaluation or a training run needs.
pub struct EvalData {
    /// The knowledge base: every claim, titles only.
    pub kb: FactCheckBase,
    /// Narratives with their fact-check.
    pub queries: Vec<Post>,
    /// Negative sets.
    pub negatives: Vec<NegSet>,
    /// The time split.
    pub plan: Plan,
    /// Entities found in the narratives that the claims name.
    pub entities: usize,
}

fn words_lower(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(|w| w.to_lowercase())
}

/// Names found in the narratives (see the module docs), lowercased.
pub fn entity_lexicon(narratives: &[&str]) -> HashSet<String> {
    let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
    for n in narratives {
        let toks: Vec<&str> = n
            .split(|c: char| c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        let letters: Vec<char> = n.chars().filter(|c| c.is_alphabetic()).collect();
        let upper = letters.iter().filter(|c| c.is_uppercase()).count();
        let caps_words = toks
            .iter()
            .filter(|t| t.chars().next().is_some_and(char::is_uppercase))
            .count();
        // All capitals or title case say nothing about names.
        if letters.len() < 20 || upper * 10 > letters.len() * 3 || caps_words * 10 > toks.len() * 4
        {
            continue;
        }
        let mut sentence_start = true;
        for t in toks {
            let w: String = t.chars().filter(|c| c.is_alphanumeric()).collect();
            let ends = t.ends_with(['.', '!', '?', ':']);
            if w.chars().count() >= 3 && w.chars().next().is_some_and(char::is_alphabetic) {
                let lw = w.to_lowercase();
                if !simak_text::analyzer::is_stopword(&lw) {
                    let e = counts.entry(lw).or_default();
                    if !sentence_start {
                        e.1 += 1;
                        if w.chars().next().is_some_and(char::is_uppercase) {
                            e.0 += 1;
                        }
                    }
                }
            }
            sentence_start = ends;
        }
    }
    counts
        .into_iter()
        .filter(|(_, (cap, all))| *all >= 3 && *cap * 10 >= *all * 8)
        .map(|(w, _)| w)
        .collect()
}

/// The claim–claim or narrative–narrative cosine (character 4-gram TF-IDF) at which two
/// fact-checks count as the same hoax debunked twice.
pub const NEAR_DUPLICATE: f32 = 0.5;

impl EvalData {
    /// Builds the knowledge base, queries and negative sets from labelled rows and ordinary
    /// posts (name, texts).
    pub fn build(rows: &[Row], ordinary: Vec<(String, Vec<String>)>, plan: Plan) -> EvalData {
        let fcs: Vec<FactCheck> = rows
            .iter()
            .map(|r| FactCheck {
                id: r.id.clone(),
                claim: r.claim.clone(),
                verdict: String::new(),
                explanation: String::new(),
                url: r.url.clone(),
                published_at: None,
                source: "eval".into(),
            })
            .collect();
        let kb = FactCheckBase::new(fcs);
        let narratives: Vec<&str> = rows.iter().map(|r| r.narrative.as_str()).collect();
        let lexicon = entity_lexicon(&narratives);
        // Which claims name each entity.
        let mut named_by: HashMap<String, Vec<u32>> = HashMap::new();
        for r in rows {
            let Some(e) = kb.index_of(&r.id) else {
                continue;
            };
            let mut seen = HashSet::new();
            for w in words_lower(&r.claim) {
                if lexicon.contains(&w) && seen.insert(w.clone()) {
                    named_by.entry(w).or_default().push(e);
                }
            }
        }
        // The narratives as a base of their own: two fact-checks whose narratives are
        // near-duplicates debunk the same hoax, whatever their titles say.
        let spread = FactCheckBase::new(
            rows.iter()
                .filter(|r| !r.narrative.trim().is_empty())
                .map(|r| FactCheck {
                    id: r.id.clone(),
                    claim: r.narrative.clone(),
                    verdict: String::new(),
                    explanation: String::new(),
                    url: None,
                    published_at: None,
                    source: "eval".into(),
                })
                .collect(),
        );
        let mut queries = Vec::new();
        let mut hard_other = Vec::new();
        let mut hard_claims = Vec::new();
        for r in rows {
            let Some(e) = kb.index_of(&r.id) else {
                continue;
            };
            if r.narrative.trim().is_empty() {
                continue;
            }
            let part = plan.part(r.month);
            queries.push(Post {
                text: r.narrative.clone(),
                part,
                gold: Some(e),
                exclude: Vec::new(),
            });
            let names_other = words_lower(&r.narrative).any(|w| {
                named_by
                    .get(&w)
                    .is_some_and(|es| es.iter().any(|x| *x != e))
            });
            let duplicate = kb
                .rank(&view(&r.claim), 1, Ranker::CharTfIdf, &[e])
                .first()
                .is_some_and(|m| m.similarity >= NEAR_DUPLICATE)
                || spread
                    .rank(
                        &view(&r.narrative),
                        1,
                        Ranker::CharTfIdf,
                        &spread.index_of(&r.id).into_iter().collect::<Vec<_>>(),
                    )
                    .first()
                    .is_some_and(|m| m.similarity >= NEAR_DUPLICATE);
            if names_other && !duplicate {
                let mut exclude = vec![e];
                exclude.extend(r.same_as.iter().filter_map(|id| kb.index_of(id)));
                hard_other.push(Post {
                    text: r.narrative.clone(),
                    part,
                    gold: None,
                    exclude: exclude.clone(),
                });
            }
            // The claim itself, against the other claims: a short post that names the people
            // of other fact-checks and says something else of them (the shape of a tweet about
            // a candidate, which the long narratives do not have).
            let claim_names_other = words_lower(&r.claim).any(|w| {
                named_by
                    .get(&w)
                    .is_some_and(|es| es.iter().any(|x| *x != e))
            });
            if claim_names_other && !duplicate {
                let mut exclude = vec![e];
                exclude.extend(r.same_as.iter().filter_map(|id| kb.index_of(id)));
                hard_claims.push(Post {
                    text: r.claim.clone(),
                    part,
                    gold: None,
                    exclude,
                });
            }
        }
        let mut negatives = vec![
            NegSet {
                name: "hard: other fact-checks' narratives".into(),
                hard: true,
                derived: false,
                posts: hard_other,
            },
            NegSet {
                name: "hard: other fact-checks' claims".into(),
                hard: true,
                derived: false,
                posts: hard_claims,
            },
        ];
        let mut naming = Vec::new();
        for (name, texts) in ordinary {
            let posts: Vec<Post> = texts
                .into_iter()
                .map(|t| Post {
                    part: fold(&t),
                    text: t,
                    gold: None,
                    exclude: Vec::new(),
                })
                .collect();
            naming.extend(
                posts
                    .iter()
                    .filter(|p| words_lower(&p.text).any(|w| named_by.contains_key(&w)))
                    .cloned(),
            );
            negatives.push(NegSet {
                name: format!("ordinary: {name}"),
                hard: false,
                derived: false,
                posts,
            });
        }
        if !naming.is_empty() {
            negatives.push(NegSet {
                name: "hard: ordinary posts naming a fact-check entity".into(),
                hard: true,
                derived: true,
                posts: naming,
            });
        }
        EvalData {
            kb,
            queries,
            negatives,
            plan,
            entities: named_by.len(),
        }
    }

    /// The training pairs of the learned matcher from the posts of `part`: every candidate of
    /// every narrative (positive when it is the narrative's fact-check), and every candidate of
    /// every negative (hard ones with their own fact-check left out).
    pub fn training_pairs(&self, part: Part) -> Vec<([f32; NFM], bool)> {
        let mut out = Vec::new();
        for q in self.queries.iter().filter(|q| q.part == part) {
            for c in self.kb.candidates(&view(&q.text), &[], DECISION_POOL) {
                out.push((c.features, Some(c.entry) == q.gold));
            }
        }
        for set in self.negatives.iter().filter(|s| !s.derived) {
            for p in set.posts.iter().filter(|p| p.part == part) {
                for c in self
                    .kb
                    .candidates(&view(&p.text), &p.exclude, DECISION_POOL)
                {
                    out.push((c.features, false));
                }
            }
        }
        out
    }
}

impl EvalData {
    /// Every candidate of every post (narratives and negatives, all parts) with its features, as
    /// TSV with a header: what `simak train matcher` learns from, for study outside Simak.
    /// `pool` candidates per post, in first-pass order.
    pub fn dump_candidates(
        &self,
        pool: usize,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let part = |p: Part| match p {
            Part::Train => "train",
            Part::Calibrate => "calibrate",
            Part::Report => "report",
        };
        let names: Vec<&str> = crate::matcher::FEATURES.to_vec();
        writeln!(
            out,
            "set\thard\tpart\tpost\tcounter\tshort\tentry\tgold\t{}\ttext\tclaim",
            names.join("\t")
        )?;
        let clean = |t: &str| -> String {
            t.chars()
                .take(300)
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect()
        };
        let mut one = |set: &str, hard: bool, i: usize, p: &Post| -> std::io::Result<()> {
            let v = view(&p.text);
            let counter = counter_and_vouching(&simak_text::analyzer::normalize(&p.text)).0;
            let short = v.words().len() < MIN_AUTO_WORDS;
            for c in self.kb.candidates(&v, &p.exclude, pool) {
                let f: Vec<String> = c.features.iter().map(|x| format!("{x:.5}")).collect();
                writeln!(
                    out,
                    "{set}\t{}\t{}\t{i}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    u8::from(hard),
                    part(p.part),
                    u8::from(counter),
                    u8::from(short),
                    c.entry,
                    u8::from(Some(c.entry) == p.gold),
                    f.join("\t"),
                    clean(&p.text),
                    self.kb
                        .get(c.entry)
                        .map_or(String::new(), |f| clean(&f.claim)),
                )?;
            }
            Ok(())
        };
        for (i, q) in self.queries.iter().enumerate() {
            one("query", false, i, q)?;
        }
        for set in &self.negatives {
            for (i, p) in set.posts.iter().enumerate() {
                one(&set.name, set.hard, i, p)?;
            }
        }
        Ok(())
    }
}

/// Target false-flag rates by which thresholds are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    /// `known_hoax` on ordinary posts.
    pub known_ordinary: f64,
    /// `known_hoax` on hard negatives.
    pub known_hard: f64,
    /// A suggested match on ordinary posts.
    pub suggest_ordinary: f64,
    /// A suggested match on hard negatives.
    pub suggest_hard: f64,
}

impl Default for Targets {
    /// Alerts: 0.1% of ordinary posts, 0.5% of hard negatives; suggestions for review: 0.25% and
    /// 1%, so that with cue-only suspicion a flag stays under 0.5% and 2%.
    fn default() -> Self {
        Targets {
            known_ordinary: 0.001,
            known_hard: 0.005,
            suggest_ordinary: 0.0025,
            suggest_hard: 0.01,
        }
    }
}

/// Chooses `known` and `suggest` for `ranker` on the calibration part: see [`calibrate_folds`].
pub fn calibrate(
    data: &EvalData,
    ranker: Ranker<'_>,
    targets: &Targets,
) -> (Thresholds, Vec<String>) {
    calibrate_folds(data, &[(Part::Calibrate, ranker)], targets)
}

/// Chooses `known` and `suggest` on the negatives of several parts, each scored by its own
/// ranker (cross-fitting: the posts of a part are scored by a matcher that was not fitted on
/// them), pooled per set: the lowest thresholds at which every negative set stays under its
/// target rate. The score of a negative is that of its best match to a debunked claim, 0 if it
/// reads as a correction (never flagged), and for `known` also 0 if it is too short to be
/// labelled automatically. Returns the thresholds and a line per set on what they give.
pub fn calibrate_folds(
    data: &EvalData,
    folds: &[(Part, Ranker<'_>)],
    targets: &Targets,
) -> (Thresholds, Vec<String>) {
    let mut known = 0f32;
    let mut suggest = 0f32;
    let mut per_set = Vec::new();
    for set in &data.negatives {
        let mut ks = Vec::new();
        let mut ss = Vec::new();
        for (part, ranker) in folds {
            for p in set.posts.iter().filter(|p| p.part == *part) {
                let (s, k, _) = gated_score(data, p, *ranker);
                ss.push(s);
                ks.push(k);
            }
        }
        let (tk, ts) = if set.hard {
            (targets.known_hard, targets.suggest_hard)
        } else {
            (targets.known_ordinary, targets.suggest_ordinary)
        };
        let k = threshold_at_rate(&ks, tk);
        let s = threshold_at_rate(&ss, ts);
        known = known.max(k);
        suggest = suggest.max(s);
        per_set.push((set.name.clone(), ks, ss, tk, ts));
    }
    let suggest = suggest.min(known);
    let lines = per_set
        .into_iter()
        .map(|(name, ks, ss, tk, ts)| {
            let rate = |v: &[f32], t: f32| {
                v.iter().filter(|s| **s >= t).count() as f64 / v.len().max(1) as f64
            };
            format!(
                "{name}: {} posts; alert {:.2}% (target {:.2}%), suggest {:.2}% (target {:.2}%)",
                ks.len(),
                100.0 * rate(&ks, known),
                100.0 * tk,
                100.0 * rate(&ss, suggest),
                100.0 * ts
            )
        })
        .collect();
    (
        Thresholds {
            known,
            suggest,
            suspect: crate::hoax::SUSPECT_AT,
        },
        lines,
    )
}

/// The best match score of a post to a debunked claim, as the thresholds see it: 0 for a post
/// that reads as a correction (never flagged); `known` also 0 when it is too short to be
/// labelled automatically. With the best match's entry.
fn gated_score(data: &EvalData, p: &Post, ranker: Ranker<'_>) -> (f32, f32, Option<u32>) {
    let v = view(&p.text);
    let lower = simak_text::analyzer::normalize(&p.text);
    if counter_and_vouching(&lower).0 {
        return (0.0, 0.0, None);
    }
    let best = data
        .kb
        .rank(&v, 3, ranker, &p.exclude)
        .into_iter()
        .find(|m| crate::factcheck::verdict_is_debunk(&m.verdict));
    let s = best.as_ref().map_or(0.0, |m| m.similarity);
    let k = if v.words().len() >= MIN_AUTO_WORDS {
        s
    } else {
        0.0
    };
    (s, k, best.and_then(|m| data.kb.index_of(&m.id)))
}

/// The operating curve of a ranker on a part: for each threshold, the share of narratives whose
/// right fact-check comes first at or above it, and the share of each negative set with a match
/// at or above it (matching alone: cues not counted).
pub fn curve(
    data: &EvalData,
    part: Part,
    ranker: Ranker<'_>,
    thresholds: &[f32],
) -> Vec<(f32, f64, Vec<f64>)> {
    let q: Vec<(f32, bool)> = data
        .queries
        .iter()
        .filter(|q| q.part == part)
        .map(|q| {
            let (s, _, e) = gated_score(data, q, ranker);
            (s, e.is_some() && e == q.gold)
        })
        .collect();
    let negs: Vec<Vec<f32>> = data
        .negatives
        .iter()
        .map(|set| {
            set.posts
                .iter()
                .filter(|p| p.part == part)
                .map(|p| gated_score(data, p, ranker).0)
                .collect()
        })
        .collect();
    thresholds
        .iter()
        .map(|&t| {
            let rec =
                q.iter().filter(|(s, ok)| *ok && *s >= t).count() as f64 / q.len().max(1) as f64;
            let ffr = negs
                .iter()
                .map(|v| v.iter().filter(|s| **s >= t).count() as f64 / v.len().max(1) as f64)
                .collect();
            (t, rec, ffr)
        })
        .collect()
}

/// Ranking quality (no thresholds).
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// Narratives scored.
    pub n: usize,
    /// Right fact-check first, in the top 5, in the top 20.
    pub at: [usize; 3],
    /// Sum of reciprocal ranks (within the top 20).
    pub rr: f64,
    /// Narratives with no candidate at all.
    pub none: usize,
    /// Right fact-check first and labelled `known_hoax`.
    pub known_at_1: usize,
    /// Right fact-check first and flagged (`known_hoax` or `suspected`).
    pub flagged_at_1: usize,
}

/// False flags on one negative set.
#[derive(Debug, Clone, Default)]
pub struct FalseFlags {
    /// The set.
    pub name: String,
    /// Posts scored.
    pub n: usize,
    /// Labelled `known_hoax`.
    pub known: usize,
    /// Flagged (`known_hoax` or `suspected`).
    pub flagged: usize,
    /// `suspected` by cues and spread alone (no match shown).
    pub cue_only: usize,
}

/// The result of one ranker on one part.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Ranking of the narratives.
    pub ranking: Ranking,
    /// False flags per negative set.
    pub negatives: Vec<FalseFlags>,
    /// Flagged negatives: (set, label, post, best match's claim, its score).
    pub false_flags: Vec<(String, &'static str, String, String, f32)>,
}

/// Scores the narratives and negatives of `part` with `ranker` and thresholds `th`, each post on
/// its own (no spread: the data is not a stream).
pub fn evaluate(data: &EvalData, part: Part, ranker: Ranker<'_>, th: &Thresholds) -> Report {
    let mut r = Report::default();
    let score = |p: &Post| {
        score_ranked(
            &data.kb,
            &Clusters::new(3600),
            &p.text,
            0,
            th,
            None,
            ranker,
            &p.exclude,
        )
    };
    for q in data.queries.iter().filter(|q| q.part == part) {
        let gold = q.gold.and_then(|g| data.kb.get(g)).map(|f| f.id.as_str());
        let list = data.kb.rank(&view(&q.text), 20, ranker, &[]);
        let g = &mut r.ranking;
        g.n += 1;
        if list.is_empty() {
            g.none += 1;
        }
        if let Some(pos) = list.iter().position(|m| Some(m.id.as_str()) == gold) {
            g.rr += 1.0 / (pos + 1) as f64;
            for (i, k) in [1, 5, 20].iter().enumerate() {
                if pos < *k {
                    g.at[i] += 1;
                }
            }
        }
        let v = score(q);
        let right = v.matches.first().map(|m| m.id.as_str()) == gold;
        if right && v.label == "known_hoax" {
            g.known_at_1 += 1;
        }
        if right && v.label != "none" {
            g.flagged_at_1 += 1;
        }
    }
    for set in &data.negatives {
        let mut f = FalseFlags {
            name: set.name.clone(),
            ..Default::default()
        };
        for p in set.posts.iter().filter(|p| p.part == part) {
            let v = score(p);
            f.n += 1;
            f.known += usize::from(v.label == "known_hoax");
            f.flagged += usize::from(v.label != "none");
            f.cue_only += usize::from(v.label == "suspected" && v.matches.is_empty());
            if v.label != "none" && !set.derived {
                let (c, s) = v
                    .matches
                    .first()
                    .map_or((String::new(), 0.0), |m| (m.claim.clone(), m.similarity));
                r.false_flags
                    .push((set.name.clone(), v.label, p.text.clone(), c, s));
            }
        }
        r.negatives.push(f);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_explanations_are_read() {
        assert_eq!(parse_month("2 Jan 2024"), Some(2024 * 12));
        assert_eq!(parse_month("15 Juni 2024"), Some(2024 * 12 + 5));
        assert_eq!(parse_month("2024-05-03T00:00:00Z"), Some(2024 * 12 + 4));
        assert_eq!(parse_month("kemarin"), None);
        assert_eq!(month_name(2024 * 12 + 4), "2024-05");
        assert_eq!(
            cut_explanation(
                "\u{201c}Pesan berantai soal air\u{201d} = = = PENJELASAN: tidak benar"
            ),
            "Pesan berantai soal air"
        );
        assert_eq!(cut_explanation("tanpa penjelasan"), "tanpa penjelasan");
        assert_eq!(
            cut_explanation("Pesan soal air = = = = = Faktanya tidak benar"),
            "Pesan soal air"
        );
        assert_eq!(cut_explanation("1 + 1 = 2"), "1 + 1 = 2");
        for note in [
            "(Narasi tidak ditampilkan)",
            "-Narasi tidak ditampilkan-",
            "(TIDAK DITAMPILKAN)",
            "(Tidak terdapat narasi)",
            "(Narasi pesan tidak dipublikasikan)",
            "Narasi tidak tersedia",
        ] {
            assert!(is_placeholder(note), "{note}");
        }
        for post in [
            "Narasi tidak benar, jangan percaya",
            "Tidak ada bansos",
            "Video Jokowi Mengancam Rakyat",
            "",
        ] {
            assert!(!is_placeholder(post), "{post}");
        }
        let rows = parse_rows(
            r#"{"id":"a","date":"2 Jan 2024","claim":"Akun WhatsApp Sekda","narrative":"(Narasi tidak ditampilkan)"}"#,
        )
        .unwrap();
        assert_eq!(rows[0].narrative, "");
    }

    #[test]
    fn posts_are_read_from_tsv_and_jsonl() {
        let tsv = "text\tlabel\nsatu dua\tpositive\ntiga\tnegative\n";
        assert_eq!(read_posts(tsv), vec!["satu dua", "tiga"]);
        let jsonl = "{\"text\": \"halo\"}\n\n{\"x\": 1}\n";
        assert_eq!(read_posts(jsonl), vec!["halo"]);
    }

    fn rows() -> Vec<Row> {
        // Fictional: the regency and its people are the shipped test set's.
        let mk = |id: &str, m: u32, claim: &str, narrative: &str| Row {
            id: id.into(),
            month: 2026 * 12 + m,
            claim: claim.into(),
            narrative: narrative.into(),
            url: None,
            same_as: Vec::new(),
        };
        vec![
            mk("a", 0, "Bupati Wiratama Ditangkap KPK karena Korupsi Dana Desa",
                "Kabar dari grup: Bupati Wiratama akhirnya ditangkap KPK gara-gara korupsi dana desa, sebarkan"),
            mk("b", 0, "Bupati Wiratama Bagikan Sepeda Motor untuk Warga yang Mendaftar Lewat Tautan",
                "Pendaftaran sepeda motor gratis dari Bupati Wiratama sudah dibuka, isi data di tautan ini"),
            mk("c", 1, "Air PDAM Sukamaju Tercemar Limbah Beracun",
                "Warga diminta tidak minum air PDAM Sukamaju karena tercemar limbah beracun pabrik"),
            mk("d", 2, "Jembatan Cibeureum Ambruk Diterjang Banjir",
                "Video jembatan Cibeureum ambruk diterjang banjir tadi pagi, warga diminta menjauh"),
            mk("e", 2, "Bupati Wiratama Meninggal Dunia",
                "Innalillahi, Bupati Wiratama dikabarkan meninggal dunia pagi ini di rumah sakit"),
        ]
    }

    #[test]
    fn the_split_is_in_time_and_hard_negatives_come_from_the_data() {
        let rows = rows();
        let plan = Plan::auto(&rows).unwrap();
        assert_eq!(plan.part(2026 * 12), Part::Train);
        assert_eq!(plan.part(2026 * 12 + 1), Part::Calibrate);
        assert_eq!(plan.part(2026 * 12 + 2), Part::Report);
        let ordinary = vec![(
            "posts".to_string(),
            vec![
                "Bupati Wiratama meresmikan pasar baru di kecamatan".to_string(),
                "Harga cabai di pasar naik lagi minggu ini".to_string(),
            ],
        )];
        let data = EvalData::build(&rows, ordinary, plan);
        assert_eq!(data.queries.len(), 5);
        assert!(data.entities >= 1, "Wiratama is written as a name");
        let other = &data.negatives[0];
        // Narratives naming Wiratama, whose own claim is left out; not the bridge.
        assert!(other.posts.iter().all(|p| !p.exclude.is_empty()));
        assert!(other.posts.iter().any(|p| p.text.contains("meninggal")));
        assert!(!other.posts.iter().any(|p| p.text.contains("jembatan")));
        let naming = data.negatives.last().unwrap();
        assert!(naming.derived && naming.hard);
        assert_eq!(naming.posts.len(), 1, "{naming:?}");
        assert!(Plan::auto(&rows[..2]).is_err());
    }

    #[test]
    fn a_fact_check_of_the_same_hoax_is_left_out_with_the_own_one() {
        let mut rows = rows();
        assert_eq!(
            add_same_hoax(&mut rows, "# judged\na\te  # both about the regent\n"),
            Ok(1)
        );
        assert_eq!(rows[0].same_as, ["e"]);
        assert_eq!(rows[4].same_as, ["a"]);
        assert!(add_same_hoax(&mut rows, "a\n").is_err());
        assert!(add_same_hoax(&mut rows, "a zz\n").is_err());
        let data = EvalData::build(&rows, Vec::new(), Plan::auto(&rows).unwrap());
        let e = |id: &str| data.kb.index_of(id).unwrap();
        let other = &data.negatives[0];
        let died = other
            .posts
            .iter()
            .find(|p| p.text.contains("meninggal"))
            .unwrap();
        assert_eq!(died.exclude, [e("e"), e("a")]);
        let jsonl = r#"{"id": "x", "date": "2026-01-02", "claim": "k", "same_as": ["y"]}"#;
        assert_eq!(parse_rows(jsonl).unwrap()[0].same_as, ["y"]);
    }

    #[test]
    fn evaluation_counts_rankings_and_false_flags() {
        let rows = rows();
        let plan = Plan::auto(&rows).unwrap();
        let data = EvalData::build(&rows, Vec::new(), plan);
        let th = Thresholds {
            known: 0.0,
            suggest: 0.0,
            suspect: 0.35,
        };
        let r = evaluate(&data, Part::Report, Ranker::CharTfIdf, &th);
        assert_eq!(r.ranking.n, 2);
        assert_eq!(r.ranking.at[0], 2, "{r:?}");
        assert!(r.ranking.rr >= 2.0 - 1e-9);
        // With thresholds at 0 every hard negative that has any candidate is flagged.
        let other = &r.negatives[0];
        assert!(other.n >= 1 && other.flagged == other.n, "{r:?}");
        let (chosen, lines) = calibrate(&data, Ranker::CharTfIdf, &Targets::default());
        assert!(chosen.suggest <= chosen.known);
        assert_eq!(lines.len(), data.negatives.len());
    }
}
