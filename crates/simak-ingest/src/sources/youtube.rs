//! YouTube Data API v3: `commentThreads` of configured videos or channels, newest first
//! (`order=time`), optionally only those matching `searchTerms`, paged with `pageToken` (see
//! [`crate::sweep`]).
//!
//! Quota-aware: a 403 with reason `quotaExceeded` (or `dailyLimitExceeded`) pauses the source
//! until the quota resets — midnight Pacific time — and says so in its health; other 403s
//! (comments disabled, forbidden) and 404s need an operator. The API key is the secret
//! `YOUTUBE_API_KEY` and is never logged (it is sent as `key=`, so URLs in
//! messages are given without their query).

use crate::sweep::{Page, Sweep};
use crate::{Fetched, Source, SourceError};
use chrono::{DateTime, Duration as CDuration, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use simak_core::config::{YoutubeConfig, YoutubeTarget};
use simak_core::{Author, Mention, Metrics};
use std::time::Duration;

/// Results per page (the API's maximum).
pub const PAGE: usize = 100;

/// One video's or channel's comment threads.
pub struct YoutubeComments {
    name: String,
    target: YoutubeTarget,
    cfg: YoutubeConfig,
    key: String,
    client: reqwest::Client,
}

/// Builds one source per target, when the secret `YOUTUBE_API_KEY` is set.
pub fn build(cfg: &YoutubeConfig, user_agent: &str) -> Result<Vec<Box<dyn Source>>, SourceError> {
    if cfg.targets.is_empty() {
        return Ok(Vec::new());
    }
    let Some(key) = simak_core::config::secret("YOUTUBE_API_KEY").filter(|k| !k.trim().is_empty())
    else {
        tracing::warn!(
            "sources.youtube has targets but SIMAK_SECRET_YOUTUBE_API_KEY is not set; YouTube is not collected"
        );
        return Ok(Vec::new());
    };
    for t in &cfg.targets {
        if t.video_id.is_some() == t.channel_id.is_some() {
            return Err(SourceError::Permanent(format!(
                "sources.youtube target {:?}: set exactly one of video_id and channel_id",
                t.name
            )));
        }
    }
    let client = crate::http_client(user_agent, cfg.timeout_secs)?;
    Ok(cfg
        .targets
        .iter()
        .map(|t| {
            Box::new(YoutubeComments::new(t.clone(), cfg, &key, client.clone())) as Box<dyn Source>
        })
        .collect())
}

impl YoutubeComments {
    /// A source for `target` with API key `key`.
    pub fn new(
        target: YoutubeTarget,
        cfg: &YoutubeConfig,
        key: &str,
        client: reqwest::Client,
    ) -> YoutubeComments {
        YoutubeComments {
            name: format!("youtube:{}", target.name),
            target,
            cfg: cfg.clone(),
            key: key.to_string(),
            client,
        }
    }
}

/// When the daily quota resets after `now`: the next midnight in Los Angeles.
pub fn quota_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Los_Angeles);
    let tomorrow = local.date_naive() + CDuration::days(1);
    Los_Angeles
        .from_local_datetime(&tomorrow.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + CDuration::hours(24))
}

/// The `reason` of an API error answer.
fn error_reason(v: &serde_json::Value) -> Option<&str> {
    v["error"]["errors"][0]["reason"].as_str()
}

/// Turns one comment thread into a mention and its position.
pub fn parse_thread(t: &serde_json::Value) -> Option<(i64, Mention)> {
    let top = &t["snippet"]["topLevelComment"];
    let s = &top["snippet"];
    let id = top["id"].as_str().or_else(|| t["id"].as_str())?;
    let published = DateTime::parse_from_rfc3339(s["publishedAt"].as_str()?)
        .ok()?
        .with_timezone(&Utc);
    let text = s["textOriginal"]
        .as_str()
        .map(str::to_string)
        .or_else(|| s["textDisplay"].as_str().map(crate::html::to_text))?;
    let video = t["snippet"]["videoId"]
        .as_str()
        .or_else(|| s["videoId"].as_str());
    let mut extra = serde_json::Map::new();
    if let Some(v) = video {
        extra.insert("video_id".into(), v.into());
    }
    if let Some(u) = s["updatedAt"]
        .as_str()
        .filter(|u| Some(*u) != s["publishedAt"].as_str())
    {
        extra.insert("edited_at".into(), u.into());
    }
    Some((
        published.timestamp(),
        Mention {
            id: format!("youtube:{id}"),
            source: "youtube".into(),
            url: video.map(|v| format!("https://www.youtube.com/watch?v={v}&lc={id}")),
            author: Author {
                id: s["authorChannelId"]["value"].as_str().map(str::to_string),
                handle: s["authorDisplayName"].as_str().map(str::to_string),
                name: s["authorDisplayName"].as_str().map(str::to_string),
                followers: None,
            },
            title: None,
            text,
            published_at: published,
            fetched_at: Utc::now(),
            lang: None,
            metrics: Metrics {
                likes: s["likeCount"].as_u64(),
                shares: None,
                replies: t["snippet"]["totalReplyCount"].as_u64(),
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
impl Source for YoutubeComments {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let mut sweep = Sweep::from_cursor(cursor);
        let url = format!(
            "{}/youtube/v3/commentThreads",
            self.cfg.base_url.trim_end_matches('/')
        );
        let mut query: Vec<(&str, String)> = vec![
            ("part", "snippet".into()),
            ("order", "time".into()),
            ("maxResults", PAGE.to_string()),
            ("textFormat", "plainText".into()),
            ("key", self.key.clone()),
        ];
        if let Some(v) = &self.target.video_id {
            query.push(("videoId", v.clone()));
        }
        if let Some(c) = &self.target.channel_id {
            query.push(("allThreadsRelatedToChannelId", c.clone()));
        }
        if let Some(t) = &self.target.search_terms {
            query.push(("searchTerms", t.clone()));
        }
        if let Some(p) = &sweep.page {
            query.push(("pageToken", p.clone()));
        }
        let req = self.client.get(&url).query(&query);
        let (status, headers, body) = crate::send(req, &url, crate::MAX_BODY).await?;
        if status == reqwest::StatusCode::FORBIDDEN
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let reason = error_reason(&v).unwrap_or("").to_string();
            if matches!(
                reason.as_str(),
                "quotaExceeded"
                    | "dailyLimitExceeded"
                    | "rateLimitExceeded"
                    | "userRateLimitExceeded"
            ) || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            {
                let now = Utc::now();
                let (until, what) = if reason == "quotaExceeded" || reason == "dailyLimitExceeded" {
                    (quota_reset(now), "the daily API quota is spent")
                } else {
                    let wait = crate::rss::retry_after(&headers).unwrap_or(Duration::from_secs(60));
                    (
                        now + CDuration::from_std(wait).unwrap_or(CDuration::seconds(60)),
                        "rate limited",
                    )
                };
                let wait = (until - now).to_std().unwrap_or(Duration::from_secs(60));
                return Err(SourceError::RateLimited {
                    retry_after: wait,
                    message: format!(
                        "{}: {what} ({}); paused until {}",
                        self.name,
                        if reason.is_empty() {
                            "429"
                        } else {
                            reason.as_str()
                        },
                        until.to_rfc3339()
                    ),
                });
            }
            return Err(SourceError::Permanent(format!(
                "{url} answered 403 ({reason}) for {}: comments may be disabled, or the key lacks access",
                self.name
            )));
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            return Err(SourceError::Permanent(format!(
                "{url} answered {status} ({}) for {}: check the video or channel id and the key (SIMAK_SECRET_YOUTUBE_API_KEY)",
                error_reason(&v).unwrap_or("no reason given"),
                self.name,
            )));
        }
        let v = crate::json_body(&body, &url)?;
        let Some(list) = v["items"].as_array() else {
            return Err(SourceError::Transient(format!(
                "{url}: not a commentThreads answer (no items)"
            )));
        };
        let items: Vec<(i64, Mention)> = list.iter().filter_map(parse_thread).collect();
        let next = v["nextPageToken"].as_str().map(str::to_string);
        Ok(sweep
            .step(Page { items, next }, self.cfg.max_pages, &self.name)
            .fetched(&sweep, Duration::from_secs(self.cfg.interval_secs.max(1))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_resets_at_pacific_midnight() {
        // 2026-11-23 10:00 UTC is 02:00 PST: the reset is 2026-11-24 08:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        assert_eq!(
            quota_reset(now),
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap()
        );
        // In summer (PDT, UTC-7) it is 07:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(
            quota_reset(now),
            Utc.with_ymd_and_hms(2026, 7, 2, 7, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_thread_becomes_a_mention() {
        let t = serde_json::json!({"kind": "youtube#commentThread", "id": "Ugx1",
            "snippet": {"videoId": "vid1", "totalReplyCount": 2, "topLevelComment": {
                "kind": "youtube#comment", "id": "Ugx1",
                "snippet": {"videoId": "vid1", "textDisplay": "Mantap pak", "textOriginal": "Mantap pak",
                    "authorDisplayName": "@warga", "authorChannelId": {"value": "UCw"},
                    "likeCount": 5, "publishedAt": "2026-11-20T01:00:00Z", "updatedAt": "2026-11-20T01:05:00Z"}}}});
        let (_, m) = parse_thread(&t).unwrap();
        assert_eq!(m.id, "youtube:Ugx1");
        assert_eq!(
            m.url.as_deref(),
            Some("https://www.youtube.com/watch?v=vid1&lc=Ugx1")
        );
        assert_eq!(m.metrics.likes, Some(5));
        assert_eq!(m.extra["edited_at"], "2026-11-20T01:05:00Z");
    }
}
