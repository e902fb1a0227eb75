//! The hoax verdict as it travels between stages.
//!
//! The analyzer scores every mention and writes its [`HoaxVerdict`] into the mention under the
//! key `hoax` ([`HOAX_KEY`]); the indexer, the alerter, the review queue and the web server read
//! it back. They all go through these types ([`Mention::set_hoax`], [`Mention::hoax`]), so a
//! renamed or retyped field is a compile error rather than an alert that silently stops.
//!
//! The wire format is the JSON the analyzer has always written:
//!
//! ```json
//! {"score": 0.9, "label": "known_hoax", "reasons": ["..."],
//!  "matches": [{"id": "tbh-1", "claim": "...", "url": null, "verdict": "hoaks",
//!               "explanation": "...", "similarity": 0.912}],
//!  "cluster": {"id": "00000000000000aa", "size": 3, "last_hour": 2}}
//! ```
//!
//! Scores are written with three decimals. The verdict stays in the mention's untyped
//! [`Mention::extra`] map on purpose: a stage that cannot read a verdict (written by a newer
//! analyzer, or damaged) carries it through untouched instead of dropping the whole mention, and
//! the mention's JSON keeps its exact shape.
//!
//! **Compatibility.** Fields added since the first release (`explanation`) and fields a reader
//! can do without (`reasons`, `matches`, `cluster`, `url`, `verdict`) default when absent; unknown
//! fields are ignored, so adding a field needs no version. A change that older readers would
//! misread (a field changing meaning or type) raises [`HOAX_VERDICT_VERSION`]: the version is
//! written only when it is not 1, so today's records have none and read as version 1, and a
//! reader refuses a verdict newer than it knows ([`VerdictError::Newer`]) instead of guessing.

use crate::Mention;
use serde::{Deserialize, Serialize};

/// The key of the verdict in a mention's JSON.
pub const HOAX_KEY: &str = "hoax";

/// The version of the verdict format this build writes and reads. A record without a version
/// is version 1.
pub const HOAX_VERDICT_VERSION: u32 = 1;

/// The verdict on one mention: how likely it spreads a hoax, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoaxVerdict {
    /// In [0, 1]; written with three decimals.
    #[serde(default, serialize_with = "round3")]
    pub score: f32,
    /// `known_hoax`, `suspected` or `none`.
    pub label: HoaxLabel,
    /// Why, in Indonesian, for the officer who decides.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Matched fact-checks, most similar first.
    #[serde(default)]
    pub matches: Vec<ClaimMatch>,
    /// The near-duplicate cluster the post belongs to (the analyzer always sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// Format version; absent (and not written) for version 1. See the module docs.
    #[serde(default = "version_1", skip_serializing_if = "is_version_1")]
    pub version: u32,
}

/// The label of a [`HoaxVerdict`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoaxLabel {
    /// Spreads a claim the fact-check knowledge base holds as debunked (`known_hoax`).
    KnownHoax,
    /// Scored at or above the suspicion threshold (`suspected`).
    Suspected,
    /// Not flagged (`none`).
    #[default]
    None,
}

/// One fact-check a mention matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimMatch {
    /// The fact-check's id.
    pub id: String,
    /// Its claim.
    pub claim: String,
    /// Its link (written as `null` when there is none).
    #[serde(default)]
    pub url: Option<String>,
    /// Its verdict (`hoaks`, `salah`, ...; may be empty).
    #[serde(default)]
    pub verdict: String,
    /// The start of its explanation (what is true instead); absent when the fact-check has none,
    /// and in records written before it existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// Match score in [0, 1]; written with three decimals.
    #[serde(default, serialize_with = "round3")]
    pub similarity: f32,
}

/// A near-duplicate cluster: copies of the same post spreading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cluster {
    /// Stable id: the SimHash of the first post seen, 16 hex digits.
    pub id: String,
    /// Posts seen in the cluster (this one included), within the analyzer's window.
    #[serde(default)]
    pub size: u32,
    /// Of those, posts in the last hour.
    #[serde(default)]
    pub last_hour: u32,
}

/// Why a mention's verdict could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerdictError {
    /// It is not a verdict of any version.
    #[error("malformed hoax verdict: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A newer analyzer wrote it in a format this build does not know.
    #[error("hoax verdict version {0} is newer than this build reads ({HOAX_VERDICT_VERSION})")]
    Newer(u32),
}

impl HoaxLabel {
    /// The label as written on the wire: `known_hoax`, `suspected` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoaxLabel::KnownHoax => "known_hoax",
            HoaxLabel::Suspected => "suspected",
            HoaxLabel::None => "none",
        }
    }

    /// Parses a wire label; `None` (the Rust option) for anything else.
    pub fn parse(s: &str) -> Option<HoaxLabel> {
        match s {
            "known_hoax" => Some(HoaxLabel::KnownHoax),
            "suspected" => Some(HoaxLabel::Suspected),
            "none" => Some(HoaxLabel::None),
            _ => None,
        }
    }

    /// Whether the mention is flagged (`known_hoax` or `suspected`).
    pub fn is_flagged(self) -> bool {
        self != HoaxLabel::None
    }
}

impl std::fmt::Display for HoaxLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl HoaxVerdict {
    /// A verdict of the current version.
    pub fn new(
        score: f32,
        label: HoaxLabel,
        reasons: Vec<String>,
        matches: Vec<ClaimMatch>,
        cluster: Option<Cluster>,
    ) -> HoaxVerdict {
        HoaxVerdict {
            score,
            label,
            reasons,
            matches,
            cluster,
            version: HOAX_VERDICT_VERSION,
        }
    }

    /// The score as the wire carries it (three decimals), as an `f64`.
    pub fn score_f64(&self) -> f64 {
        rounded3(self.score)
    }

    /// Reads a verdict from its JSON value, checking its version.
    pub fn from_value(v: &serde_json::Value) -> Result<HoaxVerdict, VerdictError> {
        let verdict = HoaxVerdict::deserialize(v)?;
        if verdict.version > HOAX_VERDICT_VERSION {
            return Err(VerdictError::Newer(verdict.version));
        }
        Ok(verdict)
    }

    /// The verdict's JSON value (what goes under [`HOAX_KEY`]).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a hoax verdict always serializes")
    }
}

impl ClaimMatch {
    /// The similarity as the wire carries it (three decimals), as an `f64`.
    pub fn similarity_f64(&self) -> f64 {
        rounded3(self.similarity)
    }
}

impl Mention {
    /// The hoax verdict, if the analyzer wrote one; an error if the one there cannot be read.
    pub fn try_hoax(&self) -> Result<Option<HoaxVerdict>, VerdictError> {
        self.extra
            .get(HOAX_KEY)
            .map(HoaxVerdict::from_value)
            .transpose()
    }

    /// The hoax verdict, if there is one that can be read. One that cannot is logged (with the
    /// mention's id) and treated as absent; it stays in the mention as it was.
    pub fn hoax(&self) -> Option<HoaxVerdict> {
        self.try_hoax().unwrap_or_else(|e| {
            tracing::warn!(mention = %self.id, error = %e, "hoax verdict ignored");
            None
        })
    }

    /// Sets the hoax verdict.
    pub fn set_hoax(&mut self, v: &HoaxVerdict) {
        self.extra.insert(HOAX_KEY.into(), v.to_value());
    }
}

fn version_1() -> u32 {
    1
}

fn is_version_1(v: &u32) -> bool {
    *v == 1
}

/// `x` with three decimals, as an `f64` (not the binary expansion of an `f32`).
fn rounded3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn round3<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(rounded3(*x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mention(hoax: serde_json::Value) -> Mention {
        serde_json::from_value(json!({
            "id": "x:1", "source": "x", "text": "t",
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z",
            "feed": "a", "hoax": hoax, "via": "z"
        }))
        .unwrap()
    }

    fn sample() -> HoaxVerdict {
        HoaxVerdict::new(
            0.923_456_7,
            HoaxLabel::KnownHoax,
            vec!["mirip klaim".into()],
            vec![
                ClaimMatch {
                    id: "tbh-1".into(),
                    claim: "klaim".into(),
                    url: None,
                    verdict: "hoaks".into(),
                    explanation: String::new(),
                    similarity: 0.912_345,
                },
                ClaimMatch {
                    id: "tbh-2".into(),
                    claim: "klaim lain".into(),
                    url: Some("https://example.id/2".into()),
                    verdict: String::new(),
                    explanation: "faktanya".into(),
                    similarity: 0.5,
                },
            ],
            Some(Cluster {
                id: "00000000000000aa".into(),
                size: 3,
                last_hour: 2,
            }),
        )
    }

    #[test]
    fn round_trip_through_a_mention() {
        let v = sample();
        let mut m = mention(json!(null));
        m.extra.remove(HOAX_KEY);
        assert!(m.try_hoax().unwrap().is_none());
        m.set_hoax(&v);
        let back = Mention::from_json(&m.to_json()).unwrap();
        let got = back.hoax().unwrap();
        // Scores travel with three decimals.
        assert_eq!(got.score_f64(), 0.923);
        assert_eq!(got.matches[0].similarity_f64(), 0.912);
        let rounded = HoaxVerdict {
            score: 0.923,
            matches: vec![
                ClaimMatch {
                    similarity: 0.912,
                    ..v.matches[0].clone()
                },
                v.matches[1].clone(),
            ],
            ..v.clone()
        };
        assert_eq!(got, rounded);
        // And a second trip changes nothing.
        assert_eq!(HoaxVerdict::from_value(&got.to_value()).unwrap(), got);
    }

    #[test]
    fn writes_the_json_the_analyzer_always_wrote() {
        let v = sample().to_value();
        assert_eq!(
            v.to_string(),
            r#"{"cluster":{"id":"00000000000000aa","last_hour":2,"size":3},"label":"known_hoax","matches":[{"claim":"klaim","id":"tbh-1","similarity":0.912,"url":null,"verdict":"hoaks"},{"claim":"klaim lain","explanation":"faktanya","id":"tbh-2","similarity":0.5,"url":"https://example.id/2","verdict":""}],"reasons":["mirip klaim"],"score":0.923}"#
        );
    }

    #[test]
    fn reads_a_mention_written_by_the_analyzer() {
        // A line of the enriched topic as the analyzer wrote it before this type existed.
        let line = r#"{"id":"import:7","source":"import","author":{},"text":"SEBARKAN!! bantuan tunai","published_at":"2026-11-20T08:00:00Z","fetched_at":"2026-11-20T08:01:00Z","lang":"id","metrics":{},"sentiment":{"label":"negative","scores":{"negative":0.7,"neutral":0.2,"positive":0.1}},"profiles":["pemkab"],"hoax":{"cluster":{"id":"9f86d081884c7d65","last_hour":1,"size":1},"label":"known_hoax","matches":[{"claim":"Pemkab membagikan bantuan tunai","explanation":"Pemkab tidak pernah membuka pendaftaran","id":"tbh-1","similarity":0.964,"url":"https://example.id/k/1","verdict":"hoaks"}],"reasons":["mirip klaim yang sudah diperiksa"],"score":0.964}}"#;
        let m = Mention::from_json(line.as_bytes()).unwrap();
        let v = m.try_hoax().unwrap().unwrap();
        assert_eq!(v.label, HoaxLabel::KnownHoax);
        assert_eq!(v.score_f64(), 0.964);
        assert_eq!(v.matches[0].id, "tbh-1");
        assert_eq!(v.matches[0].url.as_deref(), Some("https://example.id/k/1"));
        assert_eq!(v.cluster.as_ref().unwrap().id, "9f86d081884c7d65");
        assert_eq!(v.version, 1);
        // Written back, and with the verdict set again, the mention is the same bytes.
        assert_eq!(String::from_utf8(m.to_json()).unwrap(), line);
        let mut m2 = m.clone();
        m2.set_hoax(&v);
        assert_eq!(String::from_utf8(m2.to_json()).unwrap(), line);
    }

    #[test]
    fn older_records_still_read() {
        // Before `explanation` existed, and a bare verdict without matches or cluster.
        let old = json!({"score": 0.9, "label": "known_hoax", "reasons": ["r"],
            "matches": [{"id": "fc-1", "claim": "klaim", "url": null, "verdict": "hoaks", "similarity": 0.9}],
            "cluster": {"id": "00000000000000aa", "size": 2, "last_hour": 1}});
        let v = mention(old.clone()).try_hoax().unwrap().unwrap();
        assert_eq!(v.matches[0].explanation, "");
        assert_eq!(v.to_value(), old, "written back unchanged");
        let bare = mention(json!({"label": "suspected"}))
            .try_hoax()
            .unwrap()
            .unwrap();
        assert_eq!(bare.label, HoaxLabel::Suspected);
        assert_eq!(bare.score, 0.0);
        assert!(bare.matches.is_empty() && bare.reasons.is_empty());
        assert_eq!(bare.cluster, None);
    }

    #[test]
    fn a_bad_or_newer_verdict_is_an_error_and_stays_in_the_mention() {
        for bad in [
            json!({"label": "maybe"}),
            json!({"score": "high", "label": "none"}),
            json!("known_hoax"),
            json!({"score": 0.5}),
        ] {
            let m = mention(bad.clone());
            assert!(
                matches!(m.try_hoax(), Err(VerdictError::Malformed(_))),
                "{bad}"
            );
            assert_eq!(m.hoax(), None);
            let back: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
            assert_eq!(back[HOAX_KEY], bad, "carried through untouched");
        }
        let newer = mention(json!({"label": "none", "version": 2, "stance": "x"}));
        assert!(matches!(newer.try_hoax(), Err(VerdictError::Newer(2))));
        // Version 1 written explicitly is still version 1; unknown fields are ignored.
        let v1 = mention(json!({"label": "none", "version": 1, "stance": "x"}));
        assert_eq!(v1.hoax().unwrap().label, HoaxLabel::None);
    }

    #[test]
    fn labels() {
        for l in [HoaxLabel::KnownHoax, HoaxLabel::Suspected, HoaxLabel::None] {
            assert_eq!(HoaxLabel::parse(l.as_str()), Some(l));
            assert_eq!(json!(l), json!(l.as_str()));
            assert_eq!(l.to_string(), l.as_str());
        }
        assert_eq!(HoaxLabel::parse("hoax"), None);
        assert!(HoaxLabel::Suspected.is_flagged() && !HoaxLabel::None.is_flagged());
    }
}
