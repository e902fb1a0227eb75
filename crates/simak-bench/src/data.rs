//! The texts of a `text<TAB>label` corpus, which the benches build mentions from.

use anyhow::{bail, Context, Result};
use std::io::BufRead;
use std::path::Path;

/// The texts of a `text<TAB>label` corpus (Indonesian posts to build mentions from).
pub(crate) fn corpus_texts(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot open the corpus {} (pass --corpus)", path.display()))?;
    let texts: Vec<String> = std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.rsplit_once('\t').map(|(t, _)| t.to_string()))
        .filter(|t| !t.is_empty())
        .collect();
    if texts.is_empty() {
        bail!("the corpus {} has no texts", path.display());
    }
    Ok(texts)
}

/// Sources the generated mentions come from, in turn.
const SOURCES: [&str; 6] = ["x", "bluesky", "mastodon", "rss", "youtube", "telegram"];
const TAGS: [&str; 6] = [
    "#pemkab",
    "#banjir",
    "#pelayanan",
    "#jalanrusak",
    "#bansos",
    "",
];
/// Names of the example watch profiles (`config/profiles`), for `office_every`.
const OFFICES: [&str; 4] = [
    "Pemkab Sukamaju",
    "Dinkes Sukamaju",
    "DPUPR Sukamaju",
    "Diskominfo Sukamaju",
];

/// `n` mentions as JSONL lines (without the newline) built from `texts`, one at a time, so
/// that generating millions keeps none of them: ids `bench:<i>`, six sources in turn, one or
/// two corpus texts and a hashtag, publication times 7 s apart over two weeks from
/// 2026-11-01 (then again from the start). With `office_every`, every such mention also names
/// one of the example watch profiles, so profile matching, complaints and alert rules see
/// traffic; without it the sequence is the one `bench pipeline` always used.
pub(crate) fn mention_lines(
    texts: &[String],
    n: usize,
    office_every: Option<usize>,
) -> impl Iterator<Item = String> + '_ {
    let mut next = simak_core::xorshift::xorshift();
    let start: chrono::DateTime<chrono::Utc> = "2026-11-01T00:00:00Z".parse().expect("date");
    (0..n).map(move |i| {
        let a = &texts[next() as usize % texts.len()];
        let b = &texts[next() as usize % texts.len()];
        let mut text = if next().is_multiple_of(3) {
            format!("{a} {b}")
        } else {
            a.clone()
        };
        if let Some(k) = office_every.filter(|k| *k > 0 && i % k == 0) {
            text = format!("{} {text}", OFFICES[(i / k) % OFFICES.len()]);
        }
        let tag = TAGS[next() as usize % TAGS.len()];
        serde_json::json!({
            "id": format!("bench:{i}"),
            "source": SOURCES[i % SOURCES.len()],
            "author": {"handle": format!("warga{}", next() % 5000), "followers": next() % 20000},
            "text": format!("{text} {tag}").trim(),
            "published_at": (start + chrono::Duration::seconds((i as i64 * 7) % (14 * 86400))).to_rfc3339(),
            "metrics": {"likes": next() % 500, "shares": next() % 100, "replies": next() % 50},
        })
        .to_string()
    })
}
