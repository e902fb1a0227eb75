//! Reddit: search with `sort=new`, paged with `after` (see [`crate::sweep`]).
//!
//! Without credentials the public endpoint is used (`<base>/search.json`, or
//! `<base>/r/<sub>/search.json?restrict_sr=1`). With an OAuth app's client id and secret (the
//! secrets `REDDIT_CLIENT_ID` and `REDDIT_CLIENT_SECRET`), an application-only token (`grant_type=client_credentials`) is fetched, kept
//! until it expires, and the search goes to `oauth.reddit.com`. Reddit's rate-limit headers
//! are honoured: `x-ratelimit-remaining` 0 waits `x-ratelimit-reset` seconds, and a 429 waits
//! for it (or `Retry-After`).

use crate::sweep::{Page, Sweep};
use crate::{Fetched, Source, SourceError, Watch};
use chrono::{DateTime, Utc};
use simak_core::config::{NamedQuery, RedditConfig};
use simak_core::{Author, Mention, Metrics};
use std::time::{Duration, Instant};

/// Results per page (Reddit's maximum).
pub const PAGE: usize = 100;

/// One search.
pub struct RedditSearch {
    name: String,
    search: NamedQuery,
    cfg: RedditConfig,
    creds: Option<(String, String)>,
    token: Option<(String, Instant)>,
    client: reqwest::Client,
}

/// Builds one source per search (configured, or per watch profile when `enabled`).
pub fn build(
    cfg: &RedditConfig,
    user_agent: &str,
    watch: &[Watch],
) -> Result<Vec<Box<dyn Source>>, SourceError> {
    let searches = crate::searches(&cfg.searches, cfg.enabled, watch);
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let client = crate::http_client(user_agent, cfg.timeout_secs)?;
    Ok(searches
        .into_iter()
        .map(|s| Box::new(RedditSearch::new(s, cfg, client.clone())) as Box<dyn Source>)
        .collect())
}

fn secret(name: &str) -> Option<String> {
    simak_core::config::secret(name).filter(|v| !v.trim().is_empty())
}

impl RedditSearch {
    /// A source for `search`; OAuth credentials are read from the secrets `REDDIT_CLIENT_ID` and
    /// `REDDIT_CLIENT_SECRET`.
    pub fn new(search: NamedQuery, cfg: &RedditConfig, client: reqwest::Client) -> RedditSearch {
        let creds = secret("REDDIT_CLIENT_ID").zip(secret("REDDIT_CLIENT_SECRET"));
        RedditSearch {
            name: format!("reddit:{}", search.name),
            search,
            cfg: cfg.clone(),
            creds,
            token: None,
            client,
        }
    }

    /// Uses these OAuth app credentials instead of the environment's.
    pub fn with_credentials(mut self, client_id: &str, secret: &str) -> RedditSearch {
        self.creds = Some((client_id.to_string(), secret.to_string()));
        self
    }

    async fn bearer(&mut self) -> Result<Option<String>, SourceError> {
        let Some((id, secret)) = &self.creds else {
            return Ok(None);
        };
        if let Some((t, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(Some(t.clone()));
            }
        }
        let what = format!("{} (token)", self.cfg.token_url);
        let req = self
            .client
            .post(&self.cfg.token_url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        let (status, headers, body) = crate::send(req, &what, 1 << 20).await?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(limited(&headers, &what));
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(SourceError::Permanent(format!(
                "{what} answered {status}: check the secrets SIMAK_SECRET_REDDIT_CLIENT_ID and SIMAK_SECRET_REDDIT_CLIENT_SECRET"
            )));
        }
        if !status.is_success() {
            return Err(SourceError::Transient(format!("{what} answered {status}")));
        }
        let v = crate::json_body(&body, &what)?;
        let token = v["access_token"].as_str().ok_or_else(|| {
            SourceError::Transient(format!("{what}: no access_token in the answer"))
        })?;
        let ttl = v["expires_in"].as_u64().unwrap_or(3600).saturating_sub(60);
        self.token = Some((token.to_string(), Instant::now() + Duration::from_secs(ttl)));
        Ok(Some(token.to_string()))
    }
}

fn header_secs(h: &reqwest::header::HeaderMap, name: &str) -> Option<Duration> {
    let v: f64 = h.get(name)?.to_str().ok()?.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_millis((v * 1000.0) as u64 + 200))
}

fn limited(h: &reqwest::header::HeaderMap, what: &str) -> SourceError {
    SourceError::RateLimited {
        retry_after: header_secs(h, "x-ratelimit-reset")
            .or_else(|| crate::rss::retry_after(h))
            .unwrap_or(Duration::from_secs(60)),
        message: format!("{what} answered 429"),
    }
}

/// Turns one listing child (`{"kind": "t3", "data": {...}}`) into a mention and its position.
pub fn parse_post(child: &serde_json::Value) -> Option<(i64, Mention)> {
    let d = &child["data"];
    let name = d["name"].as_str()?;
    let created = d["created_utc"].as_f64()?;
    let published = DateTime::from_timestamp(created as i64, 0)?;
    let title = d["title"].as_str().unwrap_or_default().trim().to_string();
    let body = d["selftext"].as_str().unwrap_or_default().trim();
    let text = if body.is_empty() {
        title.clone()
    } else {
        format!("{title}\n{body}")
    };
    if text.is_empty() {
        return None;
    }
    let mut extra = serde_json::Map::new();
    if let Some(s) = d["subreddit"].as_str() {
        extra.insert("subreddit".into(), s.into());
    }
    if let Some(u) = d["url"].as_str() {
        extra.insert("link".into(), u.into());
    }
    let author = d["author"].as_str().filter(|a| *a != "[deleted]");
    Some((
        created as i64,
        Mention {
            id: format!("reddit:{name}"),
            source: "reddit".into(),
            url: d["permalink"]
                .as_str()
                .map(|p| format!("https://www.reddit.com{p}")),
            author: Author {
                id: d["author_fullname"].as_str().map(str::to_string),
                handle: author.map(str::to_string),
                name: None,
                followers: None,
            },
            title: Some(title).filter(|t| !t.is_empty()),
            text,
            published_at: published,
            fetched_at: Utc::now(),
            lang: None,
            metrics: Metrics {
                likes: d["score"].as_i64().map(|s| s.max(0) as u64),
                shares: d["num_crossposts"].as_u64(),
                replies: d["num_comments"].as_u64(),
                views: None,
            },
            in_reply_to: None,
            sentiment: None,
            profiles: Vec::new(),
            complaint: None,
            extra,
        },
    ))
}

#[async_trait::async_trait]
impl Source for RedditSearch {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let mut sweep = Sweep::from_cursor(cursor);
        let bearer = self.bearer().await?;
        let base = if bearer.is_some() {
            self.cfg.oauth_url.trim_end_matches('/')
        } else {
            self.cfg.base_url.trim_end_matches('/')
        };
        let suffix = if bearer.is_some() { "" } else { ".json" };
        let path = match &self.search.subreddit {
            Some(sub) => format!(
                "{base}/r/{}/search{suffix}",
                simak_core::mention::path_segment(sub)
            ),
            None => format!("{base}/search{suffix}"),
        };
        let mut query: Vec<(&str, String)> = vec![
            ("q", self.search.query.clone()),
            ("sort", "new".into()),
            ("limit", PAGE.to_string()),
            ("raw_json", "1".into()),
            ("type", "link".into()),
        ];
        if self.search.subreddit.is_some() {
            query.push(("restrict_sr", "1".into()));
        }
        if let Some(after) = &sweep.page {
            query.push(("after", after.clone()));
        }
        let mut req = self.client.get(&path).query(&query);
        if let Some(t) = &bearer {
            req = req.bearer_auth(t);
        }
        let (status, headers, body) = crate::send(req, &path, crate::MAX_BODY).await?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(limited(&headers, &path));
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            self.token = None;
            return Err(SourceError::Transient(format!(
                "{path} answered 401: the app token is refreshed"
            )));
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{path} answered {status}")));
        }
        if !status.is_success() {
            return Err(SourceError::Permanent(format!(
                "{path} answered {status}: check the query and subreddit of {}",
                self.name
            )));
        }
        let v = crate::json_body(&body, &path)?;
        let children = v["data"]["children"].as_array().ok_or_else(|| {
            SourceError::Transient(format!("{path}: not a Reddit listing (no data.children)"))
        })?;
        let items: Vec<(i64, Mention)> = children.iter().filter_map(parse_post).collect();
        if items.len() < children.len() {
            tracing::warn!(source = %self.name, skipped = children.len() - items.len(), "skipping posts without name, time or text");
        }
        let next = v["data"]["after"]
            .as_str()
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let mut f = sweep
            .step(Page { items, next }, self.cfg.max_pages, &self.name)
            .fetched(&sweep, Duration::from_secs(self.cfg.interval_secs.max(1)));
        let remaining = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        if remaining.is_some_and(|r| r < 1.0) {
            if let Some(w) = header_secs(&headers, "x-ratelimit-reset") {
                tracing::info!(source = %self.name, wait_ms = w.as_millis() as u64, "rate limit spent; waiting for its reset");
                f.next_poll = f.next_poll.max(w);
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_child_becomes_a_mention() {
        let c = serde_json::json!({"kind": "t3", "data": {
            "name": "t3_1abc", "id": "1abc", "created_utc": 1_790_000_000.0,
            "title": "Jalan rusak di Sukamaju", "selftext": "Sudah 3 bulan &amp; belum diperbaiki",
            "author": "warga1", "author_fullname": "t2_x", "subreddit": "indonesia",
            "permalink": "/r/indonesia/comments/1abc/jalan_rusak/", "url": "https://www.reddit.com/r/indonesia/comments/1abc/jalan_rusak/",
            "score": 12, "num_comments": 4, "num_crossposts": 0
        }});
        let (pos, m) = parse_post(&c).unwrap();
        assert_eq!(pos, 1_790_000_000);
        assert_eq!(m.id, "reddit:t3_1abc");
        assert!(m.text.starts_with("Jalan rusak di Sukamaju\nSudah"));
        assert_eq!(m.metrics.replies, Some(4));
        assert_eq!(
            m.url.as_deref(),
            Some("https://www.reddit.com/r/indonesia/comments/1abc/jalan_rusak/")
        );
        assert!(parse_post(&serde_json::json!({"kind": "t3", "data": {}})).is_none());
    }
}
