//! The mention: one public post, article or comment that Simak collected.
//!
//! This is the wire format on every topic of the log (JSON, keyed by [`Mention::id`]). Stages add
//! enrichment fields (`lang`, and in later stages sentiment, profiles, hoax) to the same object, and
//! fields this version does not know are carried through untouched in [`Mention::extra`], so an
//! older stage never strips what a newer one added.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// One collected mention. See the README, "The mention format".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mention {
    /// Stable unique id: `<source>:<platform id>`, or `<source>:u<hash>` of the canonical URL
    /// where the platform has no id of its own. The index uses it as a unique key.
    pub id: String,
    /// Which source collected it: `rss`, `import`, `bluesky`, `mastodon`, ...
    pub source: String,
    /// Link to the post or article, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who wrote it.
    #[serde(default)]
    pub author: Author,
    /// Title (news articles, feed entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The text of the post, as plain text.
    pub text: String,
    /// When it was published, RFC 3339.
    pub published_at: DateTime<Utc>,
    /// When Simak fetched it, RFC 3339.
    pub fetched_at: DateTime<Utc>,
    /// ISO 639-1 language code (`id`, `en`, `jv`, `su`, or `other`); set by the analyzer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Lang>))]
    pub lang: Option<String>,
    /// Engagement counters at fetch time.
    #[serde(default)]
    pub metrics: Metrics,
    /// Id of the mention this one replies to, in the same id scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// Sentiment; set by the analyzer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Ids of the watch profiles the mention matched; set by the analyzer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Any other fields (enrichment added by newer stages, platform extras), kept as they are.
    /// The hoax verdict is here under `hoax`: read and write it with [`Mention::hoax`] and
    /// [`Mention::set_hoax`], never by key (see [`crate::verdict`]).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The author of a mention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Author {
    /// Platform id of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Handle (`@user`, without the `@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Follower count at fetch time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
}

/// Engagement counters; absent where the platform does not report them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metrics {
    /// Likes, favourites, reactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likes: Option<u64>,
    /// Shares, reposts, boosts, retweets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// Replies, comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<u64>,
    /// Views, impressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<u64>,
}

/// Sentiment of a mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sentiment {
    /// `negative`, `neutral` or `positive`.
    #[cfg_attr(feature = "openapi", schema(value_type = SentimentLabel))]
    pub label: String,
    /// Probabilities of each label, summing to 1.
    pub scores: SentimentScores,
}

/// The sentiment labels (the OpenAPI document's name for [`Sentiment::label`]'s values).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

/// The language codes the analyzer gives (the OpenAPI document's name for [`Mention::lang`]'s
/// values).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum Lang {
    Id,
    En,
    Jv,
    Su,
    Other,
}

/// Probabilities of each sentiment label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentimentScores {
    /// P(negative).
    #[serde(serialize_with = "round4")]
    pub negative: f32,
    /// P(neutral).
    #[serde(serialize_with = "round4")]
    pub neutral: f32,
    /// P(positive).
    #[serde(serialize_with = "round4")]
    pub positive: f32,
}

/// Writes a probability with four decimals, not as the binary expansion of an f32.
fn round4<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*x) * 10_000.0).round() / 10_000.0)
}

impl Metrics {
    /// Reach estimate used for sorting: views if known, else the engagement sum.
    pub fn reach(&self) -> u64 {
        self.views.unwrap_or_else(|| {
            self.likes.unwrap_or(0) + self.shares.unwrap_or(0) + self.replies.unwrap_or(0)
        })
    }
}

impl Mention {
    /// Serializes to the wire format (one JSON object).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a mention always serializes")
    }

    /// Parses the wire format.
    pub fn from_json(bytes: &[u8]) -> Result<Mention, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Builds the id `<source>:<platform id>`.
pub fn mention_id(source: &str, platform_id: &str) -> String {
    format!("{source}:{platform_id}")
}

/// Percent-encodes one URL path segment (everything but RFC 3986's unreserved characters).
pub fn path_segment(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Builds the id `<source>:u<hash>` from the canonical form of `url` (see [`canonical_url`]).
pub fn url_mention_id(source: &str, url: &str) -> String {
    format!("{source}:u{}", short_hash(canonical_url(url).as_bytes()))
}

/// First 16 hex digits of SHA-256: 64 bits, enough to keep ids unique per source.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Canonical form of a URL for deduplication: lowercase scheme and host, no fragment, no default
/// port, no tracking parameters (`utm_*`, `fbclid`, `gclid`, ...), remaining parameters sorted,
/// no trailing slash on the path. A string that is not a URL is returned trimmed.
pub fn canonical_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw.trim()) else {
        return raw.trim().to_string();
    };
    url.set_fragment(None);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    if params.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(params);
    }
    let path = url.path().to_string();
    if path.len() > 1 && path.ends_with('/') {
        url.set_path(path.trim_end_matches('/'));
    }
    url.to_string()
}

fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid" | "gclid" | "igshid" | "mc_cid" | "mc_eid" | "ref_src" | "s" | "si"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mention {
        Mention {
            id: "import:1".into(),
            source: "import".into(),
            url: Some("https://example.id/a".into()),
            author: Author {
                handle: Some("warga".into()),
                followers: Some(10),
                ..Default::default()
            },
            title: None,
            text: "Jalan rusak di depan kantor Pemkab".into(),
            published_at: "2026-11-20T08:00:00Z".parse().unwrap(),
            fetched_at: "2026-11-20T08:01:00Z".parse().unwrap(),
            lang: None,
            metrics: Metrics::default(),
            in_reply_to: None,
            sentiment: None,
            profiles: Vec::new(),
            extra: Map::new(),
        }
    }

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let mut m = sample();
        m.extra
            .insert("hoax".into(), serde_json::json!({"label": "suspected"}));
        let back = Mention::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
        let v: Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(v["hoax"]["label"], "suspected");
        assert!(v.get("title").is_none(), "absent options are omitted");
    }

    #[test]
    fn canonical_url_drops_tracking_and_fragment() {
        assert_eq!(
            canonical_url("HTTPS://Berita.Example.ID/a/b/?utm_source=x&z=1&a=2#top"),
            "https://berita.example.id/a/b?a=2&z=1"
        );
        assert_eq!(
            url_mention_id("rss", "https://x.id/p?utm_medium=m"),
            url_mention_id("rss", "https://x.id/p")
        );
        assert_ne!(
            url_mention_id("rss", "https://x.id/p"),
            url_mention_id("rss", "https://x.id/q")
        );
    }

    #[test]
    fn reach_prefers_views() {
        let m = Metrics {
            likes: Some(3),
            shares: Some(2),
            replies: None,
            views: None,
        };
        assert_eq!(m.reach(), 5);
        let m = Metrics {
            views: Some(100),
            ..m
        };
        assert_eq!(m.reach(), 100);
    }
}
