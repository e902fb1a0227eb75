//! Searching Indonesian as people write it: slang, case, stems, exact phrases, synonyms.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::{Indexer, MentionSearcher, SearchRequest, Sort};

fn mention(id: &str, text: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "x", "text": text, "lang": "id",
        "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
    }))
    .unwrap()
}

/// Indexes `docs` (id, text) at `path` and commits.
fn index(path: &std::path::Path, docs: &[(&str, &str)]) {
    let ms: Vec<Mention> = docs.iter().map(|(id, text)| mention(id, text)).collect();
    index_mentions(path, &ms);
}

/// Indexes `ms` at `path` and commits.
fn index_mentions(path: &std::path::Path, ms: &[Mention]) {
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open(path, &cfg, "test").unwrap();
    for m in ms {
        ix.add(m).unwrap();
    }
    ix.commit().unwrap();
}

fn ids(s: &MentionSearcher, q: &str) -> Vec<String> {
    ids_in(s, q, None, None)
}

/// The ids of the mentions matching `q` published in `since..until`, sorted.
fn ids_in(
    s: &MentionSearcher,
    q: &str,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<String> {
    let mut v: Vec<String> = s
        .search(&SearchRequest {
            q: q.into(),
            limit: 100,
            sort: Sort::Relevance,
            since,
            until,
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .hits
        .into_iter()
        .map(|h| h.mention.id)
        .collect();
    v.sort();
    v
}

#[test]
fn indonesian_as_people_write_it() {
    let dir = tempfile::tempdir().unwrap();
    index(
        dir.path(),
        &[
            ("a", "Pelayanan di kantor Pemkab gak ramah sama sekali"),
            ("b", "Layanan KTP sudah cepat, petugas tidak bikin ribet"),
            (
                "c",
                "Jalannya nggak pernah diperbaiki, pemerintah kabupaten diam",
            ),
            ("d", "Bangeeet lama antre di Disdukcapil #pelayanan"),
            ("e", "jalan rusak depan pasar"),
            ("f", "rusak jalan menuju desa"),
        ],
    );
    let syn_path = dir.path().join("synonyms.txt");
    std::fs::write(&syn_path, "").unwrap();
    let s = MentionSearcher::open_with_synonyms(dir.path(), Some(&syn_path)).unwrap();
    s.reload().unwrap();

    // gak / nggak / tidak find each other.
    for q in ["gak", "nggak", "tidak", "ga"] {
        assert_eq!(ids(&s, q), ["a", "b", "c"], "{q}");
    }
    // Case does not matter.
    assert_eq!(ids(&s, "pemkab"), ["a"]);
    assert_eq!(ids(&s, "PEMKAB"), ["a"]);
    // Stems match: pelayanan / layanan (and the hashtag's word).
    assert_eq!(ids(&s, "layanan"), ["a", "b", "d"]);
    assert_eq!(ids(&s, "pelayanan"), ["a", "b", "d"]);
    assert_eq!(ids(&s, "#pelayanan"), ["d"]);
    // Repeated letters fold.
    assert_eq!(ids(&s, "banget"), ["d"]);
    // An exact phrase means exactly that phrase: no stemming, no slang, in order.
    assert_eq!(ids(&s, "\"jalan rusak\""), ["e"]);
    assert_eq!(ids(&s, "\"pelayanan di kantor\""), ["a"]);
    assert!(
        ids(&s, "\"layanan di kantor\"").is_empty(),
        "exact: no stemming"
    );
    assert!(ids(&s, "\"tidak ramah\"").is_empty(), "exact: no slang");
    assert_eq!(ids(&s, "\"gak ramah\""), ["a"]);
    // Unquoted words are ANDed and stemmed.
    assert_eq!(ids(&s, "jalan rusak"), ["e", "f"]);

    // Synonyms apply at query time: write the file, search again, no reindex.
    assert!(ids(&s, "pemkab").len() == 1);
    std::fs::write(&syn_path, "pemkab, pemerintah kabupaten\n").unwrap();
    // Make sure the modification time moves on coarse clocks.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&syn_path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(ids(&s, "pemkab"), ["a", "c"]);
}

/// "Everything except this phrase": tantivy 0.27's phrase scorer asserted (in builds with
/// debug assertions) when an excluded phrase ran out before the documents it filters; the
/// fuzzer found `* -"jalan rusak"`. The answer must be the exact complement, wherever the
/// phrase's documents sit among the others, in boosted groups too.
#[test]
fn excluding_a_phrase_keeps_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    index(
        dir.path(),
        &[
            ("a", "jalan rusak di depan kantor pemkab"),
            ("b", "pemkab memperbaiki jembatan"),
            ("c", "rusak jalan menuju desa, pemkab diam"),
            ("d", "banjir lagi di pasar"),
            ("e", "jalan rusak lagi, pemkab janji perbaiki"),
            ("f", "pelayanan pemkab cepat"),
        ],
    );
    let s = MentionSearcher::open_with_synonyms(dir.path(), None).unwrap();
    s.reload().unwrap();

    assert_eq!(ids(&s, r#"* -"jalan rusak""#), ["b", "c", "d", "f"]);
    assert_eq!(ids(&s, r#"NOT "jalan rusak" *"#), ["b", "c", "d", "f"]);
    assert_eq!(ids(&s, r#"pemkab -"jalan rusak""#), ["b", "c", "f"]);
    assert_eq!(
        ids(&s, r#"pemkab -("jalan rusak" OR banjir)"#),
        ["b", "c", "f"]
    );
    assert_eq!(
        ids(&s, r#"* -"rusak menuju"~1 -banjir"#),
        ["a", "b", "e", "f"]
    );
    assert_eq!(
        ids(&s, r#"(pemkab -"jalan rusak") OR banjir"#),
        ["b", "c", "d", "f"]
    );
    // A boosted group that excludes: tantivy's boost wrapper hides the group's clauses.
    assert_eq!(ids(&s, r#"(* -"jalan rusak")^2"#), ["b", "c", "d", "f"]);
    assert_eq!(
        ids(&s, r#"banjir OR (pemkab -"jalan rusak")^0.5"#),
        ["b", "c", "d", "f"]
    );
    assert_eq!(ids(&s, r#"pemkab^2 -"jalan rusak"^3"#), ["b", "c", "f"]);
}

#[test]
fn a_period_ending_inside_a_second_keeps_that_second() {
    let dir = tempfile::tempdir().unwrap();
    let ms: Vec<Mention> = [
        ("a", "2026-11-20T08:00:00Z"),
        ("b", "2026-11-20T08:00:01.700Z"),
        ("c", "2026-11-20T08:00:02Z"),
    ]
    .into_iter()
    .map(|(id, at)| Mention {
        published_at: at.parse().unwrap(),
        ..mention(id, "jalan rusak")
    })
    .collect();
    index_mentions(dir.path(), &ms);
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    let t = |x: &str| Some(x.parse().unwrap());
    let period = |since, until| ids_in(&s, "jalan", since, until);
    // `b` is stored as 08:00:01: a period ending at 08:00:01.900 (or at .500, before its
    // fraction: the index no longer knows it) keeps it; one ending at 08:00:01 does not.
    assert_eq!(period(None, t("2026-11-20T08:00:01.900Z")), ["a", "b"]);
    assert_eq!(period(None, t("2026-11-20T08:00:01.500Z")), ["a", "b"]);
    assert_eq!(period(None, t("2026-11-20T08:00:01Z")), ["a"]);
    // `since` inside a second takes the whole second as well: nothing falls between two
    // periods that meet.
    assert_eq!(period(t("2026-11-20T08:00:01.900Z"), None), ["b", "c"]);
    assert_eq!(
        period(t("2026-11-20T08:00:00.500Z"), t("2026-11-20T08:00:01.500Z")),
        ["a", "b"]
    );
}
