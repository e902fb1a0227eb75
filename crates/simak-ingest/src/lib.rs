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
//! Adding a platform: one module implementing [`Source`], one line in [`build_sources`].

#![warn(missing_docs)]

pub mod cursor;
pub mod factcheck_feed;
pub mod feedprep;
pub mod html;
pub mod jetstream;
pub mod jsonl;
pub mod mastodon;
pub mod rss;
pub mod scheduler;

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
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(timeout_secs.clamp(1, 10)))
        .build()
        .map_err(|e| SourceError::Permanent(format!("building the HTTP client: {e}")))
}

/// Builds every source the configuration enables. One line per platform. `watch` are the
/// watch profiles' phrases (names, aliases, acronyms, people), for platforms without search.
pub fn build_sources(cfg: &Config, watch: &[String]) -> Result<Vec<Box<dyn Source>>, SourceError> {
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    sources.extend(jetstream::build(&cfg.sources.jetstream, watch)?);
    sources.extend(mastodon::build(
        &cfg.sources.mastodon,
        &cfg.sources.rss.user_agent,
    )?);
    sources.extend(rss::build(&cfg.sources.rss)?);
    sources.extend(factcheck_feed::build(
        &cfg.sources.factcheck_feeds,
        &cfg.sources.rss,
    )?);
    Ok(sources)
}
