//! An index written by the previous version (without the `order` field) is refused with a
//! message naming `simak reindex`, and `reindex` rebuilds it from the mentions it stores with
//! its log checkpoint, so nothing is lost that the log no longer holds.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::indexer::{read_checkpoint, reindex, Reindexed};
use simak_index::{IndexError, Indexer, MentionSearcher, SearchRequest};
use tantivy::schema::{
    DateOptions, DateTimePrecision, FacetOptions, IndexRecordOption, Schema, TextFieldIndexing,
    TextOptions, FAST, STORED, STRING,
};

/// The schema of the index format before the `order` field (Simak 0.x, December 2026).
fn previous_schema() -> Schema {
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
            .set_tokenizer(simak_index::schema::KEYWORD_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("source", STRING | FAST);
    b.add_text_field("lang", STRING | FAST);
    b.add_text_field("author", keyword);
    b.add_text_field("title", full_text.clone());
    b.add_text_field("text", full_text);
    b.add_text_field("title_exact", exact.clone());
    b.add_text_field("text_exact", exact);
    b.add_date_field(
        "published_at",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Seconds),
    );
    b.add_u64_field("reach", FAST);
    b.add_text_field("sentiment", STRING | FAST);
    b.add_text_field("hoax", STRING | FAST);
    b.add_text_field("cluster", STRING);
    b.add_text_field("profiles", STRING);
    b.add_facet_field("facets", FacetOptions::default());
    b.add_text_field("doc", STORED);
    b.build()
}

fn mention(i: usize) -> Mention {
    let at = format!("2026-11-20T08:00:{:02}Z", i % 3);
    serde_json::from_value(serde_json::json!({
        "id": format!("rss:{i}"), "source": "rss", "text": format!("banjir di sukamaju nomor {i}"),
        "lang": "id", "published_at": at, "fetched_at": at, "profiles": ["pemkab"],
    }))
    .unwrap()
}

/// Writes `n` mentions (and one stored mention that does not parse) into an index of the
/// previous format at `path`, committed with a checkpoint at offset 1234.
fn previous_index(path: &std::path::Path, n: usize) {
    let schema = previous_schema();
    let index = tantivy::Index::create_in_dir(path, schema.clone()).unwrap();
    simak_index::schema::register_tokenizers(&index);
    let f = |name: &str| schema.get_field(name).unwrap();
    let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 16 << 20).unwrap();
    for i in 0..n {
        let m = mention(i);
        let mut d = tantivy::TantivyDocument::default();
        d.add_text(f("id"), &m.id);
        d.add_text(f("source"), &m.source);
        d.add_text(f("text"), &m.text);
        d.add_date(
            f("published_at"),
            tantivy::DateTime::from_timestamp_secs(m.published_at.timestamp()),
        );
        d.add_text(f("doc"), String::from_utf8(m.to_json()).unwrap());
        w.add_document(d).unwrap();
    }
    let mut d = tantivy::TantivyDocument::default();
    d.add_text(f("id"), "broken");
    d.add_text(f("doc"), "{not a mention");
    w.add_document(d).unwrap();
    let mut c = w.prepare_commit().unwrap();
    c.set_payload(r#"{"log":"embedded:abc:simak.enriched","offsets":{"0":1234}}"#);
    c.commit().unwrap();
}

fn cfg() -> IndexConfig {
    IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    }
}

#[test]
fn an_index_of_the_previous_format_is_refused_then_rebuilt_by_reindex() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("index");
    std::fs::create_dir_all(&path).unwrap();
    previous_index(&path, 25);

    // Neither the searcher nor the indexer opens it; both say what to run.
    for e in [
        MentionSearcher::open(&path).err().unwrap(),
        Indexer::open(&path, &cfg(), "embedded:abc:simak.enriched")
            .err()
            .unwrap(),
    ] {
        assert!(
            matches!(&e, IndexError::Outdated { field, .. } if field == "order"),
            "{e}"
        );
        assert!(e.to_string().contains("simak reindex"), "{e}");
    }

    // Rebuilt from what it stores; the mention that does not parse is counted, left out.
    let r = reindex(&path, cfg().max_merge_docs).unwrap();
    assert_eq!(
        r,
        Reindexed {
            mentions: 25,
            skipped: 1,
            current: false
        }
    );
    assert!(!root.path().join("index.reindex").exists());
    assert!(!root.path().join("index.before-reindex").exists());

    // The checkpoint is kept: the indexer resumes at the same offset of the same log.
    let ix = Indexer::open(&path, &cfg(), "embedded:abc:simak.enriched").unwrap();
    assert_eq!(ix.resume_offsets().get(&0), Some(&1234));
    assert_eq!(
        read_checkpoint(ix.index()).unwrap().unwrap().log,
        "embedded:abc:simak.enriched"
    );
    drop(ix);
    let s = MentionSearcher::open(&path).unwrap();
    let r = s
        .search(&SearchRequest {
            q: "banjir".into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 25);
    assert!(r.next_cursor.is_some());
    assert_eq!(r.facets["source"]["rss"], 25);
    drop(s);

    // Once current, a second run does nothing.
    assert!(reindex(&path, cfg().max_merge_docs).unwrap().current);
}

#[test]
fn reindex_waits_for_simak_and_finishes_an_interrupted_run() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("index");
    std::fs::create_dir_all(&path).unwrap();
    previous_index(&path, 5);

    // A writer holds the index (Simak is running): refused, nothing touched.
    {
        let old = tantivy::Index::open_in_dir(&path).unwrap();
        let _w: tantivy::IndexWriter = old.writer_with_num_threads(1, 16 << 20).unwrap();
        assert!(matches!(
            reindex(&path, cfg().max_merge_docs),
            Err(IndexError::Locked(_))
        ));
        assert!(!root.path().join("index.reindex").exists());
    }

    // Interrupted between its two renames: the index is aside and missing. Every open refuses
    // (none creates an empty index in its place); the next run puts it back and finishes.
    let aside = root.path().join("index.before-reindex");
    std::fs::rename(&path, &aside).unwrap();
    std::fs::create_dir_all(root.path().join("index.reindex")).unwrap();
    let e = MentionSearcher::open(&path).err().unwrap();
    assert!(matches!(e, IndexError::ReindexInterrupted { .. }), "{e}");
    assert!(e.to_string().contains("simak reindex"), "{e}");
    assert!(!path.exists());
    assert_eq!(reindex(&path, cfg().max_merge_docs).unwrap().mentions, 5);
    assert!(!aside.exists());
    assert_eq!(MentionSearcher::open(&path).unwrap().num_docs(), 5);
}
