//! Excluded clauses (`-word`, `NOT "a phrase"`) searched without tantivy's "seek danger" path.
//!
//! tantivy 0.27 filters a result through its excluded clauses by calling
//! `DocSet::seek_danger(doc)` on each of them for every candidate document. A phrase scorer
//! checks, with a debug assertion, that the target is not behind the document it stands on,
//! which an excluded phrase that already ran out (or ran ahead) breaks: `* -"jalan rusak"`
//! panicked in every build with debug assertions (tests, fuzzing). The trait's own contract
//! only promises increasing targets, so the assertion, not the caller, is too strict; release
//! builds answered correctly. Until tantivy relaxes it, every excluded clause is wrapped in
//! [`PlainSeek`], whose scorer answers `seek_danger` with the trait's default: an ordinary
//! `seek`, and only when the target is ahead of the current document. The inner scorer is
//! never left in the "danger" state, so its own checks hold. Exclusion needs no score, so
//! nothing is lost but the shortcut.

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Occur, Query, Scorer, Weight};
use tantivy::query_grammar::{Occur as AstOccur, UserInputAst};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// The parsed query with the boost dropped from every boosted group that excludes something
/// (`(* -"jalan rusak")^2`): tantivy's `BoostQuery` keeps its inner query private, so
/// [`guard_exclusions`] could not reach the exclusions inside it. Only the ranking under
/// `sort=relevance` changes (the group weighs as if unboosted); what matches is the same. A
/// boost on a single word or phrase, excluded or not, is kept.
pub(crate) fn unboost_exclusions(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, a)| (occur, unboost_exclusions(a)))
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            let inner = unboost_exclusions(*inner);
            if excludes(&inner) {
                inner
            } else {
                UserInputAst::Boost(Box::new(inner), boost)
            }
        }
        leaf @ UserInputAst::Leaf(_) => leaf,
    }
}

fn excludes(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses
            .iter()
            .any(|(occur, a)| *occur == Some(AstOccur::MustNot) || excludes(a)),
        UserInputAst::Boost(inner, _) => excludes(inner),
        UserInputAst::Leaf(_) => false,
    }
}

/// Rebuilds `query` with every excluded clause, at any depth, wrapped in [`PlainSeek`].
pub(crate) fn guard_exclusions(query: Box<dyn Query>) -> Box<dyn Query> {
    let Some(b) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let clauses = b
        .clauses()
        .iter()
        .map(|(occur, q)| {
            let inner = guard_exclusions(q.box_clone());
            let inner: Box<dyn Query> = match occur {
                Occur::MustNot => Box::new(PlainSeek(inner)),
                _ => inner,
            };
            (*occur, inner)
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        b.get_minimum_number_should_match(),
    ))
}

/// A query that matches what its inner query matches, through a scorer without
/// a `seek_danger` of its own.
#[derive(Debug)]
pub(crate) struct PlainSeek(Box<dyn Query>);

impl Clone for PlainSeek {
    fn clone(&self) -> Self {
        PlainSeek(self.0.box_clone())
    }
}

impl Query for PlainSeek {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PlainSeekWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor)
    }
}

struct PlainSeekWeight(Box<dyn Weight>);

impl Weight for PlainSeekWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PlainSeekScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }
}

struct PlainSeekScorer(Box<dyn Scorer>);

impl DocSet for PlainSeekScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    // `seek_danger` is deliberately the trait's default (see the module note).

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for PlainSeekScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
