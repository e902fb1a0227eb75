//! What a logged-in caller can ask of the searcher without harming it: deep pages, huge and
//! deeply nested queries, `field:*` on any field and timelines over any span are refused with
//! a message (each of these once aborted the whole server), and deep paging works through a
//! cursor instead.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::search::{MAX_QUERY_CHARS, MAX_QUERY_DEPTH, MAX_TIMELINE_BUCKETS, MAX_WINDOW};
use simak_index::{Indexer, Interval, MentionSearcher, SearchError, SearchRequest, Sort};

fn mention(id: &str, at: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "x", "text": format!("banjir di sukamaju {id}"), "lang": "id",
        "published_at": at, "fetched_at": at, "profiles": ["pemkab"],
        "sentiment": {"label": "negative", "scores": {"negative": 0.8, "neutral": 0.1, "positive": 0.1}}
    }))
    .unwrap()
}

/// An index of `n` mentions, three to a second, plus one from 1970.
fn index(n: usize) -> (tempfile::TempDir, MentionSearcher) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open(dir.path(), &cfg, "test").unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z").unwrap();
    for i in 0..n {
        let at = t0 + chrono::Duration::seconds((i / 3) as i64);
        ix.add(&mention(&format!("m{i:03}"), &at.to_rfc3339()))
            .unwrap();
    }
    ix.add(&mention("old", "1970-01-02T00:00:00Z")).unwrap();
    ix.commit().unwrap();
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    (dir, s)
}

fn bad(r: Result<simak_index::SearchResponse, SearchError>) -> String {
    match r {
        Err(SearchError::BadQuery(m)) => m,
        Err(e) => panic!("expected a query error, got {e}"),
        Ok(r) => panic!("expected a query error, got {} hits", r.total),
    }
}

#[test]
fn a_page_past_the_window_is_refused_not_allocated() {
    let (_d, s) = index(10);
    // Once: `memory allocation of 48000000000048 bytes failed`, and the process aborted.
    let m = bad(s.search(&SearchRequest {
        q: "*".into(),
        limit: 1,
        offset: 1_000_000_000_000,
        ..Default::default()
    }));
    assert!(m.contains(&MAX_WINDOW.to_string()), "{m}");
    for sort in [Sort::Newest, Sort::Relevance, Sort::Reach] {
        bad(s.search(&SearchRequest {
            limit: 2,
            offset: MAX_WINDOW - 1,
            sort,
            ..Default::default()
        }));
        let r = s
            .search(&SearchRequest {
                limit: 1,
                offset: MAX_WINDOW - 1,
                sort,
                ..Default::default()
            })
            .unwrap();
        assert!(r.hits.is_empty());
        assert_eq!(r.total, 11);
    }
}

#[test]
fn huge_and_deep_queries_are_refused_before_parsing() {
    let (_d, s) = index(3);
    let q = |q: String| {
        s.search(&SearchRequest {
            q,
            limit: 5,
            ..Default::default()
        })
    };
    // Once: a stack overflow in a worker thread, and the process aborted.
    let nested = format!("{}banjir{}", "(".repeat(8000), ")".repeat(8000));
    assert!(bad(q(nested)).contains("characters"));
    let nested = format!("{}banjir{}", "(".repeat(1500), ")".repeat(1500));
    assert!(bad(q(nested)).contains("levels"));
    assert!(bad(q(format!("{}banjir", "NOT ".repeat(1000)))).contains("levels"));
    assert!(bad(q(format!("{}(banjir)", "-(".repeat(500)))).contains("levels"));
    assert!(bad(q("banjir ".repeat(MAX_QUERY_CHARS))).contains("characters"));
    // Within the limits, the deepest query is answered, even on a thread with a small stack.
    let depth = MAX_QUERY_DEPTH;
    let deepest = format!("{}banjir{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(q(deepest.clone()).unwrap().total, 4);
    let small = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn({
            let dir = _d.path().to_path_buf();
            move || {
                let s = MentionSearcher::open(&dir).unwrap();
                s.search(&SearchRequest {
                    q: deepest,
                    limit: 5,
                    ..Default::default()
                })
                .map(|r| r.total)
            }
        })
        .unwrap();
    assert_eq!(small.join().unwrap().unwrap(), 4);
    // Parentheses inside a phrase are text, not nesting.
    let phrase = format!("\"banjir {}\"", "(".repeat(100));
    q(phrase).unwrap();
}

#[test]
fn exists_on_a_field_without_fast_values_is_the_callers_error() {
    let (_d, s) = index(3);
    // Once: a 500 "Field profiles is not a fast field".
    for q in ["profiles:*", "text:*", "banjir AND cluster:*"] {
        let m = bad(s.search(&SearchRequest {
            q: q.into(),
            limit: 5,
            ..Default::default()
        }));
        assert!(m.contains("field:*"), "{q}: {m}");
    }
    // `id` has fast values (for the order of hits).
    for q in ["source:*", "id:*"] {
        let r = s
            .search(&SearchRequest {
                q: q.into(),
                limit: 5,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.total, 4, "{q}");
    }
    // The export and the up-front check refuse it too.
    let req = SearchRequest {
        q: "profiles:*".into(),
        ..Default::default()
    };
    assert!(matches!(s.check(&req), Err(SearchError::BadQuery(_))));
    assert!(matches!(
        s.export(&req, |_| true),
        Err(SearchError::BadQuery(_))
    ));
}

#[test]
fn timelines_have_a_bounded_number_of_buckets() {
    let (_d, s) = index(6);
    let at = |t: &str| Some(chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc());
    // Without since, the timeline covers the last buckets before the newest match: the 1970
    // post would otherwise stretch it over 500,000 hours.
    for iv in [Interval::Hour, Interval::Day] {
        let t = s
            .search(&SearchRequest {
                limit: 1,
                timeline: Some(iv),
                ..Default::default()
            })
            .unwrap()
            .timeline
            .unwrap();
        assert!(
            !t.is_empty() && t.len() as i64 <= MAX_TIMELINE_BUCKETS,
            "{}",
            t.len()
        );
        assert_eq!(t.iter().map(|b| b.total).sum::<u64>(), 6);
    }
    // Asked for explicitly, a span wider than the cap is refused with a way out.
    let m = bad(s.search(&SearchRequest {
        limit: 1,
        since: at("1970-01-01T00:00:00Z"),
        until: at("2026-12-01T00:00:00Z"),
        timeline: Some(Interval::Hour),
        ..Default::default()
    }));
    assert!(m.contains("timeline=day"), "{m}");
    let r = s
        .search(&SearchRequest {
            limit: 1,
            since: at("2026-11-19T00:00:00Z"),
            until: at("2026-11-21T00:00:00Z"),
            timeline: Some(Interval::Hour),
            ..Default::default()
        })
        .unwrap();
    let t = r.timeline.unwrap();
    assert_eq!(t.iter().map(|b| b.total).sum::<u64>(), 6);
}

#[test]
fn a_cursor_pages_through_everything_once_in_order() {
    let (_d, s) = index(47);
    let all: Vec<String> = s
        .search(&SearchRequest {
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.mention.id)
        .collect();
    assert_eq!(all.len(), 48);
    // Pages of 4 split the three-to-a-second groups at every other page.
    let mut got = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let r = s
            .search(&SearchRequest {
                limit: 4,
                cursor: cursor.clone(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.total, 48);
        assert_eq!(r.facets["source"]["x"], 48);
        got.extend(r.hits.into_iter().map(|h| h.mention.id));
        pages += 1;
        match r.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 20, "the cursor does not advance");
    }
    assert_eq!(got, all);
    // A cursor can also start from an offset page.
    let first = s
        .search(&SearchRequest {
            limit: 5,
            offset: 10,
            ..Default::default()
        })
        .unwrap();
    let next = s
        .search(&SearchRequest {
            limit: 5,
            cursor: first.next_cursor.clone(),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<String> = first
        .hits
        .iter()
        .chain(&next.hits)
        .map(|h| h.mention.id.clone())
        .collect();
    assert_eq!(ids, all[10..20]);
    // Cursors are checked.
    for c in ["", "x", "12_0", "12_x", "_3"] {
        let r = s.search(&SearchRequest {
            limit: 5,
            cursor: Some(c.into()),
            ..Default::default()
        });
        if !c.is_empty() {
            bad(r);
        }
    }
    bad(s.search(&SearchRequest {
        limit: 5,
        cursor: first.next_cursor.clone(),
        sort: Sort::Relevance,
        ..Default::default()
    }));
}

#[test]
fn times_beyond_what_the_index_holds_are_its_ends_not_an_overflow() {
    let (_d, s) = index(10);
    // Once: `attempt to multiply with overflow` in the index's nanosecond time (a 500 for
    // `since=1013-01-01` or a summary of that day).
    let at = |t: &str| Some(chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc());
    let r = s
        .search(&SearchRequest {
            q: "*".into(),
            since: at("1013-01-01T00:00:00Z"),
            until: at("9999-12-31T23:59:59Z"),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 11);
    let r = s
        .search(&SearchRequest {
            q: "*".into(),
            until: at("1013-01-02T00:00:00Z"),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 0);
}

#[test]
fn a_mention_dated_beyond_the_index_range_is_indexed_not_overflowed() {
    // Once an i64 overflow of nanoseconds in the indexer: a panic in a debug build (the stage
    // restarting on the same record forever), a wrapped date in release.
    let dir = tempfile::tempdir().unwrap();
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open(dir.path(), &cfg, "test").unwrap();
    ix.add(&mention("far", "9999-12-31T00:00:00Z")).unwrap();
    ix.add(&mention("early", "0001-01-01T00:00:00Z")).unwrap();
    ix.commit().unwrap();
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    let r = s
        .search(&SearchRequest {
            q: "banjir".into(),
            limit: 10,
            sort: Sort::Newest,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 2);
}
