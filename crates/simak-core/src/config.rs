//! Configuration: one TOML file, every field overridable from the environment.
//!
//! Layers, later wins: built-in defaults, the TOML file (`--config`, else `$SIMAK_CONFIG`, else
//! `config/simak.toml` when it exists), environment variables `SIMAK_<SECTION>__<FIELD>` (for
//! example `SIMAK_BUS__BROKERS=kafka1:9092` or `SIMAK_SERVER__ADDR=0.0.0.0:8080`), and the global
//! `--data-dir` option. Unknown keys are errors that name the key and the file.
//!
//! Secrets never live here: they are read from environment variables named `SIMAK_SECRET_*`
//! (see [`secret`]), which the override layer skips, and they are never logged.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variables with the `SIMAK_` prefix that are not configuration overrides.
const NOT_OVERRIDES: &[&str] = &["config", "log", "log_format"];

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for everything Simak stores: the embedded log, the index, source cursors.
    /// Relative paths are relative to the working directory. Default `data`.
    pub data_dir: PathBuf,
    /// The log between stages.
    pub bus: BusConfig,
    /// The full-text index.
    pub index: IndexConfig,
    /// The analyzer stage.
    pub analyzer: AnalyzerConfig,
    /// The HTTP server (API and web UI).
    pub server: ServerConfig,
    /// Sources to collect from.
    pub sources: SourcesConfig,
    /// Alert e-mails.
    pub alerts: AlertsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            bus: BusConfig::default(),
            index: IndexConfig::default(),
            analyzer: AnalyzerConfig::default(),
            server: ServerConfig::default(),
            sources: SourcesConfig::default(),
            alerts: AlertsConfig::default(),
        }
    }
}

/// Alert e-mails: rules, delivery, limits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// SMTP server as a URL: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://host:465` (TLS). Empty: alerts are written as `.eml` files under
    /// `<data_dir>/outbox`. The password comes from `SIMAK_SECRET_SMTP_PASSWORD` (or
    /// `SIMAK_SECRET_SMTP_PASSWORD_FILE`), never from here.
    pub smtp_url: String,
    /// SMTP user name, if the server needs a login.
    pub smtp_user: String,
    /// Longest one SMTP delivery (connect, dialogue, message) may take, in seconds; a server
    /// that accepts and stops answering fails the attempt after this, and it is retried.
    pub smtp_timeout_secs: u64,
    /// The From address.
    pub from: String,
    /// The address officers open Simak at: links in e-mails and the demo's banner point there.
    /// Unset: `http://` + `server.addr` (its unspecified host read as loopback).
    pub base_url: String,
    /// Recipients for a profile that names none.
    pub default_recipients: Vec<String>,
    /// A suspected hoax is alerted from this score on (known hoaxes always are).
    pub suspected_min_score: f32,
    /// A hoax alert is sent again (as an update) when its spread grows by this factor.
    pub growth_factor: f32,
    /// At most this many e-mails per recipient per hour; more wait, none is dropped.
    pub per_recipient_per_hour: u32,
    /// Volume spike: the hour's count above mean + k·σ of the same hour on the 7 days before.
    pub spike_k: f32,
    /// Volume spike: and at least this many mentions in the hour.
    pub spike_min_count: u32,
    /// Negative surge: negative mentions in the hour above mean + k·σ of the 7 days before.
    pub negative_k: f32,
    /// Negative surge: and at least this many negative mentions in the hour.
    pub negative_min_count: u32,
    /// When the daily summary of the day before goes out, `HH:MM` in WIB (Asia/Jakarta).
    /// Empty: no daily summary e-mail.
    pub summary_time: String,
    /// How often the alert stage looks for complaint cases open past their OPD's target
    /// (each is e-mailed to the OPD once), in seconds.
    pub overdue_check_secs: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            smtp_url: String::new(),
            smtp_user: String::new(),
            smtp_timeout_secs: 30,
            from: "Simak <simak@localhost>".into(),
            base_url: "http://127.0.0.1:8080".into(),
            default_recipients: Vec::new(),
            suspected_min_score: 0.5,
            growth_factor: 2.0,
            per_recipient_per_hour: 30,
            spike_k: 3.0,
            spike_min_count: 20,
            negative_k: 3.0,
            negative_min_count: 10,
            summary_time: "07:00".into(),
            overdue_check_secs: 60,
        }
    }
}

/// The log: Kafka when `brokers` is set, otherwise the embedded log under the data directory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    /// Kafka bootstrap servers, comma separated (`host:port,host:port`). Empty: embedded log.
    pub brokers: String,
    /// Partitions per topic: used when Simak creates a topic (Kafka) or a new embedded log.
    pub partitions: u32,
    /// Replication factor for topics Simak creates on Kafka.
    pub replication_factor: u16,
    /// Topic names.
    pub topics: TopicsConfig,
    /// Consumer group ids, one per stage.
    pub groups: GroupsConfig,
    /// Embedded log settings.
    pub embedded: EmbeddedConfig,
    /// Extra librdkafka properties passed to every Kafka client (for example
    /// `"security.protocol" = "SASL_SSL"`). Put no secret here: a SASL password is read from
    /// `SIMAK_SECRET_KAFKA_PASSWORD`.
    pub kafka_properties: BTreeMap<String, String>,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            brokers: String::new(),
            partitions: 4,
            replication_factor: 1,
            topics: TopicsConfig::default(),
            groups: GroupsConfig::default(),
            embedded: EmbeddedConfig::default(),
            kafka_properties: BTreeMap::new(),
        }
    }
}

impl BusConfig {
    /// True when a Kafka cluster is configured.
    pub fn is_kafka(&self) -> bool {
        !self.brokers.trim().is_empty()
    }
}

/// Topic names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TopicsConfig {
    /// Raw mentions from the sources.
    pub mentions: String,
    /// Mentions enriched by the analyzer.
    pub enriched: String,
    /// Fact-checks: from `simak factcheck import`, the fact-check feeds and the office's own
    /// clarifications. Every analyzer reads it whole at start and follows it.
    pub factchecks: String,
}

impl Default for TopicsConfig {
    fn default() -> Self {
        TopicsConfig {
            mentions: "simak.mentions".into(),
            enriched: "simak.enriched".into(),
            factchecks: "simak.factchecks".into(),
        }
    }
}

/// Consumer group ids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GroupsConfig {
    /// The analyzer's group. Several analyzer processes share the work.
    pub analyzer: String,
    /// The indexer's group. Each indexer+API replica needs its own group id: each holds a full
    /// index (its offsets live in the index itself; the group only reports lag).
    pub indexer: String,
    /// The group that feeds the review queue from the enriched stream.
    pub review: String,
    /// The group of the alert stage.
    pub alerts: String,
}

impl Default for GroupsConfig {
    fn default() -> Self {
        GroupsConfig {
            analyzer: "simak-analyzer".into(),
            indexer: "simak-indexer".into(),
            review: "simak-review".into(),
            alerts: "simak-alerts".into(),
        }
    }
}

/// Embedded log settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedConfig {
    /// fsync each appended batch before acknowledging it. Off survives a process crash
    /// (kill -9) but not a power cut.
    pub fsync: bool,
    /// How often a consumer looks for records appended by another process, in milliseconds.
    pub poll_ms: u64,
    /// A partition's active segment is closed and a new one started once it holds this many
    /// MiB, or once its first record is older than `segment_age`.
    pub segment_mb: u64,
    /// Age of a segment's first record after which the segment is closed (`12h`, `1d`), so that
    /// a quiet log still rolls and retention can free it.
    pub segment_age: String,
    /// A closed segment is deleted once every consumer group of its topic has committed past
    /// it and it was last written longer ago than this (`7d`, `48h`). Empty: kept forever.
    /// The fact-check topic is always kept whole (every analyzer reads it from the start).
    pub retention: String,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            fsync: true,
            poll_ms: 50,
            segment_mb: 64,
            segment_age: "1d".into(),
            retention: "7d".into(),
        }
    }
}

impl EmbeddedConfig {
    /// The segment size limit in bytes.
    pub fn segment_bytes(&self) -> u64 {
        self.segment_mb.max(1).saturating_mul(1024 * 1024)
    }

    /// The segment age limit (None: size only).
    pub fn segment_age(&self) -> Option<Duration> {
        crate::time::parse_duration(&self.segment_age)
            .ok()
            .flatten()
    }

    /// The retention (None: keep everything).
    pub fn retention(&self) -> Option<Duration> {
        crate::time::parse_duration(&self.retention).ok().flatten()
    }
}

/// The full-text index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    /// Index directory. Default `<data_dir>/index`.
    pub path: Option<PathBuf>,
    /// Commit after this many documents...
    pub commit_docs: usize,
    /// ...or this many milliseconds after the first uncommitted document, whichever comes first.
    /// Search sees a mention after the commit that holds it.
    pub commit_ms: u64,
    /// Memory for the index writer, in MiB (split among its threads).
    pub writer_memory_mb: usize,
    /// Indexing threads (0: one per four cores, at least 1, at most 4: the analyzer needs
    /// about three times the indexer's CPU for each mention, and each indexing thread writes
    /// its own segments, so more threads than that make more segments to merge, not more
    /// mentions indexed).
    pub writer_threads: usize,
    /// A segment holding more mentions than this is not merged again (0: tantivy's default,
    /// 10 million). A merge reads every segment it merges and holds part of them in memory, so
    /// this bounds the largest merge, hence the peak memory of the indexer, at about eight
    /// times this many mentions; an index of N mentions then keeps about N / this many large
    /// segments (searched in parallel). Segments that lose mentions (the horizon, a replaced
    /// mention) fall under it and are merged again.
    pub max_merge_docs: usize,
    /// Query-time synonyms: lines of equivalent words or phrases, `pemkab, pemerintah kabupaten`.
    /// Re-read when the file changes; no reindexing needed. Empty or missing file: none.
    pub synonyms: PathBuf,
    /// Mentions published longer ago than this (`365d`) are dropped from the index by the
    /// indexer (checked every few minutes, and not indexed when they arrive). Empty: kept
    /// forever.
    pub horizon: String,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            path: None,
            commit_docs: 20_000,
            commit_ms: 1_000,
            writer_memory_mb: 256,
            writer_threads: 0,
            max_merge_docs: 250_000,
            synonyms: PathBuf::from("config/synonyms.txt"),
            horizon: String::new(),
        }
    }
}

impl IndexConfig {
    /// The commit interval as a duration.
    pub fn commit_interval(&self) -> Duration {
        Duration::from_millis(self.commit_ms)
    }

    /// The index horizon (None: keep every mention).
    pub fn horizon(&self) -> Option<Duration> {
        crate::time::parse_duration(&self.horizon).ok().flatten()
    }
}

/// The analyzer stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzerConfig {
    /// Records per batch taken from the log.
    pub batch: usize,
    /// Threads that analyze a batch (in chunks, the output kept in input order); 0: one per
    /// core.
    pub workers: usize,
    /// Directory of watch profiles, one `*.toml` per agency or OPD. Relative to the working
    /// directory; missing: no profiles.
    pub profiles_dir: PathBuf,
    /// The analyses run on each mention, in this order (each may read what the ones before it
    /// added): `language`, `sentiment`, `profiles` (watch profiles matched), `complaint`
    /// (complaint, request, question, praise or other; category; place), `hoax` (the hoax
    /// verdict). Leaving one out leaves its field out of every mention; an unknown name stops
    /// the analyzer with an error.
    pub enrichers: Vec<String>,
    /// The office's gazetteer (kecamatan and desa, TOML) from which the `complaint` analysis
    /// takes the place a post names. Relative to the working directory; missing: no places.
    pub gazetteer: PathBuf,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            batch: 1000,
            workers: 0,
            profiles_dir: PathBuf::from("config/profiles"),
            enrichers: ["language", "sentiment", "profiles", "complaint", "hoax"]
                .map(String::from)
                .to_vec(),
            gazetteer: PathBuf::from("config/gazetteer.toml"),
        }
    }
}

/// Which complaints a watch profile (an OPD) owns: the `[complaints]` table of its profile file.
///
/// A complaint, request or question opens a case for the OPD that owns it (see
/// `simak_review::complaints`): one owning its category and its place first, then one owning its
/// category anywhere (no `places`), then one owning its place whatever the category (no
/// `categories`: a kecamatan office), else the profile marked `fallback` (Humas).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ComplaintRouting {
    /// The services this OPD answers for (`roads`, `water`, `waste`, `health`, `education`,
    /// `population_records`, `permits`, `disaster`, `security`, `other`). Empty: none by
    /// category.
    pub categories: Vec<crate::ComplaintCategory>,
    /// The kecamatan or desa (names from the gazetteer) it answers for; a kecamatan covers its
    /// desa. Empty: everywhere, for its categories.
    pub places: Vec<String>,
    /// Hours within which a complaint should get its first public answer; later it is overdue.
    /// From 1 to 8760 (a year).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 8760))]
    pub target_hours: u32,
    /// Takes the complaints no other profile owns (Humas). At most one profile may.
    pub fallback: bool,
}

impl Default for ComplaintRouting {
    fn default() -> Self {
        ComplaintRouting {
            categories: Vec::new(),
            places: Vec::new(),
            target_hours: 24,
            fallback: false,
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address. Default `127.0.0.1:8080`: only this machine. Put a TLS reverse proxy in
    /// front before listening on a public address.
    pub addr: String,
    /// Largest page size the search API returns.
    pub max_limit: usize,
    /// Addresses of the reverse proxies in front of Simak (`"127.0.0.1"`, `"10.0.0.5"`). A
    /// request from one of them is taken to come from the address its `X-Forwarded-For`
    /// names (the last one that is not itself a trusted proxy), so that login rate limits
    /// apply to the real client and not to everyone behind the proxy. From any other
    /// address the header is ignored: a client cannot choose its own address.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            max_limit: 1000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Sources to collect from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// User-Agent every source sends unless its own section sets one (`sources.rss.user_agent`
    /// for the feeds, fact-check feeds and Google News). Empty: Simak's own.
    pub user_agent: String,
    /// News feeds (RSS, Atom, JSON Feed).
    pub rss: RssConfig,
    /// Bluesky through Jetstream.
    pub jetstream: JetstreamConfig,
    /// Mastodon hashtag timelines.
    pub mastodon: MastodonConfig,
    /// Fact-check feeds (WordPress RSS of fact-checkers), written to the fact-check stream.
    /// Polled with the `rss` settings.
    pub factcheck_feeds: Vec<FeedConfig>,
    /// Reddit search.
    pub reddit: RedditConfig,
    /// X API v2 recent search.
    pub x: XConfig,
    /// YouTube comment threads.
    pub youtube: YoutubeConfig,
    /// Telegram public channels (web preview).
    pub telegram: TelegramConfig,
    /// Google News RSS search.
    pub google_news: GoogleNewsConfig,
    /// How many recent mention ids each source remembers to drop repeats.
    pub dedupe_window: Option<usize>,
}

/// Simak's own User-Agent.
pub const USER_AGENT: &str = concat!("Simak/", env!("CARGO_PKG_VERSION"), " (+self-hosted)");

impl SourcesConfig {
    /// The User-Agent of the platform sources (`sources.user_agent`, else Simak's own).
    pub fn user_agent(&self) -> &str {
        match self.user_agent.trim() {
            "" => USER_AGENT,
            ua => ua,
        }
    }

    /// The `rss` settings with their User-Agent resolved (`sources.rss.user_agent`, else
    /// [`SourcesConfig::user_agent`]).
    pub fn rss_resolved(&self) -> RssConfig {
        let mut rss = self.rss.clone();
        if rss.user_agent.trim().is_empty() {
            rss.user_agent = self.user_agent().to_string();
        }
        rss
    }
}

/// A named search query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NamedQuery {
    /// A short unique name: names the cursor file.
    pub name: String,
    /// The query, in the platform's syntax.
    pub query: String,
    /// Reddit only: search within this subreddit.
    #[serde(default)]
    pub subreddit: Option<String>,
}

/// Reddit search, newest first, paged with `after`. With the secrets `REDDIT_CLIENT_ID` and
/// `REDDIT_CLIENT_SECRET` (see [`secret`]) an OAuth app token is used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RedditConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// Pages read per sweep before the rest is recorded as a gap.
    pub max_pages: usize,
    /// Public endpoint (used without OAuth credentials).
    pub base_url: String,
    /// OAuth endpoint (used with an app token).
    pub oauth_url: String,
    /// Where app tokens are obtained.
    pub token_url: String,
    /// The searches; empty: one per watch profile.
    pub searches: Vec<NamedQuery>,
    /// Search even with no searches configured, one per watch profile.
    pub enabled: bool,
}

impl Default for RedditConfig {
    fn default() -> Self {
        RedditConfig {
            interval_secs: 120,
            timeout_secs: 30,
            max_pages: 10,
            base_url: "https://www.reddit.com".into(),
            oauth_url: "https://oauth.reddit.com".into(),
            token_url: "https://www.reddit.com/api/v1/access_token".into(),
            searches: Vec::new(),
            enabled: false,
        }
    }
}

/// X API v2 recent search; runs when the secret `X_BEARER_TOKEN` is set (see [`secret`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct XConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// Pages read per sweep before the rest is recorded as a gap.
    pub max_pages: usize,
    /// The API.
    pub base_url: String,
    /// The searches; empty: one per watch profile.
    pub searches: Vec<NamedQuery>,
}

impl Default for XConfig {
    fn default() -> Self {
        XConfig {
            interval_secs: 300,
            timeout_secs: 30,
            max_pages: 10,
            base_url: "https://api.x.com".into(),
            searches: Vec::new(),
        }
    }
}

/// One YouTube target: a video's or a channel's comment threads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct YoutubeTarget {
    /// A short unique name: names the cursor file.
    pub name: String,
    /// A video id.
    #[serde(default)]
    pub video_id: Option<String>,
    /// A channel id (all threads related to the channel).
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Only threads containing these terms.
    #[serde(default)]
    pub search_terms: Option<String>,
}

/// YouTube Data API v3 comment threads; runs when the secret `YOUTUBE_API_KEY` is set (see
/// [`secret`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct YoutubeConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// Pages read per sweep before the rest is recorded as a gap.
    pub max_pages: usize,
    /// The API.
    pub base_url: String,
    /// The videos and channels.
    pub targets: Vec<YoutubeTarget>,
}

impl Default for YoutubeConfig {
    fn default() -> Self {
        YoutubeConfig {
            interval_secs: 600,
            timeout_secs: 30,
            max_pages: 5,
            base_url: "https://www.googleapis.com".into(),
            targets: Vec::new(),
        }
    }
}

/// Telegram public channels through their web preview, `t.me/s/<channel>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// Older pages read per sweep before the rest is recorded as a gap.
    pub max_pages: usize,
    /// The web preview's host.
    pub base_url: String,
    /// Channel usernames, without `@`.
    pub channels: Vec<String>,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            interval_secs: 300,
            timeout_secs: 30,
            max_pages: 10,
            base_url: "https://t.me".into(),
            channels: Vec::new(),
        }
    }
}

/// Google News RSS search, one feed per query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GoogleNewsConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// The service.
    pub base_url: String,
    /// The searches; empty: one per watch profile when `enabled`.
    pub searches: Vec<NamedQuery>,
    /// Search even with no searches configured, one per watch profile.
    pub enabled: bool,
    /// Resolve Google's article links to the publisher's URL (the same article from the
    /// publisher's own feed is then one mention).
    pub resolve_links: bool,
}

impl Default for GoogleNewsConfig {
    fn default() -> Self {
        GoogleNewsConfig {
            interval_secs: 900,
            base_url: "https://news.google.com".into(),
            searches: Vec::new(),
            enabled: false,
            resolve_links: true,
        }
    }
}

/// Mastodon hashtag timelines on one or more instances.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MastodonConfig {
    /// Poll interval, in seconds.
    pub interval_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// The instances.
    pub instances: Vec<MastodonInstance>,
}

impl Default for MastodonConfig {
    fn default() -> Self {
        MastodonConfig {
            interval_secs: 60,
            timeout_secs: 30,
            instances: Vec::new(),
        }
    }
}

/// One Mastodon instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MastodonInstance {
    /// A short unique name: names the cursor file.
    pub name: String,
    /// The instance, e.g. `https://mastodon.social`.
    pub url: String,
    /// Hashtags to follow, with or without `#`.
    pub hashtags: Vec<String>,
    /// The environment variable holding a user token, if any (sent as a bearer token).
    #[serde(default)]
    pub token_env: Option<String>,
}

/// Bluesky through Jetstream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JetstreamConfig {
    /// The subscribe URL, e.g. `wss://jetstream2.us-east.bsky.network/subscribe`. Empty: off.
    pub url: String,
    /// Phrases a post must contain (any one). Empty: the watch profiles' names, aliases,
    /// acronyms and people.
    pub keywords: Vec<String>,
    /// Languages a post must declare one of (`id`, `en`, ...); empty: any. A post that declares
    /// none passes.
    pub langs: Vec<String>,
    /// How long one fetch collects events, in milliseconds.
    pub batch_ms: u64,
    /// Most posts per fetch.
    pub batch_max: usize,
}

impl Default for JetstreamConfig {
    fn default() -> Self {
        JetstreamConfig {
            url: String::new(),
            keywords: Vec::new(),
            langs: vec!["id".into()],
            batch_ms: 500,
            batch_max: 500,
        }
    }
}

/// News feeds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RssConfig {
    /// Poll interval for feeds that set none, in seconds.
    pub interval_secs: u64,
    /// Longest wait after repeated failures, in seconds.
    pub max_backoff_secs: u64,
    /// Request timeout, in seconds.
    pub timeout_secs: u64,
    /// Largest feed body accepted, in bytes.
    pub max_bytes: usize,
    /// User-Agent sent to the feeds, the fact-check feeds and Google News. Empty:
    /// `sources.user_agent`.
    pub user_agent: String,
    /// The feeds.
    pub feeds: Vec<FeedConfig>,
}

impl Default for RssConfig {
    fn default() -> Self {
        RssConfig {
            interval_secs: 300,
            max_backoff_secs: 3600,
            timeout_secs: 30,
            max_bytes: 10 * 1024 * 1024,
            user_agent: String::new(),
            feeds: Vec::new(),
        }
    }
}

/// One feed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// A short unique name (letters, digits, `-`, `_`): names the cursor file and the metrics.
    pub name: String,
    /// The feed URL.
    pub url: String,
    /// Poll interval in seconds; default `sources.rss.interval_secs`.
    #[serde(default)]
    pub interval_secs: Option<u64>,
}

/// Errors loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with `--config` or `SIMAK_CONFIG` does not exist.
    #[error("config file {0} does not exist (pass --config FILE or set SIMAK_CONFIG)")]
    Missing(PathBuf),
    /// A key is unknown or a value has the wrong type; the message names the key and the file.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the configuration: defaults, then `file` (or the default file lookup), then the
    /// environment, then `data_dir` if given.
    pub fn load(file: Option<&Path>, data_dir: Option<&Path>) -> Result<Config, ConfigError> {
        let env_file = std::env::var_os("SIMAK_CONFIG").map(PathBuf::from);
        let file = match file.map(Path::to_path_buf).or(env_file) {
            Some(f) if !f.exists() => return Err(ConfigError::Missing(f)),
            Some(f) => Some(f),
            None => {
                let default = PathBuf::from("config/simak.toml");
                default.exists().then_some(default)
            }
        };
        // What the operator set (file, then environment), over the defaults.
        let mut set = Figment::new();
        if let Some(f) = &file {
            set = set.merge(Toml::file_exact(f));
        }
        set = set.merge(
            Env::prefixed("SIMAK_")
                .filter(|k| {
                    let k = k.as_str().to_ascii_lowercase();
                    !NOT_OVERRIDES.contains(&k.as_str()) && !k.starts_with("secret_")
                })
                .split("__"),
        );
        Self::from_set(set, data_dir)
    }

    /// The configuration a TOML text gives, over the defaults, exactly as [`Config::load`]
    /// reads a file but without the environment (for checks and fuzzing of the file format).
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        Self::from_set(Figment::new().merge(Toml::string(text)), None)
    }

    /// Extracts and validates what the operator `set` over the defaults.
    fn from_set(set: Figment, data_dir: Option<&Path>) -> Result<Config, ConfigError> {
        let fig = Figment::from(Serialized::defaults(Config::default())).merge(set.clone());
        let mut cfg: Config = fig.extract().map_err(|e| {
            let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            ConfigError::Invalid(msgs.join("; "))
        })?;
        if let Some(d) = data_dir {
            cfg.data_dir = d.to_path_buf();
        }
        if !set.contains("alerts.base_url") {
            cfg.alerts.base_url = local_url(&cfg.server.addr);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !url::Url::parse(&self.alerts.base_url).is_ok_and(|u| u.scheme().starts_with("http")) {
            return bad(format!(
                "alerts.base_url {:?} must be an http(s) URL (the address officers open Simak at)",
                self.alerts.base_url
            ));
        }
        if self.bus.partitions == 0 {
            return bad("bus.partitions must be at least 1".into());
        }
        for (key, v) in [
            ("bus.embedded.retention", &self.bus.embedded.retention),
            ("bus.embedded.segment_age", &self.bus.embedded.segment_age),
            ("index.horizon", &self.index.horizon),
        ] {
            if let Err(e) = crate::time::parse_duration(v) {
                return bad(format!("{key}: {e}"));
            }
        }
        if self.index.commit_docs == 0 {
            return bad("index.commit_docs must be at least 1".into());
        }
        let mut names = std::collections::HashSet::new();
        for f in &self.sources.rss.feeds {
            if f.name.is_empty()
                || !f
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return bad(format!(
                    "sources.rss.feeds: name {:?} must be letters, digits, '-' or '_'",
                    f.name
                ));
            }
            if !names.insert(&f.name) {
                return bad(format!(
                    "sources.rss.feeds: name {:?} is used twice",
                    f.name
                ));
            }
            if url::Url::parse(&f.url).is_err() {
                return bad(format!(
                    "sources.rss.feeds.{}: url {:?} is not a valid URL",
                    f.name, f.url
                ));
            }
        }
        Ok(())
    }

    /// The index directory.
    pub fn index_path(&self) -> PathBuf {
        self.index
            .path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("index"))
    }

    /// The synonyms file, if one is configured.
    pub fn synonyms_path(&self) -> Option<&Path> {
        let p = self.index.synonyms.as_path();
        (!p.as_os_str().is_empty()).then_some(p)
    }

    /// The fact-check knowledge base directory.
    pub fn factcheck_path(&self) -> PathBuf {
        self.data_dir.join("factchecks")
    }

    /// The alert database (SQLite): alert state, counts, the outbox.
    pub fn alerts_db_path(&self) -> PathBuf {
        self.data_dir.join("alerts.sqlite")
    }

    /// Where alerts are written as `.eml` files when no SMTP server is configured.
    pub fn outbox_path(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The review queue database (SQLite): hoax review cases and complaint cases.
    pub fn review_db_path(&self) -> PathBuf {
        self.data_dir.join("review.sqlite")
    }

    /// The accounts, sessions, API tokens and audit log.
    pub fn accounts_db_path(&self) -> PathBuf {
        self.data_dir.join("accounts.sqlite")
    }

    /// Where `simak train hoax` writes, and the analyzer reads, the office's hoax model.
    pub fn hoax_model_path(&self) -> PathBuf {
        self.data_dir.join("models").join("hoax.json")
    }

    /// The embedded log directory.
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("log")
    }

    /// The directory of source cursors.
    pub fn cursor_path(&self) -> PathBuf {
        self.data_dir.join("sources")
    }
}

/// Reads a secret from the environment variable `SIMAK_SECRET_<NAME>`, or from the file named
/// by `SIMAK_SECRET_<NAME>_FILE` (for Docker/Kubernetes secrets). Never log the result.
pub fn secret(name: &str) -> Option<String> {
    let var = format!("SIMAK_SECRET_{}", name.to_ascii_uppercase());
    if let Ok(v) = std::env::var(&var) {
        return Some(v);
    }
    let path = std::env::var_os(format!("{var}_FILE"))?;
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The URL this machine reaches `addr` at: `http://addr`, with an unspecified host
/// (`0.0.0.0`, `[::]`) read as loopback. The default of `alerts.base_url`.
pub fn local_url(addr: &str) -> String {
    let addr = addr.trim();
    let local = if let Some(port) = addr.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = addr.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        addr.to_string()
    };
    format!("http://{local}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    #[test]
    fn defaults_are_embedded() {
        let cfg = Config::default();
        assert!(!cfg.bus.is_kafka());
        assert_eq!(cfg.server.addr, "127.0.0.1:8080");
    }

    #[test]
    fn links_follow_the_listen_address_unless_set() {
        let f = write("[server]\naddr = \"127.0.0.1:9123\"\n");
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.alerts.base_url, "http://127.0.0.1:9123");
        let f = write("[server]\naddr = \"0.0.0.0:9124\"\n");
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.alerts.base_url, "http://127.0.0.1:9124");
        let f = write(
            "[server]\naddr = \"0.0.0.0:9124\"\n[alerts]\nbase_url = \"https://simak.example.go.id\"\n",
        );
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.alerts.base_url, "https://simak.example.go.id");
        let f = write("[alerts]\nbase_url = \"simak.example.go.id\"\n");
        let err = Config::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(err.contains("alerts.base_url"), "{err}");
        assert_eq!(local_url("[::]:80"), "http://[::1]:80");
    }

    #[test]
    fn the_feeds_user_agent_is_the_feeds_own() {
        let f = write("[sources.rss]\nuser_agent = \"Feeds/1\"\n");
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.sources.rss_resolved().user_agent, "Feeds/1");
        assert_eq!(cfg.sources.user_agent(), USER_AGENT, "not every source's");
        let f = write("[sources]\nuser_agent = \"Pemkab/2\"\n");
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.sources.user_agent(), "Pemkab/2");
        assert_eq!(cfg.sources.rss_resolved().user_agent, "Pemkab/2");
        let cfg = Config::default();
        assert_eq!(cfg.sources.rss_resolved().user_agent, USER_AGENT);
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let f = write("[bus]\nbrokerz = \"x\"\n");
        let err = Config::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(err.contains("brokerz"), "{err}");
        assert!(
            err.contains(&f.path().display().to_string()),
            "error names the file: {err}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let f = write("[bus]\npartitions = \"many\"\n");
        let err = Config::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(err.contains("partitions"), "{err}");
    }

    #[test]
    fn file_and_data_dir_override() {
        let f = write("data_dir = \"/var/lib/simak\"\n[index]\ncommit_docs = 5\n");
        let cfg = Config::load(Some(f.path()), None).unwrap();
        assert_eq!(cfg.data_dir, PathBuf::from("/var/lib/simak"));
        assert_eq!(cfg.index.commit_docs, 5);
        let cfg = Config::load(Some(f.path()), Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(cfg.index_path(), PathBuf::from("/tmp/x/index"));
    }

    #[test]
    fn missing_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/simak.toml")), None).unwrap_err();
        assert!(matches!(err, ConfigError::Missing(_)));
    }

    #[test]
    fn toml_text_reads_like_a_file() {
        let text = "[server]\naddr = \"127.0.0.1:9125\"\n[index]\ncommit_docs = 7\n";
        let from_text = Config::from_toml_str(text).unwrap();
        let f = write(text);
        assert_eq!(from_text, Config::load(Some(f.path()), None).unwrap());
        assert_eq!(from_text.alerts.base_url, "http://127.0.0.1:9125");
        let err = Config::from_toml_str("[bus]\nbrokerz = 1\n").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid(m) if m.contains("brokerz")),
            "{err}"
        );
        assert!(Config::from_toml_str("[index]\ncommit_docs = 0\n").is_err());
    }

    #[test]
    fn bad_feed_is_an_error() {
        let f = write("[[sources.rss.feeds]]\nname = \"a b\"\nurl = \"https://x.id/rss\"\n");
        let err = Config::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(err.contains("a b"), "{err}");
    }
}

#[cfg(test)]
mod shipped_file {
    use super::*;

    /// The commented default file documents the built-in defaults: they must not drift apart.
    #[test]
    fn config_file_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/simak.toml");
        let cfg = Config::load(Some(&path), None).unwrap();
        assert_eq!(cfg, Config::default());
    }
}
