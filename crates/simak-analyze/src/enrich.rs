//! The analyses the analyzer runs on each mention, one [`Enricher`] each, in the order the
//! configuration lists them (`analyzer.enrichers`, by default [`DEFAULT_ORDER`]).
//!
//! An enricher adds its own fields to the mention and may read what the enrichers before it
//! added; it never removes or rewrites another's. It runs on the analyzer's hot path, once per
//! mention, in the pipeline and in `simak classify` alike, so it does its expensive set-up
//! (models, indexes) when it is built, not per mention.
//!
//! Adding an analysis: one file with a type implementing [`Enricher`], and one line in
//! [`build`] that names it. Its fields go on the mention: a typed field of
//! [`simak_core::Mention`] or of a type of `simak_core` that the other stages read, never a
//! key they look up by string.

use crate::complaint::{ComplaintModel, ComplaintOf, Gazetteer};
use crate::factcheck::LiveBase;
use crate::hoax::{self, Clusters, OfficeModel};
use crate::profiles::Profiles;
use crate::sentiment::SentimentModel;
use simak_core::{Mention, Sentiment, SentimentScores};
use std::sync::Arc;

/// One analysis of a mention.
pub trait Enricher: Send + Sync {
    /// Its name in `analyzer.enrichers`.
    fn name(&self) -> &'static str;
    /// Adds its fields to `m`.
    fn enrich(&self, m: &mut Mention);
}

/// The enrichers, in order, when the configuration names none.
pub const DEFAULT_ORDER: [&str; 5] = ["language", "sentiment", "profiles", "complaint", "hoax"];

/// What the enrichers are built from: the analyzer's models and knowledge, shared by its clones.
#[derive(Clone)]
pub struct Parts {
    /// The sentiment model.
    pub sentiment: Arc<SentimentModel>,
    /// The watch profiles.
    pub profiles: Arc<Profiles>,
    /// The fact-check knowledge base, followed live.
    pub factchecks: Arc<LiveBase>,
    /// Near-duplicate clusters, in memory.
    pub clusters: Arc<Clusters>,
    /// The office's hoax model, if one was trained.
    pub office: Option<Arc<OfficeModel>>,
    /// The complaint model.
    pub complaints: Arc<ComplaintModel>,
    /// The office's places.
    pub gazetteer: Arc<Gazetteer>,
}

/// The enricher named `name`, built from `parts`; `None` for a name no enricher has.
pub fn build(name: &str, parts: &Parts) -> Option<Arc<dyn Enricher>> {
    Some(match name {
        "language" => Arc::new(Language),
        "sentiment" => Arc::new(SentimentOf(parts.sentiment.clone())),
        "profiles" => Arc::new(ProfileMatch(parts.profiles.clone())),
        "complaint" => Arc::new(ComplaintOf {
            model: parts.complaints.clone(),
            gazetteer: parts.gazetteer.clone(),
        }),
        "hoax" => Arc::new(HoaxScore {
            factchecks: parts.factchecks.clone(),
            clusters: parts.clusters.clone(),
            office: parts.office.clone(),
        }),
        _ => return None,
    })
}

/// The enrichers `names` lists, in its order; an error naming the unknown ones.
pub fn build_all(names: &[String], parts: &Parts) -> Result<Vec<Arc<dyn Enricher>>, String> {
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        match build(n, parts) {
            Some(e) if out.iter().any(|x: &Arc<dyn Enricher>| x.name() == e.name()) => {
                return Err(format!("analyzer.enrichers names {n:?} twice"));
            }
            Some(e) => out.push(e),
            None => {
                return Err(format!(
                    "analyzer.enrichers: no enricher is called {n:?} (there are {})",
                    DEFAULT_ORDER.join(", ")
                ))
            }
        }
    }
    Ok(out)
}

/// The language (`lang`): from the text, with the title in front when the text is short.
pub struct Language;

impl Enricher for Language {
    fn name(&self) -> &'static str {
        "language"
    }

    fn enrich(&self, m: &mut Mention) {
        m.lang = Some(language(m.title.as_deref(), &m.text).to_string());
    }
}

/// The language of a text, with its title when the text alone is too short to tell.
pub fn language(title: Option<&str>, text: &str) -> &'static str {
    match title {
        Some(t) if text.len() < 40 => simak_text::detect_language(&format!("{t}. {text}")),
        _ => simak_text::detect_language(text),
    }
}

/// The sentiment (`sentiment`) by the shipped (or a given) model.
pub struct SentimentOf(pub Arc<SentimentModel>);

impl Enricher for SentimentOf {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn enrich(&self, m: &mut Mention) {
        m.sentiment = Some(sentiment(&self.0, &m.text));
    }
}

/// The sentiment of a text, probabilities written with four decimals.
pub fn sentiment(model: &SentimentModel, text: &str) -> Sentiment {
    let p = model.predict(text);
    Sentiment {
        label: p.label_name().to_string(),
        scores: SentimentScores {
            negative: round4(p.scores[0]),
            neutral: round4(p.scores[1]),
            positive: round4(p.scores[2]),
        },
    }
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// The watch profiles the mention matches (`profiles`).
pub struct ProfileMatch(pub Arc<Profiles>);

impl Enricher for ProfileMatch {
    fn name(&self) -> &'static str {
        "profiles"
    }

    fn enrich(&self, m: &mut Mention) {
        m.profiles = self.0.match_mention(m);
    }
}

/// The hoax verdict (`hoax`): claim matching against the knowledge base, cues, spread.
pub struct HoaxScore {
    factchecks: Arc<LiveBase>,
    clusters: Arc<Clusters>,
    office: Option<Arc<OfficeModel>>,
}

impl Enricher for HoaxScore {
    fn name(&self) -> &'static str {
        "hoax"
    }

    fn enrich(&self, m: &mut Mention) {
        let verdict = hoax::score_full(
            &self.factchecks.current(),
            &self.clusters,
            &m.text,
            m.published_at.timestamp(),
            &hoax::Thresholds::shipped(),
            self.office.as_deref(),
        );
        m.set_hoax(&verdict.to_wire());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Parts {
        Parts {
            sentiment: Arc::new(SentimentModel::shipped().clone()),
            profiles: Arc::new(Profiles::default()),
            factchecks: Arc::new(LiveBase::default()),
            clusters: Arc::new(Clusters::default()),
            office: None,
            complaints: ComplaintModel::shipped_arc().clone(),
            gazetteer: Arc::new(Gazetteer::default()),
        }
    }

    fn mention(text: &str) -> Mention {
        serde_json::from_value(serde_json::json!({
            "id": "t:1", "source": "test", "text": text,
            "published_at": "2026-01-01T00:00:00Z", "fetched_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    /// An analysis added the way a new one would be: a type and a line that builds it.
    struct Shouting;

    impl Enricher for Shouting {
        fn name(&self) -> &'static str {
            "shouting"
        }
        fn enrich(&self, m: &mut Mention) {
            // Reads what an earlier enricher added.
            let loud = m.lang.as_deref() == Some("id") && m.text.contains('!');
            m.extra.insert("shouting".into(), loud.into());
        }
    }

    #[test]
    fn the_default_order_builds_and_each_adds_its_field() {
        let names: Vec<String> = DEFAULT_ORDER.iter().map(|s| s.to_string()).collect();
        let list = build_all(&names, &parts()).unwrap();
        let got: Vec<&str> = list.iter().map(|e| e.name()).collect();
        assert_eq!(got, DEFAULT_ORDER);
        let mut m = mention("Jalan rusak parah di depan pasar, mohon segera diperbaiki!");
        for e in &list {
            e.enrich(&mut m);
        }
        assert_eq!(m.lang.as_deref(), Some("id"));
        assert!(m.sentiment.is_some());
        assert!(m.complaint.is_some());
        assert!(m.hoax().is_some());
        let mut list = list;
        list.push(Arc::new(Shouting));
        let mut m = mention("Jalan rusak parah di depan pasar, mohon segera diperbaiki!");
        for e in &list {
            e.enrich(&mut m);
        }
        assert_eq!(m.extra["shouting"], true);
    }

    #[test]
    fn a_shorter_list_runs_only_what_it_names_and_unknown_names_are_refused() {
        let list = build_all(&["language".to_string()], &parts()).unwrap();
        let mut m = mention("Pelayanan di kantor kecamatan sangat lambat hari ini");
        list[0].enrich(&mut m);
        assert!(m.lang.is_some() && m.sentiment.is_none() && m.hoax().is_none());
        assert!(m.complaint.is_none());
        let e = build_all(&["language".into(), "emosi".into()], &parts())
            .map(|_| ())
            .unwrap_err();
        assert!(
            e.contains("\"emosi\"") && e.contains("language, sentiment"),
            "{e}"
        );
        let e = build_all(&["hoax".into(), "hoax".into()], &parts())
            .map(|_| ())
            .unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }
}
