//! Ingestion: sources that collect public mentions and hand them to the log.
//!
//! # Contract
//!
//! A [`Source`] is one platform module. The [`scheduler`] calls [`Source::fetch`] with the
//! source's saved cursor; the source returns what is new and the cursor after it. The scheduler
//! drops mentions it has already handed over (by mention id, over a window of recent ids), sends
//! the rest to the log, and saves the new cursor **only after the log acknowledged the batch**.
//! A crash between the two re-fetches the batch (and the dedupe window and the index's unique key
//! absorb the repeat); it never skips one. A failing source backs off on its own, honouring the
//! platform's rate-limit answers, and never stalls the others.
//!
//! The crate has two halves: [`sources`], one module per platform, and [`runtime`], what runs
//! them. Adding a platform: one module in `sources/` implementing [`Source`], its `pub mod` line,
//! and one line in [`build_sources`].

#![warn(missing_docs)]

pub mod runtime;
pub mod sources;

// The modules keep their paths from before the split (`simak_ingest::rss`, `simak_ingest::cursor`).
pub use runtime::{cursor, health, scheduler, sweep};
pub use sources::{
    factcheck_feed, feedprep, googlenews, html, jetstream, jsonl, mastodon, reddit, rss, telegram,
    x, youtube,
};

use simak_core::{Config, Mention};
use std::time::Duration;

/// What one fetch returned.
#[derive(Debug, Default)]
pub struct Fetched {
    /// New mentions, oldest first where the platform says.
    pub mentions: Vec<Mention>,
    /// The cursor after them (None: keep the old one).
    pub cursor: Option<serde_json::Value>,
    /// When to fetch again.
    pub next_poll: Duration,
    /// Time ranges the source knows it could not collect (see [`health`]).
    pub gaps: Vec<health::Gap>,
    /// The answer is a fixed window of the newest items (a feed): if none of them was seen
    /// before and all are newer than anything handed over, the scheduler records a gap
    /// between the two.
    pub window: bool,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The platform asked us to wait.
    #[error("rate limited: {message} (retry in {}s)", retry_after.as_secs())]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
        /// What the platform said.
        message: String,
    },
    /// A failure that may pass (network, timeout, 5xx, malformed body): retried with backoff.
    #[error("{0}")]
    Transient(String),
    /// A failure that needs an operator (404, 401, bad configuration): retried rarely.
    #[error("{0}")]
    Permanent(String),
    /// The source cannot work as configured and is stopped (reported in its health, not
    /// retried until a restart): a Telegram channel without a public preview.
    #[error("{0}")]
    Gone(String),
}

/// The stream a source writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Public mentions (`bus.topics.mentions`).
    Mentions,
    /// Fact-check entries (`bus.topics.factchecks`).
    Factchecks,
}

/// One platform module.
#[async_trait::async_trait]
pub trait Source: Send {
    /// Unique, stable name (`rss:antara`): names the cursor file, logs and metrics.
    fn name(&self) -> &str;
    /// The stream it writes to.
    fn topic(&self) -> Topic {
        Topic::Mentions
    }
    /// The log record of one fetched item (keyed by its id).
    fn record(&self, m: &Mention) -> simak_bus::Record {
        simak_bus::Record {
            key: m.id.clone(),
            value: m.to_json(),
        }
    }
    /// Fetches what is new after `cursor` (None on the first run).
    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError>;
}

/// The HTTP client of the polling sources: the configured User-Agent, a timeout for the whole
/// request and a shorter one to connect.
pub fn http_client(user_agent: &str, timeout_secs: u64) -> Result<reqwest::Client, SourceError> {
    client_builder(user_agent, timeout_secs)
        .build()
        .map_err(|e| SourceError::Permanent(format!("building the HTTP client: {e}")))
}

/// [`http_client`] that does not follow redirects, for sources that read them (a Telegram
/// redirect means "no preview"; Google News redirects to the publisher).
pub fn http_client_no_redirects(
    user_agent: &str,
    timeout_secs: u64,
) -> Result<reqwest::Client, SourceError> {
    client_builder(user_agent, timeout_secs)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SourceError::Permanent(format!("building the HTTP client: {e}")))
}

fn client_builder(user_agent: &str, timeout_secs: u64) -> reqwest::ClientBuilder {
    let user_agent = match user_agent.trim() {
        "" => simak_core::config::USER_AGENT,
        ua => ua,
    };
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(timeout_secs.clamp(1, 10)))
}

/// A watch profile's phrases (name, aliases, acronyms, people), for platforms without a
/// configured search.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    /// The profile's id.
    pub profile: String,
    /// Its phrases.
    pub phrases: Vec<String>,
}

impl Watch {
    /// The phrases as one boolean query: `"Pemkab Sukamaju" OR Sukamaju`.
    pub fn or_query(&self) -> String {
        self.phrases
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p.contains(char::is_whitespace) {
                    format!("\"{}\"", p.replace('"', ""))
                } else {
                    p.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// The searches to run: the configured ones, or one per watch profile when `per_profile`.
pub fn searches(
    configured: &[simak_core::config::NamedQuery],
    per_profile: bool,
    watch: &[Watch],
) -> Vec<simak_core::config::NamedQuery> {
    if !configured.is_empty() || !per_profile {
        return configured.to_vec();
    }
    watch
        .iter()
        .filter(|w| !w.phrases.is_empty())
        .map(|w| simak_core::config::NamedQuery {
            name: w.profile.clone(),
            query: w.or_query(),
            subreddit: None,
        })
        .collect()
}

/// Sends `req`; a network failure or timeout is transient. Returns the status, the headers
/// and the body (at most `max_bytes`).
pub async fn send(
    req: reqwest::RequestBuilder,
    what: &str,
    max_bytes: usize,
) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>), SourceError> {
    let mut resp = req
        .send()
        .await
        // Without the URL: it may carry an API key in its query.
        .map_err(|e| {
            SourceError::Transient(format!("{what}: {}", rss::error_chain(&e.without_url())))
        })?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        SourceError::Transient(format!(
            "{what}: body: {}",
            rss::error_chain(&e.without_url())
        ))
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > max_bytes {
            return Err(SourceError::Transient(format!(
                "{what}: answer larger than {max_bytes} bytes"
            )));
        }
    }
    Ok((status, headers, body))
}

/// Parses a JSON body; a malformed or truncated one is transient (the next try may be whole).
pub fn json_body(body: &[u8], what: &str) -> Result<serde_json::Value, SourceError> {
    serde_json::from_slice(body).map_err(|e| {
        SourceError::Transient(format!(
            "{what}: malformed JSON ({e}); {} bytes",
            body.len()
        ))
    })
}

/// A source name as a file name: anything but ASCII letters, digits, `-` and `_` becomes `_`.
pub fn safe_name(source: &str) -> String {
    source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Largest API answer accepted, in bytes.
pub const MAX_BODY: usize = 16 << 20;

/// Builds every source the configuration enables. One line per platform. `watch` are the
/// watch profiles, for platforms without search or without configured searches.
pub fn build_sources(cfg: &Config, watch: &[Watch]) -> Result<Vec<Box<dyn Source>>, SourceError> {
    let phrases: Vec<String> = watch.iter().flat_map(|w| w.phrases.clone()).collect();
    let ua = cfg.sources.user_agent();
    let rss_cfg = cfg.sources.rss_resolved();
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    sources.extend(jetstream::build(&cfg.sources.jetstream, &phrases)?);
    sources.extend(mastodon::build(&cfg.sources.mastodon, ua)?);
    sources.extend(rss::build(&rss_cfg)?);
    sources.extend(factcheck_feed::build(
        &cfg.sources.factcheck_feeds,
        &rss_cfg,
    )?);
    sources.extend(reddit::build(&cfg.sources.reddit, ua, watch)?);
    sources.extend(x::build(&cfg.sources.x, ua, watch)?);
    sources.extend(youtube::build(&cfg.sources.youtube, ua)?);
    sources.extend(telegram::build(&cfg.sources.telegram, ua)?);
    sources.extend(googlenews::build(
        &cfg.sources.google_news,
        &rss_cfg,
        watch,
    )?);
    Ok(sources)
}
