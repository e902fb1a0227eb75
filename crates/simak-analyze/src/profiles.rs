//! Watch profiles, and matching every mention against all of them as it streams (percolation).
//!
//! A profile describes one agency or OPD: its names and aliases, acronyms, official accounts, key
//! people, and boolean queries to include or exclude mentions. A mention matches a profile when
//! one of the names, acronyms, people or accounts occurs in it (or it was written by one of the
//! accounts), or one of the `include` queries matches; and none of the `exclude` queries matches.
//!
//! Names are matched as phrases over the shared analyzer's tokens (so `Pemkab Sukamaju` matches
//! `PEMKAB SUKAMAJU` and `pemkab sukamaju`); queries use the search syntax — words (analyzed:
//! slang, stems), `"exact phrases"`, `AND`/`OR`/`NOT`/`-`, parentheses, and the fields
//! `source:`, `lang:`, `author:`. Each mention is analyzed once, whatever the number of profiles.
//!
//! Profiles live in `config/profiles/*.toml`, one file per profile.

use serde::Deserialize;
use simak_core::Mention;
use simak_text::{analyze, analyzed, Options, TokenKind};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use tantivy::query_grammar::{parse_query, Delimiter, Occur, UserInputAst, UserInputLeaf};

/// One profile file.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WatchProfile {
    /// Stable id (letters, digits, `-`, `_`): what mentions carry in `profiles`.
    pub id: String,
    /// The agency's full name.
    pub name: String,
    /// Other names people use.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Acronyms (`DPUPR`, `Disdukcapil`).
    #[serde(default)]
    pub acronyms: Vec<String>,
    /// Official accounts, with or without `@`.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Key people (the head of the agency, spokespeople).
    #[serde(default)]
    pub people: Vec<String>,
    /// Queries that also make a mention match.
    #[serde(default)]
    pub include: Vec<String>,
    /// Queries that make a mention not match, whatever else matched.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Who gets this profile's alert e-mails.
    #[serde(default)]
    pub alert_recipients: Vec<String>,
    /// This profile's alert thresholds, where they differ from `[alerts]` in the configuration.
    #[serde(default)]
    pub alerts: AlertOverrides,
    /// The complaints this OPD owns and its response target (`[complaints]`).
    #[serde(default)]
    pub complaints: simak_core::config::ComplaintRouting,
}

/// Per-profile alert thresholds; each one left out takes the configuration's value.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertOverrides {
    /// Suspected hoaxes are alerted from this score on.
    pub suspected_min_score: Option<f32>,
    /// Volume spike: k in mean + k·σ.
    pub spike_k: Option<f32>,
    /// Volume spike: minimum mentions in the hour.
    pub spike_min_count: Option<u32>,
    /// Negative surge: k in mean + k·σ.
    pub negative_k: Option<f32>,
    /// Negative surge: minimum negative mentions in the hour.
    pub negative_min_count: Option<u32>,
    /// Update a hoax alert when its spread grows by this factor.
    pub growth_factor: Option<f32>,
}

impl AlertOverrides {
    /// `base` with this profile's overrides applied.
    pub fn apply(
        &self,
        base: &simak_core::config::AlertsConfig,
    ) -> simak_core::config::AlertsConfig {
        simak_core::config::AlertsConfig {
            suspected_min_score: self.suspected_min_score.unwrap_or(base.suspected_min_score),
            spike_k: self.spike_k.unwrap_or(base.spike_k),
            spike_min_count: self.spike_min_count.unwrap_or(base.spike_min_count),
            negative_k: self.negative_k.unwrap_or(base.negative_k),
            negative_min_count: self.negative_min_count.unwrap_or(base.negative_min_count),
            growth_factor: self.growth_factor.unwrap_or(base.growth_factor),
            ..base.clone()
        }
    }
}

/// A profile problem, naming the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("watch profile {path}: {message}")]
pub struct ProfileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// A compiled boolean query.
#[derive(Debug, Clone)]
enum Expr {
    /// Analyzed terms that must all occur in order (one term for a word).
    Terms {
        search: Vec<String>,
        exact: bool,
    },
    Field {
        field: String,
        value: String,
    },
    All,
    Bool {
        must: Vec<Expr>,
        should: Vec<Expr>,
        not: Vec<Expr>,
    },
}

fn compile(ast: &UserInputAst) -> Result<Expr, String> {
    match ast {
        UserInputAst::Boost(inner, _) => compile(inner),
        UserInputAst::Clause(clauses) => {
            let (mut must, mut should, mut not) = (Vec::new(), Vec::new(), Vec::new());
            for (occur, sub) in clauses {
                let e = compile(sub)?;
                match occur {
                    Some(Occur::Should) => should.push(e),
                    Some(Occur::MustNot) => not.push(e),
                    Some(Occur::Must) | None => must.push(e),
                }
            }
            if must.is_empty() && should.is_empty() {
                return Err("a query that only excludes (NOT/-) matches nothing".into());
            }
            Ok(Expr::Bool { must, should, not })
        }
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::All => Ok(Expr::All),
            UserInputLeaf::Literal(lit) => match lit.field_name.as_deref() {
                Some(f @ ("source" | "lang" | "author")) => Ok(Expr::Field {
                    field: f.to_string(),
                    value: lit.phrase.trim_start_matches('@').to_lowercase(),
                }),
                Some(f) if f != "text" && f != "title" => Err(format!(
                    "unknown field `{f}`; profile queries know text, title, source, lang, author"
                )),
                _ => {
                    let exact = lit.delimiter == Delimiter::DoubleQuotes;
                    let opts = if exact {
                        Options::EXACT
                    } else {
                        Options::SEARCH
                    };
                    let search: Vec<String> = analyze(&lit.phrase, opts)
                        .into_iter()
                        .map(|t| t.text)
                        .collect();
                    if search.is_empty() {
                        // Only stop words: matches anything, like the search index does.
                        return Ok(Expr::All);
                    }
                    Ok(Expr::Terms { search, exact })
                }
            },
            other => Err(format!("unsupported query part in a profile: {other:?}")),
        },
    }
}

fn compile_query(q: &str) -> Result<Expr, String> {
    let ast = parse_query(q).map_err(|_| format!("query {q:?} is not valid search syntax"))?;
    compile(&ast).map_err(|e| format!("query {q:?}: {e}"))
}

/// Term → positions of one mention (built per mention and only looked up: a fast hash).
type Positions = rustc_hash::FxHashMap<String, Vec<usize>>;

/// Adds `pos` to the positions of `term`.
fn add_position(map: &mut Positions, term: &str, pos: usize) {
    match map.get_mut(term) {
        Some(v) => v.push(pos),
        None => {
            map.insert(term.to_string(), vec![pos]);
        }
    }
}

/// The analyzed forms of one mention, built once and matched against every profile.
pub struct MentionTokens<'a> {
    mention: &'a Mention,
    /// token → positions, full analysis (slang, stems).
    search: Positions,
    /// token → positions, exact (lowercase only).
    exact: Positions,
    handles: rustc_hash::FxHashSet<String>,
}

impl<'a> MentionTokens<'a> {
    /// Analyzes the mention's title and text.
    pub fn new(mention: &'a Mention) -> MentionTokens<'a> {
        let mut search = Positions::default();
        let mut exact = Positions::default();
        let mut handles = rustc_hash::FxHashSet::default();
        // Title and text are one stream with a gap, so a phrase never spans them.
        let mut base = 0;
        for part in [
            mention.title.as_deref().unwrap_or(""),
            mention.text.as_str(),
        ] {
            let mut last = 0;
            // Shared with the other enrichers and the indexer (one scan of the text).
            for t in analyzed(part, Options::SEARCH).iter() {
                if t.kind == TokenKind::Mention {
                    handles.insert(t.text.trim_start_matches('@').to_string());
                }
                last = last.max(t.position);
                add_position(&mut search, &t.text, base + t.position);
            }
            for t in analyzed(part, Options::EXACT).iter() {
                last = last.max(t.position);
                add_position(&mut exact, &t.text, base + t.position);
            }
            base += last + 10;
        }
        if let Some(h) = &mention.author.handle {
            handles.insert(h.trim_start_matches('@').to_lowercase());
        }
        MentionTokens {
            mention,
            search,
            exact,
            handles,
        }
    }

    fn phrase(&self, terms: &[String], exact: bool) -> bool {
        let map = if exact { &self.exact } else { &self.search };
        let Some(first) = map.get(&terms[0]) else {
            return false;
        };
        if terms.len() == 1 {
            return true;
        }
        let rest: Option<Vec<&Vec<usize>>> = terms[1..].iter().map(|t| map.get(t)).collect();
        let Some(rest) = rest else { return false };
        // Analyzed phrases may skip stop-word positions: allow a gap of one per step.
        first.iter().any(|&p| {
            let mut at = p;
            rest.iter().all(
                |positions| match positions.iter().find(|&&q| q > at && q <= at + 2) {
                    Some(&q) => {
                        at = q;
                        true
                    }
                    None => false,
                },
            )
        })
    }

    fn eval(&self, e: &Expr) -> bool {
        match e {
            Expr::All => true,
            Expr::Terms { search, exact } => self.phrase(search, *exact),
            Expr::Field { field, value } => match field.as_str() {
                "source" => self.mention.source.eq_ignore_ascii_case(value),
                "lang" => self
                    .mention
                    .lang
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(value)),
                _ => self.handles.contains(value),
            },
            Expr::Bool { must, should, not } => {
                must.iter().all(|m| self.eval(m))
                    && !not.iter().any(|n| self.eval(n))
                    && (!must.is_empty() || should.iter().any(|s| self.eval(s)))
            }
        }
    }
}

/// A profile ready for matching.
#[derive(Debug, Clone)]
pub struct CompiledProfile {
    /// The profile as written.
    pub profile: WatchProfile,
    names: Vec<Vec<String>>,
    handles: Vec<String>,
    include: Vec<Expr>,
    exclude: Vec<Expr>,
}

impl CompiledProfile {
    /// Compiles a profile; errors say which field is wrong.
    pub fn compile(profile: WatchProfile) -> Result<CompiledProfile, String> {
        if profile.id.is_empty()
            || !profile
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "id {:?} must be letters, digits, '-' or '_'",
                profile.id
            ));
        }
        let mut names = Vec::new();
        for n in std::iter::once(&profile.name)
            .chain(&profile.aliases)
            .chain(&profile.acronyms)
            .chain(&profile.people)
        {
            let terms: Vec<String> = analyze(n, Options::SEARCH)
                .into_iter()
                .map(|t| t.text)
                .collect();
            if !terms.is_empty() {
                names.push(terms);
            }
        }
        let handles = profile
            .accounts
            .iter()
            .map(|a| a.trim().trim_start_matches('@').to_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        let include = profile
            .include
            .iter()
            .map(|q| compile_query(q))
            .collect::<Result<_, _>>()?;
        let exclude = profile
            .exclude
            .iter()
            .map(|q| compile_query(q))
            .collect::<Result<_, _>>()?;
        Ok(CompiledProfile {
            profile,
            names,
            handles,
            include,
            exclude,
        })
    }

    /// Whether the mention matches.
    pub fn matches(&self, t: &MentionTokens) -> bool {
        let hit = self.names.iter().any(|n| t.phrase(n, false))
            || self.handles.iter().any(|h| t.handles.contains(h))
            || self.include.iter().any(|q| t.eval(q));
        hit && !self.exclude.iter().any(|q| t.eval(q))
    }
}

/// All profiles.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    profiles: Vec<CompiledProfile>,
}

impl Profiles {
    /// Compiles `profiles`.
    pub fn new(profiles: Vec<WatchProfile>) -> Result<Profiles, String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for p in profiles {
            if !seen.insert(p.id.clone()) {
                return Err(format!("profile id {:?} is used twice", p.id));
            }
            out.push(CompiledProfile::compile(p)?);
        }
        Ok(Profiles { profiles: out })
    }

    /// Loads every `*.toml` in `dir` (none if it does not exist).
    pub fn load_dir(dir: &Path) -> Result<Profiles, ProfileError> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Profiles::default()),
            Err(e) => {
                return Err(ProfileError {
                    path: dir.to_path_buf(),
                    message: e.to_string(),
                })
            }
        };
        files.sort();
        let mut profiles = Vec::new();
        let mut seen = HashSet::new();
        for path in files {
            let err = |message: String| ProfileError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
            let p: WatchProfile = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
            if !seen.insert(p.id.clone()) {
                return Err(err(format!(
                    "profile id {:?} is used by another file too",
                    p.id
                )));
            }
            profiles.push(CompiledProfile::compile(p).map_err(err)?);
        }
        Ok(Profiles { profiles })
    }

    /// The ids of the profiles `m` matches, in profile order.
    pub fn match_mention(&self, m: &Mention) -> Vec<String> {
        if self.profiles.is_empty() {
            return Vec::new();
        }
        let t = MentionTokens::new(m);
        self.profiles
            .iter()
            .filter(|p| p.matches(&t))
            .map(|p| p.profile.id.clone())
            .collect()
    }

    /// The profiles.
    pub fn iter(&self) -> impl Iterator<Item = &WatchProfile> {
        self.profiles.iter().map(|p| &p.profile)
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Mention {
        serde_json::from_value(serde_json::json!({
            "id": "x:1", "source": "x", "text": text, "lang": "id",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
        }))
        .unwrap()
    }

    fn sukamaju() -> WatchProfile {
        toml::from_str(
            r#"
            id = "pemkab-sukamaju"
            name = "Pemerintah Kabupaten Sukamaju"
            aliases = ["Pemkab Sukamaju"]
            acronyms = ["DPUPR Sukamaju"]
            accounts = ["@humas_sukamaju"]
            people = ["Bupati Ahmad Fauzi"]
            include = ['sukamaju AND (banjir OR "jalan rusak")']
            exclude = ['"sukamaju fc"', 'source:spam']
            "#,
        )
        .unwrap()
    }

    #[test]
    fn names_accounts_queries_and_excludes() {
        let p = Profiles::new(vec![sukamaju()]).unwrap();
        let hit = |t: &str| !p.match_mention(&m(t)).is_empty();
        assert!(hit("PEMKAB SUKAMAJU lambat tangani sampah"));
        assert!(hit("pemerintah kabupaten sukamaju memberi bantuan"));
        assert!(hit("Kata Bupati Ahmad Fauzi kemarin"));
        assert!(hit("cc @Humas_Sukamaju tolong dicek"));
        assert!(hit("Banjir lagi di Sukamaju"));
        assert!(hit("ada jalan rusak di sukamaju"));
        assert!(
            !hit("jalan di sukamaju rusak"),
            "exact phrase in the include query"
        );
        assert!(
            !hit("Sukamaju indah sekali"),
            "the place name alone is not the agency"
        );
        assert!(!hit("Pemkab Sukamaju vs Sukamaju FC"), "excluded");
        let mut by_account = m("tolong diperbaiki");
        by_account.author.handle = Some("humas_sukamaju".into());
        assert_eq!(p.match_mention(&by_account), ["pemkab-sukamaju"]);
        let mut spam = m("Pemkab Sukamaju");
        spam.source = "spam".into();
        assert!(p.match_mention(&spam).is_empty());
    }

    #[test]
    fn bad_profiles_say_what_is_wrong() {
        let mut p = sukamaju();
        p.include = vec!["-banjir".into()];
        assert!(Profiles::new(vec![p])
            .unwrap_err()
            .contains("only excludes"));
        let mut p = sukamaju();
        p.include = vec!["nofield:x".into()];
        assert!(Profiles::new(vec![p])
            .unwrap_err()
            .contains("unknown field `nofield`"));
        let mut p = sukamaju();
        p.id = "a b".into();
        assert!(Profiles::new(vec![p]).unwrap_err().contains("id"));
        assert!(Profiles::new(vec![sukamaju(), sukamaju()])
            .unwrap_err()
            .contains("twice"));
    }
}
