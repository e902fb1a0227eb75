//! The search backend as the rest of Simak sees it.
//!
//! The server, the daily summary and the command line ask a [`Searcher`] for mentions; they
//! never touch tantivy. [`MentionSearcher`] (the tantivy index on this machine, built by the
//! indexer stage) is the implementation Simak ships. Another backend — a distributed engine
//! for a deployment past one machine (Quickwit or OpenSearch, see `deploy/SCALE.md`) —
//! implements the same trait: it translates a [`SearchRequest`] into its own query and
//! aggregations and answers with the same [`SearchResponse`]. Permissions stay outside the
//! backend: the caller's profiles arrive as `within_profiles`, a filter like any other, so a
//! backend never decides who sees what.
//!
//! What every implementation promises, whatever engine is behind it:
//! - the same request gives the same hits in the same order on every replica that has read the
//!   same mentions: newest first by publication time, then by a fixed order of the mention ids
//!   (`crate::order`), so a page cursor from one replica pages on another;
//! - a malformed query or filter is a [`SearchError::BadQuery`] whose message says what is
//!   wrong (a 400 for the API), never an internal error;
//! - each mention is one hit: the index holds a mention once, whatever the number of times it
//!   was delivered.

use crate::search::{MentionSearcher, SearchError, SearchRequest, SearchResponse};
use chrono::{DateTime, Utc};
use simak_core::Mention;

/// A search backend: search with facets and a timeline, count, get by id, export, the posts of
/// given authors.
pub trait Searcher: Send + Sync {
    /// One page of hits for `req`, with the total, the facets and, if asked, the timeline.
    fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError>;

    /// How many mentions match `req` (its page, sort and timeline ignored).
    fn count(&self, req: &SearchRequest) -> Result<usize, SearchError>;

    /// Checks `req` (its query and filters) without running it.
    fn check(&self, req: &SearchRequest) -> Result<(), SearchError>;

    /// The mention with this id, if the backend holds it.
    fn get(&self, id: &str) -> Result<Option<Mention>, SearchError>;

    /// Every mention matching `req` (its page and sort ignored), newest first, handed to
    /// `each` until it returns false. Returns how many were handed over.
    fn export(
        &self,
        req: &SearchRequest,
        each: &mut dyn FnMut(Mention) -> bool,
    ) -> Result<usize, SearchError>;

    /// Every mention written by one of `handles` (with or without `@`, any case) and published
    /// in `since..until`, handed to `each` (no order promised). Returns how many.
    fn by_authors(
        &self,
        handles: &[String],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        each: &mut dyn FnMut(Mention),
    ) -> Result<usize, SearchError>;

    /// How many mentions the backend holds.
    fn num_docs(&self) -> u64;

    /// Makes what the indexers have committed visible now (instead of within a moment).
    fn reload(&self) -> Result<(), SearchError>;
}

impl Searcher for MentionSearcher {
    fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        MentionSearcher::search(self, req)
    }

    fn count(&self, req: &SearchRequest) -> Result<usize, SearchError> {
        MentionSearcher::count(self, req)
    }

    fn check(&self, req: &SearchRequest) -> Result<(), SearchError> {
        MentionSearcher::check(self, req)
    }

    fn get(&self, id: &str) -> Result<Option<Mention>, SearchError> {
        MentionSearcher::get(self, id)
    }

    fn export(
        &self,
        req: &SearchRequest,
        each: &mut dyn FnMut(Mention) -> bool,
    ) -> Result<usize, SearchError> {
        MentionSearcher::export(self, req, each)
    }

    fn by_authors(
        &self,
        handles: &[String],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        each: &mut dyn FnMut(Mention),
    ) -> Result<usize, SearchError> {
        MentionSearcher::by_authors(self, handles, since, until, each)
    }

    fn num_docs(&self) -> u64 {
        MentionSearcher::num_docs(self)
    }

    fn reload(&self) -> Result<(), SearchError> {
        Ok(MentionSearcher::reload(self)?)
    }
}
