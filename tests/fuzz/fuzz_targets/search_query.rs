//! The search query grammar (words, AND/OR/NOT, -/+, parentheses, fields, phrases, proximity
//! `"a b"~N`, ranges, synonyms) run as a search against a small real index, with a page
//! cursor; every failure must be the caller's query error (a 400), never an index error.
//!
//! Input: `[flags]query[\0cursor[\0synonyms]]`; a leading digit chooses the order and the
//! timeline; the synonyms text (as in `config/synonyms.txt`) is used by the query rewrite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::query::{rewrite, Synonyms};
use simak_index::search::{Interval, SearchError, SearchRequest, Sort};
use simak_index::{Indexer, MentionSearcher};
use std::sync::OnceLock;

const MENTIONS: &[&str] = &[
    r#"{"id":"rss:u1","source":"rss","url":"https://berita.example.id/a","title":"Banjir di Sukamaju","text":"Jalan rusak dan banjir di Kecamatan Sukamaju, Pemkab belum bertindak","published_at":"2026-09-20T03:00:00Z","fetched_at":"2026-09-20T03:01:00Z","lang":"id","sentiment":{"label":"negative","scores":{"negative":0.8,"neutral":0.15,"positive":0.05}},"profiles":["pemkab-sukamaju"],"author":{"handle":"warga1","followers":10}}"#,
    r#"{"id":"x:2","source":"x","text":"Pelayanan Dukcapil sekarang cepat, terima kasih pemerintah kabupaten #sukamaju @humas","published_at":"2026-09-21T08:30:00Z","fetched_at":"2026-09-21T08:31:00Z","lang":"id","profiles":["diskominfo"],"metrics":{"likes":5,"shares":2},"hoax":{"score":0.1,"label":"none","reasons":[]}}"#,
    r#"{"id":"bluesky:did:plc:abc/3k","source":"bluesky","text":"VIRAL!!! Bendungan jebol, sebarkan ke grup keluarga sebelum dihapus","published_at":"2026-09-22T12:00:00Z","fetched_at":"2026-09-22T12:00:05Z","lang":"id","profiles":["pemkab-sukamaju"],"hoax":{"score":0.9,"label":"known_hoax","reasons":["cocok"],"matches":[{"id":"fc-1","claim":"Bendungan Sukamaju jebol","verdict":"hoaks","similarity":0.8}],"cluster":{"id":"00000000000000ab","size":3,"last_hour":2}}}"#,
    r#"{"id":"import:t9","source":"import","text":"The flood in Sukamaju was handled quickly","published_at":"2026-09-23T00:00:00Z","fetched_at":"2026-09-23T00:00:00Z","lang":"en"}"#,
];

fn searcher() -> &'static MentionSearcher {
    static S: OnceLock<MentionSearcher> = OnceLock::new();
    S.get_or_init(|| {
        // Kept for the whole run: the index lives in it.
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        let path = dir.path().join("index");
        let cfg = IndexConfig {
            writer_memory_mb: 32,
            writer_threads: 1,
            ..IndexConfig::default()
        };
        let mut ix = Indexer::open(&path, &cfg, "fuzz").expect("index");
        for m in MENTIONS {
            ix.add(&Mention::from_json(m.as_bytes()).expect("mention"))
                .expect("add");
        }
        ix.commit().expect("commit");
        let syn = dir.path().join("synonyms.txt");
        std::fs::write(
            &syn,
            "pemkab, pemerintah kabupaten\nhoaks, hoax, kabar bohong\nbpjs, jkn\n",
        )
        .expect("synonyms");
        MentionSearcher::open_with_synonyms(&path, Some(&syn)).expect("searcher")
    })
}

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = match data.first() {
        Some(&b @ b'0'..=b'9') => (b - b'0', &data[1..]),
        _ => (0, data),
    };
    let f = simak_fuzz::fields(rest, 3);
    let (q, cursor, syn) = (&f[0], &f[1], &f[2]);
    let _ = rewrite(q, &Synonyms::parse(syn));
    let req = SearchRequest {
        q: q.clone(),
        sort: [Sort::Newest, Sort::Relevance, Sort::Reach][(flags % 3) as usize],
        timeline: [None, Some(Interval::Hour), Some(Interval::Day)][(flags / 3 % 3) as usize],
        cursor: (!cursor.is_empty()).then(|| cursor.clone()),
        limit: 10,
        ..SearchRequest::default()
    };
    let s = searcher();
    match s.search(&req) {
        Ok(r) => {
            assert!(r.hits.len() <= 10 && r.hits.len() <= r.total);
            for h in &r.hits {
                assert!(!h.highlight.contains("<script"), "{}", h.highlight);
            }
        }
        Err(SearchError::BadQuery(m)) => assert!(!m.is_empty()),
        Err(e) => panic!("query {q:?} cursor {cursor:?}: not a query error: {e}"),
    }
    match s.count(&req) {
        Ok(_) | Err(SearchError::BadQuery(_)) => {}
        Err(e) => panic!("count of {q:?}: not a query error: {e}"),
    }
});
