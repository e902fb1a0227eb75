//! Fact-check feeds: the WordPress RSS of fact-checkers (TurnBackHoax, cekfakta.com, Liputan6
//! Cek Fakta, an agency's own clarification page), turned into fact-check entries for the
//! `factchecks` stream that every analyzer matches posts against.
//!
//! Fetching is the RSS source's (conditional GET, charsets, 429/5xx handling). Each item
//! becomes `{id, claim, verdict, explanation, url, published_at, source}`: the verdict is read
//! from the title's label (`[HOAKS]`, `[SALAH]`, `Cek Fakta: Tidak Benar ...`), the claim is the
//! title without it, the explanation is the item's text. An item with no recognizable verdict
//! keeps an empty verdict: it is shown as related, never used to flag.

use crate::rss::RssSource;
use crate::{Fetched, Source, SourceError, Topic};
use simak_bus::Record;
use simak_core::config::{FeedConfig, RssConfig};
use simak_core::Mention;

/// Verdict labels, lowercase, longest first, as fact-checkers write them in titles.
const VERDICTS: &[&str] = &[
    "tidak benar",
    "disinformasi",
    "misinformasi",
    "menyesatkan",
    "hoaks",
    "hoax",
    "salah",
    "keliru",
    "palsu",
    "penipuan",
    "satire",
    "benar",
    "fakta",
];

/// Splits a fact-check title into (verdict, claim).
pub fn split_verdict(title: &str) -> (String, String) {
    let mut t = title.trim();
    // "Cek Fakta:" and similar section prefixes.
    for p in ["cek fakta:", "cek fakta -", "[cek fakta]", "cekfakta:"] {
        if t.len() >= p.len() && t.is_char_boundary(p.len()) && t[..p.len()].eq_ignore_ascii_case(p)
        {
            t = t[p.len()..].trim_start();
        }
    }
    // "[HOAKS] claim" / "[SALAH] claim"
    if let Some(rest) = t.strip_prefix('[') {
        if let Some((label, claim)) = rest.split_once(']') {
            let l = label.trim().to_lowercase();
            if VERDICTS.iter().any(|v| l == *v || l.starts_with(v)) {
                return (
                    l,
                    claim
                        .trim()
                        .trim_start_matches([':', '-'])
                        .trim()
                        .to_string(),
                );
            }
        }
    }
    // "HOAKS: claim", "Tidak Benar: claim", "Keliru, claim", or "Tidak Benar claim".
    let lower = t.to_lowercase();
    for v in VERDICTS {
        if lower.starts_with(v) && t.is_char_boundary(v.len()) {
            let rest = t[v.len()..].trim_start_matches([':', ',', '-', ' ']).trim();
            if !rest.is_empty() {
                return (v.to_string(), rest.to_string());
            }
        }
    }
    (String::new(), t.to_string())
}

/// Builds one source per configured fact-check feed.
pub fn build(feeds: &[FeedConfig], cfg: &RssConfig) -> Result<Vec<Box<dyn Source>>, SourceError> {
    if feeds.is_empty() {
        return Ok(Vec::new());
    }
    let client = crate::http_client(&cfg.user_agent, cfg.timeout_secs)?;
    Ok(feeds
        .iter()
        .map(|f| Box::new(FactcheckFeed::new(f, cfg, client.clone())) as Box<dyn Source>)
        .collect())
}

/// One fact-check feed.
pub struct FactcheckFeed {
    name: String,
    feed: String,
    inner: RssSource,
}

impl FactcheckFeed {
    /// A source for `feed`.
    pub fn new(feed: &FeedConfig, cfg: &RssConfig, client: reqwest::Client) -> FactcheckFeed {
        FactcheckFeed {
            name: format!("factcheck:{}", feed.name),
            feed: feed.name.clone(),
            inner: RssSource::new(feed, cfg, client),
        }
    }
}

#[async_trait::async_trait]
impl Source for FactcheckFeed {
    fn name(&self) -> &str {
        &self.name
    }

    fn topic(&self) -> Topic {
        Topic::Factchecks
    }

    fn record(&self, m: &Mention) -> Record {
        let title = m.title.clone().unwrap_or_else(|| m.text.clone());
        let (verdict, claim) = split_verdict(&title);
        // `rss:u<hash>` of the canonical link: stable across feeds and refetches.
        let key = m.id.strip_prefix("rss:").unwrap_or(&m.id);
        let id = format!("{}:{key}", self.feed);
        let fc = serde_json::json!({
            "id": id,
            "claim": claim,
            "verdict": verdict,
            "explanation": m.text,
            "url": m.url,
            "published_at": m.published_at,
            "source": self.feed,
        });
        Record {
            key: id,
            value: serde_json::to_vec(&fc).expect("fact-check serializes"),
        }
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        self.inner.fetch(cursor).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_read_from_titles() {
        let cases = [
            (
                "[HOAKS] Pemkab Sukamaju Bagikan Bantuan Rp5 Juta",
                "hoaks",
                "Pemkab Sukamaju Bagikan Bantuan Rp5 Juta",
            ),
            (
                "[SALAH] Video Banjir Bandang di Sukamaju",
                "salah",
                "Video Banjir Bandang di Sukamaju",
            ),
            (
                "Cek Fakta: Tidak Benar Bupati Ditangkap KPK",
                "tidak benar",
                "Bupati Ditangkap KPK",
            ),
            (
                "Cek Fakta: Hoaks Vaksin Mengandung Microchip",
                "hoaks",
                "Vaksin Mengandung Microchip",
            ),
            (
                "[DISINFORMASI] Air PDAM Beracun",
                "disinformasi",
                "Air PDAM Beracun",
            ),
            (
                "Keliru, Klaim Sertifikat Tanah Lama Tidak Berlaku",
                "keliru",
                "Klaim Sertifikat Tanah Lama Tidak Berlaku",
            ),
            (
                "Pemkab Gelar Rapat Koordinasi",
                "",
                "Pemkab Gelar Rapat Koordinasi",
            ),
            ("[", "", "["),
            ("Cek Fakta: ", "", ""),
        ];
        for (title, verdict, claim) in cases {
            assert_eq!(
                split_verdict(title),
                (verdict.to_string(), claim.to_string()),
                "{title}"
            );
        }
    }
}
