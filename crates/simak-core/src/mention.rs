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
    /// What the post asks of the office (complaint, request, question, praise or other), its
    /// category and the place it names; set by the analyzer on Indonesian mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<Complaint>,
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

/// What a post asks of the office, as the complaint analysis reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    /// Complaint, request, question, praise or other.
    pub kind: ComplaintKind,
    /// The service it is about; only for a complaint, a request or a question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<ComplaintCategory>,
    /// The kecamatan or desa it names, from the office's gazetteer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// The model's probability of `kind`.
    #[serde(serialize_with = "round4")]
    pub confidence: f32,
}

/// What a post asks of the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    /// Something is wrong (aduan).
    Complaint,
    /// Asks the office to do something (permintaan).
    Request,
    /// Asks about a service (pertanyaan).
    Question,
    /// Thanks or praise (pujian).
    Praise,
    /// Anything else (lainnya).
    Other,
}

impl ComplaintKind {
    /// Every kind, in model order.
    pub const ALL: [ComplaintKind; 5] = [
        ComplaintKind::Complaint,
        ComplaintKind::Request,
        ComplaintKind::Question,
        ComplaintKind::Praise,
        ComplaintKind::Other,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        ["complaint", "request", "question", "praise", "other"][self as usize]
    }

    /// Its Indonesian label, for what users read.
    pub fn label_id(self) -> &'static str {
        ["aduan", "permintaan", "pertanyaan", "pujian", "lainnya"][self as usize]
    }

    /// The kind named `s` (its wire name).
    pub fn parse(s: &str) -> Option<ComplaintKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a post of this kind has a category: a complaint, a request or a question.
    pub fn has_category(self) -> bool {
        matches!(
            self,
            ComplaintKind::Complaint | ComplaintKind::Request | ComplaintKind::Question
        )
    }
}

/// The public service a complaint, request or question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCategory {
    /// Roads, bridges, street lights, drainage.
    Roads,
    /// Piped water, clean water.
    Water,
    /// Waste collection, dumping, pollution by waste.
    Waste,
    /// Health services.
    Health,
    /// Schools and education.
    Education,
    /// Identity cards, family cards, civil registration.
    PopulationRecords,
    /// Permits and licences.
    Permits,
    /// Floods, landslides, fires and other disasters.
    Disaster,
    /// Public order and security.
    Security,
    /// Any other service.
    Other,
}

impl ComplaintCategory {
    /// Every category, in model order.
    pub const ALL: [ComplaintCategory; 10] = [
        ComplaintCategory::Roads,
        ComplaintCategory::Water,
        ComplaintCategory::Waste,
        ComplaintCategory::Health,
        ComplaintCategory::Education,
        ComplaintCategory::PopulationRecords,
        ComplaintCategory::Permits,
        ComplaintCategory::Disaster,
        ComplaintCategory::Security,
        ComplaintCategory::Other,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        [
            "roads",
            "water",
            "waste",
            "health",
            "education",
            "population_records",
            "permits",
            "disaster",
            "security",
            "other",
        ][self as usize]
    }

    /// The category named `s` (its wire name).
    pub fn parse(s: &str) -> Option<ComplaintCategory> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A place of the regency named in a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    /// Its name as the gazetteer writes it.
    pub name: String,
    /// `kecamatan` or `desa`.
    pub level: PlaceLevel,
    /// The kecamatan it is in (itself for a kecamatan).
    pub kecamatan: String,
}

/// The level of a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlaceLevel {
    /// A district.
    Kecamatan,
    /// A village.
    Desa,
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
            complaint: None,
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
    fn a_mention_from_before_the_complaint_field_still_reads_and_writes_the_same() {
        // A record as the analyzer wrote it before `complaint` existed.
        let old = r#"{"id":"x:1","source":"x","author":{},"metrics":{},"text":"jalan rusak","published_at":"2026-01-01T00:00:00Z","fetched_at":"2026-01-01T00:00:00Z","lang":"id","sentiment":{"label":"negative","scores":{"negative":0.9,"neutral":0.05,"positive":0.05}},"profiles":["pemkab-sukamaju"],"hoax":{"label":"none"}}"#;
        let m = Mention::from_json(old.as_bytes()).unwrap();
        assert!(m.complaint.is_none());
        assert!(m.extra.contains_key("hoax") && !m.extra.contains_key("complaint"));
        let v: Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(old).unwrap());
        // With the field: its wire shape.
        let mut m = sample();
        m.complaint = Some(Complaint {
            kind: ComplaintKind::Complaint,
            category: Some(ComplaintCategory::PopulationRecords),
            place: Some(Place {
                name: "Jatisari".into(),
                level: PlaceLevel::Desa,
                kecamatan: "Karanganyar".into(),
            }),
            confidence: 0.912_345,
        });
        let v: Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(
            v["complaint"],
            serde_json::json!({"kind": "complaint", "category": "population_records",
                "place": {"name": "Jatisari", "level": "desa", "kecamatan": "Karanganyar"},
                "confidence": 0.9123})
        );
        let back = Mention::from_json(&m.to_json()).unwrap();
        assert_eq!(back.complaint.unwrap().kind, ComplaintKind::Complaint);
        m.complaint = Some(Complaint {
            kind: ComplaintKind::Praise,
            category: None,
            place: None,
            confidence: 0.5,
        });
        let v: Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(
            v["complaint"],
            serde_json::json!({"kind": "praise", "confidence": 0.5})
        );
        assert!(Mention::from_json(
            br#"{"id":"x:1","source":"x","text":"t","published_at":"2026-01-01T00:00:00Z","fetched_at":"2026-01-01T00:00:00Z","complaint":{"kind":"keluhan","confidence":1}}"#
        )
        .is_err());
        for k in ComplaintKind::ALL {
            assert_eq!(ComplaintKind::parse(k.as_str()), Some(k));
        }
        for c in ComplaintCategory::ALL {
            assert_eq!(ComplaintCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(ComplaintKind::Request.label_id(), "permintaan");
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
