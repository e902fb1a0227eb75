//! Newest-first results follow an order that depends only on the mentions: two replicas holding
//! the same mentions, indexed in other orders into other segments, list them alike, and a
//! cursor handed out by one continues on the other without repeats or gaps.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::{Indexer, MentionSearcher, SearchRequest};

fn mention(id: &str, at: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "x", "text": format!("banjir di sukamaju {id}"), "lang": "id",
        "published_at": at, "fetched_at": at, "profiles": ["pemkab"],
    }))
    .unwrap()
}

fn cfg() -> IndexConfig {
    IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    }
}

/// An index of `ms`, added in that order, committed every `every` mentions; the mentions at
/// the positions in `again` are added a second time at the end (replacing themselves).
fn replica(ms: &[Mention], every: usize, again: &[usize]) -> (tempfile::TempDir, MentionSearcher) {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = Indexer::open(dir.path(), &cfg(), "test").unwrap();
    for (i, m) in ms.iter().enumerate() {
        ix.add(m).unwrap();
        if (i + 1) % every == 0 {
            ix.commit().unwrap();
        }
    }
    for &i in again {
        ix.add(&ms[i]).unwrap();
    }
    ix.commit().unwrap();
    drop(ix);
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    (dir, s)
}

/// 61 mentions: 15 in each of four seconds, one an hour before.
fn mentions() -> Vec<Mention> {
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z").unwrap();
    let mut ms: Vec<Mention> = (0..60)
        .map(|i| {
            let at = t0 + chrono::Duration::seconds(i / 15);
            mention(&format!("rss:{i:02}"), &at.to_rfc3339())
        })
        .collect();
    ms.push(mention("rss:early", "2026-11-20T07:00:00Z"));
    ms
}

fn ids(s: &MentionSearcher, req: SearchRequest) -> (Vec<String>, Option<String>) {
    let r = s.search(&req).unwrap();
    (
        r.hits.into_iter().map(|h| h.mention.id).collect(),
        r.next_cursor,
    )
}

fn page(q: &str, limit: usize, offset: usize, cursor: Option<String>) -> SearchRequest {
    SearchRequest {
        q: q.into(),
        limit,
        offset,
        cursor,
        ..Default::default()
    }
}

/// Follows cursors through every hit of `q` in pages of `limit`, asking the replicas in turn.
fn page_through(replicas: &[&MentionSearcher], q: &str, limit: usize) -> Vec<String> {
    let mut got = Vec::new();
    let mut cursor = None;
    for turn in 0.. {
        let (hits, next) = ids(replicas[turn % replicas.len()], page(q, limit, 0, cursor));
        got.extend(hits);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(turn < 100, "the cursor does not advance");
    }
    got
}

#[test]
fn replicas_with_other_segments_list_and_page_alike() {
    let ms = mentions();
    // Replica a: in order, one segment. Replica b: in reverse, a segment every 7 mentions, and
    // a third of them indexed again (a replay) so their documents move to the last segment.
    let (_da, a) = replica(&ms, usize::MAX, &[]);
    let mut rev = ms.clone();
    rev.reverse();
    let (_db, b) = replica(&rev, 7, &(0..61).step_by(3).collect::<Vec<_>>());
    assert_eq!(a.num_docs(), 61);
    assert_eq!(b.num_docs(), 61);
    for q in ["*", "banjir", "sukamaju OR banjir"] {
        let (all_a, _) = ids(&a, page(q, 100, 0, None));
        let (all_b, _) = ids(&b, page(q, 100, 0, None));
        assert_eq!(all_a, all_b, "{q}: the replicas order the hits differently");
        assert!(all_a.len() >= 60, "{q}");
        assert_eq!(all_a.last().map(String::as_str), Some("rss:early"));
        // Pages that do not hold every match: the same ids in the same order, by offset ...
        for (limit, offset) in [(7, 0), (7, 7), (4, 13), (10, 25)] {
            assert_eq!(
                ids(&a, page(q, limit, offset, None)).0,
                ids(&b, page(q, limit, offset, None)).0,
                "{q}: page {offset}+{limit}"
            );
        }
        // ... and by cursor, with the cursors taken to the other replica at every page.
        for limit in [1, 4, 7, 15, 16] {
            assert_eq!(
                page_through(&[&a, &b], q, limit),
                all_a,
                "{q}, pages of {limit} a/b"
            );
            assert_eq!(
                page_through(&[&b, &a], q, limit),
                all_a,
                "{q}, pages of {limit} b/a"
            );
        }
    }
}

#[test]
fn ids_whose_keys_collide_are_ordered_by_id() {
    // Two ids of one second whose order keys are equal (their hashes agree in the key's bits):
    // the id decides, on both replicas and across a cursor.
    let secs = 1_795_000_000;
    let mut seen = std::collections::HashMap::new();
    let (x, y) = (0..)
        .find_map(|i| {
            let id = format!("x:{i}");
            let key = simak_index::order::order_key(secs, &id);
            seen.insert(key, id.clone()).map(|other| (other, id))
        })
        .unwrap();
    assert_ne!(x, y);
    let at = chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339();
    let ms: Vec<Mention> = [x.as_str(), "a:1", "z:1", y.as_str(), "m:1"]
        .into_iter()
        .map(|id| mention(id, &at))
        .collect();
    // The pair in one segment on a (ordered by the id column there), in two on b, each order.
    let (_da, a) = replica(&ms, usize::MAX, &[]);
    let mut rev = ms.clone();
    rev.reverse();
    let (_db, b) = replica(&rev, 1, &[]);
    let (all_a, _) = ids(&a, page("*", 10, 0, None));
    let (all_b, _) = ids(&b, page("*", 10, 0, None));
    assert_eq!(all_a, all_b);
    let (hi, lo) = if x > y { (&x, &y) } else { (&y, &x) };
    let pos = |id: &str| all_a.iter().position(|i| i == id).unwrap();
    assert_eq!(
        pos(hi) + 1,
        pos(lo),
        "{all_a:?}: the larger id first, right before"
    );
    for limit in [1, 2, 3] {
        assert_eq!(
            page_through(&[&a, &b], "*", limit),
            all_a,
            "pages of {limit}"
        );
        assert_eq!(
            page_through(&[&b, &a], "*", limit),
            all_a,
            "pages of {limit}"
        );
    }
}

#[test]
fn a_cursor_of_the_earlier_format_still_pages() {
    // `<secs>_<seen>`: after the first `seen` hits of that second.
    let ms = mentions();
    let (_d, s) = replica(&ms, 10, &[]);
    let (all, _) = ids(&s, page("*", 100, 0, None));
    let second = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:02Z")
        .unwrap()
        .timestamp();
    // The hits of 08:00:03 come first (15), then those of 08:00:02.
    let (hits, next) = ids(&s, page("*", 5, 0, Some(format!("{second}_4"))));
    assert_eq!(hits, all[19..24]);
    let (rest, _) = ids(&s, page("*", 100, 0, next));
    assert_eq!(rest, all[24..]);
}
