//! Mastodon: public hashtag timelines (`GET /api/v1/timelines/tag/:hashtag`) on several
//! instances, paged forward with `min_id`, honouring `X-RateLimit-*`.
//!
//! One source per instance and hashtag. Cursor: `{"min_id": <newest status id read>}`; a fetch
//! asks for up to 40 statuses right after it (Mastodon returns the oldest of the newer ones
//! first when `min_id` is given) and goes on at once while pages are full. The first run starts
//! from the newest page. A status is identified by its `uri` (the same post seen on two instances
//! is one mention). With `X-RateLimit-Remaining: 0` the next fetch waits for
//! `X-RateLimit-Reset`; a 429 waits for it too.
//!
//! With a user token (from the environment variable the instance names, sent as a bearer token)
//! the source also uses the **streaming API**: once the timeline has caught up, it keeps an SSE
//! connection to `/api/v1/streaming/hashtag?tag=<tag>` open and each fetch returns the `update`
//! events that arrived within [`STREAM_BATCH`]. When the connection drops, the next fetch pages
//! the timeline from the cursor again (so nothing posted while disconnected is missed) before
//! reconnecting. `status.update` (an edit) and `delete` events are counted and logged; the
//! mention keeps the text first collected — a deleted post stays on record, which is what an
//! office answering a hoax needs.

use crate::{Fetched, Source, SourceError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use simak_core::config::{MastodonConfig, MastodonInstance};
use simak_core::{url_mention_id, Author, Mention, Metrics};
use std::time::Duration;

/// Statuses per page (Mastodon's maximum for timelines).
pub const PAGE: usize = 40;
/// How long one fetch collects streamed statuses.
pub const STREAM_BATCH: Duration = Duration::from_millis(1000);

type Events = std::pin::Pin<
    Box<
        dyn futures::Stream<
                Item = Result<
                    eventsource_stream::Event,
                    eventsource_stream::EventStreamError<reqwest::Error>,
                >,
            > + Send,
    >,
>;

/// One hashtag timeline on one instance.
pub struct MastodonTag {
    name: String,
    base: String,
    tag: String,
    token: Option<String>,
    interval: Duration,
    client: reqwest::Client,
    stream: Option<Events>,
    /// The timeline position when the stream was opened: statuses posted between the catch-up
    /// and the subscription are read from the timeline once the stream is open.
    backfill_from: Option<serde_json::Value>,
    /// Edits seen on the stream.
    pub stream_edits: u64,
    /// Deletes seen on the stream.
    pub stream_deletes: u64,
}

/// Builds one source per configured instance and hashtag.
pub fn build(cfg: &MastodonConfig, user_agent: &str) -> Result<Vec<Box<dyn Source>>, SourceError> {
    if cfg.instances.is_empty() {
        return Ok(Vec::new());
    }
    let client = crate::http_client(user_agent, cfg.timeout_secs)?;
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for i in &cfg.instances {
        for tag in &i.hashtags {
            out.push(Box::new(MastodonTag::new(i, tag, cfg, client.clone())));
        }
    }
    Ok(out)
}

impl MastodonTag {
    /// A source for `#tag` on `instance`.
    pub fn new(
        instance: &MastodonInstance,
        tag: &str,
        cfg: &MastodonConfig,
        client: reqwest::Client,
    ) -> MastodonTag {
        let tag = tag.trim_start_matches('#').to_string();
        MastodonTag {
            name: format!("mastodon:{}:{}", instance.name, tag),
            base: instance.url.trim_end_matches('/').to_string(),
            tag,
            token: instance
                .token_env
                .as_deref()
                .and_then(|v| std::env::var(v).ok())
                .filter(|t| !t.is_empty()),
            interval: Duration::from_secs(cfg.interval_secs.max(1)),
            client,
            stream: None,
            backfill_from: None,
            stream_edits: 0,
            stream_deletes: 0,
        }
    }

    /// Uses `token` as the user token (instead of the environment's).
    pub fn with_token(mut self, token: &str) -> MastodonTag {
        self.token = Some(token.to_string());
        self
    }

    async fn connect(&mut self) -> Result<(), SourceError> {
        let url = format!(
            "{}/api/v1/streaming/hashtag?tag={}",
            self.base,
            simak_core::mention::path_segment(&self.tag)
        );
        let token = self.token.as_deref().unwrap_or_default();
        // No overall timeout on a stream: the client's would cut it.
        let resp = self
            .client
            .get(&url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(|e| SourceError::Transient(format!("{url}: {}", e.without_url())))?;
        let status = resp.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SourceError::RateLimited {
                retry_after: until_reset(resp.headers()).unwrap_or(Duration::from_secs(60)),
                message: format!("{url} answered 429"),
            });
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            return Err(SourceError::Permanent(format!(
                "{url} answered {status}: check the instance's user token"
            )));
        }
        tracing::info!(source = %self.name, "streaming connected");
        use eventsource_stream::Eventsource;
        self.stream = Some(Box::pin(resp.bytes_stream().eventsource()));
        Ok(())
    }

    /// Reads the stream for up to [`STREAM_BATCH`].
    async fn read_stream(&mut self, min_id: Option<String>) -> Result<Fetched, SourceError> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(SourceError::Transient("no stream".into()));
        };
        let deadline = tokio::time::Instant::now() + STREAM_BATCH;
        let mut mentions = Vec::new();
        let mut newest = min_id;
        let mut ended = None;
        loop {
            let next = tokio::time::timeout_at(deadline, stream.next()).await;
            let ev = match next {
                Err(_) => break,
                Ok(None) => {
                    ended = Some("the server closed the stream".to_string());
                    break;
                }
                Ok(Some(Err(e))) => {
                    ended = Some(format!("stream: {e}"));
                    break;
                }
                Ok(Some(Ok(ev))) => ev,
            };
            match ev.event.as_str() {
                "update" => match serde_json::from_str::<serde_json::Value>(&ev.data) {
                    Ok(s) => {
                        if let Some(id) = s["id"].as_str() {
                            if newest.as_deref().is_none_or(|n| id_gt(id, n)) {
                                newest = Some(id.to_string());
                            }
                        }
                        match parse_status(&s) {
                            Some(m) => mentions.push(m),
                            None => {
                                tracing::warn!(source = %self.name, "skipping a streamed status without uri or created_at")
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(source = %self.name, error = %e, "skipping a malformed streamed status")
                    }
                },
                "status.update" => {
                    self.stream_edits += 1;
                    tracing::debug!(source = %self.name, "a status was edited; the first text collected is kept");
                }
                "delete" => {
                    self.stream_deletes += 1;
                    tracing::debug!(source = %self.name, id = %ev.data, "a status was deleted; it stays on record");
                }
                _ => {}
            }
            if mentions.len() >= 500 {
                break;
            }
        }
        if let Some(from) = self.backfill_from.take() {
            // What was posted between the catch-up and the subscription; overlaps with the
            // stream are dropped by the scheduler's dedupe.
            match self.poll_timeline(Some(&from)).await {
                Ok(f) => {
                    if let Some(n) = f.cursor.as_ref().and_then(|c| c["min_id"].as_str()) {
                        if newest.as_deref().is_none_or(|m| id_gt(n, m)) {
                            newest = Some(n.to_string());
                        }
                    }
                    if f.next_poll == Duration::ZERO {
                        // A full page: more to read before the stream's statuses count.
                        self.backfill_from = f.cursor.clone();
                    }
                    mentions.extend(f.mentions);
                }
                Err(e) => {
                    // Not read yet: try again with the next batch. The streamed statuses are
                    // handed over all the same.
                    self.backfill_from = Some(from.clone());
                    tracing::warn!(source = %self.name, error = %e, "timeline backfill after subscribing failed; retrying");
                }
            }
        }
        if let Some(why) = &ended {
            tracing::info!(source = %self.name, reason = %why, "stream ended; catching up from the timeline");
            self.stream = None;
        }
        mentions.sort_by_key(|m| m.published_at);
        // While the backfill is pending the cursor stays where the timeline is surely read to:
        // a restart then pages the timeline from there.
        let cursor = match &self.backfill_from {
            Some(pending) => Some(pending.clone()),
            None => newest.map(|n| serde_json::json!({ "min_id": n })),
        };
        Ok(Fetched {
            mentions,
            cursor,
            next_poll: Duration::ZERO,
            ..Default::default()
        })
    }
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// How long until `X-RateLimit-Reset` (an ISO 8601 time), if given.
fn until_reset(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset = DateTime::parse_from_rfc3339(header(h, "x-ratelimit-reset")?).ok()?;
    let secs = (reset.with_timezone(&Utc) - Utc::now())
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(secs as u64 + 200))
}

/// Turns one status into a mention.
pub fn parse_status(s: &serde_json::Value) -> Option<Mention> {
    let uri = s["uri"].as_str().or_else(|| s["url"].as_str())?;
    let created = DateTime::parse_from_rfc3339(s["created_at"].as_str()?)
        .ok()?
        .with_timezone(&Utc);
    let a = &s["account"];
    let mut extra = serde_json::Map::new();
    if let Some(e) = s["edited_at"].as_str() {
        extra.insert("edited_at".into(), e.into());
    }
    if let Some(id) = s["id"].as_str() {
        extra.insert("status_id".into(), id.into());
    }
    let mut text = crate::html::to_text(s["content"].as_str().unwrap_or_default());
    if let Some(cw) = s["spoiler_text"].as_str().filter(|c| !c.is_empty()) {
        text = format!("{cw}\n{text}");
    }
    Some(Mention {
        id: url_mention_id("mastodon", uri),
        source: "mastodon".into(),
        url: s["url"].as_str().or(Some(uri)).map(str::to_string),
        author: Author {
            id: a["url"].as_str().map(str::to_string),
            handle: a["acct"].as_str().map(str::to_string),
            name: a["display_name"]
                .as_str()
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            followers: a["followers_count"].as_u64(),
        },
        title: None,
        text,
        published_at: created,
        fetched_at: Utc::now(),
        lang: s["language"].as_str().map(str::to_string),
        metrics: Metrics {
            likes: s["favourites_count"].as_u64(),
            shares: s["reblogs_count"].as_u64(),
            replies: s["replies_count"].as_u64(),
            views: None,
        },
        in_reply_to: s["in_reply_to_id"].as_str().map(str::to_string),
        sentiment: None,
        profiles: Vec::new(),
        complaint: None,
        extra,
    })
}

/// Mastodon ids are decimal strings that sort by length, then lexically.
fn id_gt(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

#[async_trait::async_trait]
impl Source for MastodonTag {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let min_id = cursor
            .and_then(|c| c.get("min_id"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        if self.stream.is_some() {
            return self.read_stream(min_id).await;
        }
        let f = self.poll_timeline(cursor).await?;
        if self.token.is_some() && f.next_poll == self.interval {
            self.backfill_from = f.cursor.clone().or_else(|| cursor.cloned());
            // Caught up: stream from here. A failure to connect is reported on the next fetch,
            // which polls the timeline again meanwhile.
            let caught_up = Fetched {
                next_poll: Duration::ZERO,
                ..f
            };
            if let Err(e) = self.connect().await {
                tracing::warn!(source = %self.name, error = %e, "streaming unavailable; polling the timeline");
                return Ok(Fetched {
                    next_poll: self.interval,
                    ..caught_up
                });
            }
            return Ok(caught_up);
        }
        Ok(f)
    }
}

impl MastodonTag {
    async fn poll_timeline(
        &mut self,
        cursor: Option<&serde_json::Value>,
    ) -> Result<Fetched, SourceError> {
        let min_id = cursor
            .and_then(|c| c.get("min_id"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let mut url = format!(
            "{}/api/v1/timelines/tag/{}?limit={PAGE}",
            self.base,
            simak_core::mention::path_segment(&self.tag)
        );
        if let Some(m) = &min_id {
            url.push_str(&format!("&min_id={m}"));
        }
        let mut req = self.client.get(&url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| SourceError::Transient(format!("{url}: {e}")))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SourceError::RateLimited {
                retry_after: until_reset(&headers)
                    .or_else(|| crate::rss::retry_after(&headers))
                    .unwrap_or(Duration::from_secs(60)),
                message: format!("{} answered 429", self.base),
            });
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            return Err(SourceError::Permanent(format!(
                "{url} answered {status}: check the instance URL, the hashtag and the token"
            )));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| SourceError::Transient(format!("{url}: body: {e}")))?;
        let statuses: Vec<serde_json::Value> = serde_json::from_slice(&body)
            .map_err(|e| SourceError::Transient(format!("{url}: not a list of statuses: {e}")))?;
        let mut newest = min_id.clone();
        let mut mentions = Vec::with_capacity(statuses.len());
        for s in &statuses {
            if let Some(id) = s["id"].as_str() {
                if newest.as_deref().is_none_or(|n| id_gt(id, n)) {
                    newest = Some(id.to_string());
                }
            }
            match parse_status(s) {
                Some(m) => mentions.push(m),
                None => {
                    tracing::warn!(source = %self.name, "skipping a status without uri or created_at")
                }
            }
        }
        mentions.sort_by_key(|m| m.published_at);
        // A full page means more are waiting: go on at once, unless the limit is spent.
        let mut next_poll = if statuses.len() >= PAGE && min_id.is_some() {
            Duration::ZERO
        } else {
            self.interval
        };
        if header(&headers, "x-ratelimit-remaining") == Some("0") {
            if let Some(w) = until_reset(&headers) {
                tracing::info!(source = %self.name, wait_ms = w.as_millis() as u64, "rate limit spent; waiting for its reset");
                next_poll = next_poll.max(w);
            }
        }
        Ok(Fetched {
            mentions,
            cursor: newest.map(|n| serde_json::json!({ "min_id": n })),
            next_poll,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_as_numbers() {
        assert!(id_gt("113000000000000010", "113000000000000009"));
        assert!(id_gt("1000", "999"));
        assert!(!id_gt("999", "1000"));
    }

    #[test]
    fn a_status_becomes_a_mention() {
        let s = serde_json::json!({
            "id": "113", "created_at": "2026-11-20T01:00:00.000Z",
            "uri": "https://social.example/users/warga/statuses/113",
            "url": "https://social.example/@warga/113",
            "content": "<p>Jalan rusak di <a href=\"https://social.example/tags/sukamaju\">#<span>sukamaju</span></a> &amp; belum diperbaiki</p>",
            "language": "id", "spoiler_text": "",
            "favourites_count": 3, "reblogs_count": 2, "replies_count": 1,
            "account": {"acct": "warga@social.example", "display_name": "Warga", "followers_count": 42, "url": "https://social.example/@warga"}
        });
        let m = parse_status(&s).unwrap();
        assert!(m.id.starts_with("mastodon:u"));
        assert_eq!(m.text, "Jalan rusak di #sukamaju & belum diperbaiki");
        assert_eq!(m.author.followers, Some(42));
        assert_eq!(m.metrics.shares, Some(2));
    }
}
