//! X API v2 recent search (`GET /2/tweets/search/recent`), with a bearer token.
//!
//! One search per configured query, or per watch profile (`"Pemkab Sukamaju" OR Sukamaju
//! -is:retweet`). A sweep asks for everything after the last `since_id` and follows
//! `next_token` one page per fetch (see [`crate::sweep`]); authors and their follower counts
//! come from `expansions=author_id`, metrics from `public_metrics`. A 429 waits until
//! `x-rate-limit-reset` (Unix seconds), and so does a spent `x-rate-limit-remaining`. When
//! `since_id` is older than the 7 days recent search covers, X refuses it: the range from then
//! to the start of the window is recorded as a gap and the search starts afresh.

use crate::health::Gap;
use crate::sweep::{Page, Sweep};
use crate::{Fetched, Source, SourceError, Watch};
use chrono::{DateTime, Utc};
use simak_core::config::{NamedQuery, XConfig};
use simak_core::{Author, Mention, Metrics};
use std::collections::HashMap;
use std::time::Duration;

/// Results per page (the API's maximum).
pub const PAGE: usize = 100;
const TWEET_FIELDS: &str =
    "created_at,lang,public_metrics,author_id,conversation_id,referenced_tweets";
const USER_FIELDS: &str = "username,name,public_metrics";
/// X's epoch for snowflake ids, in Unix milliseconds.
const TWEPOCH_MS: i64 = 1_288_834_974_657;

/// The creation time encoded in a tweet id.
pub fn snowflake_time(id: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((id >> 22) + TWEPOCH_MS)
}

/// One search.
pub struct XSearch {
    name: String,
    search: NamedQuery,
    cfg: XConfig,
    token: String,
    client: reqwest::Client,
}

/// Builds one source per search, when the secret `X_BEARER_TOKEN` is set.
pub fn build(
    cfg: &XConfig,
    user_agent: &str,
    watch: &[Watch],
) -> Result<Vec<Box<dyn Source>>, SourceError> {
    let Some(token) = simak_core::config::secret("X_BEARER_TOKEN").filter(|t| !t.trim().is_empty())
    else {
        if !cfg.searches.is_empty() {
            tracing::warn!("sources.x has searches but SIMAK_SECRET_X_BEARER_TOKEN is not set; X is not collected");
        }
        return Ok(Vec::new());
    };
    let mut searches = crate::searches(&cfg.searches, true, watch);
    if cfg.searches.is_empty() {
        for s in &mut searches {
            s.query = format!("({}) -is:retweet", s.query);
        }
    }
    let client = crate::http_client(user_agent, cfg.timeout_secs)?;
    Ok(searches
        .into_iter()
        .map(|s| Box::new(XSearch::new(s, cfg, &token, client.clone())) as Box<dyn Source>)
        .collect())
}

impl XSearch {
    /// A source for `search` with `token`.
    pub fn new(search: NamedQuery, cfg: &XConfig, token: &str, client: reqwest::Client) -> XSearch {
        XSearch {
            name: format!("x:{}", search.name),
            search,
            cfg: cfg.clone(),
            token: token.to_string(),
            client,
        }
    }
}

fn until_reset(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset: i64 = h
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let ms = (reset * 1000 - Utc::now().timestamp_millis()).max(0);
    Some(Duration::from_millis(ms as u64 + 200))
}

/// Turns one tweet into a mention and its position, with its author from `users`.
pub fn parse_tweet(
    t: &serde_json::Value,
    users: &HashMap<&str, &serde_json::Value>,
) -> Option<(i64, Mention)> {
    let id = t["id"].as_str()?;
    let pos: i64 = id.parse().ok()?;
    let created = t["created_at"]
        .as_str()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map(|c| c.with_timezone(&Utc))
        .or_else(|| snowflake_time(pos))?;
    let text = t["text"].as_str()?.to_string();
    let author_id = t["author_id"].as_str();
    let user = author_id.and_then(|a| users.get(a)).copied();
    let username = user.and_then(|u| u["username"].as_str());
    let m = &t["public_metrics"];
    let reply_to = t["referenced_tweets"].as_array().and_then(|r| {
        r.iter()
            .find(|x| x["type"] == "replied_to")
            .and_then(|x| x["id"].as_str())
            .map(|i| format!("x:{i}"))
    });
    let mut extra = serde_json::Map::new();
    if let Some(c) = t["conversation_id"].as_str() {
        extra.insert("conversation_id".into(), c.into());
    }
    if let Some(q) = m["quote_count"].as_u64() {
        extra.insert("quotes".into(), q.into());
    }
    Some((
        pos,
        Mention {
            id: format!("x:{id}"),
            source: "x".into(),
            url: Some(format!(
                "https://x.com/{}/status/{id}",
                username.unwrap_or("i/web")
            )),
            author: Author {
                id: author_id.map(str::to_string),
                handle: username.map(str::to_string),
                name: user.and_then(|u| u["name"].as_str()).map(str::to_string),
                followers: user.and_then(|u| u["public_metrics"]["followers_count"].as_u64()),
            },
            title: None,
            text,
            published_at: created,
            fetched_at: Utc::now(),
            // X tags Indonesian `in`.
            lang: t["lang"]
                .as_str()
                .filter(|l| *l != "und" && *l != "qme")
                .map(|l| if l == "in" { "id" } else { l }.to_string()),
            metrics: Metrics {
                likes: m["like_count"].as_u64(),
                shares: m["retweet_count"].as_u64(),
                replies: m["reply_count"].as_u64(),
                views: m["impression_count"].as_u64(),
            },
            in_reply_to: reply_to,
            sentiment: None,
            profiles: Vec::new(),
            complaint: None,
            extra,
        },
    ))
}

#[async_trait::async_trait]
impl Source for XSearch {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let mut sweep = Sweep::from_cursor(cursor);
        let url = format!(
            "{}/2/tweets/search/recent",
            self.cfg.base_url.trim_end_matches('/')
        );
        let mut query: Vec<(&str, String)> = vec![
            ("query", self.search.query.clone()),
            ("max_results", PAGE.to_string()),
            ("tweet.fields", TWEET_FIELDS.into()),
            ("expansions", "author_id".into()),
            ("user.fields", USER_FIELDS.into()),
        ];
        if let Some(s) = sweep.since {
            query.push(("since_id", s.to_string()));
        }
        if let Some(t) = &sweep.page {
            query.push(("next_token", t.clone()));
        }
        let req = self.client.get(&url).query(&query).bearer_auth(&self.token);
        let (status, headers, body) = crate::send(req, &url, crate::MAX_BODY).await?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SourceError::RateLimited {
                retry_after: until_reset(&headers).unwrap_or(Duration::from_secs(900)),
                message: format!("{url} answered 429"),
            });
        }
        if status == reqwest::StatusCode::BAD_REQUEST
            && String::from_utf8_lossy(&body).contains("since_id")
            && sweep.since.is_some()
        {
            // since_id fell out of the 7-day window: what lies between is gone.
            let from = sweep
                .since_time
                .or_else(|| sweep.since.and_then(snowflake_time))
                .unwrap_or_else(Utc::now);
            let gap = Gap::new(
                from,
                Utc::now() - chrono::Duration::days(7),
                format!(
                    "{}: the last collected post is older than recent search's 7 days",
                    self.name
                ),
            );
            return Ok(Fetched {
                mentions: Vec::new(),
                cursor: Some(Sweep::default().to_cursor()),
                next_poll: Duration::ZERO,
                gaps: vec![gap],
                window: false,
            });
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            return Err(SourceError::Permanent(format!(
                "{url} answered {status} for {}: check the bearer token (SIMAK_SECRET_X_BEARER_TOKEN) and the query: {}",
                self.name,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        let v = crate::json_body(&body, &url)?;
        if v.get("meta").is_none() {
            return Err(SourceError::Transient(format!(
                "{url}: not a search answer (no meta)"
            )));
        }
        let users: HashMap<&str, &serde_json::Value> = v["includes"]["users"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| Some((u["id"].as_str()?, u)))
                    .collect()
            })
            .unwrap_or_default();
        let empty = Vec::new();
        let data = v["data"].as_array().unwrap_or(&empty);
        let items: Vec<(i64, Mention)> =
            data.iter().filter_map(|t| parse_tweet(t, &users)).collect();
        let next = v["meta"]["next_token"].as_str().map(str::to_string);
        let mut f = sweep
            .step(Page { items, next }, self.cfg.max_pages, &self.name)
            .fetched(&sweep, Duration::from_secs(self.cfg.interval_secs.max(1)));
        if headers
            .get("x-rate-limit-remaining")
            .and_then(|v| v.to_str().ok())
            == Some("0")
        {
            if let Some(w) = until_reset(&headers) {
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
    fn a_tweet_with_its_author_becomes_a_mention() {
        let u = serde_json::json!({"id": "99", "username": "warga_sukamaju", "name": "Warga",
            "public_metrics": {"followers_count": 1200}});
        let users: HashMap<&str, &serde_json::Value> = [("99", &u)].into_iter().collect();
        let t = serde_json::json!({"id": "1859000000000000000", "text": "Jalan rusak lagi",
            "author_id": "99", "created_at": "2026-11-20T01:00:00.000Z", "lang": "in",
            "conversation_id": "1859000000000000000",
            "public_metrics": {"retweet_count": 3, "reply_count": 1, "like_count": 7, "quote_count": 0, "impression_count": 500},
            "referenced_tweets": [{"type": "replied_to", "id": "1858"}]});
        let (pos, m) = parse_tweet(&t, &users).unwrap();
        assert_eq!(pos, 1_859_000_000_000_000_000);
        assert_eq!(m.id, "x:1859000000000000000");
        assert_eq!(m.author.followers, Some(1200));
        assert_eq!(m.metrics.views, Some(500));
        assert_eq!(m.in_reply_to.as_deref(), Some("x:1858"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://x.com/warga_sukamaju/status/1859000000000000000")
        );
        // Snowflake ids carry their time.
        let t = snowflake_time(1_859_000_000_000_000_000).unwrap();
        assert_eq!(t.format("%Y").to_string(), "2024");
    }
}
