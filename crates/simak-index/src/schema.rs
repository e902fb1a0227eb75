//! The tantivy schema for mentions.

use simak_core::Mention;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FacetOptions, Field, IndexRecordOption, Schema,
    TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::{DateTime, TantivyDocument};

/// Tokenizer for exact-but-case-insensitive keyword fields (author handles).
pub const KEYWORD_TOKENIZER: &str = "simak_keyword";

/// Handles to the schema's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Mention id: the unique key (exact, stored, fast for the tie-break of the order).
    pub id: Field,
    /// Source (exact, fast).
    pub source: Field,
    /// Language code (exact, fast).
    pub lang: Field,
    /// Author handle (lowercased keyword).
    pub author: Field,
    /// Title (full text with positions).
    pub title: Field,
    /// Text (full text with positions).
    pub text: Field,
    /// Title, lowercased tokens only (exact phrases).
    pub title_exact: Field,
    /// Text, lowercased tokens only (exact phrases).
    pub text_exact: Field,
    /// Publication time (indexed for ranges, fast for sorting).
    pub published_at: Field,
    /// Newest-first order key: publication second, then a hash of the id (fast, for
    /// sorting and cursors; see [`crate::order`]).
    pub order: Field,
    /// Reach estimate (fast, for sorting).
    pub reach: Field,
    /// Sentiment label (exact, fast for the timeline).
    pub sentiment: Field,
    /// Hoax label `known_hoax` / `suspected` / `none` (exact, fast); absent before analysis.
    pub hoax: Field,
    /// Near-duplicate cluster id, 16 hex digits (exact).
    pub cluster: Field,
    /// Ids of matched watch profiles (exact, several values).
    pub profiles: Field,
    /// Facets `/source/<s>`, `/lang/<l>`, `/sentiment/<s>`, `/profile/<id>`, `/hoax/<label>`.
    pub facets: Field,
    /// The whole mention as JSON (stored only).
    pub doc: Field,
}

/// Builds the schema and its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let full_text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(simak_text::TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(simak_text::EXACT_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        source: b.add_text_field("source", STRING | FAST),
        lang: b.add_text_field("lang", STRING | FAST),
        author: b.add_text_field("author", keyword),
        title: b.add_text_field("title", full_text.clone()),
        text: b.add_text_field("text", full_text),
        title_exact: b.add_text_field("title_exact", exact.clone()),
        text_exact: b.add_text_field("text_exact", exact),
        published_at: b.add_date_field(
            "published_at",
            DateOptions::default()
                .set_indexed()
                .set_fast()
                .set_precision(DateTimePrecision::Seconds),
        ),
        order: b.add_u64_field(crate::order::ORDER_FIELD, FAST),
        reach: b.add_u64_field("reach", FAST),
        sentiment: b.add_text_field("sentiment", STRING | FAST),
        hoax: b.add_text_field("hoax", STRING | FAST),
        cluster: b.add_text_field("cluster", STRING),
        profiles: b.add_text_field("profiles", STRING),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

/// Registers the tokenizers the schema names.
pub fn register_tokenizers(index: &tantivy::Index) {
    simak_text::register_tokenizers(index);
    index.tokenizers().register(
        KEYWORD_TOKENIZER,
        tantivy::tokenizer::TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
            .filter(tantivy::tokenizer::LowerCaser)
            .build(),
    );
}

/// The language a mention is indexed under: its `lang`, or `other` when the analyzer set none.
pub fn lang_of(m: &Mention) -> &str {
    m.lang.as_deref().unwrap_or("other")
}

/// Builds the tantivy document for a mention.
pub fn to_document(f: &Fields, m: &Mention) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &m.id);
    doc.add_text(f.source, &m.source);
    let lang = lang_of(m);
    doc.add_text(f.lang, lang);
    if let Some(h) = &m.author.handle {
        doc.add_text(f.author, h.trim_start_matches('@'));
    }
    if let Some(t) = &m.title {
        doc.add_text(f.title, t);
        doc.add_text(f.title_exact, t);
    }
    doc.add_text(f.text, &m.text);
    doc.add_text(f.text_exact, &m.text);
    // tantivy keeps nanoseconds in an i64 (years 1677-2262): a date beyond is stored at the
    // range's end, not overflowed (a panic in a debug build, a wrapped date in release).
    const MAX_SECS: i64 = crate::order::MAX_INDEX_SECS;
    let secs = m.published_at.timestamp().clamp(-MAX_SECS, MAX_SECS);
    doc.add_date(f.published_at, DateTime::from_timestamp_secs(secs));
    doc.add_u64(f.order, crate::order::order_key(secs, &m.id));
    doc.add_u64(f.reach, m.metrics.reach());
    doc.add_facet(f.facets, facet_path("source", &m.source).as_str());
    doc.add_facet(f.facets, facet_path("lang", lang).as_str());
    if let Some(s) = &m.sentiment {
        doc.add_text(f.sentiment, &s.label);
        doc.add_facet(f.facets, facet_path("sentiment", &s.label).as_str());
    }
    if let Some(h) = m.hoax() {
        let label = h.label.as_str();
        doc.add_text(f.hoax, label);
        doc.add_facet(f.facets, facet_path("hoax", label).as_str());
        if let Some(c) = &h.cluster {
            doc.add_text(f.cluster, &c.id);
        }
    }
    for p in &m.profiles {
        doc.add_text(f.profiles, p);
        doc.add_facet(f.facets, facet_path("profile", p).as_str());
    }
    doc.add_text(
        f.doc,
        String::from_utf8(m.to_json()).expect("JSON is UTF-8"),
    );
    doc
}

/// `/<kind>/<value>` with `/` in the value replaced, so a value is one facet segment.
pub fn facet_path(kind: &str, value: &str) -> String {
    format!("/{kind}/{}", value.replace(['/', '\\'], "_"))
}
