//! The OPD accounts' ranking reads the posts of the office's own accounts: exact handles, any
//! case, with or without `@`, within a period.

use simak_core::config::IndexConfig;
use simak_core::Mention;
use simak_index::{Indexer, MentionSearcher};

fn post(id: &str, handle: &str, at: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "x", "text": format!("info sukamaju {id} OR author:x"),
        "author": {"handle": handle}, "published_at": at, "fetched_at": at,
    }))
    .unwrap()
}

#[test]
fn posts_by_handles_within_a_period() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = IndexConfig {
        writer_threads: 1,
        writer_memory_mb: 16,
        ..Default::default()
    };
    let mut ix = Indexer::open(dir.path(), &cfg, "test").unwrap();
    for m in [
        post("a", "@DinKes_Sukamaju", "2026-11-20T10:00:00Z"),
        post("b", "dinkes_sukamaju", "2026-11-21T10:00:00Z"),
        post("c", "dpupr_sukamaju", "2026-11-21T11:00:00Z"),
        post("d", "dinkes_sukamaju_fans", "2026-11-21T12:00:00Z"),
        post("e", "dinkes_sukamaju", "2026-11-25T10:00:00Z"),
        post("f", "pemkab.sukamaju", "2026-11-21T10:00:00Z"),
    ] {
        ix.add(&m).unwrap();
    }
    ix.commit().unwrap();
    let s = MentionSearcher::open(dir.path()).unwrap();
    s.reload().unwrap();
    let t = |x: &str| x.parse().unwrap();
    let ids = |handles: &[&str], since: &str, until: &str| -> Vec<String> {
        let hs: Vec<String> = handles.iter().map(|h| h.to_string()).collect();
        let mut out = Vec::new();
        let n = s
            .by_authors(&hs, t(since), t(until), |m| out.push(m.id))
            .unwrap();
        assert_eq!(n, out.len());
        out.sort();
        out
    };
    let (since, until) = ("2026-11-20T00:00:00Z", "2026-11-22T00:00:00Z");
    assert_eq!(ids(&["@dinkes_sukamaju"], since, until), ["a", "b"]);
    assert_eq!(
        ids(&["DINKES_SUKAMAJU", "dpupr_sukamaju"], since, until),
        ["a", "b", "c"]
    );
    assert_eq!(ids(&["pemkab.sukamaju"], since, until), ["f"]);
    assert_eq!(
        ids(&["dinkes_sukamaju"], since, "2026-12-01T00:00:00Z"),
        ["a", "b", "e"]
    );
    // The period is half-open; an empty period or no handle reads nothing.
    assert_eq!(
        ids(&["dinkes_sukamaju"], "2026-11-21T10:00:00Z", until),
        ["b"]
    );
    assert!(ids(&["dinkes_sukamaju"], until, since).is_empty());
    // The index keeps whole seconds: a period ending inside the second of a post keeps it.
    assert_eq!(
        ids(&["dinkes_sukamaju"], since, "2026-11-21T10:00:00.400Z"),
        ["a", "b"]
    );
    assert_eq!(
        ids(&["dinkes_sukamaju"], since, "2026-11-21T10:00:00Z"),
        ["a"]
    );
    assert!(ids(&[], since, until).is_empty());
    assert!(ids(&["@", " "], since, until).is_empty());
    // A handle is a handle, never query syntax.
    assert!(ids(&["author:x OR *"], since, until).is_empty());
}
