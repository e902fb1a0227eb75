//! Telegram public channels through their web preview, `t.me/s/<channel>`, parsed with an
//! HTML parser (`scraper`).
//!
//! The preview shows the newest ~20 posts; `?before=<id>` shows the ones before. A sweep pages
//! back to the last collected post (see [`crate::sweep`]). Each post carries its views and,
//! when it was edited, `edited: true` (the text is the one at collection time). A channel
//! without a public preview (Telegram redirects `/s/<channel>` to `/<channel>`; a 404; or
//! [`NOT_PREVIEW_LIMIT`] answers in a row with neither channel info nor posts) is reported in
//! the source's health and the source stops: it is not retried forever.

use crate::sweep::{Page, Sweep};
use crate::{Fetched, Source, SourceError};
use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use simak_core::config::TelegramConfig;
use simak_core::{Author, Mention, Metrics};
use std::sync::OnceLock;
use std::time::Duration;

/// Answers in a row that are not a channel preview before the source gives up.
pub const NOT_PREVIEW_LIMIT: u32 = 5;

/// One channel.
pub struct TelegramChannel {
    not_preview: u32,
    name: String,
    channel: String,
    cfg: TelegramConfig,
    client: reqwest::Client,
}

/// Builds one source per channel.
pub fn build(cfg: &TelegramConfig, user_agent: &str) -> Result<Vec<Box<dyn Source>>, SourceError> {
    if cfg.channels.is_empty() {
        return Ok(Vec::new());
    }
    let client = crate::http_client_no_redirects(user_agent, cfg.timeout_secs)?;
    Ok(cfg
        .channels
        .iter()
        .map(|c| Box::new(TelegramChannel::new(c, cfg, client.clone())) as Box<dyn Source>)
        .collect())
}

impl TelegramChannel {
    /// A source for `channel` (with or without `@`). `client` must not follow redirects
    /// ([`crate::http_client_no_redirects`]).
    pub fn new(channel: &str, cfg: &TelegramConfig, client: reqwest::Client) -> TelegramChannel {
        let channel = channel.trim().trim_start_matches('@').to_string();
        TelegramChannel {
            not_preview: 0,
            name: format!("telegram:{channel}"),
            channel,
            cfg: cfg.clone(),
            client,
        }
    }
}

struct Sel {
    message: Selector,
    text: Selector,
    views: Selector,
    date: Selector,
    meta: Selector,
    owner: Selector,
    info: Selector,
}

fn sel() -> &'static Sel {
    static S: OnceLock<Sel> = OnceLock::new();
    S.get_or_init(|| {
        let s = |q: &str| Selector::parse(q).expect("valid selector");
        Sel {
            message: s("div.tgme_widget_message[data-post]"),
            text: s("div.tgme_widget_message_text"),
            views: s("span.tgme_widget_message_views"),
            date: s("a.tgme_widget_message_date time[datetime]"),
            meta: s("span.tgme_widget_message_meta"),
            owner: s(".tgme_widget_message_owner_name"),
            info: s(".tgme_channel_info, .tgme_channel_history"),
        }
    })
}

/// `1.2K` → 1200, `3.4M` → 3,400,000, `15` → 15.
pub fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1e3),
        'M' | 'm' => (&s[..s.len() - 1], 1e6),
        'B' | 'b' => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    let v: f64 = num.trim().replace(',', ".").parse().ok()?;
    Some((v * mult).round() as u64)
}

/// What a preview page holds.
#[derive(Debug)]
pub struct Preview {
    /// The page is a channel preview (channel info or posts present).
    pub is_preview: bool,
    /// Posts with their message ids.
    pub posts: Vec<(i64, Mention)>,
}

/// The post's own text: the message text that is not inside a quoted reply.
fn own_text(msg: ElementRef) -> Option<String> {
    msg.select(&sel().text)
        .find(|t| {
            !t.ancestors().any(|a| {
                ElementRef::wrap(a).is_some_and(|e| {
                    e.value()
                        .classes()
                        .any(|c| c == "tgme_widget_message_reply")
                })
            })
        })
        .map(|t| crate::html::to_text(&t.inner_html()))
}

/// Parses a `t.me/s/<channel>` page.
pub fn parse_preview(html: &str, channel: &str) -> Preview {
    let doc = Html::parse_document(html);
    let s = sel();
    let mut posts = Vec::new();
    let mut is_preview = doc.select(&s.info).next().is_some();
    for msg in doc.select(&s.message) {
        is_preview = true;
        let Some(post) = msg.value().attr("data-post") else {
            continue;
        };
        let Some(id) = post.rsplit('/').next().and_then(|i| i.parse::<i64>().ok()) else {
            continue;
        };
        let Some(published) = msg
            .select(&s.date)
            .next()
            .and_then(|t| t.value().attr("datetime"))
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc))
        else {
            continue;
        };
        let text = own_text(msg).unwrap_or_default();
        if text.is_empty() {
            // A photo or sticker without a caption: nothing to listen to.
            continue;
        }
        let views = msg
            .select(&s.views)
            .next()
            .and_then(|v| parse_count(&v.text().collect::<String>()));
        let edited = msg
            .select(&s.meta)
            .next()
            .is_some_and(|m| m.text().any(|t| t.contains("edited")));
        let owner = msg
            .select(&s.owner)
            .next()
            .map(|o| o.text().collect::<String>().trim().to_string())
            .filter(|o| !o.is_empty());
        let mut extra = serde_json::Map::new();
        extra.insert("channel".into(), channel.into());
        if edited {
            extra.insert("edited".into(), true.into());
        }
        let ch = post.rsplit_once('/').map(|(c, _)| c).unwrap_or(channel);
        posts.push((
            id,
            Mention {
                id: format!("telegram:{}/{id}", ch.to_lowercase()),
                source: "telegram".into(),
                url: Some(format!("https://t.me/{ch}/{id}")),
                author: Author {
                    id: Some(format!("https://t.me/{ch}")),
                    handle: Some(ch.to_string()),
                    name: owner,
                    followers: None,
                },
                title: None,
                text,
                published_at: published,
                fetched_at: Utc::now(),
                lang: None,
                metrics: Metrics {
                    views,
                    ..Default::default()
                },
                in_reply_to: None,
                sentiment: None,
                profiles: Vec::new(),
                complaint: None,
                extra,
            },
        ));
    }
    Preview { is_preview, posts }
}

#[async_trait::async_trait]
impl Source for TelegramChannel {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, cursor: Option<&serde_json::Value>) -> Result<Fetched, SourceError> {
        let mut sweep = Sweep::from_cursor(cursor);
        let mut url = format!(
            "{}/s/{}",
            self.cfg.base_url.trim_end_matches('/'),
            simak_core::mention::path_segment(&self.channel)
        );
        if let Some(b) = &sweep.page {
            url.push_str(&format!("?before={b}"));
        }
        let (status, headers, body) = crate::send(self.client.get(&url), &url, 8 << 20).await?;
        if status.is_redirection() {
            return Err(SourceError::Gone(format!(
                "{}: the channel has no public preview (t.me redirects {url} to {}); it cannot be collected from the web — remove it or ask the channel to enable its preview",
                self.name,
                headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("elsewhere")
            )));
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SourceError::RateLimited {
                retry_after: crate::rss::retry_after(&headers).unwrap_or(Duration::from_secs(60)),
                message: format!("{url} answered 429"),
            });
        }
        if status.is_server_error() {
            return Err(SourceError::Transient(format!("{url} answered {status}")));
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(SourceError::Gone(format!(
                "{}: {url} answered 404: no such public channel",
                self.name
            )));
        }
        if !status.is_success() {
            return Err(SourceError::Permanent(format!("{url} answered {status}")));
        }
        let html = String::from_utf8_lossy(&body);
        if !html.contains("</html>") {
            return Err(SourceError::Transient(format!(
                "{url}: the page is truncated ({} bytes)",
                body.len()
            )));
        }
        let page = parse_preview(&html, &self.channel);
        if !page.is_preview {
            // Could be an error or challenge page in between: give up only when it persists.
            self.not_preview += 1;
            let msg = format!(
                "{}: {url} is not a channel preview (no channel info, no posts; {} times in a row)",
                self.name, self.not_preview
            );
            if self.not_preview >= NOT_PREVIEW_LIMIT {
                return Err(SourceError::Gone(format!(
                    "{msg}: the channel has no public preview"
                )));
            }
            return Err(SourceError::Transient(msg));
        }
        self.not_preview = 0;
        let min = page.posts.iter().map(|(id, _)| *id).min();
        let next = min.filter(|m| *m > 1).map(|m| m.to_string());
        let page = Page {
            items: page.posts,
            next,
        };
        Ok(sweep
            .step(page, self.cfg.max_pages, &self.name)
            .fetched(&sweep, Duration::from_secs(self.cfg.interval_secs.max(1))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html><head><title>Humas Sukamaju – Telegram</title></head><body>
<div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">Humas Sukamaju</span></div></div>
<section class="tgme_channel_history js-message_history">
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="humas_sukamaju/41" data-view="x">
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/humas_sukamaju"><span dir="auto">Humas Sukamaju</span></a></div>
<a class="tgme_widget_message_reply" href="https://t.me/humas_sukamaju/40"><div class="tgme_widget_message_metatext js-message_reply_text" dir="auto"><div class="tgme_widget_message_text">kutipan lama</div></div></a>
<div class="tgme_widget_message_text js-message_text" dir="auto">Klarifikasi: jembatan <b>tidak</b> ditutup.<br/>Info &amp; jadwal di <a href="https://sukamaju.go.id">situs</a></div>
<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">1.2K</span><span class="copyonly"> views</span>
<span class="tgme_widget_message_meta">edited <a class="tgme_widget_message_date" href="https://t.me/humas_sukamaju/41"><time datetime="2026-11-20T01:00:00+00:00" class="time">08:00</time></a></span>
</div></div></div></div></div>
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="humas_sukamaju/42">
<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_photo_wrap"></div>
<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">15</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/humas_sukamaju/42"><time datetime="2026-11-20T02:00:00+00:00" class="time">09:00</time></a></span></div></div></div></div></div>
</section></body></html>"#;

    #[test]
    fn a_preview_page_parses() {
        let p = parse_preview(PAGE, "humas_sukamaju");
        assert!(p.is_preview);
        assert_eq!(p.posts.len(), 1, "the photo without caption is skipped");
        let (id, m) = &p.posts[0];
        assert_eq!(*id, 41);
        assert_eq!(m.id, "telegram:humas_sukamaju/41");
        assert_eq!(
            m.text,
            "Klarifikasi: jembatan tidak ditutup. Info & jadwal di situs"
        );
        assert_eq!(m.metrics.views, Some(1200));
        assert_eq!(m.extra["edited"], true);
        assert_eq!(m.url.as_deref(), Some("https://t.me/humas_sukamaju/41"));
        assert_eq!(m.author.name.as_deref(), Some("Humas Sukamaju"));
    }

    #[test]
    fn a_page_without_preview_is_recognized() {
        let p = parse_preview(
            "<html><body><div class=\"tgme_page\"><div class=\"tgme_page_title\">Private</div></div></body></html>",
            "x",
        );
        assert!(!p.is_preview);
    }

    #[test]
    fn counts_parse() {
        assert_eq!(parse_count("1.2K"), Some(1200));
        assert_eq!(parse_count("3.4M"), Some(3_400_000));
        assert_eq!(parse_count("15"), Some(15));
        assert_eq!(parse_count("x"), None);
    }
}
