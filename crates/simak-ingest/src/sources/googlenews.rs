//! Google News RSS search: one feed per search (`/rss/search?q=...&hl=id&gl=ID&ceid=ID:id`),
//! configured or one per watch profile.
//!
//! Google's item links point at `news.google.com/rss/articles/<id>`. Each is resolved to the
//! publisher's URL, so the article has the same mention id as when it comes from the
//! publisher's own feed (`rss:u<hash of the canonical URL>`) and the index keeps one copy:
//! first by decoding the id (the older ids carry the URL in a base64 protobuf), then by
//! reading Google's redirects (the publisher's page itself is not fetched). A link that resolves neither way keeps Google's URL and is
//! marked `canonical: false`. Only links on the configured Google News host are ever
//! requested (an egress allow-list): a feed item whose link names any other host — an
//! internal address, a metadata service — is left as it is, never fetched. Resolutions are
//! cached. The feed is a window of the newest
//! items, so a window that is wholly new records a gap (see [`crate::Fetched::window`]).

use crate::rss::RssSource;
use crate::{Fetched, Source, SourceError, Watch};
use base64::Engine;
use simak_core::config::{FeedConfig, GoogleNewsConfig, NamedQuery, RssConfig};
use simak_core::url_mention_id;
use std::collections::HashMap;

/// Most resolutions remembered per search.
const CACHE: usize = 5_000;

/// One search.
pub struct GoogleNews {
    name: String,
    feed: RssSource,
    resolve: bool,
    no_redirect: reqwest::Client,
    /// The one origin (scheme, host, port) links are fetched from: `base_url`'s.
    allowed: Option<url::Origin>,
    cache: HashMap<String, Option<String>>,
}

/// Builds one source per search (configured, or per watch profile when `enabled`).
pub fn build(
    cfg: &GoogleNewsConfig,
    rss: &RssConfig,
    watch: &[Watch],
) -> Result<Vec<Box<dyn Source>>, SourceError> {
    let searches = crate::searches(&cfg.searches, cfg.enabled, watch);
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let client = crate::http_client(&rss.user_agent, rss.timeout_secs)?;
    Ok(searches
        .iter()
        .map(|s| Box::new(GoogleNews::new(s, cfg, rss, client.clone())) as Box<dyn Source>)
        .collect())
}

/// The feed URL of `query`.
pub fn search_url(base: &str, query: &str) -> String {
    let mut u = url::Url::parse(&format!("{}/rss/search", base.trim_end_matches('/')))
        .unwrap_or_else(|_| url::Url::parse("https://news.google.com/rss/search").expect("valid"));
    u.query_pairs_mut()
        .append_pair("q", query)
        .append_pair("hl", "id")
        .append_pair("gl", "ID")
        .append_pair("ceid", "ID:id");
    u.to_string()
}

impl GoogleNews {
    /// A source for `search`.
    pub fn new(
        search: &NamedQuery,
        cfg: &GoogleNewsConfig,
        rss: &RssConfig,
        client: reqwest::Client,
    ) -> GoogleNews {
        let feed = FeedConfig {
            name: format!("google-news:{}", search.name),
            url: search_url(&cfg.base_url, &search.query),
            interval_secs: Some(cfg.interval_secs),
        };
        GoogleNews {
            name: format!("google_news:{}", search.name),
            feed: RssSource::new(&feed, rss, client.clone()),
            resolve: cfg.resolve_links,
            no_redirect: crate::http_client_no_redirects(&rss.user_agent, rss.timeout_secs)
                .unwrap_or(client),
            allowed: url::Url::parse(&cfg.base_url).ok().map(|u| u.origin()),
            cache: HashMap::new(),
        }
    }

    async fn resolve(&mut self, link: &str) -> Option<String> {
        if let Some(hit) = self.cache.get(link) {
            return hit.clone();
        }
        let found = match decode_article_url(link) {
            Some(u) => Some(u),
            None => self.follow(link).await,
        };
        if self.cache.len() >= CACHE {
            self.cache.clear();
        }
        self.cache.insert(link.to_string(), found.clone());
        found
    }

    /// Follows Google's redirects (without fetching the publisher's page) to the first URL
    /// off Google News.
    async fn follow(&self, link: &str) -> Option<String> {
        let mut at = url::Url::parse(link).ok()?;
        for _ in 0..5 {
            if self.allowed.as_ref() != Some(&at.origin()) {
                tracing::debug!(source = %self.name, link = %at, "link off the Google News host; not fetched");
                return None;
            }
            let resp = self.no_redirect.get(at.as_str()).send().await.ok()?;
            if !resp.status().is_redirection() {
                return None;
            }
            let loc = resp
                .headers()
                .get(reqwest::header::LOCATION)?
                .to_str()
                .ok()?;
            let next = at.join(loc).ok()?;
            let google = next
                .host_str()
                .is_some_and(|h| h.ends_with("news.google.com"))
                || next.host_str() == at.host_str();
            if !google && next.scheme().starts_with("http") {
                return Some(next.to_string());
            }
            at = next;
        }
        None
    }
}

/// The publisher URL inside an older Google News article id
/// (`/rss/articles/CBMi...`: base64url of a protobuf whose field 4 is the URL).
pub fn decode_article_url(link: &str) -> Option<String> {
    let u = url::Url::parse(link).ok()?;
    if !u.host_str()?.ends_with("news.google.com") {
        return None;
    }
    let id = u.path_segments()?.next_back()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .ok()?;
    let start = bytes.windows(4).position(|w| w == b"http")?;
    // Field 4 (tag 0x22) with a one- or two-byte length right before the URL.
    let len = if start >= 2 && bytes[start - 2] == 0x22 && bytes[start - 1] < 0x80 {
        Some(bytes[start - 1] as usize)
    } else if start >= 3 && bytes[start - 3] == 0x22 && bytes[start - 2] >= 0x80 {
        Some((bytes[start - 2] & 0x7f) as usize | (bytes[start - 1] as usize) << 7)
    } else {
        None
    };
    let end = match len {
        Some(l) if start + l <= bytes.len() => start + l,
        _ => {
            start
                + bytes[start..]
                    .iter()
                    .position(|b| !(0x21..0x7f).contains(b))
                    .unwrap_or(bytes.len() - start)
        }
    };
    let s = std::str::from_utf8(&bytes[start..end]).ok()?;
    url::Url::parse(s).ok().map(|u| u.to_string())
}

#[async_trait::async_trait]
impl Source for GoogleNews {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let mut f = self.feed.fetch(cursor).await?;
        if self.resolve {
            for m in &mut f.mentions {
                let Some(link) = m.url.clone() else { continue };
                match self.resolve(&link).await {
                    Some(real) => {
                        m.id = url_mention_id("rss", &real);
                        m.url = Some(real);
                        m.extra.insert("google_news_url".into(), link.into());
                    }
                    None => {
                        m.extra.insert("canonical".into(), false.into());
                    }
                }
            }
        }
        for m in &mut f.mentions {
            // Its own source, for the source filter and facet; the id stays the publisher
            // URL's (`url_mention_id("rss", …)`), so the same article from its own feed is one
            // mention.
            m.source = "google_news".into();
            m.extra.insert("via".into(), "google_news".into());
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_ids_decode_to_the_publisher_url() {
        let url = "https://berita.example.id/daerah/banjir-sukamaju";
        let mut pb = vec![0x08, 0x13, 0x22, url.len() as u8];
        pb.extend_from_slice(url.as_bytes());
        pb.extend_from_slice(&[0xd2, 0x01, 0x00]);
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&pb);
        let link = format!("https://news.google.com/rss/articles/{id}?oc=5");
        assert_eq!(decode_article_url(&link).as_deref(), Some(url));
        assert_eq!(
            decode_article_url("https://news.google.com/rss/articles/AU_yqLxyz"),
            None
        );
        assert_eq!(
            decode_article_url("https://example.com/rss/articles/x"),
            None
        );
    }

    #[tokio::test]
    async fn links_off_the_google_news_host_are_never_fetched() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let inside = format!(
            "http://{}/latest/meta-data/",
            listener.local_addr().unwrap()
        );
        let cfg = GoogleNewsConfig::default();
        let rss = RssConfig {
            timeout_secs: 2,
            ..Default::default()
        };
        let q = NamedQuery {
            name: "pemkab".into(),
            query: "Sukamaju".into(),
            subreddit: None,
        };
        let mut g = GoogleNews::new(&q, &cfg, &rss, reqwest::Client::new());
        assert_eq!(g.resolve(&inside).await, None);
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a link to another host was requested"
        );
    }

    #[test]
    fn search_urls_ask_for_indonesian_news() {
        assert_eq!(
            search_url("https://news.google.com/", "\"Pemkab Sukamaju\" OR Sukamaju"),
            "https://news.google.com/rss/search?q=%22Pemkab+Sukamaju%22+OR+Sukamaju&hl=id&gl=ID&ceid=ID%3Aid"
        );
    }
}
