//! Searching the mention index: query syntax, filters, facets, highlights.
//!
//! Query syntax (tantivy's): words are ANDed by default; `OR`, `AND`, `NOT`, `-word`, `+word`,
//! parentheses; `"exact phrase"`; `"words near"~3` (proximity: at most 3 positions apart);
//! fields `title:`, `text:`, `source:`, `lang:`, `author:`, `id:`; `*` matches everything.

use crate::indexer::open_or_create;
use crate::order::{Cursor, NewestFirst, MAX_INDEX_SECS};
use crate::schema::{facet_path, Fields};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simak_core::Mention;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, EnableScoring, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, TantivyDocument, Term};

/// Fields a query may name.
pub const QUERY_FIELDS: &[&str] = &[
    "text",
    "title",
    "text_exact",
    "title_exact",
    "source",
    "lang",
    "author",
    "sentiment",
    "profiles",
    "hoax",
    "cluster",
    "id",
];

/// The deepest hit a page may reach: `offset + limit` is at most this (tantivy keeps
/// `offset + limit` hits in memory). Deeper pages go through a [`SearchRequest::cursor`].
pub const MAX_WINDOW: usize = 10_000;
/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4_096;
/// The deepest nesting of parentheses and prefix operators accepted in a query. The query
/// parser recurses once per level; this keeps it far from the end of a thread's stack.
pub const MAX_QUERY_DEPTH: usize = 32;
/// The most buckets a timeline has. Without `since`, it covers the last this many buckets
/// before `until` (or now); a wider `since`..`until` at the hour is refused.
pub const MAX_TIMELINE_BUCKETS: i64 = 1_000;

/// The most threads one search runs on (one per core up to this).
const SEARCH_THREADS: usize = 4;

/// Facet kinds counted for every search.
pub const FACETS: [&str; 5] = ["source", "lang", "sentiment", "profile", "hoax"];

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Newest published first.
    #[default]
    Newest,
    /// Best BM25 score first.
    Relevance,
    /// Largest reach (followers, views, engagement) first.
    Reach,
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "newest" => Ok(Sort::Newest),
            "relevance" => Ok(Sort::Relevance),
            "reach" => Ok(Sort::Reach),
            other => Err(format!(
                "sort {other:?} is not one of: newest, relevance, reach"
            )),
        }
    }
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query; empty or `*` for everything.
    pub q: String,
    /// Published at or after.
    pub since: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Only this source.
    pub source: Option<String>,
    /// Only this language.
    pub lang: Option<String>,
    /// Only this sentiment label.
    pub sentiment: Option<String>,
    /// Only mentions that matched this watch profile.
    pub profile: Option<String>,
    /// Only this hoax label (`known_hoax`, `suspected`, `none`).
    pub hoax: Option<String>,
    /// Only this near-duplicate cluster (16 hex digits).
    pub cluster: Option<String>,
    /// Also count matches per time bucket and sentiment.
    pub timeline: Option<Interval>,
    /// Only mentions that matched one of these profiles (the caller's scope); None: all.
    pub within_profiles: Option<Vec<String>>,
    /// Page size.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Continue after the page that returned this [`SearchResponse::next_cursor`] (newest
    /// first only; `offset` must then be 0).
    pub cursor: Option<String>,
    /// Order.
    pub sort: Sort,
}

/// A time as an index date; times beyond what the index can hold are its first or last
/// second (no stored mention lies beyond them), instead of overflowing.
fn index_date(secs: i64) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(secs.clamp(-MAX_INDEX_SECS, MAX_INDEX_SECS))
}

/// Checks the length and nesting of a query before any parser sees it.
pub fn check_query_shape(q: &str) -> Result<(), SearchError> {
    let n = q.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(SearchError::BadQuery(format!(
            "the query is {n} characters long; at most {MAX_QUERY_CHARS} are accepted"
        )));
    }
    // A parenthesis opens a level; so does each `NOT`, `-` or `+` in a run of them before a
    // term (`NOT NOT a` nests twice). Quoted text is a phrase, not structure.
    let (mut depth, mut max, mut prefix, mut quoted) = (0usize, 0usize, 0usize, false);
    let mut word = String::new();
    fn end_word(word: &mut String, depth: usize, prefix: &mut usize, max: &mut usize) {
        if word.is_empty() {
            return;
        }
        let ops = word.chars().take_while(|c| matches!(c, '-' | '+')).count();
        *prefix += if word == "NOT" { 1 } else { ops };
        *max = (*max).max(depth + *prefix);
        if word != "NOT" && ops < word.len() {
            *prefix = 0;
        }
        word.clear();
    }
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            _ if quoted => word.push(c),
            '(' => {
                end_word(&mut word, depth, &mut prefix, &mut max);
                depth += 1;
                max = max.max(depth + prefix);
            }
            ')' => {
                end_word(&mut word, depth, &mut prefix, &mut max);
                depth = depth.saturating_sub(1);
                prefix = 0;
            }
            c if c.is_whitespace() => end_word(&mut word, depth, &mut prefix, &mut max),
            c => word.push(c),
        }
    }
    end_word(&mut word, depth, &mut prefix, &mut max);
    if max > MAX_QUERY_DEPTH {
        return Err(SearchError::BadQuery(format!(
            "the query nests {max} levels deep (parentheses and NOT/-/+); at most \
             {MAX_QUERY_DEPTH} are accepted"
        )));
    }
    Ok(())
}

/// The bucket width of a timeline. Buckets start at WIB (UTC+7) hours and midnights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// One hour.
    Hour,
    /// One WIB day.
    Day,
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hour" => Ok(Interval::Hour),
            "day" => Ok(Interval::Day),
            other => Err(format!("timeline {other:?} is not one of: hour, day")),
        }
    }
}

/// Matches in one time bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Matching mentions.
    pub total: u64,
    /// Of which negative.
    pub negative: u64,
    /// Of which neutral.
    pub neutral: u64,
    /// Of which positive.
    pub positive: u64,
}

/// One hit: the mention with its score and highlighted snippet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    /// BM25 score (with `sort=relevance`; null when sorted by date).
    pub score: Option<f32>,
    /// Snippet of the text with matches in `<b>`; HTML-escaped.
    pub highlight: String,
    /// The mention.
    #[serde(flatten)]
    pub mention: Mention,
}

/// Search results.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    /// Number of matching mentions.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// Counts per value over all matches: `source`, `lang`, `sentiment`, `profile`, `hoax`.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// Matches per time bucket, oldest first, empty buckets included (when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<Bucket>>,
    /// With `sort=newest`, when more hits follow this page: pass it as `cursor` for the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Errors of a search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is malformed; the message says how. A client error (HTTP 400, exit status 2).
    #[error("{0}")]
    BadQuery(String),
    /// The index failed.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A stored mention does not parse (the index is damaged or from another version).
    #[error("stored mention does not parse: {0}")]
    Stored(String),
}

/// A reader of the mention index that follows the indexer's commits.
pub struct MentionSearcher {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    parser: QueryParser,
    synonyms: crate::query::SynonymsFile,
}

impl MentionSearcher {
    /// Opens the index at `path` (creating an empty one if there is none yet), with no synonyms.
    pub fn open(path: &Path) -> Result<MentionSearcher, crate::IndexError> {
        Self::open_with_synonyms(path, None)
    }

    /// Opens the index at `path` with query-time synonyms from `synonyms` (re-read when the file
    /// changes; a missing file means none).
    pub fn open_with_synonyms(
        path: &Path,
        synonyms: Option<&Path>,
    ) -> Result<MentionSearcher, crate::IndexError> {
        let (mut index, fields) = open_or_create(path)?;
        // A search runs over the index's segments on several threads, so a query with many
        // hits (its facets are counted over all of them) answers sooner. The order of hits
        // and every count are the same as on one thread.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(SEARCH_THREADS);
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.text]);
        parser.set_conjunction_by_default();
        Ok(MentionSearcher {
            index,
            reader,
            fields,
            parser,
            synonyms: crate::query::SynonymsFile::new(synonyms),
        })
    }

    /// Makes the latest commit visible now (instead of within a moment).
    pub fn reload(&self) -> Result<(), tantivy::TantivyError> {
        self.reader.reload()
    }

    /// Number of indexed mentions.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Every indexed mention id, once per document (for checks and exports).
    pub fn all_ids(&self) -> Result<Vec<String>, tantivy::TantivyError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for seg in searcher.segment_readers() {
            let store = seg.get_store_reader(64)?;
            let alive = seg.alive_bitset();
            for doc_id in 0..seg.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc_id)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id)?;
                if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    out.push(id.to_string());
                }
            }
        }
        Ok(out)
    }

    fn parse(&self, q: &str) -> Result<Box<dyn Query>, SearchError> {
        let q = q.trim();
        if q.is_empty() || q == "*" {
            return Ok(Box::new(AllQuery));
        }
        check_query_shape(q)?;
        use tantivy::query::QueryParserError as E;
        let q = crate::query::rewrite(q, &self.synonyms.get());
        let parsed = if q.contains('^') {
            // A boosted group hides its clauses from `guard_exclusions` (tantivy's BoostQuery
            // does not hand out its inner query), so a boosted group that excludes something
            // loses its boost; see `crate::exclude::unboost_exclusions`.
            tantivy::query_grammar::parse_query(&q)
                .map_err(|_| E::SyntaxError(q.to_string()))
                .and_then(|ast| {
                    self.parser
                        .build_query_from_user_input_ast(crate::exclude::unboost_exclusions(ast))
                })
        } else {
            self.parser.parse_query(&q)
        }
        .map_err(|e| {
            SearchError::BadQuery(match e {
                E::FieldDoesNotExist(f) => format!(
                    "unknown field `{f}` in query; fields are: {}",
                    QUERY_FIELDS.join(", ")
                ),
                E::SyntaxError(s) => format!(
                    "query syntax error near {s:?}: check quotes and parentheses are closed, and \
                     that AND/OR/NOT stand between terms"
                ),
                E::AllButQueryForbidden => {
                    "the query only excludes terms (NOT/-): add at least one term to look for"
                        .to_string()
                }
                E::FieldNotIndexed(f) => format!("field `{f}` cannot be searched"),
                other => format!("invalid query: {other}"),
            })
        })?;
        Ok(crate::exclude::guard_exclusions(parsed))
    }

    /// The query of `req`, checked against the index: whatever the parser accepted but the
    /// index cannot answer (`profiles:*` on a field without fast values, ...) is the
    /// caller's query error too, found here rather than halfway through a search.
    fn build_query(
        &self,
        req: &SearchRequest,
        searcher: &tantivy::Searcher,
    ) -> Result<Box<dyn Query>, SearchError> {
        let query = self.compose(req)?;
        query
            .weight(EnableScoring::disabled_from_searcher(searcher))
            .map_err(|e| {
                SearchError::BadQuery(match e {
                    tantivy::TantivyError::SchemaError(m) => format!(
                        "the index cannot answer this query ({m}); note that `field:*` works \
                         only on source, lang, sentiment, hoax and id"
                    ),
                    e => format!("the index cannot answer this query: {e}"),
                })
            })?;
        Ok(query)
    }

    fn compose(&self, req: &SearchRequest) -> Result<Box<dyn Query>, SearchError> {
        let base = self.parse(&req.q)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, base)];
        if let Some(s) = &req.source {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.source, s),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for (field, value) in [
            (self.fields.lang, &req.lang),
            (self.fields.sentiment, &req.sentiment),
            (self.fields.profiles, &req.profile),
            (self.fields.hoax, &req.hoax),
            (self.fields.cluster, &req.cluster),
        ] {
            if let Some(v) = value {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        if let Some(scope) = &req.within_profiles {
            let any: Vec<(Occur, Box<dyn Query>)> = scope
                .iter()
                .map(|p| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.profiles, p),
                            IndexRecordOption::Basic,
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            if any.is_empty() {
                clauses.push((Occur::Must, Box::new(tantivy::query::EmptyQuery)));
            } else {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
            }
        }
        if let (Some(s), Some(u)) = (req.since, req.until) {
            if s >= u {
                return Err(SearchError::BadQuery(format!(
                    "since ({}) must be before until ({})",
                    s.to_rfc3339(),
                    u.to_rfc3339()
                )));
            }
        }
        if req.since.is_some() || req.until.is_some() {
            clauses.push((Occur::Must, Box::new(self.period(req.since, req.until))));
        }
        Ok(if clauses.len() == 1 {
            clauses.pop().unwrap().1
        } else {
            Box::new(BooleanQuery::new(clauses))
        })
    }

    /// The mentions published in `since..until` (either end open when `None`). The index
    /// keeps whole seconds, so each end takes the whole second it falls in: `until` inside a
    /// second keeps that second (a post of this very second is not lost to a period ending
    /// now), and periods that meet inside a second may share its posts, never lose them.
    fn period(&self, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> RangeQuery {
        let term = |secs: i64| Term::from_field_date(self.fields.published_at, index_date(secs));
        let lo = since.map_or(Bound::Unbounded, |t| Bound::Included(term(t.timestamp())));
        let hi = until.map_or(Bound::Unbounded, |t| {
            Bound::Excluded(term(
                t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0),
            ))
        });
        RangeQuery::new(lo, hi)
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let limit = req.limit.max(1);
        if req.offset.saturating_add(limit) > MAX_WINDOW {
            return Err(SearchError::BadQuery(format!(
                "offset + limit is {}; at most {MAX_WINDOW}: page further with the cursor of \
                 the previous page (sort=newest), or export the whole result set",
                req.offset.saturating_add(limit)
            )));
        }
        let cursor = match req.cursor.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => {
                if req.sort != Sort::Newest {
                    return Err(SearchError::BadQuery(
                        "cursor works only with sort=newest".into(),
                    ));
                }
                if req.offset != 0 {
                    return Err(SearchError::BadQuery(
                        "give either cursor or offset, not both".into(),
                    ));
                }
                Some(Cursor::parse(c)?)
            }
        };
        if let Some(iv) = req.timeline {
            timeline_bounds(iv, req.since, req.until, Utc::now())?;
        }
        let searcher = self.reader.searcher();
        let query = self.build_query(req, &searcher)?;
        let mut facets = FacetCollector::for_field("facets");
        for kind in FACETS {
            facets.add_facet(format!("/{kind}").as_str());
        }
        let top = TopDocs::with_limit(limit).and_offset(req.offset);
        // Sorted by a field, hits have no score.
        fn unscored<T>(docs: Vec<(T, DocAddress)>) -> Vec<(Option<f32>, DocAddress)> {
            docs.into_iter().map(|(_, a)| (None, a)).collect()
        }
        let mut next_cursor = None;
        let (page, total, facet_counts) = match req.sort {
            Sort::Relevance => {
                let (docs, n, f) =
                    searcher.search(&query, &(top.order_by_score(), Count, facets))?;
                let scored = docs.into_iter().map(|(s, a)| (Some(s), a)).collect();
                (scored, n, f)
            }
            Sort::Newest => {
                // Newest first in the order of `crate::order`, the same on every replica. With
                // a cursor, the page starts after the cursor's place; counts and facets still
                // cover the whole query.
                let (after, start) = match &cursor {
                    None => (None, req.offset),
                    Some(c) => {
                        let (after, skip) = c.start();
                        (Some(after), skip)
                    }
                };
                // One more than the page, to know whether another follows.
                let by_order = NewestFirst {
                    k: start + limit + 1,
                    after,
                };
                let (ranked, n, f) = searcher.search(&query, &(by_order, Count, facets))?;
                let mut ranked: Vec<_> = ranked.into_iter().skip(start).collect();
                if ranked.len() > limit {
                    ranked.truncate(limit);
                    if let Some(last) = ranked.last() {
                        next_cursor = Some(
                            Cursor::At(crate::order::After {
                                key: last.key,
                                id: last.id.resolve(),
                            })
                            .render(),
                        );
                    }
                }
                let page = ranked.into_iter().map(|r| (None, r.addr)).collect();
                (page, n, f)
            }
            Sort::Reach => {
                let by_reach = top.order_by_fast_field::<u64>("reach", Order::Desc);
                let (docs, n, f) = searcher.search(&query, &(by_reach, Count, facets))?;
                (unscored(docs), n, f)
            }
        };
        let timeline = match req.timeline {
            Some(iv) if total > 0 => Some(self.timeline(&searcher, &*query, iv, req)?),
            Some(_) => Some(Vec::new()),
            None => None,
        };
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields.text)?;
        snippets.set_max_num_chars(240);
        let mut hits = Vec::with_capacity(page.len());
        for (score, addr) in page {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let json = doc
                .get_first(self.fields.doc)
                .and_then(|v| v.as_str())
                .unwrap_or("{}");
            let mention = match Mention::from_json(json.as_bytes()) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "stored mention does not parse; skipped");
                    continue;
                }
            };
            let snippet = snippets.snippet(&mention.text);
            let highlight = if snippet.is_empty() {
                escape_html(&truncate_chars(&mention.text, 240))
            } else {
                snippet.to_html()
            };
            hits.push(Hit {
                score,
                highlight,
                mention,
            });
        }
        let mut facet_map = BTreeMap::new();
        for kind in FACETS {
            let prefix = format!("/{kind}");
            let counts: BTreeMap<String, u64> = facet_counts
                .get(&prefix)
                .map(|(facet, n)| {
                    let path = facet.to_path_string();
                    let value = path
                        .strip_prefix(&facet_path(kind, ""))
                        .unwrap_or(&path)
                        .to_string();
                    (value, n)
                })
                .collect();
            facet_map.insert(kind.to_string(), counts);
        }
        Ok(SearchResponse {
            total,
            hits,
            facets: facet_map,
            timeline,
            next_cursor,
        })
    }

    /// The publication time of the newest match of `query`, just past its second.
    fn newest(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
    ) -> Result<Option<DateTime<Utc>>, SearchError> {
        let top = TopDocs::with_limit(1)
            .order_by_fast_field::<tantivy::DateTime>("published_at", Order::Desc);
        let docs = searcher.search(query, &top)?;
        Ok(docs
            .first()
            .and_then(|(t, _)| *t)
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.into_timestamp_secs() + 1, 0)))
    }

    /// Matches of `query` per `iv` bucket and sentiment, oldest first, with empty buckets.
    fn timeline(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        iv: Interval,
        req: &SearchRequest,
    ) -> Result<Vec<Bucket>, SearchError> {
        use tantivy::aggregation::agg_req::Aggregations;
        use tantivy::aggregation::agg_result::{AggregationResult, BucketEntries, BucketResult};
        use tantivy::aggregation::AggregationCollector;
        let width = match iv {
            Interval::Hour => "1h",
            Interval::Day => "1d",
        };
        let newest = match req.since {
            Some(_) => None,
            None => self.newest(searcher, query)?,
        };
        let (lo, hi) = timeline_bounds(iv, req.since, req.until.or(newest), Utc::now())?;
        let mut hist = serde_json::json!({
            "field": "published_at", "fixed_interval": width, "min_doc_count": 0,
            "hard_bounds": {"min": lo.timestamp_millis(), "max": hi.timestamp_millis() - 1},
        });
        if iv == Interval::Day {
            // WIB midnights are 17:00 UTC.
            hist["offset"] = "17h".into();
        }
        let req: Aggregations = serde_json::from_value(serde_json::json!({
            "t": {
                "date_histogram": hist,
                "aggs": {"s": {"terms": {"field": "sentiment", "size": 5}}}
            }
        }))
        .map_err(|e| SearchError::BadQuery(format!("timeline request: {e}")))?;
        let coll = AggregationCollector::from_aggs(req, Default::default());
        let res = searcher.search(query, &coll)?;
        let Some(AggregationResult::BucketResult(BucketResult::Histogram { buckets })) =
            res.0.get("t")
        else {
            return Ok(Vec::new());
        };
        let entries = match buckets {
            BucketEntries::Vec(v) => v.clone(),
            BucketEntries::HashMap(m) => m.values().cloned().collect(),
        };
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let ms = match e.key {
                tantivy::aggregation::Key::F64(f) => f as i64,
                tantivy::aggregation::Key::I64(i) => i,
                tantivy::aggregation::Key::U64(u) => u as i64,
                tantivy::aggregation::Key::Str(_) => continue,
            };
            let mut b = Bucket {
                start: DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default(),
                total: e.doc_count,
                ..Bucket::default()
            };
            if let Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) =
                e.sub_aggregation.0.get("s")
            {
                for t in buckets {
                    let n = t.doc_count;
                    match &t.key {
                        tantivy::aggregation::Key::Str(s) if s == "negative" => b.negative = n,
                        tantivy::aggregation::Key::Str(s) if s == "neutral" => b.neutral = n,
                        tantivy::aggregation::Key::Str(s) if s == "positive" => b.positive = n,
                        _ => {}
                    }
                }
            }
            out.push(b);
        }
        out.sort_by_key(|b| b.start);
        Ok(out)
    }

    /// The mention with this id, if it is indexed.
    pub fn get(&self, id: &str) -> Result<Option<Mention>, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.into_iter().next() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        let json = doc
            .get_first(self.fields.doc)
            .and_then(|v| v.as_str())
            .unwrap_or("{}");
        Mention::from_json(json.as_bytes())
            .map(Some)
            .map_err(|e| SearchError::Stored(format!("mention {id:?}: {e}")))
    }

    /// How many mentions match `req` (its page, sort and timeline ignored).
    pub fn count(&self, req: &SearchRequest) -> Result<usize, SearchError> {
        let searcher = self.reader.searcher();
        let query = self.build_query(req, &searcher)?;
        Ok(searcher.search(&query, &Count)?)
    }

    /// Checks `req` (its query and filters) without running it.
    pub fn check(&self, req: &SearchRequest) -> Result<(), SearchError> {
        self.build_query(req, &self.reader.searcher()).map(|_| ())
    }

    /// Every mention matching `req` (its page and sort ignored), newest first, handed to
    /// `each` until it returns false. Returns how many were handed over.
    pub fn export(
        &self,
        req: &SearchRequest,
        mut each: impl FnMut(Mention) -> bool,
    ) -> Result<usize, SearchError> {
        let searcher = self.reader.searcher();
        let query = self.build_query(req, &searcher)?;
        let total = searcher.search(&query, &Count)?;
        if total == 0 {
            return Ok(0);
        }
        let docs = searcher.search(
            &query,
            &NewestFirst {
                k: total,
                after: None,
            },
        )?;
        let mut n = 0;
        for addr in docs.into_iter().map(|r| r.addr) {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let json = doc
                .get_first(self.fields.doc)
                .and_then(|v| v.as_str())
                .unwrap_or("{}");
            match Mention::from_json(json.as_bytes()) {
                Ok(m) => {
                    n += 1;
                    if !each(m) {
                        break;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "stored mention does not parse; skipped"),
            }
        }
        Ok(n)
    }

    /// Every mention written by one of `handles` (with or without `@`, any case) and published
    /// in `since..until`, handed to `each` (no order promised). Exact handles, not the query
    /// language: a handle is never read as syntax or rewritten by the synonyms. Returns how many
    /// were handed over.
    pub fn by_authors(
        &self,
        handles: &[String],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        mut each: impl FnMut(Mention),
    ) -> Result<usize, SearchError> {
        let any: Vec<(Occur, Box<dyn Query>)> = handles
            .iter()
            .map(|h| h.trim().trim_start_matches('@').to_lowercase())
            .filter(|h| !h.is_empty())
            .map(|h| {
                let q = TermQuery::new(
                    Term::from_field_text(self.fields.author, &h),
                    IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        if any.is_empty() || since >= until {
            return Ok(0);
        }
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(BooleanQuery::new(any)) as Box<dyn Query>,
            ),
            (Occur::Must, Box::new(self.period(Some(since), Some(until)))),
        ]);
        let searcher = self.reader.searcher();
        let addrs = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        let mut n = 0;
        for addr in addrs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let json = doc
                .get_first(self.fields.doc)
                .and_then(|v| v.as_str())
                .unwrap_or("{}");
            match Mention::from_json(json.as_bytes()) {
                Ok(m) => {
                    n += 1;
                    each(m);
                }
                Err(e) => tracing::warn!(error = %e, "stored mention does not parse; skipped"),
            }
        }
        Ok(n)
    }

    /// The underlying index.
    pub fn index(&self) -> &Index {
        &self.index
    }
}

/// The span a timeline covers: `since`..`until` (until defaults to a bucket past now), at
/// most [`MAX_TIMELINE_BUCKETS`] buckets; without `since`, the last that many buckets before
/// `until` (which the caller sets to just past the newest match when none was asked for).
fn timeline_bounds(
    iv: Interval,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), SearchError> {
    let width = match iv {
        Interval::Hour => chrono::Duration::hours(1),
        Interval::Day => chrono::Duration::days(1),
    };
    let widest = width * MAX_TIMELINE_BUCKETS as i32;
    // A post dated a little ahead of the clock still shows.
    let hi = until.unwrap_or(now + width);
    match since {
        None => Ok((hi - widest, hi)),
        Some(lo) if hi - lo > widest => Err(SearchError::BadQuery(format!(
            "a timeline has at most {MAX_TIMELINE_BUCKETS} buckets: since..until spans {} \
             {}s; narrow it{}",
            (hi - lo).num_seconds() / width.num_seconds(),
            match iv {
                Interval::Hour => "hour",
                Interval::Day => "day",
            },
            if iv == Interval::Hour {
                " or ask for timeline=day"
            } else {
                ""
            }
        ))),
        Some(lo) => Ok((lo, hi)),
    }
}

/// Second `secs` as an index time. The index keeps nanoseconds in an i64 (years 1677 to 2262):
/// a bound outside that range (`since=1013-01-01`) is the range's end, not an overflow.
fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_beyond_the_index_do_not_overflow() {
        // since/until in the year 9999 are the index's last second.
        let far = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(index_date(far.timestamp()), index_date(i64::MAX));
        assert_eq!(index_date(i64::MIN).into_timestamp_secs(), -MAX_INDEX_SECS);
        assert_eq!(index_date(5).into_timestamp_secs(), 5);
    }
}
