//! The alert stage: reads the enriched stream and applies each batch in one transaction, in
//! this order: the rules decide ([`crate::rules`]), the composer writes each decision's e-mail
//! ([`crate::compose`]), the outbox stores one row per recipient ([`crate::outbox`]). Offsets
//! are committed after the transaction.

use crate::outbox::{insert_outbox, now_s, recipients, Queued};
use crate::rules::{self, AlertRule, Context, State};
use crate::{compose, AlertError, AlertStore};
use chrono::{SecondsFormat, Utc};
use simak_analyze::profiles::Profiles;
use simak_bus::Bus;
use simak_core::config::AlertsConfig;
use simak_core::{Config, Mention};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What an applied batch produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Alerts queued (one per key and version).
    pub alerts: usize,
    /// Outbox rows queued (one per recipient).
    pub emails: usize,
}

impl AlertStore {
    /// Applies enriched mentions with the registered rules ([`rules::all`]): counts, rules,
    /// e-mails, outbox rows, in one transaction.
    pub fn apply(
        &self,
        mentions: &[Mention],
        profiles: &Profiles,
        cfg: &AlertsConfig,
    ) -> Result<Applied, AlertError> {
        self.apply_rules(&rules::all(), mentions, profiles, cfg)
    }

    /// Applies enriched mentions with `rules`, asked in order for every mention and every
    /// profile it matched: each decision is recorded in the alert state, composed and queued
    /// for the profile's recipients, all in one transaction.
    pub fn apply_rules(
        &self,
        rules: &[Box<dyn AlertRule>],
        mentions: &[Mention],
        profiles: &Profiles,
        cfg: &AlertsConfig,
    ) -> Result<Applied, AlertError> {
        // Per profile: its name, its recipients and its thresholds.
        let known: HashMap<&str, (&str, Vec<String>, AlertsConfig)> = profiles
            .iter()
            .map(|p| {
                let c = p.alerts.apply(cfg);
                (
                    p.id.as_str(),
                    (p.name.as_str(), recipients(&p.alert_recipients, &c), c),
                )
            })
            .collect();
        let unknown = recipients(&[], cfg);
        let mut conn = self.conn.lock().expect("alert db lock");
        let tx = conn.transaction()?;
        let mut out = Applied::default();
        let created = now_s();
        let state = State::new(&tx);
        for m in mentions {
            let handed_over_at = m.fetched_at.to_rfc3339_opts(SecondsFormat::Millis, true);
            let hoax = m.hoax();
            let hour = m.published_at.timestamp().div_euclid(3600);
            for profile in &m.profiles {
                let (name, rcpts, cfg) = match known.get(profile.as_str()) {
                    Some((n, r, c)) => (*n, r, c),
                    None => (profile.as_str(), &unknown, cfg),
                };
                let cx = Context {
                    mention: m,
                    hoax: hoax.as_ref(),
                    profile,
                    cfg,
                    hour,
                    counted: state.count(profile, m, hour)?,
                };
                for rule in rules {
                    for d in rule.decide(&cx, &state)? {
                        state.record(&d, &created)?;
                        let email = compose::alert_email(&d, m, name, &cfg.base_url);
                        out.alerts += 1;
                        out.emails += insert_outbox(
                            &tx,
                            &Queued {
                                key: &d.key,
                                version: d.version,
                                email: &email,
                                mention_id: &m.id,
                                handed_over_at: &handed_over_at,
                                created_at: &created,
                                images: None,
                            },
                            rcpts,
                        )?;
                    }
                }
            }
        }
        // Counting state older than the 7-day window is not needed.
        state.forget_counted_before(Utc::now().timestamp().div_euclid(3600) - 24 * 9)?;
        tx.commit()?;
        if out.emails > 0 {
            self.queued.notify_one();
        }
        Ok(out)
    }
}

/// Runs the alert rules on the enriched stream until `shutdown`. Offsets are committed after
/// the batch's effects are in the database.
pub async fn run_alerter(
    cfg: &Config,
    bus: &Bus,
    store: Arc<AlertStore>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let profiles = Arc::new(Profiles::load_dir(&cfg.analyzer.profiles_dir)?);
    let topic = &cfg.bus.topics.enriched;
    bus.ensure_topic(topic).await?;
    let mut consumer = bus.group_consumer(topic, &cfg.bus.groups.alerts)?;
    tracing::info!(topic, profiles = profiles.len(), "alert rules started");
    consumer
        .apply_batches(
            1000,
            Duration::from_millis(200),
            "alert rules",
            &shutdown,
            |recs| {
                let (store, profiles, alerts) =
                    (store.clone(), profiles.clone(), cfg.alerts.clone());
                async move {
                    let applied = tokio::task::spawn_blocking(move || {
                        let (mentions, _rejected) =
                            simak_bus::decode_mentions(&recs, "alert rules");
                        store.apply(&mentions, &profiles, &alerts)
                    })
                    .await
                    .expect("alert task")?;
                    if applied.alerts > 0 {
                        tracing::info!(
                            alerts = applied.alerts,
                            emails = applied.emails,
                            "alerts queued"
                        );
                    }
                    Ok::<_, AlertError>(())
                }
            },
        )
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::test_support::{cfg, mention, none, store};
    use simak_analyze::profiles::Profiles;
    use simak_core::config::AlertsConfig;
    use simak_core::Mention;

    #[test]
    fn a_profile_can_set_its_own_thresholds() {
        let (_d, s) = store();
        let wp: simak_analyze::profiles::WatchProfile = toml_profile(
            "id = \"pemkab\"\nname = \"Pemkab\"\n[alerts]\nspike_min_count = 3\nnegative_min_count = 1000\n",
        );
        let p = Profiles::new(vec![wp]).unwrap();
        let c = AlertsConfig {
            spike_min_count: 100,
            ..cfg()
        };
        let today: Vec<Mention> = (0..3)
            .map(|i| mention(&format!("t:{i}"), "ramai", none(), "2026-11-20T01:20:00Z"))
            .collect();
        assert_eq!(
            s.apply(&today, &p, &c).unwrap().alerts,
            1,
            "the profile's 3, not the global 100"
        );
    }

    fn toml_profile(t: &str) -> simak_analyze::profiles::WatchProfile {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("p.toml"), t).unwrap();
        Profiles::load_dir(d.path())
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .clone()
    }
}
