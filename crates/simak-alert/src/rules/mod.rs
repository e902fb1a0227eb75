//! Alert rules: what deserves an e-mail, decided one mention and one watch profile at a time.
//!
//! A rule is an [`AlertRule`]: given a [`Context`] (the mention, the profile it matched, that
//! profile's thresholds, the hour's counts) and the alert [`State`], it returns zero or more
//! [`Decision`]s: which alert (key and version), for which profile, and the facts its e-mail
//! needs. A rule neither writes the e-mail ([`crate::compose`] does, from the decision) nor
//! touches the outbox ([`crate::AlertStore`] does); the alerter records each decision in the alert
//! state before it asks the next rule, all in the batch's transaction, so a rule sees the
//! decisions taken earlier in the same batch.
//!
//! **The contract.** Asked again about a mention it has already seen (a batch read again after a
//! crash), a rule must not decide a new (key, version): the outbox keeps one row per key, version
//! and recipient, and that is what makes a replayed batch add nothing. The rules here get this
//! from [`State`]: an hourly alert is decided only when its key is not yet in the alert table, a
//! hoax update only when the case's spread has grown since the recorded version.
//!
//! **Adding a rule**: one file in this directory with an `impl AlertRule`, and one line in
//! [`all`]. A rule whose e-mail is of a new kind also adds a [`Detail`] variant and its text in
//! `compose.rs`; a rule that keeps state of its own adds a schema step in `outbox.rs`.

mod hoax;
mod state;
mod volume;

pub use hoax::Hoax;
pub use state::{negative, HourCount, State};
pub use volume::Volume;

use crate::AlertError;
use chrono::{DateTime, Utc};
use simak_core::config::AlertsConfig;
use simak_core::{HoaxVerdict, Mention};

/// A rule that decides which alerts a mention sets off for a watch profile.
pub trait AlertRule: Send + Sync {
    /// A short name, for logs and tests.
    fn name(&self) -> &'static str;

    /// The alerts `cx` sets off, if any. Reads (and may update) the rule's state through
    /// `state`; writes no e-mail and no outbox row.
    fn decide(&self, cx: &Context<'_>, state: &State<'_>) -> Result<Vec<Decision>, AlertError>;
}

/// The rules the alerter runs, in this order, on every mention and profile.
pub fn all() -> Vec<Box<dyn AlertRule>> {
    vec![
        Box::new(Volume::Spike),
        Box::new(Volume::Negative),
        Box::new(Hoax),
    ]
}

/// What a rule is asked about: one mention, for one watch profile it matched.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The enriched mention.
    pub mention: &'a Mention,
    /// Its hoax verdict, decoded once per mention (`None`: absent or unreadable).
    pub hoax: Option<&'a HoaxVerdict>,
    /// The watch profile's id.
    pub profile: &'a str,
    /// The profile's thresholds: `[alerts]` with the profile's own overrides applied.
    pub cfg: &'a AlertsConfig,
    /// The hour of publication, in hours since the epoch.
    pub hour: i64,
    /// The profile's counts for that hour with this mention in them, or `None` when the mention
    /// was counted before (a batch read again).
    pub counted: Option<HourCount>,
}

/// An alert a rule decided on: what the composer writes from and the outbox stores under.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The alert's key, unique per alert (`hoax:<case>`, `spike:<profile>:<hour>`, ...).
    pub key: String,
    /// The watch profile's id.
    pub profile: String,
    /// 1 for the first e-mail, more for updates.
    pub version: u32,
    /// How far it had spread when decided: the posts in a hoax case, the mentions in the hour
    /// for a volume alert. Recorded, and what a later update is measured against.
    pub spread: i64,
    /// What the e-mail needs beyond the mention that set the alert off.
    pub detail: Detail,
}

/// The kind of alert, with what its e-mail needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// A known or suspected hoax.
    Hoax {
        /// The review case the mention belongs to.
        case_id: String,
        /// The mention's verdict.
        verdict: HoaxVerdict,
    },
    /// More mentions (or negative ones) in an hour than usual.
    Volume {
        /// Which count crossed the line.
        of: Volume,
        /// The hour's start.
        hour: DateTime<Utc>,
        /// Mean of the same hour on the 7 days before.
        mean: f64,
        /// Its standard deviation.
        sd: f64,
    },
}

impl Decision {
    /// The kind, as stored in the alert table.
    pub fn kind(&self) -> &'static str {
        match &self.detail {
            Detail::Hoax { .. } => "hoax",
            Detail::Volume { of, .. } => of.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{cfg, mention, none, store};
    use simak_analyze::profiles::Profiles;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn the_registry_holds_the_three_rules_in_order() {
        let names: Vec<&str> = all().iter().map(|r| r.name()).collect();
        assert_eq!(names, ["spike", "negative", "hoax"]);
    }

    /// A rule defined here only: one alert for every mention that says "darurat".
    struct Emergency {
        asked: Arc<AtomicUsize>,
    }

    impl AlertRule for Emergency {
        fn name(&self) -> &'static str {
            "emergency"
        }

        fn decide(&self, cx: &Context<'_>, state: &State<'_>) -> Result<Vec<Decision>, AlertError> {
            self.asked.fetch_add(1, Ordering::Relaxed);
            let key = format!("emergency:{}:{}", cx.profile, cx.mention.id);
            if !cx.mention.text.contains("darurat") || state.alerted(&key)? {
                return Ok(Vec::new());
            }
            Ok(vec![Decision {
                key,
                profile: cx.profile.to_string(),
                version: 1,
                spread: 1,
                detail: Detail::Volume {
                    of: Volume::Spike,
                    hour: cx.mention.published_at,
                    mean: 0.0,
                    sd: 0.0,
                },
            }])
        }
    }

    #[test]
    fn a_registered_rule_is_asked_and_its_alerts_reach_the_outbox_once() {
        let (_d, s) = store();
        let p = Profiles::default();
        let asked = Arc::new(AtomicUsize::new(0));
        let mut rules = all();
        // The registration line.
        rules.push(Box::new(Emergency {
            asked: asked.clone(),
        }));
        let batch = vec![
            mention("x:1", "banjir darurat", none(), "2026-11-20T01:00:00Z"),
            mention("x:2", "cerah", none(), "2026-11-20T01:05:00Z"),
        ];
        let a = s.apply_rules(&rules, &batch, &p, &cfg()).unwrap();
        assert_eq!(a.alerts, 1);
        assert_eq!(a.emails, 2, "one per default recipient");
        let out = s.outbox(10).unwrap();
        assert!(
            out.iter().all(|i| i.key == "emergency:pemkab:x:1"),
            "{out:?}"
        );
        // Read again: asked again, nothing new queued.
        assert_eq!(s.apply_rules(&rules, &batch, &p, &cfg()).unwrap().emails, 0);
        assert_eq!(
            asked.load(Ordering::Relaxed),
            4,
            "2 mentions × 1 profile × 2 reads"
        );
        // Without the registration line the rule is never asked.
        let before = s.outbox(10).unwrap().len();
        let x3 = mention("x:3", "darurat lagi", none(), "2026-11-20T01:06:00Z");
        s.apply(&[x3], &p, &cfg()).unwrap();
        assert_eq!(s.outbox(10).unwrap().len(), before);
    }
}
