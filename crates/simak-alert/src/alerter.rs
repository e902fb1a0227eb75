//! The alert stage: reads the enriched stream and applies each batch in one transaction, in
//! this order: the rules decide ([`crate::rules`]), the composer writes each decision's e-mail
//! ([`crate::compose`]), the outbox stores one row per recipient ([`crate::outbox`]). Offsets
//! are committed after the transaction, by the stage runtime ([`AlertStage`]).

use crate::outbox::{insert_outbox, now_s, recipients, Queued};
use crate::rules::{self, AlertRule, Context, State};
use crate::{compose, AlertError, AlertStore};
use chrono::{SecondsFormat, Utc};
use simak_analyze::profiles::Profiles;
use simak_bus::{Bus, Consumed};
use simak_core::config::AlertsConfig;
use simak_core::{Config, Mention};
use simak_runtime::{Attempt, Done, Input, Stage, StageError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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

/// The alert rules as a stage of the runtime: reads the enriched topic in the alerts group and
/// applies each batch ([`AlertStore::apply`]); the runtime commits once the transaction is in.
pub struct AlertStage {
    store: Arc<AlertStore>,
    profiles: Arc<Profiles>,
    alerts: AlertsConfig,
    topic: String,
    group: String,
}

impl AlertStage {
    /// Loads the watch profiles and prepares the stage.
    pub fn open(cfg: &Config, store: Arc<AlertStore>) -> Result<AlertStage, AlertError> {
        Ok(AlertStage {
            store,
            profiles: Arc::new(Profiles::load_dir(&cfg.analyzer.profiles_dir)?),
            alerts: cfg.alerts.clone(),
            topic: cfg.bus.topics.enriched.clone(),
            group: cfg.bus.groups.alerts.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Stage for AlertStage {
    fn name(&self) -> &'static str {
        "alert rules"
    }

    fn input(&self) -> Input {
        Input::from_group(&self.topic, &self.group).max_wait(Duration::from_millis(200))
    }

    async fn apply(&mut self, batch: Vec<Consumed>) -> Result<Done, StageError> {
        let (store, profiles, alerts) = (
            self.store.clone(),
            self.profiles.clone(),
            self.alerts.clone(),
        );
        let applied = tokio::task::spawn_blocking(move || {
            let (mentions, _rejected) = simak_bus::decode_mentions(&batch, "alert rules");
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
        Ok(Done::Commit)
    }
}

/// Runs the alert rules on the enriched stream for one attempt ([`AlertStage`]): until the
/// attempt's token is cancelled, or a failure the supervisor restarts it after.
pub async fn run_alerter(
    cfg: &Config,
    bus: &Bus,
    store: Arc<AlertStore>,
    attempt: &Attempt,
) -> Result<(), StageError> {
    let mut stage = AlertStage::open(cfg, store)?;
    tracing::info!(topic = %stage.topic, profiles = stage.profiles.len(), "alert rules started");
    attempt.run(&mut stage, bus).await
}
