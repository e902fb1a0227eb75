//! The RSS source against feedparser's test corpus (../shared/data/fixtures/feedparser): it must
//! never panic on any file, and must parse every well-formed one.
//!
//! A file is well-formed when its header says `Expect: not bozo` (feedparser's own verdict:
//! "bozo" marks a feed that is not well-formed XML or JSON). Files whose header gives HTTP
//! headers (`Header: Content-type: ...`) are parsed with that charset, as the source would.

use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/fixtures/feedparser/tests")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// feedparser's verdict for a file, from its header comment.
fn expects_well_formed(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(2000)]);
    head.lines()
        .find(|l| l.trim_start().starts_with("Expect:"))
        .is_some_and(|l| l.contains("not bozo"))
}

fn header_charset(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(2000)]);
    head.lines()
        .filter(|l| l.trim_start().to_ascii_lowercase().starts_with("header:"))
        .find_map(|l| {
            let l = l.to_ascii_lowercase();
            l.split("charset=")
                .nth(1)
                .map(|c| c.trim().trim_matches('"').to_string())
        })
}

#[test]
fn never_panics_and_parses_every_well_formed_feed() {
    let mut files = Vec::new();
    walk(&corpus(), &mut files);
    files.sort();
    assert!(
        files.len() > 2000,
        "corpus incomplete: {} files",
        files.len()
    );
    let mut well_formed = 0;
    let mut failures = Vec::new();
    for f in &files {
        let body = std::fs::read(f).unwrap();
        let charset = header_charset(&body);
        let parsed = simak_ingest::rss::parse_feed_with_charset(
            &body,
            charset.as_deref(),
            "http://example.org/feed",
            "corpus",
        );
        if expects_well_formed(&body) {
            well_formed += 1;
            if let Err(e) = parsed {
                failures.push(format!(
                    "{}: {e}",
                    f.strip_prefix(corpus()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        well_formed > 1500,
        "only {well_formed} well-formed files found"
    );
    assert!(
        failures.is_empty(),
        "{} of {well_formed} well-formed feeds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
