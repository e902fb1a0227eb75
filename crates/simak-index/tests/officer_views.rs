//! What the search page and the mention page ask of the index: hoax and cluster filters, the
//! timeline of volume and sentiment in WIB buckets, sort by reach, one mention by id.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::{Indexer, Interval, MentionSearcher, SearchRequest, Sort};

fn mention(id: &str, at: &str, sentiment: &str, hoax: Option<(&str, &str)>, views: u64) -> Mention {
    let mut v = serde_json::json!({
        "id": id, "source": "x", "text": format!("banjir di sukamaju {id}"), "lang": "id",
        "published_at": at, "fetched_at": at, "metrics": {"views": views},
        "sentiment": {"label": sentiment, "scores": {"negative": 0.1, "neutral": 0.1, "positive": 0.8}}
    });
    if let Some((label, cluster)) = hoax {
        v["hoax"] = serde_json::json!({"score": 0.9, "label": label, "reasons": [], "matches": [],
            "cluster": {"id": cluster, "size": 2, "last_hour": 2}});
    }
    serde_json::from_value(v).unwrap()
}

#[test]
fn filters_timeline_reach_and_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open(dir.path(), &cfg, "test").unwrap();
    // 16:59 UTC is 23:59 WIB on the 20th; 17:00 UTC is midnight WIB of the 21st.
    for m in [
        mention(
            "a",
            "2026-11-20T16:59:00Z",
            "negative",
            Some(("suspected", "00000000000000aa")),
            10,
        ),
        mention(
            "b",
            "2026-11-20T17:00:00Z",
            "positive",
            Some(("suspected", "00000000000000aa")),
            500,
        ),
        mention(
            "c",
            "2026-11-20T18:30:00Z",
            "negative",
            Some(("known_hoax", "00000000000000bb")),
            50,
        ),
        mention("d", "2026-11-23T03:00:00Z", "neutral", None, 5),
    ] {
        ix.add(&m).unwrap();
    }
    ix.commit().unwrap();
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    let ids = |req: SearchRequest| -> Vec<String> {
        s.search(&SearchRequest { limit: 10, ..req })
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.mention.id)
            .collect()
    };

    assert_eq!(
        ids(SearchRequest {
            hoax: Some("suspected".into()),
            ..Default::default()
        }),
        ["b", "a"]
    );
    assert_eq!(
        ids(SearchRequest {
            cluster: Some("00000000000000bb".into()),
            ..Default::default()
        }),
        ["c"]
    );
    assert_eq!(
        ids(SearchRequest {
            sort: Sort::Reach,
            ..Default::default()
        }),
        ["b", "c", "a", "d"]
    );
    let r = s
        .search(&SearchRequest {
            limit: 1,
            timeline: Some(Interval::Day),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.facets["hoax"]["suspected"], 2);
    assert_eq!(r.facets["hoax"]["known_hoax"], 1);
    let t = r.timeline.unwrap();
    let days: Vec<(String, u64, u64, u64, u64)> = t
        .iter()
        .map(|b| {
            (
                b.start
                    .with_timezone(&simak_core::time::wib())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                b.total,
                b.negative,
                b.neutral,
                b.positive,
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-20 00:00".into(), 1, 1, 0, 0),
            ("2026-11-21 00:00".into(), 2, 1, 0, 1),
            ("2026-11-22 00:00".into(), 0, 0, 0, 0),
            ("2026-11-23 00:00".into(), 1, 0, 1, 0),
        ]
    );
    let hours = s
        .search(&SearchRequest {
            limit: 1,
            hoax: Some("suspected".into()),
            timeline: Some(Interval::Hour),
            ..Default::default()
        })
        .unwrap()
        .timeline
        .unwrap();
    assert_eq!(hours.iter().map(|b| b.total).collect::<Vec<_>>(), [1, 1]);

    let got = s.get("c").unwrap().unwrap();
    assert_eq!(got.hoax().unwrap().label, simak_core::HoaxLabel::KnownHoax);
    assert!(s.get("nope").unwrap().is_none());
}
