//! Bluesky through Jetstream: a websocket of every public commit, subscribed to
//! `app.bsky.feed.post` only. Bluesky has no keyword search in the firehose, so posts are
//! filtered here: by the watch keywords (case- and slang-insensitive, as phrases), and by the
//! post's `langs` when `sources.jetstream.langs` is set (a post that declares no language passes).
//!
//! Cursor: the `time_us` of the last event read. A (re)connection asks for `cursor` minus
//! [`REWIND_US`] (Jetstream's advice: replay a few seconds to cover the gap), and the scheduler's
//! dedupe window drops what was already handed over. Deletes and non-post records are skipped.
//! The connection stays open between fetches; each fetch returns what arrived within
//! `batch_ms` (or `batch_max` posts).

use crate::{Fetched, Source, SourceError};
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use simak_core::config::JetstreamConfig;
use simak_core::{Author, Mention, Metrics};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How far a reconnection rewinds, in microseconds.
pub const REWIND_US: i64 = 5_000_000;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The Jetstream source.
pub struct Jetstream {
    name: String,
    url: String,
    keywords: Vec<Vec<String>>,
    langs: Vec<String>,
    batch: Duration,
    batch_max: usize,
    socket: Option<Socket>,
    last_us: Option<i64>,
}

/// Builds the source when `sources.jetstream.url` is set. `watch` are phrases taken from the
/// watch profiles, used when `sources.jetstream.keywords` is empty.
pub fn build(cfg: &JetstreamConfig, watch: &[String]) -> Result<Vec<Box<dyn Source>>, SourceError> {
    if cfg.url.trim().is_empty() {
        return Ok(Vec::new());
    }
    let phrases: Vec<String> = if cfg.keywords.is_empty() {
        watch.to_vec()
    } else {
        cfg.keywords.clone()
    };
    if phrases.is_empty() {
        return Err(SourceError::Permanent(
            "sources.jetstream: no keywords and no watch profiles; every Bluesky post would be collected".into(),
        ));
    }
    Ok(vec![Box::new(Jetstream::new(cfg, &phrases))])
}

fn words(s: &str) -> Vec<String> {
    simak_text::analyze(s, simak_text::Options::FEATURES)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

impl Jetstream {
    /// A source subscribed at `cfg.url`, keeping posts that contain one of `phrases`.
    pub fn new(cfg: &JetstreamConfig, phrases: &[String]) -> Jetstream {
        Jetstream {
            name: "bluesky:jetstream".into(),
            url: cfg.url.trim().to_string(),
            keywords: phrases
                .iter()
                .map(|p| words(p))
                .filter(|w| !w.is_empty())
                .collect(),
            langs: cfg.langs.iter().map(|l| l.to_lowercase()).collect(),
            batch: Duration::from_millis(cfg.batch_ms.max(10)),
            batch_max: cfg.batch_max.max(1),
            socket: None,
            last_us: None,
        }
    }

    fn subscribe_url(&self, cursor: Option<i64>) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let mut u = format!("{}{sep}wantedCollections=app.bsky.feed.post", self.url);
        if let Some(c) = cursor {
            u.push_str(&format!("&cursor={}", (c - REWIND_US).max(0)));
        }
        u
    }

    /// Whether a post's text and languages pass the filters.
    pub fn wanted(&self, text: &str, langs: &[String]) -> bool {
        if !self.langs.is_empty()
            && !langs.is_empty()
            && !langs.iter().any(|l| {
                let l = l.to_lowercase();
                let base = l.split('-').next().unwrap_or("");
                self.langs.iter().any(|w| *w == l || w == base)
            })
        {
            return false;
        }
        let w = words(text);
        self.keywords
            .iter()
            .any(|k| w.windows(k.len()).any(|win| win == k.as_slice()))
    }
}

/// Turns one Jetstream event into a mention, if it is a post creation.
pub fn parse_event(v: &serde_json::Value) -> Option<(i64, Option<Mention>)> {
    let time_us = v.get("time_us")?.as_i64()?;
    if v["kind"] != "commit" {
        return Some((time_us, None));
    }
    let c = &v["commit"];
    if c["operation"] != "create" || c["collection"] != "app.bsky.feed.post" {
        return Some((time_us, None));
    }
    let did = v["did"].as_str()?;
    let rkey = c["rkey"].as_str()?;
    let r = &c["record"];
    let text = r["text"].as_str().unwrap_or_default().to_string();
    let created: DateTime<Utc> = r["createdAt"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| {
            Utc.timestamp_micros(time_us)
                .single()
                .unwrap_or_else(Utc::now)
        });
    let langs: Vec<String> = r["langs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    let mut extra = serde_json::Map::new();
    extra.insert("langs".into(), langs.clone().into());
    if let Some(cid) = c["cid"].as_str() {
        extra.insert("cid".into(), cid.into());
    }
    let in_reply_to = r["reply"]["parent"]["uri"].as_str().map(str::to_string);
    Some((
        time_us,
        Some(Mention {
            id: format!("bluesky:{did}/{rkey}"),
            source: "bluesky".into(),
            url: Some(format!("https://bsky.app/profile/{did}/post/{rkey}")),
            author: Author {
                id: Some(did.to_string()),
                ..Default::default()
            },
            title: None,
            text,
            published_at: created,
            fetched_at: Utc::now(),
            lang: None,
            metrics: Metrics::default(),
            in_reply_to,
            sentiment: None,
            profiles: Vec::new(),
            complaint: None,
            extra,
        }),
    ))
}

#[async_trait::async_trait]
impl Source for Jetstream {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let saved = cursor
            .and_then(|c| c.get("time_us"))
            .and_then(|v| v.as_i64());
        if self.socket.is_none() {
            // wss:// needs a TLS crypto provider; install the one the build already has.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let start = self.last_us.or(saved);
            let url = self.subscribe_url(start);
            let (ws, _) = tokio::time::timeout(
                Duration::from_secs(20),
                tokio_tungstenite::connect_async(url.as_str()),
            )
            .await
            .map_err(|_| SourceError::Transient(format!("{}: connection timed out", self.url)))?
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) if r.status().as_u16() == 429 => {
                    SourceError::RateLimited {
                        retry_after: Duration::from_secs(30),
                        message: format!("{} answered 429", self.url),
                    }
                }
                e => SourceError::Transient(format!("{}: {e}", self.url)),
            })?;
            tracing::info!(source = %self.name, cursor = ?start, "connected to Jetstream");
            self.socket = Some(ws);
        }
        let deadline = tokio::time::Instant::now() + self.batch;
        let mut mentions = Vec::new();
        let mut last = self.last_us.or(saved);
        let mut broken = None;
        while mentions.len() < self.batch_max {
            let ws = self.socket.as_mut().expect("connected");
            let msg = match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => break,
                Ok(None) => {
                    broken = Some("the server closed the stream".to_string());
                    break;
                }
                Ok(Some(Err(e))) => {
                    broken = Some(e.to_string());
                    break;
                }
                Ok(Some(Ok(m))) => m,
            };
            let text = match msg {
                Message::Text(t) => t.to_string(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(_) => {
                    broken = Some("the server closed the stream".to_string());
                    break;
                }
                _ => continue,
            };
            let v: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(source = %self.name, error = %e, "skipping a malformed Jetstream event");
                    continue;
                }
            };
            let Some((time_us, m)) = parse_event(&v) else {
                tracing::warn!(source = %self.name, "skipping a Jetstream event without time_us");
                continue;
            };
            last = Some(last.map_or(time_us, |l| l.max(time_us)));
            if let Some(m) = m {
                let langs: Vec<String> = m.extra["langs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect();
                if self.wanted(&m.text, &langs) {
                    mentions.push(m);
                }
            }
        }
        self.last_us = last;
        let cursor = last.map(|t| serde_json::json!({ "time_us": t }));
        if let Some(why) = broken {
            self.socket = None;
            if mentions.is_empty() {
                return Err(SourceError::Transient(format!(
                    "{}: {why}; reconnecting from the cursor",
                    self.url
                )));
            }
            tracing::warn!(source = %self.name, %why, "Jetstream connection lost; reconnecting from the cursor");
        }
        Ok(Fetched {
            mentions,
            cursor,
            next_poll: Duration::ZERO,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(keywords: &[&str], langs: &[&str]) -> Jetstream {
        let cfg = JetstreamConfig {
            url: "ws://127.0.0.1:1/subscribe".into(),
            langs: langs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        Jetstream::new(
            &cfg,
            &keywords.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn keywords_are_phrases_and_langs_filter() {
        let s = source(&["Pemkab Sukamaju", "bansos"], &["id"]);
        assert!(s.wanted("Kata PEMKAB sukamaju hari ini", &["id".into()]));
        assert!(s.wanted("bansos cair?", &[]), "no declared language passes");
        assert!(
            !s.wanted("pemkab lain di sukamaju", &["id".into()]),
            "a phrase, not two words"
        );
        assert!(!s.wanted("bansos", &["en".into()]));
        assert!(s.wanted("bansos", &["id-ID".into()]));
    }

    #[test]
    fn fixture_events_parse() {
        let text = std::fs::read_to_string(
            "../../../shared/data/fixtures/jetstream/corpus_testdata_expected_v1.jsonl",
        )
        .expect("../shared/data/fixtures/jetstream beside the repository");
        let mut posts = 0;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let (t, m) = parse_event(&v).expect("every event has time_us");
            assert!(t > 0);
            if let Some(m) = m {
                posts += 1;
                assert!(m.id.starts_with("bluesky:did:"), "{}", m.id);
                assert!(m.url.unwrap().starts_with("https://bsky.app/profile/did:"));
            }
        }
        assert_eq!(posts, 17, "17 post creations in the corpus");
    }
}
